# The daemon and the CLI: every API endpoint and its errors, connectivity, restarts
# (SIGTERM and SIGKILL), reload after a flushed ruleset, GC, socket permissions, and the
# daemon-less CLI acting as a CNI runtime.

DSOCK=/run/netd/netd.sock
DSTATE=$WORK/dstate

# dstart [daemon options]: start the daemon and wait until it answers.
dstart() {
	mkdir -p "$WORK/dconf"
	NETD_LOG=info "$BIN/netd" daemon --state-dir "$DSTATE" --cni-conf-dir "$WORK/dconf" \
		--ipam-dir "$WORK/ipam" "$@" 2>>"$WORK/dlog" &
	DPID=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$DSOCK" http://netd/v1/version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$WORK/dlog"; fail "daemon did not start"
}
dstop() { [ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID"; DPID=; }
# api METHOD PATH [BODY]: prints the body, then the HTTP status on its own last line.
# $API_HEADER, when set, is one more request header.
api() {
	if [ -n "${3:-}" ]; then curl -s -w '\n%{http_code}\n' --unix-socket "$DSOCK" -X "$1" "http://netd$2" \
		-H 'Content-Type: application/json' ${API_HEADER:+-H "$API_HEADER"} --data-binary "$3"
	else curl -s -w '\n%{http_code}\n' --unix-socket "$DSOCK" -X "$1" "http://netd$2"; fi
}
status_of() { printf '%s\n' "$1" | tail -n1; }
body_of() { printf '%s\n' "$1" | sed '$d'; }
# expect METHOD PATH BODY STATUS: the call answers STATUS; error answers carry message and code.
expect() {
	out=$(api "$1" "$2" "$3")
	st=$(status_of "$out")
	[ "$st" = "$4" ] || { fail "$1 $2: want $4, got $st: $(body_of "$out")"; return 1; }
	if [ "$st" -ge 400 ]; then
		body_of "$out" | jq -e '(.message|type=="string") and (.code|type=="number")' >/dev/null ||
			{ fail "$1 $2: error body: $(body_of "$out")"; return 1; }
	fi
	body_of "$out"
}
netd() { "$BIN/netd" --state-dir "$DSTATE" --cni-conf-dir "$WORK/dconf" "$@"; }
# Everything the daemon made goes; a daemon that was stopped leaves it all, by design.
dclean() {
	dstop
	# Host veth ends first: a deleted netns takes its peers down only asynchronously.
	for l in $(ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | grep '^nd'); do ip link del "$l" 2>/dev/null; done
	for n in $(ls /run/netns 2>/dev/null); do ip netns del "$n"; done
	for l in $(ip -o link show type bridge | sed -E 's/^[0-9]+: ([^:@]+).*/\1/'); do ip link del "$l"; done
	nft delete table inet netd 2>/dev/null
	rm -rf "$DSTATE" "$WORK/dconf" "$WORK/ipam" "$WORK/dlog" "$WORK/cache"
	return 0
}
# dattach NETNS...: each a new netns, attached to the default network through the API.
dattach() {
	for ns; do
		ip netns add "$ns" && expect POST /v1/networks/bridge/attachments "{\"netns\":\"$ns\"}" 201 >/dev/null || return 1
	done
}
masq_count() { nft -j list map inet netd masq4 2>/dev/null | jq '[.nftables[].map.elem // empty | .[]] | length'; }
lease_count() { find "$WORK/ipam" -path '*/attach' -prune -o -type f -name '1*.*.*.*' -print 2>/dev/null | wc -l; }
port_count() { ip -o link show master "$1" 2>/dev/null | wc -l; }

test_daemon_socket_mode_and_peer_check() {
	dstart || return 1
	[ "$(stat -c '%a %U %G' "$DSOCK")" = "660 root root" ] || fail "socket: $(stat -c '%a %U %G' "$DSOCK")" || { dclean; return 1; }
	# Mode 0660: nobody cannot even connect.
	setpriv --reuid=65534 --regid=65534 --clear-groups curl -s --unix-socket "$DSOCK" http://netd/v1/version \
		&& { fail "nobody connected to a 0660 socket"; dclean; return 1; }
	# Opened up by mistake, SO_PEERCRED still refuses the peer.
	chmod 0666 "$DSOCK"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -w '\n%{http_code}\n' --unix-socket "$DSOCK" http://netd/v1/networks)
	[ "$(status_of "$out")" = 403 ] || fail "non-root peer not refused: $out" || { dclean; return 1; }
	body_of "$out" | jq -e '.message and .code' >/dev/null || fail "403 body: $out" || { dclean; return 1; }
	# A member of the socket's group is let in.
	dstop; dstart --group 65534 || return 1
	chmod 0666 "$DSOCK"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -w '\n%{http_code}\n' --unix-socket "$DSOCK" http://netd/v1/version)
	[ "$(status_of "$out")" = 200 ] || fail "group member refused: $out" || { dclean; return 1; }
	[ "$(stat -c '%G' "$DSOCK")" = nogroup ] || [ "$(stat -c '%g' "$DSOCK")" = 65534 ] || fail "socket group" || { dclean; return 1; }
	dclean
}

test_daemon_default_network_and_info() {
	# 172.17.0.0/16 is routed on this host already: the default network takes the next pool.
	ip route add blackhole 172.17.0.0/16
	dstart || { ip route del blackhole 172.17.0.0/16; return 1; }
	b=$(expect GET /v1/networks/bridge "" 200) || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	[ "$(echo "$b" | jq -r '.bridge + " " + .subnet + " " + .gateway + " " + (.ipMasq|tostring)')" = "netd0 172.18.0.0/16 172.18.0.1 true" ] \
		|| fail "default network: $b" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	ip -j addr show netd0 | jq -e '.[0].addr_info[]|select(.local=="172.18.0.1" and .prefixlen==16)' >/dev/null \
		|| fail "netd0 has no gateway address" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	v=$(expect GET /v1/version "" 200) && echo "$v" | jq -e .version >/dev/null || fail "version: $v" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	i=$(expect GET /v1/info "" 200) || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	echo "$i" | jq -e '.attachments==0 and (.networks|length)==1 and .pools[0].subnet=="172.18.0.0/16"' >/dev/null \
		|| fail "info: $i" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	[ -f "$WORK/dconf/netd-bridge.conflist" ] || fail "no conflist written" || { ip route del blackhole 172.17.0.0/16; dclean; return 1; }
	ip route del blackhole 172.17.0.0/16
	dclean
}

test_daemon_endpoints_and_errors() {
	dstart || return 1
	ip netns add e1
	{
	expect POST /v1/networks '{"name":"n1","subnet":"10.60.0.0/24","mtu":1400}' 201 >/dev/null &&
	expect GET /v1/networks "" 200 | jq -e 'map(.name)|sort==["bridge","n1"]' >/dev/null &&
	expect GET /v1/networks/n1 "" 200 | jq -e '.subnet=="10.60.0.0/24" and .gateway=="10.60.0.1" and .mtu==1400' >/dev/null &&
	ip -j link show "$(expect GET /v1/networks/n1 "" 200 | jq -r .bridge)" >/dev/null &&
	# Errors: bad JSON, invalid names, missing, duplicate, overlap, body too large, method, route.
	expect POST /v1/networks '{"name":' 400 >/dev/null &&
	expect POST /v1/networks '{"name":"../x"}' 400 >/dev/null &&
	expect POST /v1/networks '{"name":"a/b"}' 400 >/dev/null &&
	expect POST /v1/networks '{"name":"bad","subnet":"10.61.0.0/24","gateway":"10.62.0.1"}' 400 >/dev/null &&
	expect GET /v1/networks/nope "" 404 >/dev/null &&
	expect GET /v1/networks/.. "" 404 >/dev/null &&
	expect POST /v1/networks '{"name":"n1"}' 409 >/dev/null &&
	expect POST /v1/networks '{"name":"n2","subnet":"10.60.0.128/25"}' 409 >/dev/null &&
	# Refused on its Content-Length, before a byte of the body is read, and the connection
	# closed: a client still sending would see a reset instead of the answer, so it waits.
	API_HEADER='Expect: 100-continue' \
	expect POST /v1/networks "{\"name\":\"big\",\"options\":{\"x\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}}" 413 >/dev/null &&
	expect PUT /v1/networks "" 405 >/dev/null &&
	expect GET /v1/nothing "" 404 >/dev/null &&
	expect POST /v1/networks/nope/attachments '{"netns":"e1"}' 404 >/dev/null &&
	expect POST /v1/networks/n1/attachments '{"netns":"missing"}' 404 >/dev/null &&
	expect POST /v1/networks/n1/attachments '{"netns":"e1","containerID":"bad id"}' 400 >/dev/null &&
	expect POST /v1/networks/n1/attachments '{"containerID":"x"}' 400 >/dev/null &&
	# Attach with a requested address, list, conflict, detach (twice: idempotent).
	r=$(expect POST /v1/networks/n1/attachments '{"netns":"e1","containerID":"ctr1","ip":"10.60.0.9","ifname":"eth1"}' 201) &&
	echo "$r" | jq -e '.ips[0].address=="10.60.0.9/24" and .interfaces[2].name=="eth1"' >/dev/null &&
	ip -n e1 -j addr show eth1 | jq -e '.[0].addr_info[]|select(.local=="10.60.0.9")' >/dev/null &&
	expect POST /v1/networks/n1/attachments '{"netns":"e1","containerID":"ctr1"}' 409 >/dev/null &&
	expect GET /v1/networks/n1/attachments "" 200 | jq -e 'length==1 and .[0].containerID=="ctr1" and .[0].state=="ready"' >/dev/null &&
	expect GET /v1/info "" 200 | jq -e '.attachments==1' >/dev/null &&
	expect DELETE /v1/networks/n1 "" 409 >/dev/null &&
	expect DELETE /v1/networks/n1/attachments/ctr1 "" 204 >/dev/null &&
	expect DELETE /v1/networks/n1/attachments/ctr1 "" 204 >/dev/null &&
	[ "$(port_count "$(expect GET /v1/networks/n1 "" 200 | jq -r .bridge)")" = 0 ] &&
	# Forced delete detaches first and removes bridge and chain.
	expect POST /v1/networks/n1/attachments '{"netns":"e1","containerID":"ctr2"}' 201 >/dev/null &&
	br=$(expect GET /v1/networks/n1 "" 200 | jq -r .bridge) &&
	expect DELETE /v1/networks/n1?force=1 "" 204 >/dev/null &&
	! ip link show "$br" >/dev/null 2>&1 &&
	! nft list ruleset | grep -q 'masq-10.60.0.0/24' &&
	[ "$(lease_count)" = 0 ] &&
	expect DELETE /v1/networks/bridge "" 403 >/dev/null &&
	# Pool exhausted: a /29 hands out .2-.6.
	expect POST /v1/networks '{"name":"tiny","subnet":"10.63.0.0/29"}' 201 >/dev/null &&
	for i in 2 3 4 5 6; do expect POST /v1/networks/tiny/attachments "{\"netns\":\"e1\",\"containerID\":\"t$i\",\"ifname\":\"e$i\"}" 201 >/dev/null || exit 1; done &&
	expect POST /v1/networks/tiny/attachments '{"netns":"e1","containerID":"t7","ifname":"e7"}' 503 | jq -e '.code==101' >/dev/null &&
	expect DELETE /v1/networks/tiny?force=1 "" 204 >/dev/null &&
	# netns endpoints.
	expect POST /v1/netns '{"name":"made"}' 201 | jq -e '.path=="/var/run/netns/made"' >/dev/null &&
	ip netns list | grep -q '^made' &&
	expect POST /v1/netns '{"name":"made"}' 409 >/dev/null &&
	expect POST /v1/netns '{"name":".."}' 400 >/dev/null &&
	expect GET /v1/netns "" 200 | jq -e 'map(.name)|index("made")!=null' >/dev/null &&
	expect DELETE /v1/netns/made "" 204 >/dev/null &&
	expect DELETE /v1/netns/made "" 404 >/dev/null &&
	expect POST /v1/gc "" 200 | jq -e 'has("released")' >/dev/null
	} || { tail -5 "$WORK/dlog"; fail "endpoint checks"; dclean; return 1; }
	dclean
}

test_daemon_two_netns_ping_via_api_and_cli() {
	dstart || return 1
	netd netns add p1 && netd netns add p2 || { fail "netns add"; dclean; return 1; }
	r1=$(expect POST /v1/networks/bridge/attachments '{"netns":"p1","containerID":"p1"}' 201) || { dclean; return 1; }
	r2=$(netd --json add bridge p2) || { fail "cli add: $r2"; dclean; return 1; }
	ip1=$(echo "$r1" | jq -r '.ips[0].address' | cut -d/ -f1)
	ip2=$(echo "$r2" | jq -r '.ips[0].address' | cut -d/ -f1)
	[ "$ip1" != "$ip2" ] || fail "same address" || { dclean; return 1; }
	netd netns exec p1 -- ping -c1 -W2 "$ip2" >/dev/null || fail "ping p1 -> p2" || { dclean; return 1; }
	ip netns exec p2 ping -c1 -W2 "$ip1" >/dev/null || fail "ping p2 -> p1" || { dclean; return 1; }
	netd network ls | grep -qE '^bridge +netd0 +172\.17\.0\.0/16 +172\.17\.0\.1 +2$' || fail "network ls: $(netd network ls)" || { dclean; return 1; }
	netd --json network inspect bridge | jq -e '.[0].containers|length==2' >/dev/null || fail "inspect" || { dclean; return 1; }
	netd status | grep -q 'running' || fail "status" || { dclean; return 1; }
	[ "$(masq_count)" = 2 ] || fail "masq elements: $(masq_count)" || { dclean; return 1; }
	netd del bridge p1 && netd del bridge --id p2 && netd del bridge --id p2 || fail "cli del" || { dclean; return 1; }
	[ "$(masq_count)" = 0 ] && [ "$(port_count netd0)" = 0 ] && [ "$(lease_count)" = 0 ] || fail "del left state" || { dclean; return 1; }
	netd netns del p1 && netd netns del p2 && [ -z "$(ls /run/netns)" ] || fail "netns del" || { dclean; return 1; }
	dclean
}

test_daemon_sigterm_keeps_networks_and_restart_finds_them() {
	dstart || return 1
	ip netns add k1 && ip netns add k2
	a=$(expect POST /v1/networks/bridge/attachments '{"netns":"k1"}' 201 | jq -r '.ips[0].address' | cut -d/ -f1)
	expect POST /v1/networks/bridge/attachments '{"netns":"k2"}' 201 >/dev/null
	dstop
	[ ! -e "$DSOCK" ] || fail "socket left after SIGTERM" || { dclean; return 1; }
	ip netns exec k2 ping -c1 -W2 "$a" >/dev/null || fail "containers lost their network while the daemon is down" || { dclean; return 1; }
	dstart || return 1
	expect GET /v1/networks/bridge/attachments "" 200 | jq -e 'map(.containerID)==["k1","k2"]' >/dev/null || fail "attachments after restart" || { dclean; return 1; }
	[ "$(masq_count)" = 2 ] && [ "$(port_count netd0)" = 2 ] || fail "kernel state after restart" || { dclean; return 1; }
	dclean
}

test_daemon_sigkill_mid_load_loses_and_duplicates_nothing() {
	dstart || return 1
	for i in $(seq 1 40); do ip netns add "s$i"; done
	: >"$WORK/ok"
	( for i in $(seq 1 40); do
		st=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DSOCK" -X POST http://netd/v1/networks/bridge/attachments \
			--data-binary "{\"netns\":\"s$i\",\"containerID\":\"s$i\"}")
		[ "$st" = 201 ] && echo "s$i" >>"$WORK/ok"
	done ) &
	loader=$!
	# Kill while attaches are in flight.
	while [ "$(wc -l <"$WORK/ok")" -lt 12 ]; do sleep 0.01; done
	kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
	wait "$loader"
	dstart || return 1
	got=$(expect GET /v1/networks/bridge/attachments "" 200) || { dclean; return 1; }
	# Every attach the client saw succeed is there; nothing is pending; addresses are distinct.
	for id in $(cat "$WORK/ok"); do echo "$got" | jq -e --arg id "$id" 'map(.containerID)|index($id)!=null' >/dev/null \
		|| { fail "lost attachment $id"; dclean; return 1; }; done
	echo "$got" | jq -e 'all(.state=="ready")' >/dev/null || fail "pending record survived" || { dclean; return 1; }
	n=$(echo "$got" | jq length)
	[ "$(echo "$got" | jq -r '.[].result.ips[0].address' | sort -u | wc -l)" = "$n" ] || fail "duplicated address" || { dclean; return 1; }
	# The kernel and the lease store agree with the records, one for one.
	[ "$(lease_count)" = "$n" ] || fail "leases $(lease_count) != attachments $n" || { dclean; return 1; }
	[ "$(masq_count)" = "$n" ] || fail "masq $(masq_count) != attachments $n" || { dclean; return 1; }
	[ "$(port_count netd0)" = "$n" ] || fail "veths $(port_count netd0) != attachments $n" || { dclean; return 1; }
	# The rest attach fine after the restart.
	for i in $(seq 1 40); do echo "$got" | jq -e --arg id "s$i" 'map(.containerID)|index($id)!=null' >/dev/null && continue
		expect POST /v1/networks/bridge/attachments "{\"netns\":\"s$i\",\"containerID\":\"s$i\"}" 201 >/dev/null || { dclean; return 1; }; done
	[ "$(lease_count)" = 40 ] && [ "$(masq_count)" = 40 ] || fail "after completing: $(lease_count) leases" || { dclean; return 1; }
	dclean
}

test_daemon_reload_restores_flushed_ruleset() {
	dstart || return 1
	dattach r1 r2 || { dclean; return 1; }
	want=$(nft list table inet netd)
	nft flush ruleset
	[ "$(masq_count)" = "" ] || fail "flush did not flush" || { dclean; return 1; }
	netd reload >/dev/null || fail "netd reload" || { dclean; return 1; }
	[ "$(nft list table inet netd)" = "$want" ] || { diff <(echo "$want") <(nft list table inet netd); fail "ruleset not restored"; dclean; return 1; }
	# A reboot-like loss of the bridge too: the restarted daemon rebuilds it.
	dstop; nft flush ruleset; ip link del netd0
	dstart || return 1
	ip link show netd0 >/dev/null 2>&1 && [ "$(masq_count)" = 2 ] || fail "restart did not re-apply" || { dclean; return 1; }
	dclean
}

test_daemon_gc_releases_attachments_of_dead_netns() {
	dstart || return 1
	dattach g1 g2 || { dclean; return 1; }
	ip netns del g1
	# A stray veth on our bridge that nothing owns (say, a crashed plugin run).
	ip link add nd0123456789abc type veth peer name strayp && ip link set nd0123456789abc master netd0
	g=$(netd --json gc) || fail "netd gc: $g" || { dclean; return 1; }
	echo "$g" | jq -e '.released==1 and .veths==1' >/dev/null || fail "gc report: $g" || { dclean; return 1; }
	expect GET /v1/networks/bridge/attachments "" 200 | jq -e 'map(.containerID)==["g2"]' >/dev/null || fail "gc kept g1" || { dclean; return 1; }
	[ "$(lease_count)" = 1 ] && [ "$(masq_count)" = 1 ] && [ "$(port_count netd0)" = 1 ] || fail "gc left state" || { dclean; return 1; }
	dclean
}

test_daemon_tcp_listener_warns() {
	dstart --listen tcp://127.0.0.1:18765 || return 1
	# Into a variable first: jq -e on empty input (curl -f failing) would pass.
	v=$(curl -sf http://127.0.0.1:18765/v1/version) && echo "$v" | jq -e '.version|type=="string"' >/dev/null \
		|| fail "tcp api: '$v'" || { dclean; return 1; }
	grep -q 'NO authentication' "$WORK/dlog" || fail "no warning logged" || { dclean; return 1; }
	dclean
}

test_cli_without_daemon_is_a_cni_runtime() {
	mkdir -p "$WORK/dconf"
	cat >"$WORK/dconf/10-cl.conflist" <<JSON
{"cniVersion":"1.0.0","name":"cl","plugins":[
 {"type":"netd-loopback"},
 {"type":"netd-bridge","bridge":"br-cl","isGateway":true,"isDefaultGateway":true,"ipMasq":true,
  "ipam":{"type":"netd-ipam","dataDir":"$WORK/ipam","ranges":[[{"subnet":"10.70.0.0/24"}]]}}]}
JSON
	export CNI_PATH="$BIN" NETD_CNI_CACHE_DIR="$WORK/cache"
	ip netns add c1 && ip netns add c2
	netd status >/dev/null; [ $? = 5 ] || fail "status without daemon should exit 5" || { dclean; return 1; }
	r=$(netd --json add cl c1 --ip 10.70.0.7) || fail "add: $r" || { dclean; return 1; }
	echo "$r" | jq -e '.ips[0].address=="10.70.0.7/24"' >/dev/null || fail "result: $r" || { dclean; return 1; }
	netd add cl /var/run/netns/c2 --id second >/dev/null || fail "add by path" || { dclean; return 1; }
	ip -n c1 -j link show lo | jq -e '.[0].operstate=="UNKNOWN"' >/dev/null || fail "loopback plugin did not run" || { dclean; return 1; }
	ip netns exec c2 ping -c1 -W2 10.70.0.7 >/dev/null || fail "ping" || { dclean; return 1; }
	jq -e '.kind=="cniCacheV1" and .result.ips[0].address=="10.70.0.7/24" and .networkName=="cl"' "$WORK/cache/cl-c1-eth0" >/dev/null \
		|| fail "result cache" || { dclean; return 1; }
	# DEL runs from the cache even when the conflist is gone.
	mv "$WORK/dconf/10-cl.conflist" "$WORK/conflist.bak"
	netd del cl c1 || fail "del from cache" || { dclean; return 1; }
	mv "$WORK/conflist.bak" "$WORK/dconf/10-cl.conflist"
	netd del cl --id second || fail "del by id" || { dclean; return 1; }
	[ ! -e "$WORK/cache/cl-c1-eth0" ] && [ "$(lease_count)" = 0 ] && [ "$(port_count br-cl)" = 0 ] && [ -z "$(masq_count)" -o "$(masq_count)" = 0 ] \
		|| fail "del left state" || { dclean; return 1; }
	netd add nonet c1; [ $? = 3 ] || fail "unknown network should exit 3" || { dclean; return 1; }
	dclean
}

test_cli_help_and_exit_codes() {
	for c in "" "network" "network create" "network ls" "network inspect" "network rm" add del netns gc reload status daemon; do
		# shellcheck disable=SC2086
		"$BIN/netd" $c --help >/dev/null || { fail "netd $c --help"; return 1; }
	done
	"$BIN/netd" frobnicate 2>/dev/null; [ $? = 2 ] || fail "unknown command" || return 1
	"$BIN/netd" add 2>/dev/null; [ $? = 2 ] || fail "add without args" || return 1
	# Without a daemon the network commands work on the state dir directly.
	netd network create local1 --subnet 10.71.0.0/24 >/dev/null || fail "direct create" || { dclean; return 1; }
	netd network inspect nope >/dev/null 2>&1; [ $? = 3 ] || fail "inspect missing: not 3" || { dclean; return 1; }
	netd network create local1 >/dev/null 2>&1; [ $? = 4 ] || fail "duplicate: not 4" || { dclean; return 1; }
	netd --json network ls | jq -e 'map(.name)==["local1"]' >/dev/null || fail "direct ls" || { dclean; return 1; }
	netd network rm local1 >/dev/null || fail "direct rm" || { dclean; return 1; }
	dclean
}

# issue 9: every networking command's failure, with --json, is one object {message, code, name}
# on stdout, beside the message on stderr, with the exit status lib/base/err.c's table gives its
# code; usage errors (2) and a daemon that does not answer (5) keep their own statuses.
# jerr WANT_RC CODE NAME COMMAND...: the command fails so.
jerr() {
	want=$1 code=$2 name=$3; shift 3
	out=$(netd "$@" 2>"$WORK/jerr"); rc=$?
	[ "$rc" = "$want" ] || { fail "netd $*: exit $rc, want $want: $out"; return 1; }
	printf '%s' "$out" | jq -e --argjson c "$code" --arg n "$name" \
		'.code==$c and .name==$n and (.message|type=="string" and length>0)' >/dev/null ||
		{ fail "netd $*: stdout $out"; return 1; }
	grep -q '^netd' "$WORK/jerr" || { fail "netd $*: no message on stderr: $(cat "$WORK/jerr")"; return 1; }
}
test_cli_json_errors_every_command() {
	jerr 3 107 not-found --json network inspect nope &&
	jerr 3 107 not-found network rm nope --json &&
	jerr 3 107 not-found netns del nope --json &&
	jerr 5 50 unavailable status --json &&
	jerr 2 127 invalid-option add --json &&
	jerr 2 127 invalid-option --json network ls --bogus &&
	jerr 2 127 invalid-option reload extra --json &&
	jerr 2 7 invalid-config --json daemon --config "$WORK/none.json" || { dclean; return 1; }
	ip netns add jx || { fail "ip netns add"; return 1; }
	jerr 127 123 command-not-found --json netns exec jx -- /nonexistent || { ip netns del jx; dclean; return 1; }
	ip netns del jx
	netd network create j1 --subnet 10.72.0.0/24 >/dev/null || { fail "create"; dclean; return 1; }
	jerr 4 108 busy network create j1 --subnet 10.72.1.0/24 --json &&
	netd --json version | jq -e '.version and .apiVersion and .daemon==null' >/dev/null ||
		{ fail "version --json"; dclean; return 1; }
	dclean
}

# issue 8 item 6: `netd add` of an attachment that exists, with the daemon stopped, is refused
# ("exists", exit 4) and touches nothing: not the daemon's attachment (its record says ready),
# not one the daemon-less CLI made (libcni's result cache has it), not one another runtime
# made through the plugins (no record, no cache: the plugin itself reports EXISTS, and a
# failed ADD undoes only what it created).
att_ok() { # att_ok NETNS: veth on netd0, a lease, a masquerade element, and the gateway answers.
	ip -n "$1" -4 -o addr show eth0 | grep -q 'inet 172\.17\.' || { fail "$1: no address"; return 1; }
	ip -n "$1" link show eth0 >/dev/null 2>&1 || { fail "$1: no eth0"; return 1; }
	a=$(ip -n "$1" -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
	[ -n "$(find "$WORK/ipam" -name "$a")" ] || { fail "$1: no lease for $a"; return 1; }
	nft -j list map inet netd masq4 | jq -e --arg a "$a" '[.nftables[].map.elem // empty | .[]] | map(tostring) | any(contains($a))' >/dev/null \
		|| { fail "$1: no masquerade element for $a"; return 1; }
	ip netns exec "$1" ping -c1 -W2 172.17.0.1 >/dev/null || { fail "$1: cannot ping the gateway"; return 1; }
}
test_cli_duplicate_add_without_daemon_keeps_the_attachment() {
	dstart || return 1
	ip netns add p1 && ip netns add p2 && ip netns add p3
	netd add bridge p1 >/dev/null || fail "add p1 through the daemon" || { dclean; return 1; }
	dstop
	netd add bridge p2 >/dev/null || fail "daemon-less add p2" || { dclean; return 1; }
	# p3: attached by another runtime, whose result cache netd does not read.
	NETD_CNI_CACHE_DIR=$WORK/othercache netd add bridge p3 >/dev/null || fail "add p3" || { dclean; return 1; }
	for ns in p1 p2 p3; do
		before=$(snapshot; cat "$DSTATE"/attachments/bridge/*.json; ls "$NETD_CNI_CACHE_DIR")
		out=$(netd add bridge $ns 2>&1); rc=$?
		[ $rc = 4 ] || fail "duplicate add $ns: exit $rc, want 4: $out" || { dclean; return 1; }
		echo "$out" | grep -Eq 'already|exists' || fail "duplicate add $ns: unclear message: $out" || { dclean; return 1; }
		now=$(snapshot; cat "$DSTATE"/attachments/bridge/*.json; ls "$NETD_CNI_CACHE_DIR")
		[ "$before" = "$now" ] || { diff <(echo "$before") <(echo "$now"); fail "duplicate add $ns changed the host"; dclean; return 1; }
		att_ok $ns || { dclean; return 1; }
	done
	jq -e '.state=="ready"' "$DSTATE/attachments/bridge/p1.json" >/dev/null || fail "p1's record" || { dclean; return 1; }
	netd del bridge p2 && NETD_CNI_CACHE_DIR=$WORK/othercache netd del bridge p3 || fail "daemon-less del" || { dclean; return 1; }
	# The daemon's attachment goes with its record, else the restarted daemon would restore it.
	NETD_IPAM_DIR=$WORK/ipam netd del bridge p1 || fail "daemon-less del p1" || { dclean; return 1; }
	[ ! -e "$DSTATE/attachments/bridge/p1.json" ] || fail "p1's record survived its del" || { dclean; return 1; }
	dstart || return 1
	netd del bridge p1 || fail "del p1 again through the daemon" || { dclean; return 1; }
	[ "$(masq_count)" = 0 ] && [ "$(lease_count)" = 0 ] && [ "$(port_count netd0)" = 0 ] || fail "del left state" || { dclean; return 1; }
	rm -rf "$WORK/othercache"
	dclean
}

# issue 8 item 12, the daemon's side: attach refuses an ID over 128 characters (its records
# are named by it) with 400; detaching one, which cannot have been attached, succeeds, through
# the API and through the daemon-less CLI, twice. Without the daemon the CLI runs the plugins,
# which take long IDs: add, duplicate add refused, del, del.
test_daemon_overlong_container_id_detach_succeeds() {
	dstart || return 1
	ip netns add l1
	id=$(head -c 300 /dev/zero | tr '\0' a)
	expect POST /v1/networks/bridge/attachments "{\"netns\":\"l1\",\"containerID\":\"$id\"}" 400 >/dev/null || { dclean; return 1; }
	expect POST /v1/networks/bridge/attachments "{\"netns\":\"l1\",\"containerID\":\"$(head -c 129 /dev/zero | tr '\0' a)\"}" 400 >/dev/null || { dclean; return 1; }
	expect DELETE "/v1/networks/bridge/attachments/$id" "" 204 >/dev/null || { dclean; return 1; }
	expect DELETE "/v1/networks/bridge/attachments/$id" "" 204 >/dev/null || { dclean; return 1; }
	netd del bridge --id "$id" || fail "netd del of an overlong ID (daemon)" || { dclean; return 1; }
	dstop
	for _ in 1 2; do netd del bridge --id "$id" || fail "daemon-less netd del of an overlong ID" || { dclean; return 1; }; done
	# The plugins take it (as host-local does), and so does the CLI's result cache.
	netd add bridge l1 --id "$id" >/dev/null || fail "daemon-less add of a 300-character ID" || { dclean; return 1; }
	[ "$(masq_count)" = 1 ] && [ "$(lease_count)" = 1 ] || fail "add made no attachment" || { dclean; return 1; }
	out=$(netd add bridge l1 --id "$id" 2>&1); [ $? = 4 ] || fail "duplicate add: $out" || { dclean; return 1; }
	for _ in 1 2; do netd del bridge --id "$id" || fail "daemon-less netd del of a 300-character ID" || { dclean; return 1; }; done
	[ -z "$(ls "$NETD_CNI_CACHE_DIR")" ] || fail "cache left: $(ls "$NETD_CNI_CACHE_DIR")" || { dclean; return 1; }
	[ "$(masq_count)" = 0 ] && [ "$(lease_count)" = 0 ] && [ "$(port_count netd0)" = 0 ] || fail "state left" || { dclean; return 1; }
	dclean
}
