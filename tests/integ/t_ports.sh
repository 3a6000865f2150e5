# Port publishing (issue 10): netd-portmap chained after netd-bridge, reached from the host,
# from 127.0.0.1, from a LAN peer (netns "lan" on a veth, routed to the host), from
# containers (hairpin) and from another network.
#
# The "host" is the runner's private netns: uplink up0 = 192.168.50.1/24, fd00:50::1/64;
# the LAN peer is 192.168.50.2 / fd00:50::2.

LAN4=192.168.50.1
LAN6=fd00:50::1

lan_up() {
	ip netns add lan && ip -n lan link set lo up &&
		ip link add up0 type veth peer name eth0 netns lan &&
		ip addr add $LAN4/24 dev up0 && ip addr add $LAN6/64 dev up0 nodad && ip link set up0 up &&
		ip -n lan addr add 192.168.50.2/24 dev eth0 && ip -n lan addr add fd00:50::2/64 dev eth0 nodad &&
		ip -n lan link set eth0 up && ip -n lan route add default via $LAN4 && ip -n lan -6 route add default via $LAN6
}

# pmconf NETWORK PREVRESULT MAPPINGS [extra fields]: a netd-portmap config as a runtime sends it.
pmconf() {
	jq -nc --arg n "$1" --argjson prev "$2" --argjson pm "$3" --argjson x "${4:-{\}}" \
		'{cniVersion:"1.0.0",name:$n,type:"netd-portmap",runtimeConfig:{portMappings:$pm},prevResult:$prev} + $x'
}
# pm CMD ID CONF: run netd-portmap for (ID, eth0).
pm() { cni netd-portmap "$1" "$2" eth0 "/run/netns/$2" "$3"; }

# web NS: busybox httpd on port 80 of NS, serving the page "NS"; its pid is added to $PIDS.
PIDS=""
web() {
	mkdir -p "$WORK/www/$1" && echo "page-$1" >"$WORK/www/$1/index.html"
	ip netns exec "$1" busybox httpd -f -p 80 -h "$WORK/www/$1" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	trap stop_servers EXIT
}
stop_servers() { for p in $PIDS; do kill "$p" 2>/dev/null; done; for p in $PIDS; do wait "$p" 2>/dev/null; done; PIDS=""; }

# get [NETNS] URL: the page, with a few tries while the server starts.
get() {
	ns=""; [ $# = 2 ] && ns="ip netns exec $1" && shift
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		out=$($ns curl -s -m 2 "$1") && { echo "$out"; return 0; }
		sleep 0.2
	done
	return 1
}

# pm_elems: the number of port elements in our maps.
pm_elems() { nft -j list ruleset | jq '[.nftables[]|select(.map and (.map.name|startswith("pm")))|.map.elem // []|.[]]|length'; }

# br_netfilter (loaded here, bridge-nf-call-iptables=1) bridges a DNATed frame back to the
# port it came from when a container calls its own published port: that takes hairpinMode
# on the port, as with the reference bridge + portmap.
# A container ID on network n1 (10.60.0.0/24, fd00:60::/64) with a port mapping; prints the bridge's result.
bridge_add() { mkns "$1" && add "$1" "$(ds_conf "${2:-n1}" "${3:-60}")"; }
ds_conf() {
	echo '{"cniVersion":"1.0.0","name":"'"$1"'","type":"netd-bridge","bridge":"br-'"$1"'","isGateway":true,"isDefaultGateway":true,"ipMasq":true,"hairpinMode":true,
	  "ipam":{"type":"netd-ipam","dataDir":"'"$WORK/ipam"'","ranges":[[{"subnet":"10.'"$2"'.0.0/24"}],[{"subnet":"fd00:'"$2"'::/64"}]]}}'
}

