# The CNI protocol as runtimes speak it: VERSION, result versions, CHECK, GC, STATUS.

test_version() {
	for p in netd-bridge netd-ipam netd-loopback; do
		r=$(printf '{"cniVersion":"1.0.0"}' | env CNI_COMMAND=VERSION CNI_NETNS=dummy "$BIN/$p") || fail "$p VERSION" || return 1
		echo "$r" | jq -e '.supportedVersions == ["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"] and .cniVersion=="1.0.0"' >/dev/null || fail "$p: $r" || return 1
	done
	# podman sends VERSION with an empty stdin at times.
	r=$(env CNI_COMMAND=VERSION "$BIN/netd-bridge" </dev/null) || fail "empty stdin" || return 1
	echo "$r" | jq -e '.supportedVersions|length==5' >/dev/null || fail "$r" || return 1
}

test_result_in_config_version() {
	for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
		c=$(VERSION=$v conf n1 10.20.0.0/24)
		mkns c1
		r=$(add c1 "$c") || fail "ADD $v: $r" || return 1
		[ "$(echo "$r" | jq -r .cniVersion)" = "$v" ] || fail "cniVersion $v: $r" || return 1
		case $v in
		0.*) echo "$r" | jq -e '.ips[0].version=="4" and .ips[0].interface==2' >/dev/null || fail "$v layout: $r" || return 1 ;;
		*) echo "$r" | jq -e '(.ips[0]|has("version")|not) and .ips[0].interface==2' >/dev/null || fail "$v layout: $r" || return 1 ;;
		esac
		del c1 "$c" || fail "DEL $v" || return 1
		ip netns del c1
	done
	ip link del br-n1
}

test_check() {
	c=$(conf n1 10.21.0.0/24)
	mkns c1 && r=$(add c1 "$c") || fail "ADD" || return 1
	cc=$(echo "$c" | jq -c --argjson p "$r" '. + {prevResult: $p}')
	cni netd-bridge CHECK c1 eth0 /run/netns/c1 "$cc" || fail "CHECK of a healthy attachment" || return 1
	ip -n c1 addr flush dev eth0
	r2=$(cni netd-bridge CHECK c1 eth0 /run/netns/c1 "$cc") && { fail "CHECK passed without the address"; return 1; }
	expect_code "$r2" 105 || return 1
	echo "$r2" | jq -r .msg | grep -q 'address 10.21.0.2/24 is missing' || fail "message: $r2" || return 1
	# prevResult is what DEL gets too.
	cni netd-bridge DEL c1 eth0 /run/netns/c1 "$cc" || fail "DEL" || return 1
	ip netns del c1; ip link del br-n1
}

test_check_missing_masquerade() {
	c=$(conf n1 10.22.0.0/24)
	mkns c1 && r=$(add c1 "$c") || fail "ADD" || return 1
	cc=$(echo "$c" | jq -c --argjson p "$r" '. + {prevResult: $p}')
	nft flush ruleset
	r2=$(cni netd-bridge CHECK c1 eth0 /run/netns/c1 "$cc") && { fail "CHECK passed without rules"; return 1; }
	expect_code "$r2" 105 || return 1
	del c1 "$c"; ip netns del c1; ip link del br-n1
}

test_gc_releases_unlisted() {
	c=$(VERSION=1.1.0 conf n1 10.23.0.0/24 ',"macspoofchk":true')
	for n in a b c; do mkns $n && add $n "$c" >"$WORK/gc-$n" || fail "ADD $n" || return 1; done
	host_a=$(jq -r '.interfaces[1].name' "$WORK/gc-a") host_b=$(jq -r '.interfaces[1].name' "$WORK/gc-b")
	gc=$(echo "$c" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"b","ifname":"eth0"}]}')
	cni netd-bridge GC "" "" "" "$gc" || fail "GC" || return 1
	nft list ruleset | grep -q 'comment "n1 a ' && { fail "a's masq entry kept"; return 1; }
	nft list ruleset | grep -q 'comment "n1 b ' || fail "b's masq entry removed" || return 1
	[ -e "$WORK/ipam/n1/10.23.0.2" ] && { fail "a's lease kept"; return 1; }
	[ -e "$WORK/ipam/n1/10.23.0.3" ] || fail "b's lease removed" || return 1
	# The host side goes too, netns or not: a's veth and MAC check; b's stay.
	ip link show "$host_a" >/dev/null 2>&1 && { fail "a's veth kept"; return 1; }
	ip link show "$host_b" >/dev/null 2>&1 || fail "b's veth removed" || return 1
	nft list map bridge netd spoof | grep -q "$host_a" && { fail "a's MAC check kept"; return 1; }
	nft list map bridge netd spoof | grep -q "$host_b" || fail "b's MAC check removed" || return 1
	# The freed addresses are handed out again.
	mkns d && r=$(add d "$c") || fail "ADD after GC" || return 1
	for n in a b c d; do del $n "$c"; ip netns del $n; done; ip link del br-n1
}

