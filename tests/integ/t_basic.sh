# ADD, connectivity, DEL and its cleanliness.

test_add_ping_gateway_and_peer() {
	c=$(conf n1 10.11.0.0/24)
	mkns c1 && mkns c2
	r1=$(add c1 "$c") || fail "ADD c1: $r1" || return 1
	r2=$(add c2 "$c") || fail "ADD c2: $r2" || return 1
	ip1=$(echo "$r1" | jq -r '.ips[0].address' | cut -d/ -f1)
	ip2=$(echo "$r2" | jq -r '.ips[0].address' | cut -d/ -f1)
	gw=$(echo "$r1" | jq -r '.ips[0].gateway')
	[ "$ip1" = 10.11.0.2 ] && [ "$ip2" = 10.11.0.3 ] && [ "$gw" = 10.11.0.1 ] || fail "addresses $ip1 $ip2 $gw" || return 1
	# What the result claims is what the kernel holds.
	ip -n c1 -j addr show eth0 | jq -e --arg a "$ip1" '.[0].addr_info[]|select(.local==$a and .prefixlen==24)' >/dev/null || fail "c1 addr" || return 1
	ip -n c1 -j route | jq -e '.[]|select(.dst=="default" and .gateway=="10.11.0.1")' >/dev/null || fail "c1 default route" || return 1
	ip -j addr show br-n1 | jq -e '.[0].addr_info[]|select(.local=="10.11.0.1")' >/dev/null || fail "bridge gw addr" || return 1
	hostif=$(echo "$r1" | jq -r '.interfaces[1].name')
	ip -j link show "$hostif" | jq -e '.[0].master=="br-n1"' >/dev/null || fail "host veth not on bridge" || return 1
	[ "$(echo "$r1" | jq -r '.interfaces[2].sandbox')" = /run/netns/c1 ] || fail "sandbox" || return 1
	[ "$(echo "$r1" | jq -r '.interfaces[2].mac')" = "$(ip -n c1 -j link show eth0 | jq -r '.[0].address')" ] || fail "mac" || return 1
	# The host end's MAC is chosen by the plugin, the bridge's fixed at creation: both as reported.
	[ "$(echo "$r1" | jq -r '.interfaces[1].mac')" = "$(ip -j link show "$hostif" | jq -r '.[0].address')" ] || fail "host mac" || return 1
	[ "$(echo "$r2" | jq -r '.interfaces[0].mac')" = "$(ip -j link show br-n1 | jq -r '.[0].address')" ] || fail "bridge mac" || return 1
	ip netns exec c1 ping -c1 -W2 10.11.0.1 >/dev/null || fail "ping gateway" || return 1
	ip netns exec c1 ping -c1 -W2 "$ip2" >/dev/null || fail "ping peer" || return 1
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward" || return 1
	nft list ruleset | grep -q "10.11.0.2 comment \"n1 c1 eth0\"" || fail "masq element: $(nft list ruleset)" || return 1
	del c1 "$c" && del c2 "$c" || fail "DEL" || return 1
	ip netns del c1; ip netns del c2; ip link del br-n1
}

test_del_leaves_nothing() {
	c=$(conf n1 10.12.0.0/24)
	mkns c0 && add c0 "$c" >/dev/null || fail "warm-up ADD" || return 1
	before=$(snapshot)
	mkns c1
	r=$(add c1 "$c") || fail "ADD: $r" || return 1
	del c1 "$c" || fail "DEL" || return 1
	ip netns del c1
	after=$(snapshot)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "host differs after ADD+DEL"; return 1; }
	del c0 "$c"; ip netns del c0; ip link del br-n1
}

test_del_twice_and_without_netns() {
	c=$(conf n1 10.13.0.0/24)
	mkns c1 && add c1 "$c" >/dev/null || fail "ADD" || return 1
	ip netns del c1
	# containerd's ctr sends DEL with an empty CNI_NETNS; the rules must still go.
	cni netd-bridge DEL c1 eth0 "" "$c" || fail "DEL without netns" || return 1
	cni netd-bridge DEL c1 eth0 "" "$c" || fail "second DEL" || return 1
	cni netd-bridge DEL c1 eth0 /run/netns/gone "$c" || fail "DEL with vanished netns" || return 1
	nft list ruleset | grep -q 'comment "n1 c1' && { fail "masq element leaked"; return 1; }
	[ -z "$(ls "$WORK/ipam/n1" | grep -v -e lock -e last_reserved -e attach)" ] || fail "lease leaked: $(ls "$WORK/ipam/n1")" || return 1
	[ -z "$(ls "$WORK/ipam/n1/attach" 2>/dev/null)" ] || fail "index leaked" || return 1
	ip -o link | grep -q ' nd[0-9a-f]' && { fail "veth leaked"; return 1; }
	ip link del br-n1
}

test_del_without_netns_and_lease_uses_prevresult() {
	c=$(conf n1 10.14.0.0/24)
	mkns c1 && r=$(add c1 "$c") || fail "ADD" || return 1
	ip netns del c1
	# The lease vanishes (say, a reboot wiped the store): the comment still finds the entry.
	rm -rf "$WORK/ipam/n1"
	cni netd-bridge DEL c1 eth0 "" "$c" || fail "DEL" || return 1
	nft list ruleset | grep -q 'comment "n1 c1' && { fail "masq element leaked"; return 1; }
	ip link del br-n1
}