test_ports_reach_from_host_localhost_lan_and_containers() {
	lan_up || fail "lan" || return 1
	r1=$(bridge_add c1) && r2=$(bridge_add c2) && r3=$(bridge_add c3 n2 61) || fail "bridge ADD" || return 1
	c=$(pmconf n1 "$r1" '[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]')
	out=$(pm ADD c1 "$c") || fail "portmap ADD: $out" || return 1
	# prevResult passes through unchanged.
	[ "$(echo "$out" | jq -S .)" = "$(echo "$r1" | jq -S .)" ] || fail "result is not prevResult: $out" || return 1
	web c1
	[ "$(get http://$LAN4:8080/)" = page-c1 ] || fail "host -> own address" || return 1
	[ "$(get http://127.0.0.1:8080/)" = page-c1 ] || fail "host -> 127.0.0.1" || return 1
	[ "$(get lan http://$LAN4:8080/)" = page-c1 ] || fail "LAN peer -> host address" || return 1
	# The container saw the LAN peer's own address: no SNAT for external clients.
	conntrack -L -p tcp --dport 8080 --orig-src 192.168.50.2 2>/dev/null | grep -q 'dst=192.168.50.2 sport=80' ||
		fail "LAN client was masqueraded: $(conntrack -L -p tcp 2>&1)" || return 1
	[ "$(get c1 http://$LAN4:8080/)" = page-c1 ] || fail "hairpin: c1 -> its own published port" || return 1
	[ "$(get c2 http://$LAN4:8080/)" = page-c1 ] || fail "c2 (same network) -> published port" || return 1
	[ "$(get c3 http://$LAN4:8080/)" = page-c1 ] || fail "c3 (network n2) -> published port" || return 1
	[ "$(get lan http://[$LAN6]:8080/)" = page-c1 ] || fail "LAN peer -> host IPv6 address" || return 1
	[ "$(get http://[$LAN6]:8080/)" = page-c1 ] || fail "host -> own IPv6 address" || return 1
	pm CHECK c1 "$c" || fail "CHECK" || return 1
	# The reference portmap's forwarded-traffic hijack (plugins#1209): 8080 to another machine stays untouched.
	ip netns exec lan busybox httpd -f -p 8080 -h "$WORK/www/c1" >/dev/null 2>&1 & PIDS="$PIDS $!"
	curl -s -m 2 http://192.168.50.2:8080/ >/dev/null; [ "$(get c2 http://192.168.50.2:8080/)" = page-c1 ] || fail "forwarded to LAN" || return 1
	stop_servers
	pm DEL c1 "$c" || fail "DEL" || return 1
	[ "$(pm_elems)" = 0 ] || fail "elements left: $(nft list ruleset)" || return 1
	[ -z "$(conntrack -L -p tcp --dport 8080 2>/dev/null | grep 'sport=80 ')" ] ||
		fail "conntrack entries left: $(conntrack -L -p tcp --dport 8080 2>&1)" || return 1
	curl -s -m 1 http://127.0.0.1:8080/ && { fail "still published after DEL"; return 1; }
	for x in c1 c2; do del $x "$(ds_conf n1 60)"; done; del c3 "$(ds_conf n2 61)"
	ip link del br-n1; ip link del br-n2; ip link del up0
}

test_ports_hostip_restricts_to_one_address() {
	lan_up || fail "lan" || return 1
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	c=$(pmconf n1 "$r1" '[{"hostPort":8081,"containerPort":80,"protocol":"tcp","hostIP":"'$LAN4'"}]')
	pm ADD c1 "$c" >/dev/null || fail "ADD" || return 1
	web c1
	[ "$(get http://$LAN4:8081/)" = page-c1 ] || fail "via hostIP" || return 1
	curl -s -m 1 http://127.0.0.1:8081/ && { fail "published on 127.0.0.1 too"; stop_servers; return 1; }
	curl -s -m 1 "http://[$LAN6]:8081/" && { fail "published on IPv6 too"; stop_servers; return 1; }
	stop_servers
	pm DEL c1 "$c" && del c1 "$(ds_conf n1 60)" || fail "DEL" || return 1
	ip link del br-n1; ip link del up0
}