test_status() {
	c='{"cniVersion":"1.1.0","name":"st","type":"netd-bridge","bridge":"br-st",
	  "ipam":{"type":"netd-ipam","dataDir":"'$WORK/ipam'","ranges":[[{"subnet":"10.24.0.0/30"}]]}}'
	cni netd-bridge STATUS "" "" "" "$c" || fail "STATUS on an empty pool" || return 1
	mkns c1 && add c1 "$c" >/dev/null || fail "ADD" || return 1
	r=$(cni netd-bridge STATUS "" "" "" "$c") && { fail "STATUS ok on a full pool"; return 1; }
	expect_code "$r" 51 || return 1
	del c1 "$c"; ip netns del c1; ip link del br-st
}

test_loopback() {
	mkns c1 && ip -n c1 link set lo down
	c='{"cniVersion":"1.0.0","name":"lo","type":"netd-loopback"}'
	r=$(cni netd-loopback ADD c1 lo /run/netns/c1 "$c") || fail "ADD: $r" || return 1
	ip -n c1 -j link show lo | jq -e '.[0].flags|index("UP")' >/dev/null || fail "lo not up" || return 1
	echo "$r" | jq -e '.ips[0].address=="127.0.0.1/8" and .interfaces[0].name=="lo"' >/dev/null || fail "$r" || return 1
	cni netd-loopback DEL c1 lo "" "$c" || fail "DEL" || return 1
	ip netns del c1
}

test_external_ipam_host_local() {
	[ -x "$REF/host-local" ] || { echo "skip: no reference host-local"; return 0; }
	c='{"cniVersion":"1.0.0","name":"ext","type":"netd-bridge","bridge":"br-ext","isGateway":true,"ipMasq":true,
	  "ipam":{"type":"host-local","dataDir":"'$WORK/hl'","ranges":[[{"subnet":"10.25.0.0/24"}]]}}'
	mkns c1 && r=$(add c1 "$c") || fail "ADD: $r" || return 1
	[ "$(echo "$r" | jq -r '.ips[0].address')" = 10.25.0.2/24 ] || fail "$r" || return 1
	ip netns exec c1 ping -c1 -W2 10.25.0.1 >/dev/null || fail "ping" || return 1
	cni netd-bridge DEL c1 eth0 "" "$c" || fail "DEL" || return 1
	[ -e "$WORK/hl/ext/10.25.0.2" ] && { fail "host-local lease kept"; return 1; }
	nft list ruleset | grep -q 'comment "ext c1' && { fail "masq kept"; return 1; }
	ip netns del c1; ip link del br-ext; rm -rf "$WORK/hl"
}

test_netd_ipam_matches_host_local() {
	[ -x "$REF/host-local" ] || { echo "skip: no reference host-local"; return 0; }
	# The same config through both IPAM plugins: same result, same lease file bytes.
	for t in netd-ipam host-local; do
		c='{"cniVersion":"1.0.0","name":"cmp","type":"x","ipam":{"type":"'$t'","dataDir":"'$WORK/$t'",
		  "ranges":[[{"subnet":"10.26.0.0/24"}]],"routes":[{"dst":"0.0.0.0/0"}]}}'
		dir=$BIN; [ $t = host-local ] && dir=$REF
		printf '%s' "$c" | env CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_NETNS=/x CNI_PATH=$dir \
			"$dir/$t" | jq -S 'del(.dns)' >"$WORK/$t.json" || fail "$t ADD" || return 1
		od -c "$WORK/$t/cmp/10.26.0.2" >"$WORK/$t.lease" || fail "$t lease" || return 1
	done
	diff "$WORK/netd-ipam.json" "$WORK/host-local.json" || fail "results differ" || return 1
	diff "$WORK/netd-ipam.lease" "$WORK/host-local.lease" || fail "lease files differ" || return 1
	rm -rf "$WORK/netd-ipam" "$WORK/host-local"
}

test_loopback_passes_prev_result_on() {
	mkns c1
	prev='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/c1"}],"ips":[{"address":"10.27.0.2/24","interface":0}]}'
	c='{"cniVersion":"1.0.0","name":"lo","type":"netd-loopback","prevResult":'$prev'}'
	r=$(cni netd-loopback ADD c1 lo /run/netns/c1 "$c") || fail "ADD: $r" || return 1
	echo "$r" | jq -e '.ips[0].address=="10.27.0.2/24" and .interfaces[0].name=="eth0"' >/dev/null || fail "not passed on: $r" || return 1
	ip -n c1 -j link show lo | jq -e '.[0].flags|index("UP")' >/dev/null || fail "lo not up" || return 1
	ip netns del c1
}
