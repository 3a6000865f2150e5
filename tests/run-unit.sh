#!/bin/sh
# Run cmocka unit test binaries; one line per binary, the full output of failing ones,
# then exactly "N passed, N failed" counting test cases. A binary that dies without a
# cmocka summary (crash, timeout, missing) counts as one failed case.
# Usage: tests/run-unit.sh BINARY...   (V=1 shows every binary's output)
set -u
[ $# -gt 0 ] || { echo "usage: $0 TEST_BINARY..." >&2; exit 2; }

TIMEOUT=${UNIT_TIMEOUT:-300}
out=$(mktemp /tmp/netd-unit.XXXXXX) || exit 2
trap 'rm -f "$out"' EXIT INT TERM
total_pass=0 total_fail=0

# The count cmocka prints on a summary line like "[  PASSED  ] 9 test(s).", else 0.
count() {
	n=$(sed -n "s/^\[  $1 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$out" | tail -n 1)
	echo "${n:-0}"
}

for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: not an executable"
		total_fail=$((total_fail + 1))
		continue
	fi
	if command -v timeout >/dev/null 2>&1; then
		timeout "$TIMEOUT" "$bin" >"$out" 2>&1
	else
		"$bin" >"$out" 2>&1
	fi
	rc=$?
	pass=$(count PASSED) fail=$(count FAILED) skip=$(count SKIPPED)
	# Non-zero exit with no failure counted: it crashed or hung (124 is timeout's).
	[ $rc -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
	extra=""
	[ "$skip" -gt 0 ] && extra=", $skip skipped"
	[ $rc -eq 124 ] && extra="$extra, timed out after ${TIMEOUT}s"
	[ $rc -gt 128 ] && extra="$extra, killed by signal $((rc - 128))"
	if [ "$fail" -eq 0 ]; then
		echo "PASS $name: $pass passed$extra"
		[ "${V:-0}" = 1 ] && sed 's/^/    /' "$out"
	else
		echo "FAIL $name: $pass passed, $fail failed$extra (exit $rc)"
		sed 's/^/    /' "$out"
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