# A UDP flow keeps its conntrack entry while packets come: DEL must flush it, or the
# replaced container never sees the flow (plugins#1190).
test_ports_udp_flow_follows_replaced_container() {
	lan_up || fail "lan" || return 1
	echo_srv='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",53))
while True:
    d,a=s.recvfrom(100); s.sendto(sys.argv[1].encode(),a)'
	# The client keeps one source port, so every datagram is the same conntrack flow.
	client='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",40000)); s.settimeout(0.5)
for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 10):
    s.sendto(b"x",(sys.argv[1],5353))
    try: print(s.recv(100).decode()); break
    except socket.timeout: pass'
	r1=$(bridge_add c1) || fail "bridge ADD c1" || return 1
	# The flow starts before anything is published: its entry (to the host itself) must not outlive ADD.
	ip netns exec lan python3 -c "$client" $LAN4 1 >/dev/null
	conntrack -L -p udp --orig-port-dst 5353 2>/dev/null | grep -q sport=40000 || fail "no entry before ADD" || return 1
	c=$(pmconf n1 "$r1" '[{"hostPort":5353,"containerPort":53,"protocol":"udp"}]')
	pm ADD c1 "$c" >/dev/null || fail "ADD c1" || return 1
	trap stop_servers EXIT
	ip netns exec c1 python3 -c "$echo_srv" one >/dev/null 2>&1 & PIDS="$PIDS $!"
	[ "$(ip netns exec lan python3 -c "$client" $LAN4)" = one ] || { stop_servers; fail "first echo"; return 1; }
	pm DEL c1 "$c" || fail "DEL c1" || return 1
	conntrack -L -p udp --orig-port-dst 5353 2>/dev/null | grep -q sport=40000 &&
		{ stop_servers; fail "DEL left the flow's conntrack entry: $(conntrack -L -p udp 2>&1)"; return 1; }
	del c1 "$(ds_conf n1 60)" || fail "bridge DEL c1" || return 1
	r2=$(bridge_add c2) || fail "bridge ADD c2" || return 1
	c2=$(pmconf n1 "$r2" '[{"hostPort":5353,"containerPort":53,"protocol":"udp"}]')
	pm ADD c2 "$c2" >/dev/null || fail "ADD c2" || return 1
	ip netns exec c2 python3 -c "$echo_srv" two >/dev/null 2>&1 & PIDS="$PIDS $!"
	got=$(ip netns exec lan python3 -c "$client" $LAN4)
	stop_servers
	[ "$got" = two ] || fail "the flow still goes to the old container: '$got'" || return 1
	pm DEL c2 "$c2" && del c2 "$(ds_conf n1 60)" || fail "DEL c2" || return 1
	ip link del br-n1; ip link del up0
}

# pm_refused ID CONF CODE TEXT: ADD fails with CODE, message holding TEXT, host unchanged.
pm_refused() {
	before=$(snapshot)
	out=$(pm ADD "$1" "$2") && { fail "ADD succeeded: $2"; return 1; }
	expect_code "$out" "$3" || return 1
	printf '%s' "$out" | jq -r .msg | grep -q -- "$4" || fail "message lacks '$4': $out" || return 1
	same_host "$before"
}

