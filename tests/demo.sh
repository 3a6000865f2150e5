#!/bin/sh
# The demo: a bridge network and two containers, inside a private network + mount
# namespace made here, so the machine's own network is never touched.
# Usage: tests/demo.sh BIN_DIR
set -eu
if [ -z "${NETD_DEMO_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "the demo needs root (it unshares a private network namespace)"; exit 1; }
	NETD_DEMO_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
BIN=$(cd "$1" && pwd)
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
STATE=$(mktemp -d /tmp/netd-demo.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
ip link set lo up

CONF='{"cniVersion":"1.0.0","name":"demo","type":"netd-bridge","bridge":"netd0",
  "isGateway":true,"isDefaultGateway":true,"ipMasq":true,
  "ipam":{"type":"netd-ipam","dataDir":"'$STATE'","ranges":[[{"subnet":"172.30.0.0/24"}]]}}'

plugin() { # CMD CONTAINER
	printf '%s' "$CONF" | env CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_IFNAME=eth0 \
		CNI_NETNS="/run/netns/$2" CNI_PATH="$BIN" "$BIN/netd-bridge"
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "two containers (network namespaces) on network 'demo', bridge netd0, 172.30.0.0/24"
for c in web db; do
	ip netns add $c
	printf '{"cniVersion":"1.0.0","name":"lo","type":"netd-loopback"}' |
		env CNI_COMMAND=ADD CNI_CONTAINERID=$c CNI_IFNAME=lo CNI_NETNS=/run/netns/$c CNI_PATH="$BIN" "$BIN/netd-loopback" >/dev/null
	printf '%s ADD result: ' $c
	plugin ADD $c | tee "$STATE/$c.json"
done
WEB=$(sed -E 's/.*"address":"([0-9.]+)\/.*/\1/' "$STATE/web.json")
DB=$(sed -E 's/.*"address":"([0-9.]+)\/.*/\1/' "$STATE/db.json")

step "inside 'web': ip addr and ip route"
ip -n web -brief addr show
ip -n web route

step "web -> gateway 172.30.0.1, web -> db $DB, db -> web $WEB"
ip netns exec web ping -c2 -W2 172.30.0.1
ip netns exec web ping -c2 -W2 "$DB"
ip netns exec db ping -c2 -W2 "$WEB"

step "the host's nftables ruleset (one table, one element per container address)"
nft list ruleset

step "teardown: DEL both, then what is left"
plugin DEL web && plugin DEL db
ip netns del web && ip netns del db
nft list map inet netd masq4
ip -brief link show master netd0 | sed 's/^/port left: /'
ls "$STATE/demo" | sed 's/^/store: /'
ip link del netd0
echo
echo "demo finished: everything above ran in a private network namespace, now discarded."
