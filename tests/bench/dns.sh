#!/bin/bash
# The DNS benchmark (issue 11), in a private network + mount namespace: 100 names on one
# network, served by netd's daemon and by Debian's aardvark-dns (1.4, standalone with a
# config dir) in the same run; queries per second, p50 and p99 latency from 1 and from 8
# askers (each in a container netns of its network, asking the gateway); then timeouts
# counted while 100 containers are attached and detached under a steady query stream.
# Usage: tests/bench/dns.sh BIN_DIR DNSLOAD [SECONDS]
set -eu
if [ -z "${NETD_BENCH_INNER:-}" ]; then
	BIN=$(cd "$1" && pwd)
	NETD_BENCH_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$BIN" "$(realpath "$2")" "${3:-5}"
fi
BIN=$1 LOAD=$2 SECS=$3
AARDVARK=${AARDVARK:-/usr/lib/podman/aardvark-dns}
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
ip link set lo up
W=$(mktemp -d /tmp/netd-bench-dns.XXXXXX)
SOCK=$W/netd.sock
DPID= APID=
cleanup() {
	[ -n "$APID" ] && kill "$APID" 2>/dev/null
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && { wait "$DPID" 2>/dev/null || true; }
	rm -rf "$W"
}
trap cleanup EXIT
api() { curl -sf --unix-socket "$SOCK" -X "$1" "http://netd$2" ${3:+-H 'Content-Type: application/json' --data-binary "$3"}; }

"$BIN/netd" daemon --socket "$SOCK" --state-dir "$W/state" --ipam-dir "$W/ipam" --cni-conf-dir "" --log-level err 2>"$W/dlog" &
DPID=$!
for _ in $(seq 1 100); do api GET /v1/version >/dev/null 2>&1 && break; sleep 0.05; done
api POST /v1/networks '{"name":"bench","subnet":"10.123.0.0/16"}' >/dev/null
# 100 containers: a netns each, attached with a name (c1..c100).
: >"$W/names"
for i in $(seq 1 100); do
	ip netns add "c$i"
	api POST /v1/networks/bench/attachments "{\"netns\":\"c$i\",\"name\":\"c$i\"}" >/dev/null
	echo "c$i" >>"$W/names"
done

# aardvark-dns: the same 100 names on a bridge of its own, its asker a netns on it.
ip link add aard0 type bridge && ip addr add 10.124.0.1/16 dev aard0 && ip link set aard0 up
ip netns add aask && ip link add aask0 type veth peer name eth0 netns aask
ip link set aask0 master aard0 up && ip -n aask addr add 10.124.0.200/16 dev eth0 && ip -n aask link set eth0 up && ip -n aask link set lo up
mkdir -p "$W/aard"
{
	echo 10.124.0.1
	printf '%064x 10.124.0.200  asker\n' 200
	for i in $(seq 1 100); do printf '%064x 10.124.1.%d  c%d\n' "$i" "$i" "$i"; done
} >"$W/aard/bench"
"$AARDVARK" --config "$W/aard" -p 53 run >/dev/null 2>&1 &
for _ in $(seq 1 100); do [ -s "$W/aard/aardvark.pid" ] && break; sleep 0.05; done
APID=$(cat "$W/aard/aardvark.pid" 2>/dev/null || true)
sleep 0.5

measure() { # NAME NETNS SERVER ASKERS
	printf 'dns %-9s askers=%d %s\n' "$1" "$4" "$(ip netns exec "$2" "$LOAD" "$3" "$W/names" "$SECS" "$4")"
}
measure netd c1 10.123.0.1 1 | tee -a "$W/out"
measure aardvark aask 10.124.0.1 1 | tee -a "$W/out"
measure netd c1 10.123.0.1 8 | tee -a "$W/out"
measure aardvark aask 10.124.0.1 8 | tee -a "$W/out"
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[$2, $3, kv[1]] = kv[2] } }
	END { for (k = 1; k <= 8; k *= 8) { a = "askers=" k
		if (v["aardvark", a, "qps"] > 0) printf "dns qps netd/aardvark with %d asker(s): %.1fx\n", k, v["netd", a, "qps"] / v["aardvark", a, "qps"] } }' "$W/out"

# Churn: 100 containers come and go while one asker keeps asking for the 100 stable names.
"$LOAD" 10.123.0.1 "$W/names" $((SECS * 4)) 1 >"$W/churn" &
LPID=$!
# (the asker runs from the host: its source, the gateway, is in the network)
for i in $(seq 1 100); do
	ip netns add "x$i"
	api POST /v1/networks/bench/attachments "{\"netns\":\"x$i\",\"name\":\"x$i\"}" >/dev/null
done
for i in $(seq 1 100); do
	api DELETE "/v1/networks/bench/attachments/x$i" >/dev/null
	ip netns del "x$i"
done
wait "$LPID"
echo "dns churn (100 containers attached and detached under the stream): $(cat "$W/churn")"
