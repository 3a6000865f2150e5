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
cp "$1"/netd "$1"/netd-* "$2" "$BIN"/
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
# The daemon's API: the same attach in-process (no exec), and its RSS with 1000 attachments.
if [ -x "$BIN/netd" ]; then inns "$BENCH" api "$BIN" "${NETD_API_BENCH_N:-1000}" | tee -a "$OUT"; fi

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
	if (("api" in m)) {
		printf "api/plugin: ADD median %.2f ms via the API vs %.2f ms exec, DEL median %.2f vs %.2f\n",
			v["api","add_median"], v["ours","add_median"], v["api","del_median"], v["ours","del_median"]
		printf "daemon RSS: %.2f MiB with %d attachments (%.2f MiB idle; anonymous %.2f MiB; target <= 4 MiB)\n",
			v["api","rss_kib"] / 1024, v["api","n"], v["api","rss_idle_kib"] / 1024, v["api","rss_anon_kib"] / 1024
	}
	for (k in m)
		printf "growth %-5s last10%%/first10%% ADD = %.2f\n", k, v[k,"add_last10"] / v[k,"add_first10"]
	# The floor leaves out enslaving its veth (iproute2 cannot switch netns within a batch),
	# the step at which the bridge slows down with its ports: it is timed apart, as its own
	# ip exec. In ms, what the last 10% of ADDs cost over the first 10%: ours against the
	# floor ADD plus that enslave step. (No apostrophes in here: this is a quoted awk program.)
	if (("floor" in m) && v["floor","enslave_first10"] > 0)
		printf "growth in ms (last10%% - first10%%): ours %.3f, floor %.3f + its enslave step %.3f = %.3f\n",
			v["ours","add_last10"] - v["ours","add_first10"], v["floor","add_last10"] - v["floor","add_first10"],
			v["floor","enslave_last10"] - v["floor","enslave_first10"],
			v["floor","add_last10"] - v["floor","add_first10"] + v["floor","enslave_last10"] - v["floor","enslave_first10"]
}' "$OUT"
[ ! -x "$BIN/netd" ] || bash "$(dirname "$0")/run_runtime.sh" "$BIN" "${NETD_RUN_BENCH_N:-100}"
bash "$(dirname "$0")/isolation.sh" "$BIN" "${NETD_ISO_BENCH_PACKETS:-20000}"
bash "$(dirname "$0")/ports.sh" "$BIN" "${NETD_PORTS_BENCH_N:-$N}"
[ ! -x "$BIN/netd" ] || bash "$(dirname "$0")/dns.sh" "$BIN" "$(dirname "$2")/tests/dnsload" "${NETD_DNS_BENCH_SECONDS:-5}"
[ ! -x "$BIN/netd-oci" ] || bash "$(dirname "$0")/pull.sh" "$BIN"
