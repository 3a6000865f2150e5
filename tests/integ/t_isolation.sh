# Isolation between networks (Docker's rules, lib/kernel/iso.h) and the bridge's forceAddress.

# reach FROM ADDR: FROM (a netns) gets an answer from ADDR.
reach() { ip netns exec "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
ip_of() { echo "$1" | jq -r '.ips[0].address' | cut -d/ -f1; }

# Two plugin networks (bridges br-ia, br-ib) with one container each; extra JSON for both.
two_nets() {
	CA=$(conf ia 10.71.0.0/24 "${1:-}") CB=$(conf ib 10.72.0.0/24 "${1:-}")
	mkns a1 && mkns b1 || return 1
	RA=$(add a1 "$CA") || fail "ADD a1: $RA" || return 1
	RB=$(add b1 "$CB") || fail "ADD b1: $RB" || return 1
	A1=$(ip_of "$RA") B1=$(ip_of "$RB")
}

two_nets_clean() {
	del a1 "$CA"; del b1 "$CB"
	ip netns del a1; ip netns del b1; ip link del br-ia; ip link del br-ib
}

test_iso_plugin_bridges_isolated_both_ways() {
	two_nets || return 1
	# Each still reaches its own gateway, and the host reaches both.
	reach a1 10.71.0.1 && reach b1 10.72.0.1 || fail "gateway unreachable" || return 1
	ping -c1 -W1 "$A1" >/dev/null && ping -c1 -W1 "$B1" >/dev/null || fail "host cannot reach the containers" || return 1
	reach a1 "$B1" && { fail "a1 reaches b1 across networks"; return 1; }
	reach b1 "$A1" && { fail "b1 reaches a1 across networks"; return 1; }
	# The other bridge's gateway address is the host's: reachable, as on Docker (INPUT, not FORWARD).
	nft list set inet netd iso_bridges | grep -q br-ia || fail "br-ia not in iso_bridges: $(nft list ruleset)" || return 1
	two_nets_clean
	# The bridges' elements outlive DEL as the bridges do; GC of a network whose bridge is gone drops them.
	nft list set inet netd iso_bridges | grep -q br-ia || fail "br-ia's elements went with DEL" || return 1
	for c in "$CA" "$CB"; do
		printf '%s' "$c" | jq -c '. + {"cniVersion":"1.1.0","cni.dev/valid-attachments":[]}' | env CNI_COMMAND=GC CNI_PATH="$CNI_PATH" "$BIN/netd-bridge" ||
			fail "GC" || return 1
	done
	[ -z "$(nft -j list ruleset | jq -c '.nftables[] | (.set // .map) | select(.name and (.name|startswith("iso"))) | .elem // empty')" ] ||
		fail "elements left after GC: $(nft list ruleset)" || return 1
}

test_iso_plugin_opt_out_isolate_false() {
	two_nets ',"isolate":false' || return 1
	reach a1 "$B1" && reach b1 "$A1" || fail "isolate:false networks cannot reach each other" || return 1
	nft list set inet netd iso_bridges 2>/dev/null | grep -q br-i && { fail "opted-out bridge in iso_bridges"; return 1; }
	two_nets_clean
}

test_iso_plugin_same_network_still_reaches() {
	c=$(conf ia 10.71.0.0/24)
	mkns a1 && mkns a2
	r1=$(add a1 "$c") && r2=$(add a2 "$c") || fail "ADD" || return 1
	reach a1 "$(ip_of "$r2")" && reach a2 "$(ip_of "$r1")" || fail "same network unreachable" || return 1
	del a1 "$c"; del a2 "$c"; ip netns del a1; ip netns del a2; ip link del br-ia
}

# Docker's icc=false: containers of one bridge do not reach each other, the gateway they do.
test_iso_plugin_icc_false() {
	c=$(conf ia 10.71.0.0/24 ',"icc":false')
	mkns a1 && mkns a2
	r1=$(add a1 "$c") && r2=$(add a2 "$c") || fail "ADD" || return 1
	reach a1 10.71.0.1 || fail "gateway unreachable with icc off" || return 1
	reach a1 "$(ip_of "$r2")" && { fail "a1 reaches a2 with icc off"; return 1; }
	h1=$(echo "$r1" | jq -r '.interfaces[1].name')
	nft list set bridge netd iso_noicc | grep -q "$h1" || fail "no iso_noicc element for $h1" || return 1
	# CHECK holds the bridge's and the port's elements against the config.
	cc=$(printf '%s' "$c" | jq -c --argjson p "$r1" '. + {"prevResult":$p}')
	out=$(cni netd-bridge CHECK a1 eth0 /run/netns/a1 "$cc") || fail "CHECK: $out" || return 1
	nft delete element bridge netd iso_noicc "{ \"$h1\" }"
	out=$(cni netd-bridge CHECK a1 eth0 /run/netns/a1 "$cc") && { fail "CHECK passed without the port's element"; return 1; }
	expect_code "$out" 105 && echo "$out" | grep -q iso_noicc || fail "CHECK: $out" || return 1
	nft delete element inet netd iso_from '{ "br-ia" }'
	cni netd-bridge CHECK a2 eth0 /run/netns/a2 "$(printf '%s' "$c" | jq -c --argjson p "$r2" '. + {"prevResult":$p}')" >/dev/null &&
		{ fail "CHECK passed without the bridge's iso_from element"; return 1; }
	del a1 "$c"; del a2 "$c"
	[ -z "$(nft -j list set bridge netd iso_noicc | jq -c '.nftables[].set.elem // empty')" ] ||
		fail "port elements left after DEL: $(nft list set bridge netd iso_noicc)" || return 1
	ip netns del a1; ip netns del a2; ip link del br-ia
}

# An internal plugin network: no route out (a "LAN" peer behind the host), nothing in.
test_iso_plugin_internal() {
	mklan || return 1
	CA=$(conf ia 10.71.0.0/24 ',"internal":true') CB=$(conf ib 10.72.0.0/24)
	mkns a1 && mkns a2 && mkns b1
	RA=$(add a1 "$CA") && r2=$(add a2 "$CA") && RB=$(add b1 "$CB") || fail "ADD" || return 1
	A1=$(ip_of "$RA") B1=$(ip_of "$RB")
	reach b1 10.99.0.2 || fail "normal network cannot reach the LAN" || return 1
	reach a1 10.99.0.2 && { fail "internal network reaches the LAN"; return 1; }
	ip netns exec lan ip route add 10.71.0.0/24 via 10.99.0.1
	reach lan "$A1" && { fail "LAN reaches the internal network"; return 1; }
	reach b1 "$A1" && { fail "another network reaches the internal one"; return 1; }
	reach a1 "$B1" && { fail "the internal network reaches another"; return 1; }
	reach a1 "$(ip_of "$r2")" && reach a1 10.71.0.1 || fail "internal network: peers or gateway unreachable" || return 1
	del a1 "$CA"; del a2 "$CA"; del b1 "$CB"
	ip netns del a1; ip netns del a2; ip netns del b1; ip link del br-ia; ip link del br-ib; lan_clean
}

# mklan: a netns "lan" (10.99.0.2) behind a veth from the host (10.99.0.1), a machine on the LAN.
mklan() {
	mkns lan && ip link add uplink type veth peer name eth0 netns lan &&
		ip addr add 10.99.0.1/24 dev uplink && ip link set uplink up &&
		ip -n lan addr add 10.99.0.2/24 dev eth0 && ip -n lan link set eth0 up
}
lan_clean() { ip netns del lan 2>/dev/null; ip link del uplink 2>/dev/null; true; }

# forceAddress (reference bridge): a different address in the gateway's place is refused
# without it and replaced with it.
test_iso_force_address_refused_then_replaced() {
	ip link add br-fo type bridge && ip addr add 10.73.0.9/24 brd + dev br-fo && ip link set br-fo up
	c=$(conf fo 10.73.0.0/24 '')
	mkns f1
	add_refused f1 "$c" 102 "already has address 10.73.0.9/24" || return 1
	cf=$(conf fo 10.73.0.0/24 ',"forceAddress":true')
	r=$(add f1 "$cf") || fail "ADD with forceAddress: $r" || return 1
	addrs=$(ip -j addr show br-fo | jq -r '[.[0].addr_info[]|select(.family=="inet")|"\(.local)/\(.prefixlen)"]|join(" ")')
	[ "$addrs" = 10.73.0.1/24 ] || fail "bridge addresses after forceAddress: $addrs" || return 1
	reach f1 10.73.0.1 || fail "gateway unreachable" || return 1
	del f1 "$cf"; ip netns del f1; ip link del br-fo
}

# ---- daemon networks (the same rules, through the network record; replayed by netd reload) ----
ISOCK=/run/netd/netd.sock
istart() {
	mkdir -p "$WORK/iconf"
	NETD_LOG=info "$BIN/netd" daemon --state-dir "$WORK/istate" --cni-conf-dir "$WORK/iconf" \
		--ipam-dir "$WORK/ipam" 2>>"$WORK/ilog" &
	IPID=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$ISOCK" http://netd/v1/version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$WORK/ilog"; fail "daemon did not start"
}
inetd() { "$BIN/netd" --state-dir "$WORK/istate" --cni-conf-dir "$WORK/iconf" "$@"; }
istop() { [ -n "${IPID:-}" ] && kill -TERM "$IPID" 2>/dev/null && wait "$IPID"; IPID=; }
# iattach NETWORK NETNS: a new netns attached; prints its address.
iattach() {
	ip netns add "$2" && ip -n "$2" link set lo up && inetd add "$1" "$2" >/dev/null || return 1
	ip -n "$2" -j addr show eth0 | jq -r '.[0].addr_info[]|select(.family=="inet")|.local'
}
iclean() {
	istop
	for n in $(ls /run/netns 2>/dev/null); do ip netns del "$n"; done
	for l in $(ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | grep -e '^nd' -e '^br-' -e '^uplink' -e '^netd0$'); do ip link del "$l" 2>/dev/null; done
	rm -rf "$WORK/istate" "$WORK/iconf" "$WORK/ipam" "$WORK/ilog"
	return 0
}
# iso_elems: every isolation element of a bridge of ours (br-*, not the default netd0), one per line.
iso_elems() {
	for s in "inet netd iso_bridges" "inet netd iso_pair" "inet netd iso_from" "inet netd iso_to" \
		"bridge netd iso_noicc"; do
		nft -j list set $s 2>/dev/null || nft -j list map $s 2>/dev/null
	done | jq -c '.nftables[] | (.set // .map) | .elem // empty | .[]' | grep -e br- -e '"nd'
}

test_iso_daemon_networks_isolated_reload_rm() {
	istart || return 1
	inetd network create na --subnet 10.81.0.0/24 >/dev/null && inetd network create nb --subnet 10.82.0.0/24 >/dev/null ||
		{ fail "create"; iclean; return 1; }
	x=$(iattach na x1) && y=$(iattach nb y1) && x2=$(iattach na x2) || { fail "attach"; iclean; return 1; }
	reach x1 "$x2" && reach x1 10.81.0.1 || { fail "same network unreachable"; iclean; return 1; }
	reach x1 "$y" && { fail "na reaches nb"; iclean; return 1; }
	reach y1 "$x" && { fail "nb reaches na"; iclean; return 1; }
	# Flushed, the networks reach each other (it was our ruleset); reload restores the isolation.
	nft flush ruleset
	reach y1 "$x" || { fail "no route between the networks after a flush"; iclean; return 1; }
	inetd reload >/dev/null || { fail "reload"; iclean; return 1; }
	reach y1 "$x" && { fail "reload did not restore the isolation"; iclean; return 1; }
	reach x1 "$x2" || { fail "same network unreachable after reload"; iclean; return 1; }
	inetd del na x1 >/dev/null && inetd del na x2 >/dev/null && inetd del nb y1 >/dev/null || { fail "del"; iclean; return 1; }
	inetd network rm na >/dev/null && inetd network rm nb >/dev/null || { fail "network rm"; iclean; return 1; }
	[ -z "$(iso_elems)" ] || { fail "elements left after network rm: $(iso_elems)"; iclean; return 1; }
	iclean
}

test_iso_daemon_internal_network() {
	mklan || return 1
	istart || { lan_clean; return 1; }
	inetd network create ni --internal --subnet 10.83.0.0/24 >/dev/null &&
		inetd network create nn --subnet 10.84.0.0/24 >/dev/null || { fail "create"; iclean; return 1; }
	inetd --json network inspect ni | jq -e '.[0].internal == true' >/dev/null || { fail "not internal: $(inetd --json network inspect ni)"; iclean; return 1; }
	i1=$(iattach ni i1) && i2=$(iattach ni i2) && n1=$(iattach nn n1) || { fail "attach"; iclean; return 1; }
	ip -n i1 route | grep -q default && { fail "internal network has a default route"; iclean; return 1; }
	reach n1 10.99.0.2 || { fail "normal network cannot reach the LAN"; iclean; return 1; }
	# Even given a route out, the internal network gets nothing forwarded.
	ip -n i1 route add default via 10.83.0.1
	reach i1 10.99.0.2 && { fail "internal network reaches the LAN"; iclean; return 1; }
	ip netns exec lan ip route add 10.83.0.0/24 via 10.99.0.1
	reach lan "$i1" && { fail "the LAN reaches the internal network"; iclean; return 1; }
	reach n1 "$i1" && { fail "another network reaches the internal one"; iclean; return 1; }
	reach i1 "$i2" && reach i1 10.83.0.1 || { fail "internal network: peers or gateway unreachable"; iclean; return 1; }
	nft list ruleset | grep -q 'masq-10.83' && { fail "internal network masqueraded"; iclean; return 1; }
	inetd network rm --force ni >/dev/null && inetd network rm --force nn >/dev/null || { fail "network rm"; iclean; return 1; }
	[ -z "$(iso_elems)" ] || { fail "elements left after network rm: $(iso_elems)"; iclean; return 1; }
	iclean; lan_clean
}

test_iso_daemon_icc_false() {
	istart || return 1
	inetd network create nc -o icc=false --subnet 10.85.0.0/24 >/dev/null &&
		inetd network create nd -o com.docker.network.bridge.enable_icc=false --subnet 10.86.0.0/24 >/dev/null ||
		{ fail "create"; iclean; return 1; }
	inetd --json network inspect nd | jq -e '.[0].icc == false' >/dev/null || { fail "icc not recorded: $(inetd --json network inspect nd)"; iclean; return 1; }
	out=$(inetd network create nz -o icc=maybe 2>&1) && { fail "icc=maybe accepted"; iclean; return 1; }
	echo "$out" | grep -q "not true or false" || { fail "icc=maybe: $out"; iclean; return 1; }
	for net in nc nd; do
		a=$(iattach $net ${net}1) && b=$(iattach $net ${net}2) || { fail "attach"; iclean; return 1; }
		reach ${net}1 "${a%.*}.1" || { fail "$net: gateway unreachable with icc off"; iclean; return 1; }
		reach ${net}1 "$b" && { fail "$net: containers reach each other with icc off"; iclean; return 1; }
	done
	# The port elements come back with netd reload.
	c2=$(ip -n nc2 -j addr show eth0 | jq -r '.[0].addr_info[]|select(.family=="inet")|.local')
	nft flush ruleset
	# The neighbour entry that icc off left FAILED takes a retry to resolve again.
	for _ in 1 2 3 4 5; do reach nc1 "$c2" && break; done
	reach nc1 "$c2" || { fail "flush did not open icc"; iclean; return 1; }
	inetd reload >/dev/null || { fail "reload"; iclean; return 1; }
	reach nc1 "$c2" && { fail "reload did not restore icc off"; iclean; return 1; }
	inetd network rm --force nc >/dev/null && inetd network rm --force nd >/dev/null || { fail "network rm"; iclean; return 1; }
	[ -z "$(iso_elems)" ] || { fail "elements left after network rm: $(iso_elems)"; iclean; return 1; }
	iclean
}

# ---- fault points (lib/base/fault.h): the test build's plugins ----
# ifault CMD SPEC ID CONF: the fault build's bridge plugin with NETD_FAULT=SPEC.
ifault() {
	printf '%s' "$4" | env NETD_FAULT="$2" CNI_COMMAND="$1" CNI_CONTAINERID="$3" CNI_IFNAME=eth0 \
		CNI_NETNS="/run/netns/$3" CNI_PATH="$FAULT_BIN:$REF" "$FAULT_BIN/netd-bridge"
}
# iso_trace CONF: trace an ADD and a DEL of a new netns; "point@n" lists in $WORK/t.add, $WORK/t.del.
iso_trace() {
	mkns tr || return 1
	printf '%s' "$1" | env NETD_FAULT_TRACE="$WORK/t.add.raw" CNI_COMMAND=ADD CNI_CONTAINERID=tr CNI_IFNAME=eth0 \
		CNI_NETNS=/run/netns/tr CNI_PATH="$FAULT_BIN:$REF" "$FAULT_BIN/netd-bridge" >/dev/null || fail "traced ADD" || return 1
	printf '%s' "$1" | env NETD_FAULT_TRACE="$WORK/t.del.raw" CNI_COMMAND=DEL CNI_CONTAINERID=tr CNI_IFNAME=eth0 \
		CNI_NETNS=/run/netns/tr CNI_PATH="$FAULT_BIN:$REF" "$FAULT_BIN/netd-bridge" || fail "traced DEL" || return 1
	ip netns del tr
	points "$WORK/t.add.raw" >"$WORK/t.add"; points "$WORK/t.del.raw" >"$WORK/t.del"
	rm -f "$WORK/t.add.raw" "$WORK/t.del.raw"
}

# icc off (a port element per container) and isolation: every ADD point failed leaves the host
# as it was, every ADD and DEL point SIGKILLed and then DEL leaves it as it was.
test_iso_fault_icc_off_fail_and_kill_then_del() {
	c=$(conf fi 10.74.0.0/24 ',"icc":false')
	mkns keep && add keep "$c" >/dev/null || fail "warm-up ADD" || return 1
	iso_trace "$c" || return 1
	grep -q '^nft-iso-del@1$' "$WORK/t.del" || fail "DEL did not reach nft-iso-del: $(cat "$WORK/t.del")" || return 1
	mkns victim
	for p in $(cat "$WORK/t.add"); do
		before=$(snapshot)
		out=$(ifault ADD "$p:fail" victim "$c") && { fail "ADD with $p:fail succeeded"; return 1; }
		expect_code "$out" 100 && same_host "$before" || fail "after $p:fail" || return 1
		rc=$( { ifault ADD "$p:kill" victim "$c" >/dev/null; echo $?; } 2>/dev/null)
		[ "$rc" = 137 ] || fail "$p:kill: exit $rc" || return 1
		del victim "$c" && same_host "$before" || fail "after $p:kill + DEL" || return 1
		echo "ok ADD $p"
	done
	for p in $(cat "$WORK/t.del"); do
		before=$(snapshot)
		add victim "$c" >/dev/null || fail "ADD before DEL $p" || return 1
		rc=$( { ifault DEL "$p:kill" victim "$c" >/dev/null; echo $?; } 2>/dev/null)
		[ "$rc" = 137 ] || fail "DEL $p:kill: exit $rc" || return 1
		del victim "$c" && same_host "$before" || fail "after DEL $p:kill + DEL" || return 1
		echo "ok DEL $p"
	done
	echo "## icc off: ADD $(tr '\n' ' ' <"$WORK/t.add")/ DEL $(tr '\n' ' ' <"$WORK/t.del")"
	del keep "$c"; ip netns del keep; ip netns del victim; ip link del br-fi
}

# forceAddress: an ADD failed at any point after it replaced the bridge's old address puts
# that address back (a SIGKILL cannot: the reference plugin loses it too).
test_iso_fault_force_address_fail_restores_old_address() {
	ip link add br-fo type bridge && ip addr add 10.73.0.9/24 brd + dev br-fo && ip link set br-fo up
	c=$(conf fo 10.73.0.0/24 ',"forceAddress":true')
	mkns keep && add keep "$c" >/dev/null || fail "warm-up ADD" || return 1
	del keep "$c" || return 1
	ip addr del 10.73.0.1/24 dev br-fo && ip addr add 10.73.0.9/24 brd + dev br-fo || return 1
	iso_trace "$c" || return 1
	ip addr del 10.73.0.1/24 dev br-fo && ip addr add 10.73.0.9/24 brd + dev br-fo || return 1
	grep -q '^bridge-addr-replace@1$' "$WORK/t.add" || fail "ADD did not reach bridge-addr-replace: $(cat "$WORK/t.add")" || return 1
	mkns victim
	for p in $(cat "$WORK/t.add"); do
		before=$(snapshot)
		out=$(ifault ADD "$p:fail" victim "$c") && { fail "ADD with $p:fail succeeded"; return 1; }
		expect_code "$out" 100 && same_host "$before" || fail "after $p:fail" || return 1
		echo "ok ADD $p"
	done
	ip netns del keep; ip netns del victim; ip link del br-fo
}
