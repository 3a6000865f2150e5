#!/bin/bash
# Per-packet cost of the isolation chain (lib/kernel/iso.h) with 10 and with 1000 isolated
# bridges: a container flood-pings a "LAN" peer through the forward hook (three map lookups
# and the iso-from chain per packet), best of three runs of K packets at each size. Flat:
# the ratio stays near 1. All inside a private network + mount namespace.
# Usage: tests/bench/isolation.sh BIN_DIR [PACKETS]
set -eu
if [ -z "${NETD_BENCH_INNER:-}" ]; then
	BIN=$(cd "$1" && pwd)
	NETD_BENCH_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$BIN" "${2:-20000}"
fi
BIN=$1 K=$2
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
ip link set lo up
W=$(mktemp -d /tmp/netd-bench-iso.XXXXXX)
trap 'rm -rf "$W"' EXIT
CONF='{"cniVersion":"1.0.0","name":"bi","type":"netd-bridge","bridge":"br-bi","isGateway":true,
 "isDefaultGateway":true,"ipMasq":false,"ipam":{"type":"netd-ipam","dataDir":"'"$W"'/ipam","ranges":[[{"subnet":"10.97.0.0/24"}]]}}'
ip netns add c && ip -n c link set lo up
printf '%s' "$CONF" | CNI_COMMAND=ADD CNI_CONTAINERID=c CNI_IFNAME=eth0 CNI_NETNS=/run/netns/c CNI_PATH="$BIN" \
	"$BIN/netd-bridge" >/dev/null
ip netns add lan && ip link add uplink type veth peer name eth0 netns lan
ip addr add 10.99.0.1/24 dev uplink && ip link set uplink up
ip -n lan addr add 10.99.0.2/24 dev eth0 && ip -n lan link set eth0 up && ip -n lan route add 10.97.0.0/24 via 10.99.0.1
ip netns exec c ping -c1 -W2 10.99.0.2 >/dev/null

# fill FROM TO: isolated bridges "fakeFROM".."fakeTO", as ADDs onto them would leave them.
fill() {
	for i in $(seq "$1" "$2"); do
		echo "add element inet netd iso_bridges { \"fake$i\" }"
		echo "add element inet netd iso_pair { \"fake$i\" . \"fake$i\" : accept }"
		echo "add element inet netd iso_from { \"fake$i\" : jump iso-from }"
	done >"$W/elems.nft"
	nft -f "$W/elems.nft"
}
# ns_per_packet: best of three flood pings of K packets, in ns per packet (request + reply).
ns_per_packet() {
	best=0
	for _ in 1 2 3; do
		s=$(date +%s%N)
		ip netns exec c ping -f -q -c "$K" 10.99.0.2 >/dev/null
		e=$(date +%s%N)
		t=$(((e - s) / K))
		if [ "$best" = 0 ] || [ "$t" -lt "$best" ]; then best=$t; fi
	done
	echo "$best"
}
fill 2 10
a=$(ns_per_packet)
fill 11 1000
b=$(ns_per_packet)
n=$(nft -j list set inet netd iso_bridges | jq '[.nftables[].set.elem // empty | .[]] | length')
awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "isolation: ping round trip through the forward hook %d ns at 10 bridges, %d ns at %d bridges (ratio %.2f; flat is ~1)\n", a, b, n, b / a }'
