#!/bin/bash
# make bench, ports (issue 10): what publishing costs per container, next to no ports and
# next to the reference bridge + portmap, each mode in its own private namespace.
#   - N containers, each bridge ADD then portmap ADD with one mapping, then DELs in reverse;
#   - N containers with 100 mappings each (ours; the reference at N/10, it is slow);
# Times are of the plugin execs alone (bash's $EPOCHREALTIME, no fork around them), in ms.
# Usage: tests/bench/ports.sh BIN_DIR N
set -eu
if [ -z "${NETD_PORTS_BENCH_INNER:-}" ]; then
	NETD_PORTS_BENCH_INNER=1 exec unshare --net --mount --propagation private -- bash "$0" "$@"
fi
BIN=$1 N=$2
REF=/usr/lib/cni
mount -t tmpfs tmpfs /run && mkdir -p /run/netns && ip link set lo up
mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# run VAR PLUGIN CMD ID CONF: exec the plugin, add its wall time (us) to the list VAR.
run() {
	local var=$1 plugin=$2 cmd=$3 id=$4 conf=$5 t0 t1 out
	t0=${EPOCHREALTIME/./}
	out=$(printf '%s' "$conf" | CNI_COMMAND=$cmd CNI_CONTAINERID=$id CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$id \
		CNI_PATH="$BIN:$REF" "$plugin") || { echo "$plugin $cmd $id failed: $out" >&2; exit 1; }
	t1=${EPOCHREALTIME/./}
	printf '%s\n' "$((t1 - t0))" >>"$WORK/$var"
	LAST=$out
}

# stats FILE: median, first 10% mean, last 10% mean (ms).
stats() {
	sort -n "$1" | awk '{ a[NR] = $1 } END { printf "median=%.3f", a[int((NR + 1) / 2)] / 1000 }'
	awk '{ v[NR] = $1 } END { k = int(NR / 10); if (k < 1) k = 1
		for (i = 1; i <= k; i++) { f += v[i]; l += v[NR - k + i] }
		printf " first10=%.3f last10=%.3f", f / k / 1000, l / k / 1000 }' "$1"
}

bconf() { # TYPE IPAM
	echo '{"cniVersion":"1.0.0","name":"bench","type":"'"$1"'","bridge":"benchbr0","isGateway":true,"ipMasq":true,
	 "ipam":{"type":"'"$2"'","dataDir":"'"$WORK/ipam"'","ranges":[[{"subnet":"10.200.0.0/16"}]]}}'
}
pconf() { # TYPE PREV MAPPINGS
	jq -nc --arg t "$1" --argjson prev "$2" --argjson pm "$3" \
		'{cniVersion:"1.0.0",name:"bench",type:$t,snat:true,capabilities:{portMappings:true},runtimeConfig:{portMappings:$pm},prevResult:$prev}'
}
maps() { # FIRST COUNT
	jq -nc --argjson f "$1" --argjson n "$2" '[range(0;$n)|{hostPort:($f+.),containerPort:(80+.),protocol:"tcp"}]'
}

# mode NAME BRIDGE IPAM PORTMAP N PER: N containers with PER mappings each (PER 0: no portmap).
mode() {
	local name=$1 br=$2 ipam=$3 pmp=$4 n=$5 per=$6 i bc brp=$BIN/$2
	[ -x "$brp" ] || brp=$REF/$br
	rm -f "$WORK"/{badd,bdel,padd,pdel}
	bc=$(bconf "$br" "$ipam")
	for ((i = 0; i < n; i++)); do
		ip netns add "b$i"
		run badd "$brp" ADD "b$i" "$bc"
		[ "$per" = 0 ] && continue
		echo "$LAST" >"$WORK/prev.b$i"
		run padd "$pmp" ADD "b$i" "$(pconf "$(basename "$pmp")" "$LAST" "$(maps $((10000 + i * per)) "$per")")"
	done
	for ((i = n - 1; i >= 0; i--)); do
		[ "$per" = 0 ] || run pdel "$pmp" DEL "b$i" "$(pconf "$(basename "$pmp")" "$(cat "$WORK/prev.b$i")" "$(maps $((10000 + i * per)) "$per")")"
		run bdel "$brp" DEL "b$i" "$bc"
		ip netns del "b$i"
	done
	printf '%-18s n=%d per=%d bridge_add %s bridge_del %s' "$name" "$n" "$per" "$(stats "$WORK/badd")" "$(stats "$WORK/bdel")"
	[ "$per" = 0 ] || printf ' portmap_add %s portmap_del %s' "$(stats "$WORK/padd")" "$(stats "$WORK/pdel")"
	echo
	ip link del benchbr0 2>/dev/null || true
	nft flush ruleset; iptables -t nat -F 2>/dev/null || true; iptables -t nat -X 2>/dev/null || true
	rm -rf "$WORK/ipam" "$WORK"/prev.*
}

echo "ports bench: plugin exec times in ms (median, mean of first and last 10%)"
mode "netd no-ports" netd-bridge netd-ipam - "$N" 0
mode "netd 1 port" netd-bridge netd-ipam "$BIN/netd-portmap" "$N" 1
mode "netd 100 ports" netd-bridge netd-ipam "$BIN/netd-portmap" "$N" 100
if [ -x "$REF/portmap" ] && [ -x "$REF/bridge" ] && command -v iptables >/dev/null; then
	mode "ref no-ports" bridge host-local - "$N" 0
	mode "ref 1 port" bridge host-local "$REF/portmap" "$N" 1
	mode "ref 100 ports" bridge host-local "$REF/portmap" $((N / 10)) 100
else
	echo "reference bridge/portmap or iptables missing: no reference figures"
fi