test_dual_stack() {
	c='{"cniVersion":"1.0.0","name":"ds","type":"netd-bridge","bridge":"br-ds","isGateway":true,"isDefaultGateway":true,"ipMasq":true,
	  "ipam":{"type":"netd-ipam","dataDir":"'$WORK/ipam'","ranges":[[{"subnet":"10.15.0.0/24"}],[{"subnet":"fd00:15::/64"}]]}}'
	mkns c1 && mkns c2
	r=$(add c1 "$c") && add c2 "$c" >/dev/null || fail "ADD: $r" || return 1
	[ "$(echo "$r" | jq '.ips|length')" = 2 ] || fail "two ips: $r" || return 1
	v6=$(echo "$r" | jq -r '.ips[1].address' | cut -d/ -f1)
	[ "$v6" = fd00:15::2 ] || fail "v6 $v6" || return 1
	ip -n c1 -j -6 addr show eth0 | jq -e '.[0].addr_info[]|select(.local=="fd00:15::2")' >/dev/null || fail "v6 addr" || return 1
	ip -n c1 -6 route | grep -q 'default via fd00:15::1' || fail "v6 default route" || return 1
	ip netns exec c2 ping -6 -c1 -W2 fd00:15::2 >/dev/null || fail "v6 ping peer" || return 1
	ip netns exec c1 ping -6 -c1 -W2 fd00:15::1 >/dev/null || fail "v6 ping gw" || return 1
	nft list ruleset | grep -q 'fd00:15::2 comment' || fail "v6 masq element" || return 1
	del c1 "$c" && del c2 "$c" || fail "DEL" || return 1
	nft list ruleset | grep -q 'comment "ds' && { fail "leaked element"; return 1; }
	ip netns del c1; ip netns del c2; ip link del br-ds
}

test_static_ip_three_ways() {
	c=$(conf n1 10.16.0.0/24)
	mkns a && mkns b && mkns d
	r=$(add a "$c" "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.16.0.50") || fail "CNI_ARGS IP: $r" || return 1
	[ "$(echo "$r" | jq -r '.ips[0].address')" = 10.16.0.50/24 ] || fail "got $r" || return 1
	c2=$(conf n1 10.16.0.0/24 ',"runtimeConfig":{"ips":["10.16.0.51/24"]}')
	r=$(add b "$c2") || fail "runtimeConfig.ips: $r" || return 1
	[ "$(echo "$r" | jq -r '.ips[0].address')" = 10.16.0.51/24 ] || fail "got $r" || return 1
	c3=$(conf n1 10.16.0.0/24 ',"args":{"cni":{"ips":["10.16.0.52"]}}')
	r=$(add d "$c3") || fail "args.cni.ips: $r" || return 1
	[ "$(echo "$r" | jq -r '.ips[0].address')" = 10.16.0.52/24 ] || fail "got $r" || return 1
	ip -n d -j addr show eth0 | jq -e '.[0].addr_info[]|select(.local=="10.16.0.52")' >/dev/null || fail "kernel addr" || return 1
	# Taken address: an error, and nothing of the attempt remains.
	mkns e
	add_refused e "$c" 102 "" "IP=10.16.0.50" || return 1
	del a "$c" && del b "$c2" && del d "$c3" || fail "DEL" || return 1
	for n in a b d e; do ip netns del $n; done; ip link del br-n1
}

test_static_mac() {
	c=$(conf n1 10.17.0.0/24 ',"runtimeConfig":{"mac":"02:11:22:33:44:55"}')
	mkns c1 && r=$(add c1 "$c") || fail "ADD: $r" || return 1
	[ "$(ip -n c1 -j link show eth0 | jq -r '.[0].address')" = 02:11:22:33:44:55 ] || fail "mac not set" || return 1
	mkns c2 && r=$(add c2 "$(conf n1 10.17.0.0/24)" "MAC=02:11:22:33:44:66") || fail "ADD: $r" || return 1
	[ "$(ip -n c2 -j link show eth0 | jq -r '.[0].address')" = 02:11:22:33:44:66 ] || fail "CNI_ARGS mac not set" || return 1
	del c1 "$c"; del c2 "$c"; ip netns del c1; ip netns del c2; ip link del br-n1
}

test_add_existing_attachment_is_error() {
	c=$(conf n1 10.18.0.0/24)
	mkns c1 && add c1 "$c" >/dev/null || fail "ADD" || return 1
	add_refused c1 "$c" 103 || return 1
	del c1 "$c"; ip netns del c1; ip link del br-n1
}

test_macspoofchk() {
	c=$(conf n1 10.19.0.0/24 ',"macspoofchk":true')
	mkns c1 && mkns c2
	add c1 "$c" >/dev/null && add c2 "$c" >/dev/null || fail "ADD" || return 1
	nft list table bridge netd | grep -q 'ether saddr' || fail "no spoof chain: $(nft list ruleset)" || return 1
	ip netns exec c1 ping -c1 -W2 10.19.0.3 >/dev/null || fail "ping with its own MAC" || return 1
	# A container that takes another MAC is cut off at the bridge.
	ip -n c1 link set eth0 address 02:66:66:66:66:66
	ip netns exec c1 ping -c1 -W1 10.19.0.3 >/dev/null 2>&1 && { fail "spoofed MAC got through"; return 1; }
	del c1 "$c" && del c2 "$c" || fail "DEL" || return 1
	del c1 "$c" || fail "second DEL" || return 1
	[ -z "$(nft list table bridge netd | grep -e 'spoof-nd' -e 'ether saddr')" ] || fail "spoof entries left: $(nft list table bridge netd)" || return 1
	ip netns del c1; ip netns del c2; ip link del br-n1
}
