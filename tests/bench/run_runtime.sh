#!/bin/bash
# netd run start-to-exit times: `netd run --rm --net=bridge|none|host ROOTFS /bin/true`,
# median of N runs each, and `unshare --fork --pid --mount --uts --ipc --net --mount-proc
# true` as the floor, all in one private network + mount namespace (never the host's).
# Usage: tests/bench/run_runtime.sh BIN_DIR [N]
set -eu
if [ -z "${NETD_BENCH_INNER:-}" ]; then
	BIN=$(cd "$1" && pwd)
	NETD_BENCH_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$BIN" "${2:-100}"
fi
BIN=$1 N=$2
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
ip link set lo up
W=$(mktemp -d /tmp/netd-bench-run.XXXXXX)
export NETD_STATE_DIR=$W/state NETD_IPAM_DIR=$W/ipam NETD_SOCKET=$W/no-daemon.sock
export NETD_CGROUP_PARENT=netd-bench-$$
cleanup() {
	for c in memory cpu pids; do rmdir "/sys/fs/cgroup/$c/$NETD_CGROUP_PARENT" 2>/dev/null || true; done
	rmdir "/sys/fs/cgroup/$NETD_CGROUP_PARENT" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
R=$W/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/true"
ln -s busybox "$R/bin/sh"

# time_runs NAME CMD...: N runs, one line "NAME median=.. p90=.. min=.. (ms)".
time_runs() {
	name=$1
	shift
	"$@" >/dev/null 2>&1 || { echo "$name: the command fails: $*" >&2; "$@"; return 1; }
	for _ in $(seq "$N"); do
		t0=$EPOCHREALTIME
		"$@" >/dev/null
		t1=$EPOCHREALTIME
		echo "$t0 $t1"
	done | awk '{ printf "%.3f\n", ($2 - $1) * 1000 }' | sort -n | awk -v name="$name" '{ d[NR] = $1 }
		END { printf "%-7s median=%.2f p90=%.2f min=%.2f ms (N=%d)\n", name, d[int((NR + 1) / 2)], d[int(NR * 0.9)], d[1], NR }'
}

echo "netd run start-to-exit (--rm, busybox rootfs, /bin/true), median of $N runs"

time_runs bridge "$BIN/netd" run --rm --net=bridge --rootfs "$R" /bin/true
time_runs none "$BIN/netd" run --rm --net=none --rootfs "$R" /bin/true
time_runs host "$BIN/netd" run --rm --net=host --rootfs "$R" /bin/true
time_runs floor unshare --fork --pid --mount --uts --ipc --net --mount-proc true
left=$(ls "$NETD_STATE_DIR/containers" 2>/dev/null | wc -l)
[ "$left" = 0 ] || echo "warning: $left containers left behind"
