# Fault injection at every step (lib/base/fault.h): each point of ADD and DEL, made to fail and
# made to SIGKILL the plugin, must leave nothing a DEL (or GC) cannot take back.
#
# The lists below are the steps that change the host or the container. The walk first traces
# a normal ADD and DEL (NETD_FAULT_TRACE) and fails if the trace and the lists disagree either
# way: a point added in lib/ without a line here fails, and so does a listed point the walk's
# config no longer reaches. (A step added with no nd_fault() call at all is invisible to a
# trace; the printed list is there for the reviewer to hold against the code.)
# Every point is walked each time it is reached ("container-addr@2": the second address).
ADD_POINTS="ipam-add ipam-index ipam-lease bridge-ensure veth-create veth-port bridge-addr
container-addr container-up container-route sysctl-forward sysctl-forward6 nft-add"
DEL_POINTS="nft-del nft-spoof-del veth-del ipam-del"
# The walk runs the test build's plugins: release plugins have no fault point.
use_fault_bin

# Dual stack, a gateway, masquerade, MAC spoof checking, hairpin and an extra route: every step
# is taken, and the per-address and per-route steps more than once.
fconf() {
	cat <<JSON
{"cniVersion":"1.1.0","name":"$1","type":"netd-bridge","bridge":"br-$1","isGateway":true,
 "isDefaultGateway":true,"ipMasq":true,"hairpinMode":true,"macspoofchk":true,
 "ipam":{"type":"netd-ipam","dataDir":"$WORK/ipam","ranges":[[{"subnet":"10.50.0.0/24"}],[{"subnet":"fd00:50::/64"}]],
         "routes":[{"dst":"192.168.50.0/24"}]}}
JSON
}

# The host snapshot plus the container side (every netns) and IPv6 forwarding.
fsnap() {
	snapshot
	cat /proc/sys/net/ipv6/conf/all/forwarding
	for n in $(ls /run/netns 2>/dev/null); do
		echo "== netns $n"
		ip -n "$n" -o link show | sed -E 's/^[0-9]+: //; s/ qlen [0-9]+//; s/NO-CARRIER,//; s/,LOWER_UP//; s/ state [A-Z]+//'
		ip -n "$n" -o addr show | sed -E 's/^[0-9]+: //; s/valid_lft.*//; s/ (tentative|dadfailed)//g'
		ip -n "$n" -o route show; ip -n "$n" -o -6 route show
	done
}

# same_fsnap BEFORE [TRIES]: as BEFORE, polling a little for what the kernel does lazily
# (a deleted netns takes its veth with it in the background).
same_fsnap() {
	tries=${2:-1}
	for _ in $(seq 1 "$tries"); do
		now=$(fsnap)
		[ "$1" = "$now" ] && return 0
		sleep 0.1
	done
	diff <(echo "$1") <(echo "$now") | head -30
	fail "host or netns changed"
}

# fault CMD SPEC ID [CONF]: run the bridge plugin with a fault; prints its stdout.
fault() {
	printf '%s' "${4:-$FC}" | env NETD_FAULT="$2" CNI_COMMAND="$1" CNI_CONTAINERID="$3" CNI_IFNAME=eth0 \
		CNI_NETNS="/run/netns/$3" CNI_PATH="$CNI_PATH" "$BIN/netd-bridge"
}

gc_keep() {
	printf '%s' "$FC" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}]}' |
		env CNI_COMMAND=GC CNI_PATH="$CNI_PATH" "$BIN/netd-bridge"
}

