#!/bin/sh
# Static analysis of the product code (lib/, plugins/, netd/): cppcheck, warnings and up,
# clean modulo tests/cppcheck.supp (each suppression justified there).
set -u
cd "$(dirname "$0")/.."
command -v cppcheck >/dev/null || { echo "FAIL: cppcheck is not installed (make deps)"; exit 1; }
out=$(cppcheck -q --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
	-D_GNU_SOURCE -D__GNUC__ -Ilib --include=tests/cppcheck.h --suppressions-list=tests/cppcheck.supp \
	--inline-suppr -j2 --template='{file}:{line}: {severity} ({id}): {message}' lib plugins netd 2>&1)
rc=$?
[ $rc = 0 ] && { echo "ok   cppcheck: lib plugins netd clean ($(ls lib/*/*.c plugins/*/*.c netd/*.c 2>/dev/null | wc -l) files)"; exit 0; }
echo "$out"; echo "FAIL cppcheck"; exit 1