test_ports_bad_input_catalogue() {
	lan_up || fail "lan" || return 1
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	# The structure exists already, so "nothing changed" means no element either.
	pm ADD c1 "$(pmconf n1 "$r1" '[{"hostPort":7000,"containerPort":80}]')" >/dev/null || fail "warm-up" || return 1
	mk() { pmconf n1 "$r1" "$1"; }
	pm_refused c1 "$(mk '[{"hostPort":0,"containerPort":80}]')" 7 "hostPort 0 is outside 1-65535" || return 1
	pm_refused c1 "$(mk '[{"hostPort":65536,"containerPort":80}]')" 7 "hostPort 65536 is outside" || return 1
	pm_refused c1 "$(mk '[{"hostPort":80,"containerPort":0}]')" 7 "containerPort 0 is outside" || return 1
	pm_refused c1 "$(mk '[{"hostPort":80,"containerPort":80,"protocol":"icmp"}]')" 7 "protocol must be tcp, udp or sctp" || return 1
	pm_refused c1 "$(mk '[{"hostPort":80,"containerPort":80,"hostIP":"300.1.1.1"}]')" 7 "hostIP is not an IPv4" || return 1
	pm_refused c1 "$(mk '[{"hostPort":80,"containerPort":80,"hostIP":"192.0.2.99"}]')" 7 "not an address of this host" || return 1
	pm_refused c1 "$(mk '[{"hostPort":81,"containerPort":80},{"hostPort":81,"containerPort":90}]')" 7 "mapped twice" || return 1
	pm_refused c1 "$(mk '[{"hostPort":82,"containerPort":80},{"hostPort":82,"containerPort":80,"hostIP":"'$LAN4'"}]')" 7 "mapped twice" || return 1
	pm_refused c1 "$(mk '[{"hostPort":"80","containerPort":80}]')" 7 "hostPort" || return 1
	pm_refused c1 "$(mk '{"hostPort":80}')" 7 "must be an array" || return 1
	pm_refused c1 "$(mk '[17]')" 7 "not an object" || return 1
	# Not chained: no prevResult.
	pm_refused c1 '{"cniVersion":"1.0.0","name":"n1","type":"netd-portmap","runtimeConfig":{"portMappings":[{"hostPort":80,"containerPort":80}]}}' 7 "prevResult" || return 1
	pm DEL c1 "$(mk '[]')" && del c1 "$(ds_conf n1 60)" || fail "DEL" || return 1
	ip link del br-n1; ip link del up0
}

test_ports_conflict_names_the_owner() {
	lan_up || fail "lan" || return 1
	r1=$(bridge_add c1) && r2=$(bridge_add c2) || fail "bridge ADD" || return 1
	pm ADD c1 "$(pmconf n1 "$r1" '[{"hostPort":8080,"containerPort":80}]')" >/dev/null || fail "ADD c1" || return 1
	pm_refused c2 "$(pmconf n1 "$r2" '[{"hostPort":9000,"containerPort":80},{"hostPort":8080,"containerPort":80}]')" 112 'published by "n1 c1 eth0"' || return 1
	# A host process holding the port.
	python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("0.0.0.0",9090)); s.listen(); time.sleep(30)' >/dev/null 2>&1 & PIDS="$PIDS $!"
	trap stop_servers EXIT
	for _ in 1 2 3 4 5 6 7 8 9 10; do ss -ltn | grep -q ':9090 ' && break; sleep 0.1; done
	pm_refused c2 "$(pmconf n1 "$r2" '[{"hostPort":9090,"containerPort":80}]')" 112 "in use by a process on the host" || { stop_servers; return 1; }
	stop_servers
	# Another protocol on the same port is another mapping.
	pm ADD c2 "$(pmconf n1 "$r2" '[{"hostPort":8080,"containerPort":80,"protocol":"udp"}]')" >/dev/null || fail "udp 8080 refused" || return 1
	for x in c1 c2; do pm DEL $x "$(pmconf n1 "$r1" '[]')"; del $x "$(ds_conf n1 60)"; done
	[ "$(pm_elems)" = 0 ] || fail "elements left" || return 1
	ip link del br-n1; ip link del up0
}

test_ports_del_leaves_nothing_repeated_and_without_netns() {
	lan_up || fail "lan" || return 1
	r0=$(bridge_add c0) || fail "bridge ADD c0" || return 1
	pm ADD c0 "$(pmconf n1 "$r0" '[{"hostPort":7000,"containerPort":80}]')" >/dev/null || fail "warm-up" || return 1
	before=$(snapshot)
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	c=$(pmconf n1 "$r1" '[{"hostPort":8080,"containerPort":80},{"hostPort":5300,"containerPort":53,"protocol":"udp"},{"hostPort":8443,"containerPort":443,"hostIP":"'$LAN6'"}]')
	pm ADD c1 "$c" >/dev/null || fail "ADD" || return 1
	# c0: 2 ports + 2 hairpins; c1: 2 + 2 ports "any address" (both families), 1 on LAN6, 2 hairpins.
	[ "$(pm_elems)" = 11 ] || fail "expected 11 elements, got $(pm_elems): $(nft list ruleset)" || return 1
	# DEL without netns and without prevResult (a runtime that lost its cache), then again.
	cni netd-portmap DEL c1 eth0 "" '{"cniVersion":"1.0.0","name":"n1","type":"netd-portmap"}' || fail "DEL without netns" || return 1
	cni netd-portmap DEL c1 eth0 "" '{"cniVersion":"1.0.0","name":"n1","type":"netd-portmap"}' || fail "second DEL" || return 1
	del c1 "$(ds_conf n1 60)" && ip netns del c1
	same_host "$before" || return 1
	pm DEL c0 "$(pmconf n1 "$r0" '[]')"; del c0 "$(ds_conf n1 60)"
	ip link del br-n1; ip link del up0
}