# Trace one ADD and one DEL; compare with the lists; leave "point@n" lists in $WORK.
trace_points() {
	rm -f "$WORK/trace.add" "$WORK/trace.del"
	mkns tr || return 1
	NETD_FAULT_TRACE=$WORK/trace.add add tr "$FC" >/dev/null || fail "traced ADD" || return 1
	NETD_FAULT_TRACE=$WORK/trace.del del tr "$FC" || fail "traced DEL" || return 1
	ip netns del tr
	points "$WORK/trace.add" >"$WORK/add.points"
	points "$WORK/trace.del" >"$WORK/del.points"
	echo "## ADD fault points: $(tr '\n' ' ' <"$WORK/add.points")"
	echo "## DEL fault points: $(tr '\n' ' ' <"$WORK/del.points")"
	for kind in add del; do
		if [ $kind = add ]; then want=$ADD_POINTS; else want=$DEL_POINTS; fi
		want=$(echo $want | tr ' ' '\n' | sort -u)
		got=$(sort -u "$WORK/trace.$kind")
		[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got") | sed 's/^>/  reached, not listed:/; s/^</  listed, not reached:/'
			fail "$kind fault points differ from the list in t_fault.sh"; return 1; }
	done
}

# A network with one other attachment ("keep"): the bridge, its addresses, the nft table and
# forwarding exist, as for every ADD but a network's first. The walk's ADD must leave them be.
warm_up() {
	FC=$(fconf fa)
	mkns keep && add keep "$FC" >/dev/null || fail "warm-up ADD" || return 1
}

# What warm_up and the walk made: the victim netns, "keep" and the bridge.
fa_clean() { ip netns del victim; del keep "$FC"; ip netns del keep; ip link del br-fa; }

test_fault_points_listed() {
	warm_up || return 1
	trace_points || return 1
	del keep "$FC"; ip netns del keep; ip link del br-fa
}

# Every ADD point (each time it is reached) x fail: a CNI error, and nothing changed.
test_fault_add_fail() {
	warm_up && trace_points >/dev/null || return 1
	mkns victim
	for p in $(cat "$WORK/add.points"); do
		before=$(fsnap)
		out=$(fault ADD "$p:fail" victim) && { fail "ADD with $p:fail succeeded"; return 1; }
		expect_code "$out" 100 || return 1
		echo "$out" | jq -r .msg | grep -q "fault injected at '${p%@*}'" || fail "$p: $out" || return 1
		same_fsnap "$before" || fail "after $p:fail" || return 1
		echo "ok $p:fail"
	done
	fa_clean
}

# Every ADD point x kill: one DEL restores the host and the netns exactly.
test_fault_add_kill_then_del() {
	warm_up && trace_points >/dev/null || return 1
	mkns victim
	# The DEL as runtimes send it: with the netns, and (containerd) with CNI_NETNS empty.
	for netns in /run/netns/victim ""; do
		for p in $(cat "$WORK/add.points"); do
			before=$(fsnap)
			rc=$( { fault ADD "$p:kill" victim >/dev/null; echo $?; } 2>/dev/null)
			[ $rc = 137 ] || fail "$p:kill: exit $rc, not SIGKILL" || return 1
			out=$(cni netd-bridge DEL victim eth0 "$netns" "$FC") || fail "DEL ($netns) after $p:kill: $out" || return 1
			same_fsnap "$before" || fail "after $p:kill + DEL (CNI_NETNS='$netns')" || return 1
			echo "ok $p:kill + DEL (CNI_NETNS='$netns')"
		done
	done
	fa_clean
}

# Every ADD point x kill, then the runtime's view of a crash: the sandbox is gone and only GC
# (with "keep" the one valid attachment) is left to clean up.
test_fault_add_kill_then_gc() {
	warm_up && trace_points >/dev/null || return 1
	for p in $(cat "$WORK/add.points"); do
		before=$(fsnap)
		mkns victim
		rc=$( { fault ADD "$p:kill" victim >/dev/null; echo $?; } 2>/dev/null)
		[ $rc = 137 ] || fail "$p:kill: exit $rc, not SIGKILL" || return 1
		ip netns del victim
		out=$(gc_keep) || fail "GC after $p:kill: $out" || return 1
		same_fsnap "$before" 50 || fail "after $p:kill + GC" || return 1
		echo "ok $p:kill + GC"
	done
	# GC left "keep" whole: it still passes CHECK and DEL.
	r=$(cni netd-bridge CHECK keep eth0 /run/netns/keep "$(printf '%s' "$FC" | jq -c --argjson p "$(add_result)" '. + {prevResult:$p}')") ||
		fail "CHECK keep after the GC walk: $r" || return 1
	del keep "$FC"; ip netns del keep; ip link del br-fa
}

