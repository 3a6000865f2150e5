#!/bin/sh
# Integration tests: run the real plugin binaries as a runtime does, inside a private
# network + mount namespace that this script creates. Nothing touches the machine's own
# network: the "host" is the private namespace, containers are netns nested in it.
# Usage: tests/integ/run.sh BIN_DIR [TEST_NAME_FILTER]
set -u
if [ -z "${NETD_INTEG_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "integration tests need root (they unshare a private netns)"; exit 1; }
	NETD_INTEG_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
# Private /run (so /var/run/netns is ours) and private default state directories.
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
ip link set lo up

BIN=$(cd "$1" && pwd); export BIN
WORK=$(mktemp -d /tmp/netd-integ.XXXXXX); export WORK
# Defaults that keep netd's own state in the test's directory (tests may set their own).
export NETD_STATE_DIR="$WORK/netd-state" NETD_CNI_CONF_DIR="$WORK/net.d" NETD_CNI_CACHE_DIR="$WORK/cni-cache"
filter=${2:-}
dir=$(dirname "$0")
pass=0 failn=0 failed=""
for t in "$dir"/t_*.sh; do
	for fn in $(grep -oE '^test_[a-z0-9_]+' "$t"); do
		case "$fn" in *"$filter"*) ;; *) continue ;; esac
		out=$(bash -c ". '$dir/lib.sh'; . '$t'; set -u; $fn" 2>&1)
		rc=$?
		# A test must leave nothing behind (checked before the next test resets the host).
		leftovers=$(ip -o link show | grep -v ': lo:' | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | tr '\n' ' ')
		if [ $rc -eq 0 ] && [ -n "$leftovers" ] && ! grep -q "^# keeps-links" "$t"; then
			out="$out
    FAIL: left links behind: $leftovers"; rc=1
		fi
		# Lines a passing test marks with "## " are for the reader (e.g. the fault points walked).
		if [ $rc -eq 0 ]; then pass=$((pass + 1)); echo "ok   $fn"; echo "$out" | sed -n 's/^## /     /p'
		else failn=$((failn + 1)); failed="$failed $fn"; echo "FAIL $fn"; echo "$out" | sed 's/^/    /' | tail -40; fi
		bash -c ". '$dir/lib.sh'; reset_host" >/dev/null 2>&1
	done
done
rm -rf "$WORK"
[ -n "$failed" ] && echo "failed:$failed"
echo "integration: $pass passed, $failn failed"
[ $failn -eq 0 ] && [ $pass -gt 0 ]