test_ports_gc_removes_stale_attachments_only() {
	r1=$(bridge_add c1) && r2=$(bridge_add c2) && r3=$(bridge_add c3 n2 61) || fail "bridge ADD" || return 1
	pm ADD c1 "$(pmconf n1 "$r1" '[{"hostPort":8001,"containerPort":80}]')" >/dev/null &&
		pm ADD c2 "$(pmconf n1 "$r2" '[{"hostPort":8002,"containerPort":80}]')" >/dev/null &&
		pm ADD c3 "$(pmconf n2 "$r3" '[{"hostPort":8003,"containerPort":80}]')" >/dev/null || fail "ADD" || return 1
	gc='{"cniVersion":"1.1.0","name":"n1","type":"netd-portmap","cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}'
	printf '%s' "$gc" | env CNI_COMMAND=GC CNI_PATH="$CNI_PATH" "$BIN/netd-portmap" || fail "GC" || return 1
	rs=$(for m in pm4 pm4any pm6 pm6any pmhp4 pmhp6; do nft list map inet netd $m; done)
	echo "$rs" | grep -q '"n1 c1 eth0"' || fail "GC removed a valid attachment" || return 1
	echo "$rs" | grep -q '"n1 c2 eth0"' && { fail "GC left a stale one"; return 1; }
	echo "$rs" | grep -q '"n2 c3 eth0"' || fail "GC touched another network" || return 1
	printf '%s' '{"cniVersion":"1.1.0","name":"n1","type":"netd-portmap"}' | env CNI_COMMAND=STATUS "$BIN/netd-portmap" || fail "STATUS" || return 1
	printf '%s' '{"cniVersion":"1.1.0","name":"n1","type":"netd-portmap"}' | env CNI_COMMAND=VERSION "$BIN/netd-portmap" | jq -e '.supportedVersions|index("1.1.0")' >/dev/null || fail "VERSION" || return 1
	for x in c1 c2; do pm DEL $x "$(pmconf n1 "$r1" '[]')"; del $x "$(ds_conf n1 60)"; done
	pm DEL c3 "$(pmconf n2 "$r3" '[]')"; del c3 "$(ds_conf n2 61)"
	[ "$(pm_elems)" = 0 ] || fail "elements left" || return 1
	ip link del br-n1; ip link del br-n2
}

test_ports_check_finds_missing_element() {
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	c=$(pmconf n1 "$r1" '[{"hostPort":8080,"containerPort":80}]')
	pm ADD c1 "$c" >/dev/null && pm CHECK c1 "$c" || fail "ADD/CHECK" || return 1
	nft flush map inet netd pm4any
	out=$(pm CHECK c1 "$c") && { fail "CHECK passed without the element"; return 1; }
	expect_code "$out" 105 || return 1
	pm DEL c1 "$c" && del c1 "$(ds_conf n1 60)" || fail "DEL" || return 1
	ip link del br-n1
}