# keep's result, as the runtime cached it at warm-up (rebuilt from the kernel and the store).
add_result() {
	a4=$(ip -n keep -j -4 addr show eth0 | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')
	a6=$(ip -n keep -j -6 addr show eth0 scope global | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')
	jq -nc --arg a4 "$a4" --arg a6 "$a6" '{cniVersion:"1.1.0",interfaces:[{name:"eth0",sandbox:"/run/netns/keep"}],
		ips:[{address:$a4,gateway:"10.50.0.1",interface:0},{address:$a6,gateway:"fd00:50::1",interface:0}],
		routes:[{dst:"192.168.50.0/24"},{dst:"0.0.0.0/0",gw:"10.50.0.1"},{dst:"::/0",gw:"fd00:50::1"}]}'
}

# Every DEL point x {fail, kill}: the DEL reports it (or dies), a second DEL completes.
test_fault_del() {
	warm_up && trace_points >/dev/null || return 1
	mkns victim
	for p in $(cat "$WORK/del.points"); do
		# kill-nonetns: the second DEL comes as containerd's sends it, with CNI_NETNS empty.
		for mode in fail kill kill-nonetns; do
			before=$(fsnap)
			out=$(add victim "$FC") || fail "ADD: $out" || return 1
			out=$( { fault DEL "$p:${mode%-nonetns}" victim; } 2>/dev/null); rc=$?
			if [ $mode != fail ]; then
				[ $rc = 137 ] || fail "$p:kill: exit $rc, not SIGKILL" || return 1
			else
				[ $rc != 0 ] && expect_code "$out" 100 || fail "$p:fail: exit $rc: $out" || return 1
			fi
			if [ $mode = kill-nonetns ]; then
				out=$(cni netd-bridge DEL victim eth0 "" "$FC") || fail "DEL without netns after $p:kill: $out" || return 1
			else
				out=$(del victim "$FC") || fail "second DEL after $p:$mode: $out" || return 1
			fi
			same_fsnap "$before" || fail "after $p:$mode + DEL" || return 1
			echo "ok DEL $p:$mode + DEL"
		done
	done
	fa_clean
}

# A network's first ADD failing at any point: no bridge, no table, no address is left.
# Forwarding is a host-wide switch, on before (as on any host that routes containers): once
# on it is never switched off, since other networks may rely on it.
test_fault_first_add_fail() {
	FC=$(fconf ff)
	echo 1 >/proc/sys/net/ipv4/ip_forward; echo 1 >/proc/sys/net/ipv6/conf/all/forwarding
	# Points as a first ADD reaches them: the bridge gets its gateway addresses here.
	mkns tr && NETD_FAULT_TRACE=$WORK/trace.first add tr "$FC" >/dev/null || fail "traced ADD" || return 1
	del tr "$FC"; ip netns del tr; ip link del br-ff; nft flush ruleset; rm -rf "$WORK/ipam"
	mkns victim
	for p in $(points "$WORK/trace.first"); do
		before=$(fsnap)
		out=$(fault ADD "$p:fail" victim) && { fail "ADD with $p:fail succeeded"; return 1; }
		expect_code "$out" 100 || return 1
		same_fsnap "$before" || fail "first ADD, after $p:fail" || return 1
		echo "ok first ADD $p:fail"
	done
	ip netns del victim
	echo 0 >/proc/sys/net/ipv6/conf/all/forwarding
}

# The IPAM plugin on its own (as a delegate of another plugin): killed while reserving, the
# next DEL frees everything; failing, it leaves nothing.
test_fault_ipam_plugin() {
	c='{"cniVersion":"1.1.0","name":"fi","type":"x","ipam":{"type":"netd-ipam","dataDir":"'$WORK/ipam'",
	  "ranges":[[{"subnet":"10.51.0.0/24"}],[{"subnet":"fd00:51::/64"}]]}}'
	ipam() { printf '%s' "$c" | env CNI_COMMAND="$1" CNI_CONTAINERID=c1 CNI_IFNAME=eth0 CNI_NETNS=/x \
		CNI_PATH="$CNI_PATH" NETD_FAULT="${2:-}" NETD_FAULT_TRACE="${3:-}" "$BIN/netd-ipam"; }
	rm -f "$WORK/trace.ipam"
	ipam ADD "" "$WORK/trace.ipam" >/dev/null && ipam DEL || fail "traced ADD/DEL" || return 1
	want="ipam-index@1 ipam-lease@1 ipam-lease@2"
	[ "$(points "$WORK/trace.ipam" | tr '\n' ' ')" = "$want " ] || fail "ipam points: $(points "$WORK/trace.ipam")" || return 1
	for p in $want; do
		before=$(fsnap)
		out=$(ipam ADD "$p:fail") && { fail "$p:fail succeeded"; return 1; }
		expect_code "$out" 100 || return 1
		same_fsnap "$before" || fail "after $p:fail" || return 1
		ipam ADD "$p:kill" >/dev/null; rc=$?
		[ $rc = 137 ] || fail "$p:kill: exit $rc" || return 1
		ipam DEL || fail "DEL after $p:kill" || return 1
		same_fsnap "$before" || fail "after $p:kill + DEL" || return 1
		echo "ok netd-ipam $p:fail, $p:kill + DEL"
	done
}

