#!/bin/sh
# make bench: ours, the reference plugins and the `ip -batch` floor, measured in one run,
# each in its own private network namespace (never the machine's own network).
# Usage: tests/bench/run.sh BIN_DIR BENCH_BINARY N
set -eu
N=$3
REF=/usr/lib/cni
OUT=$(mktemp)
# Measure copies, so that a rebuild during the run cannot swap the binaries under it.
BIN=$(mktemp -d)
trap 'rm -rf "$OUT" "$BIN"' EXIT
cp "$1"/netd-* "$2" "$BIN"/
BENCH=$BIN/$(basename "$2")

# One private network + mount namespace per mode: the "host" the plugins change.
inns() {
	unshare --net --mount --propagation private -- sh -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/netns && ip link set lo up
		touch /run/netns/host && mount --bind /proc/self/ns/net /run/netns/host
		if [ "$2" = floor ]; then ip link add benchbr0 type bridge && ip link set benchbr0 up; fi
		exec "$@"' sh "$@"
}

echo "netd bench: N=$N containers attached one after another, then detached (times in ms)"
inns "$BENCH" ours "$BIN" "$N" | tee -a "$OUT"
if [ -x "$REF/bridge" ] && [ -x "$REF/host-local" ]; then
	inns "$BENCH" ref "$REF" "$N" | tee -a "$OUT"
else
	echo "reference plugins not installed (Debian containernetworking-plugins): no ratio"
fi
inns "$BENCH" floor - "$N" | tee -a "$OUT"

# Ratios, from the lines above.
awk '
{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } m[$1] = 1 }
END {
	if (("ref" in m)) {
		printf "ours/ref:   ADD median %.2f (ref is %.1fx slower), DEL median %.2f (ref is %.1fx slower)\n",
			v["ours","add_median"] / v["ref","add_median"], v["ref","add_median"] / v["ours","add_median"],
			v["ours","del_median"] / v["ref","del_median"], v["ref","del_median"] / v["ours","del_median"]
	}
	printf "ours/floor: ADD median %.2f, DEL median %.2f\n",
		v["ours","add_median"] / v["floor","add_median"], v["ours","del_median"] / v["floor","del_median"]
	for (k in m)
		printf "growth %-5s last10%%/first10%% ADD = %.2f\n", k, v[k,"add_last10"] / v[k,"add_first10"]
}' "$OUT"
