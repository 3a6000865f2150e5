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

# ---- the daemon and its REST API ----
export NETD_STATE_DIR="$STATE/netd" NETD_IPAM_DIR="$STATE/netd-ipam" NETD_CNI_CONF_DIR="$STATE/net.d"
export NETD_SOCKET="$STATE/netd.sock" NETD_CGROUP_PARENT="netd-demo-$$" CNI_PATH="$BIN"
step "netd daemon: the default network 'bridge' (netd0), a REST API on a unix socket"
"$BIN/netd" daemon --socket "$NETD_SOCKET" --state-dir "$NETD_STATE_DIR" --cni-conf-dir "$NETD_CNI_CONF_DIR" \
	2>"$STATE/daemon.log" &
DAEMON=$!
for _ in $(seq 1 50); do [ -S "$NETD_SOCKET" ] && break; sleep 0.1; done
echo "\$ curl --unix-socket netd.sock http://netd/v1/networks"
curl -s --unix-socket "$NETD_SOCKET" http://netd/v1/networks; echo
echo "\$ netd network ls"
"$BIN/netd" network ls

# ---- netd run: a container on that network ----
step "netd run: a busybox container (namespaces, cgroups, overlayfs) on network 'bridge'"
R="$STATE/rootfs"
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp"
cp /bin/busybox "$R/bin/" && ln -s busybox "$R/bin/sh"
"$BIN/netd" run --rm --hostname demo --memory 64m --pids-limit 64 --rootfs "$R" -- sh -c \
	'echo "hostname: $(busybox hostname), pid $$"; busybox ip -4 -o addr show eth0; busybox ping -c1 -W2 172.17.0.1'
echo "\$ netd ps -a"
"$BIN/netd" ps -a
kill "$DAEMON" && wait "$DAEMON" || true
for c in memory cpu pids; do rmdir "/sys/fs/cgroup/$c/$NETD_CGROUP_PARENT" 2>/dev/null || true; done
rmdir "/sys/fs/cgroup/$NETD_CGROUP_PARENT" 2>/dev/null || true

echo
echo "demo finished: everything above ran in a private network namespace, now discarded."