# With a delegated IPAM plugin (host-local, executed): the same walk, fail and kill + DEL.
test_fault_delegated_ipam() {
	[ -x "$REF/host-local" ] || { echo "skip: no reference host-local"; return 0; }
	FC='{"cniVersion":"1.0.0","name":"fd","type":"netd-bridge","bridge":"br-fd","isGateway":true,"ipMasq":true,
	  "ipam":{"type":"host-local","dataDir":"'$WORK/ipam'","ranges":[[{"subnet":"10.52.0.0/24"}]]}}'
	mkns keep && add keep "$FC" >/dev/null || fail "warm-up ADD" || return 1
	mkns victim
	rm -f "$WORK/trace.dg"
	NETD_FAULT_TRACE=$WORK/trace.dg add victim "$FC" >/dev/null && NETD_FAULT_TRACE=$WORK/trace.dg del victim "$FC" || fail "traced ADD/DEL" || return 1
	for p in $(points "$WORK/trace.dg"); do
		before=$(fsnap)
		case $p in nft-del@*|veth-del@*|ipam-del@*)
			out=$(add victim "$FC") || fail "ADD: $out" || return 1
			rc=$( { fault DEL "$p:kill" victim >/dev/null; echo $?; } 2>/dev/null)
			[ $rc = 137 ] || fail "DEL $p:kill: exit $rc" || return 1
			del victim "$FC" && same_fsnap "$before" || fail "after DEL $p:kill + DEL" || return 1
			echo "ok DEL $p:kill + DEL"; continue ;;
		esac
		out=$(fault ADD "$p:fail" victim) && { fail "ADD with $p:fail succeeded"; return 1; }
		expect_code "$out" 100 && same_fsnap "$before" || fail "after $p:fail" || return 1
		rc=$( { fault ADD "$p:kill" victim >/dev/null; echo $?; } 2>/dev/null)
		[ $rc = 137 ] || fail "$p:kill: exit $rc" || return 1
		del victim "$FC" && same_fsnap "$before" || fail "after $p:kill + DEL" || return 1
		echo "ok $p:fail, $p:kill + DEL"
	done
	ip netns del victim; del keep "$FC"; ip netns del keep; ip link del br-fd
}
