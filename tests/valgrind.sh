#!/bin/sh
# The plugins under valgrind: ADD, CHECK, DEL, GC, STATUS of netd-bridge (with in-process
# IPAM, and with a delegated one), netd-ipam, netd-loopback, plus a failed ADD (its undo
# path) -- in a private network + mount namespace, as the integration tests run. Any memory
# error or leak fails (--error-exitcode=99). Only the plugin process is traced
# (--trace-children=no): a delegated plugin is not ours. The failed ADD is made by a fault
# point, which only the test build's plugins have (FAULT_BIN_DIR, default BIN_DIR).
# Usage: tests/valgrind.sh BIN_DIR [FAULT_BIN_DIR]
set -u
if [ -z "${NETD_VG_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "valgrind test needs root (it unshares a private netns)"; exit 1; }
	command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (make deps)"; exit 1; }
	NETD_VG_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
ip link set lo up
BIN=$(cd "$1" && pwd)
FAULT_BIN=$(cd "${2:-$1}" && pwd)
W=$(mktemp -d /tmp/netd-vg.XXXXXX)
trap 'rm -rf "$W"' EXIT
export CNI_PATH="$BIN:/usr/lib/cni"
n=0 bad=0

conf() { # NAME IPAM-TYPE [VERSION]
	cat <<JSON
{"cniVersion":"${3:-1.1.0}","name":"$1","type":"netd-bridge","bridge":"br-$1","isGateway":true,"isDefaultGateway":true,
 "ipMasq":true,"hairpinMode":true,"ipam":{"type":"$2","dataDir":"$W/ipam","ranges":[[{"subnet":"10.71.0.0/24"}],[{"subnet":"fd00:71::/64"}]],
 "routes":[{"dst":"192.168.71.0/24"}]}}
JSON
}
# vg EXPECT PLUGIN CMD ID IFNAME NETNS CONF [NETD_FAULT]: EXPECT is ok or err; with a fault,
# the test build's plugin.
vg() {
	n=$((n + 1))
	dir=$BIN
	[ -n "${8:-}" ] && dir=$FAULT_BIN
	printf '%s' "$7" | env CNI_COMMAND="$3" CNI_CONTAINERID="$4" CNI_IFNAME="$5" CNI_NETNS="$6" NETD_FAULT="${8:-}" \
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --trace-children=no \
		--log-file="$W/vg.$n" "$dir/$2" >"$W/out"
	rc=$?
	# nsfs's NS_GET_NSTYPE ioctl (0xb703) takes no argument; valgrind notes it all the same.
	grep -v -e 'unhandled ioctl 0xb703' -e 'could cause spurious value' -e 'README_MISSING_SYSCALL' "$W/vg.$n" >"$W/vg.$n.f"
	if [ $rc = 99 ] || [ -s "$W/vg.$n.f" ]; then
		echo "FAIL valgrind: $2 $3 ${8:-}"; cat "$W/vg.$n"; bad=1
	elif { [ "$1" = ok ] && [ $rc != 0 ]; } || { [ "$1" = err ] && [ $rc = 0 ]; }; then
		echo "FAIL: $2 $3 ${8:-} exited $rc: $(cat "$W/out")"; bad=1
	fi
}
ip netns add c1
c=$(conf vg netd-ipam)
vg ok netd-bridge ADD c1 eth0 /run/netns/c1 "$c"
cc=$(printf '%s' "$c" | jq -c --argjson p "$(cat "$W/out")" '. + {prevResult:$p}')
# netd-portmap chained after it: ADD, CHECK, GC, a conflict (refused), a failed ADD's undo, DEL.
pc=$(jq -nc --argjson p "$(cat "$W/out")" '{cniVersion:"1.1.0",name:"vg",type:"netd-portmap",runtimeConfig:{portMappings:[{hostPort:8080,containerPort:80},{hostPort:5300,containerPort:53,protocol:"udp"}]},prevResult:$p}')
vg ok netd-portmap ADD c1 eth0 /run/netns/c1 "$pc"
vg ok netd-portmap CHECK c1 eth0 /run/netns/c1 "$pc"
vg err netd-portmap ADD c9 eth0 /run/netns/c1 "$pc"
vg err netd-portmap ADD c9 eth0 /run/netns/c1 "$(printf '%s' "$pc" | jq -c '.runtimeConfig.portMappings=[{hostPort:9090,containerPort:80,protocol:"udp"}]')" portmap-conntrack-add:fail
vg ok netd-portmap GC "" "" "" "$(printf '%s' "$pc" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}')"
vg ok netd-portmap STATUS "" "" "" "$pc"
vg ok netd-portmap DEL c1 eth0 "" "$pc"
vg ok netd-bridge CHECK c1 eth0 /run/netns/c1 "$cc"
vg ok netd-bridge STATUS "" "" "" "$c"
vg ok netd-bridge GC "" "" "" "$(printf '%s' "$c" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}')"
vg ok netd-bridge VERSION "" "" "" "$c"
# Errors: a second ADD of the attachment, a bad config, a failure late in ADD (undo).
vg err netd-bridge ADD c1 eth0 /run/netns/c1 "$c"
vg err netd-bridge ADD c1 eth0 /run/netns/c1 '{"cniVersion":"1.1.0","name":"x","type":"netd-bridge","mtu":"no"}'
vg err netd-bridge ADD c1 eth1 /run/netns/c1 "$c" nft-add:fail
vg ok netd-bridge DEL c1 eth0 /run/netns/c1 "$cc"
vg ok netd-bridge DEL c1 eth0 "" "$c"
vg ok netd-ipam ADD c2 eth0 /x "$c"
vg ok netd-ipam CHECK c2 eth0 /x "$c"
vg ok netd-ipam DEL c2 eth0 /x "$c"
vg ok netd-loopback ADD c1 lo /run/netns/c1 '{"cniVersion":"1.1.0","name":"lo","type":"netd-loopback"}'
vg ok netd-loopback DEL c1 lo /run/netns/c1 '{"cniVersion":"1.1.0","name":"lo","type":"netd-loopback"}'
if [ -x /usr/lib/cni/host-local ]; then
	c=$(conf vgd host-local 1.0.0)
	vg ok netd-bridge ADD c1 eth2 /run/netns/c1 "$c"
	vg ok netd-bridge DEL c1 eth2 /run/netns/c1 "$c"
fi
[ $bad = 0 ] && echo "ok   valgrind: $n plugin runs, no memory error, no leak"
exit $bad