# SIGKILL at each fault point of ADD, then DEL: nothing left. Every point is reached.
test_ports_fault_kill_then_del_leaves_nothing() {
	use_fault_bin || return 1
	r0=$(bridge_add c0) || fail "bridge ADD c0" || return 1
	pm ADD c0 "$(pmconf n1 "$r0" '[{"hostPort":7000,"containerPort":80}]')" >/dev/null || fail "warm-up" || return 1
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	before=$(snapshot)
	c=$(pmconf n1 "$r1" '[{"hostPort":8080,"containerPort":80},{"hostPort":5300,"containerPort":53,"protocol":"udp"}]')
	NETD_FAULT_TRACE=$WORK/trace pm ADD c1 "$c" >/dev/null || fail "traced ADD" || return 1
	pm DEL c1 "$c" || return 1
	pts=$(points "$WORK/trace" | tr '\n' ' ')
	for p in portmap-nft-add@1 portmap-localnet@1 portmap-conntrack-add@1; do
		case " $pts " in *" $p "*) ;; *) fail "fault point $p not reached: $pts"; return 1 ;; esac
	done
	for p in $pts; do
		for how in kill fail; do
			NETD_FAULT=$p:$how pm ADD c1 "$c" >/dev/null 2>&1 && { fail "ADD survived $p:$how"; return 1; }
			pm DEL c1 "$c" || fail "DEL after $p:$how" || return 1
			same_host "$before" || { fail "after $p:$how"; return 1; }
		done
	done
	# DEL's own points: a killed DEL, then DEL again.
	pm ADD c1 "$c" >/dev/null || return 1
	NETD_FAULT=portmap-nft-del:kill pm DEL c1 "$c" && { fail "DEL survived the kill"; return 1; }
	pm DEL c1 "$c" && same_host "$before" || fail "after a killed DEL" || return 1
	echo "## fault points walked: $pts"
	pm DEL c0 "$(pmconf n1 "$r0" '[]')"; del c0 "$(ds_conf n1 60)"; del c1 "$(ds_conf n1 60)"
	ip link del br-n1
}

test_ports_100_containers_one_port_each() {
	conf100=$(ds_conf n1 60)
	i=0
	while [ $i -lt 100 ]; do
		r=$(bridge_add p$i) || fail "bridge ADD p$i" || return 1
		pm ADD p$i "$(pmconf n1 "$r" '[{"hostPort":'$((10000 + i))',"containerPort":80}]')" >/dev/null || fail "ADD p$i" || return 1
		web p$i
		i=$((i + 1))
	done
	i=0 bad=""
	while [ $i -lt 100 ]; do
		[ "$(get http://127.0.0.1:$((10000 + i))/)" = page-p$i ] || bad="$bad p$i"
		i=$((i + 1))
	done
	stop_servers
	[ -z "$bad" ] || fail "unreachable:$bad" || return 1
	[ "$(pm_elems)" = 400 ] || fail "expected 2 ports and 2 hairpins per container (dual stack), got $(pm_elems)" || return 1
	i=0
	while [ $i -lt 100 ]; do pm DEL p$i "$(pmconf n1 '{}' '[]')" && del p$i "$conf100" || return 1; ip netns del p$i; i=$((i + 1)); done
	[ "$(pm_elems)" = 0 ] || fail "elements left" || return 1
	ip link del br-n1
}

test_ports_range_of_100_in_one_add() {
	r1=$(bridge_add c1) || fail "bridge ADD" || return 1
	maps=$(jq -nc '[range(0;100)|{hostPort:(20000+.),containerPort:(80+.)}]')
	c=$(pmconf n1 "$r1" "$maps")
	pm ADD c1 "$c" >/dev/null || fail "ADD of 100" || return 1
	[ "$(pm_elems)" = 202 ] || fail "expected 100 ports x 2 families + 2 hairpins, got $(pm_elems)" || return 1
	mkdir -p "$WORK/www/c1" && echo page-c1 >"$WORK/www/c1/index.html"
	trap stop_servers EXIT
	for p in 80 130 179; do ip netns exec c1 busybox httpd -f -p $p -h "$WORK/www/c1" >/dev/null 2>&1 & PIDS="$PIDS $!"; done
	for h in 20000 20050 20099; do
		[ "$(get http://127.0.0.1:$h/)" = page-c1 ] || { stop_servers; fail "port $h"; return 1; }
	done
	stop_servers
	pm CHECK c1 "$c" && pm DEL c1 "$c" || fail "CHECK/DEL" || return 1
	[ "$(pm_elems)" = 0 ] || fail "elements left" || return 1
	del c1 "$(ds_conf n1 60)"; ip link del br-n1
}
