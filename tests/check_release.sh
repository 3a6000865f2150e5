#!/bin/sh
# No test hook in a release binary (issue 9): the fault points (lib/base/fault.h) and the
# variables that drive them are compiled into the test builds only, so no shipped plugin,
# daemon or CLI reads NETD_FAULT or NETD_FAULT_TRACE. Checked on the binaries' strings; the
# same check on the test build must find them, or it could not fail.
# Usage: tests/check_release.sh RELEASE_BIN_DIR [TEST_BIN_DIR]   (an empty first: skipped)
set -u
rel=${1:-} test=${2:-}
[ -n "$rel" ] || { echo "skip check_release: not a release build"; exit 0; }
bins="netd-bridge netd-ipam netd-loopback netd-portmap netd netd-daemon netd-oci"
bad=0
for b in $bins; do
	[ -x "$rel/$b" ] || { echo "FAIL check_release: no $rel/$b"; bad=1; continue; }
	if strings -a "$rel/$b" | grep -q 'NETD_FAULT'; then
		echo "FAIL check_release: $rel/$b holds a test hook (NETD_FAULT)"; bad=1
	fi
done
if [ -n "$test" ]; then
	for b in netd-bridge netd-daemon netd; do
		strings -a "$test/$b" 2>/dev/null | grep -q 'NETD_FAULT' ||
			{ echo "FAIL check_release: the test build's $test/$b has no fault points: the check is blind"; bad=1; }
	done
fi
[ $bad = 0 ] && echo "ok   check_release: no test hook in $rel ($(echo $bins | wc -w) binaries)"
exit $bad
