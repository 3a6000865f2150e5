# netd run killed (SIGKILL) or failing at each step of its start-up and exit (issue 8 item 7):
# the container is recorded before anything it owns exists, so whatever a killed monitor
# leaves has an owner that `netd rm` and `netd gc` find. Fault points: lib/base/fault.h.
. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"
# netd run, netd-oci and the plugins of the test build: release binaries have no fault point.
use_fault_bin

# Every step of `netd run --rm --name N` without a daemon, in order: the runtime's own, and
# between them the in-process attach and release (the plugin's points, t_fault.sh). The walk
# traces a run and fails if the trace and this list disagree either way.
RUN_TRACE="run-record run-name run-dirs run-netns run-cgroup run-spawn
ipam-add ipam-index ipam-lease bridge-ensure veth-create bridge-addr container-addr container-up
container-route sysctl-forward nft-add run-attach run-start run-running detach-intent nft-del ipam-del
detach-record run-release
run-remove"

# Nothing of any container left: records (hidden ones too), names, netns, cgroups, mounts,
# leases, attachment records (temporary files too), masquerade elements. Links are checked
# once at the end of a walk (rt_clean): a veth goes with its netns, which the kernel tears
# down in the background, so a leaked veth means a leaked netns, which is checked here.
rt_nothing_left() {
	left=""
	[ -z "$(ls -A "$NETD_STATE_DIR/containers" 2>/dev/null)" ] || left="$left containers:$(ls -A "$NETD_STATE_DIR/containers" | cut -c1-20 | tr '\n' ' ')"
	[ -z "$(ls -A "$NETD_STATE_DIR/names" 2>/dev/null)" ] || left="$left names:$(ls -A "$NETD_STATE_DIR/names")"
	[ -z "$(ls /run/netns 2>/dev/null)" ] || left="$left netns:$(ls /run/netns | tr '\n' ' ')"
	[ -z "$(ls -A "$NETD_STATE_DIR"/attachments/* 2>/dev/null)" ] || left="$left attachments:$(ls -A "$NETD_STATE_DIR"/attachments/* | tr '\n' ' ')"
	leases=$(find "$NETD_IPAM_DIR" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null)
	[ -z "$leases" ] || left="$left leases:$leases"
	elems=$(nft -j list map inet netd masq4 2>/dev/null | jq '[.nftables[].map.elem // empty | .[]] | length')
	[ "${elems:-0}" = 0 ] || left="$left masquerade-elements:$elems"
	for d in $(rt_cg_parents); do
		[ -z "$(find "$d" -mindepth 1 -type d)" ] || left="$left cgroups:$(find "$d" -mindepth 1 -type d)"
	done
	grep -q "$NETD_STATE_DIR" /proc/self/mountinfo && left="$left mounts"
	[ -z "$left" ] || fail "left behind:$left"
}

# Until no container is monitored: a killed monitor's container init can outlive it a moment.
settle() {
	for _ in $(seq 1 100); do
		[ "$("$N" ps -a --json | jq 'map(select(.status=="running" or .status=="created")) | length')" = 0 ] && return 0
		sleep 0.05
	done
	fail "a container is still monitored: $("$N" ps -a)"
}

# frun SPEC [run options]: netd run with a fault, the command `true`; exit status as netd run's.
frun() {
	spec=$1; shift
	NETD_FAULT=$spec "$N" run --name f --rootfs "$RFS" "$@" -- true
}

# Trace one run (foreground and detached); compare with RUN_TRACE; leave the points in $WORK.
rt_trace() {
	rm -f "$WORK/trace.run" "$WORK/trace.runbg"
	NETD_FAULT_TRACE=$WORK/trace.run run --rm --name f -- true || fail "traced run" || return 1
	NETD_FAULT_TRACE=$WORK/trace.runbg run -d --rm --name f -- true >/dev/null || fail "traced run -d" || return 1
	settle || return 1
	want=$(echo $RUN_TRACE | tr ' ' '\n')
	for t in run runbg; do
		[ "$want" = "$(cat "$WORK/trace.$t")" ] || { diff <(echo "$want") "$WORK/trace.$t" | sed 's/^>/  reached, not listed:/; s/^</  listed, not reached:/'
			fail "the steps of netd run ($t) differ from RUN_TRACE in t_runfault.sh"; return 1; }
	done
	points "$WORK/trace.run" >"$WORK/run.points"
	rt_nothing_left
}

gc_after() {
	"$N" gc >/dev/null || fail "gc after $1"
}

test_run_fault_points_listed() {
	rt_setup || return 1
	rt_trace || return 1
	echo "## netd run fault points: $(tr '\n' ' ' <"$WORK/run.points")"
	rt_clean
}

# Every step x fail: a start-up step fails the run (125) and the run itself leaves nothing; a
# failed release at exit is reported, keeps the record (ps: dead), and gc finishes it.
test_run_fault_fail_leaves_nothing() {
	rt_setup && rt_trace >/dev/null || return 1
	for p in $(cat "$WORK/run.points"); do
		out=$(frun "$p:fail" --rm 2>&1); rc=$?
		case $p in
		nft-del@*|ipam-del@*|detach-intent@*|detach-record@*)
			[ $rc = 0 ] && echo "$out" | grep -q "releasing container .*fault injected at '${p%@*}'" || fail "$p:fail: exit $rc: $out" || return 1
			"$N" ps -a | grep -q 'Dead .* f$' || fail "$p:fail: no dead record: $("$N" ps -a)" || return 1
			gc_after "$p:fail" || return 1 ;;
		run-release@*|run-remove@*)
			[ $rc = 0 ] || fail "$p:fail: exit $rc: $out" || return 1 ;;
		*)
			[ $rc = 125 ] && echo "$out" | grep -q "fault injected at '${p%@*}'" || fail "$p:fail: exit $rc: $out" || return 1 ;;
		esac
		settle && rt_nothing_left || fail "after $p:fail" || return 1
		echo "ok $p:fail"
	done
	rt_clean
}

# Every step x SIGKILL of `netd run --rm`: the container is listed (dead) and `netd rm` of it
# releases everything; killed while its files were being removed, only `netd gc` has a job.
test_run_fault_kill_then_rm_leaves_nothing() {
	rt_setup && rt_trace >/dev/null || return 1
	for p in $(cat "$WORK/run.points"); do
		rc=$( { frun "$p:kill" --rm >/dev/null 2>&1; echo $?; } 2>/dev/null)
		[ $rc = 137 ] || fail "$p:kill: exit $rc, not SIGKILL" || return 1
		settle || return 1
		id=$("$N" ps -a --json | jq -r '.[] | select(.name=="f") | .id')
		if [ $p = run-remove@1 ]; then
			[ -z "$id" ] || fail "$p:kill: still listed" || return 1
			gc_after "$p:kill" || return 1
		else
			[ -n "$id" ] && "$N" ps -a | grep -q "^${id:0:12} .*Dead .* f$" || fail "$p:kill: not listed as dead: $("$N" ps -a)" || return 1
			"$N" rm "$id" >/dev/null || fail "rm after $p:kill" || return 1
		fi
		rt_nothing_left || fail "after $p:kill + rm" || return 1
		echo "ok $p:kill + rm"
	done
	rt_clean
}

# Every step x SIGKILL, then only `netd gc`: of `netd run --rm` (the record goes too), and of
# `netd run -d` without --rm (the record stays, dead, until rm).
test_run_fault_kill_then_gc_leaves_nothing() {
	rt_setup && rt_trace >/dev/null || return 1
	for p in $(cat "$WORK/run.points"); do
		frun "$p:kill" --rm >/dev/null 2>&1
		settle && "$N" gc >/dev/null || fail "gc after $p:kill (--rm)" || return 1
		rt_nothing_left || fail "after $p:kill (--rm) + gc" || return 1
		[ $p = run-remove@1 ] && continue
		frun "$p:kill" -d >/dev/null 2>&1
		settle && "$N" gc >/dev/null || fail "gc after $p:kill (-d)" || return 1
		id=$("$N" ps -a --json | jq -r '.[] | select(.name=="f" and .status=="dead") | .id')
		[ -n "$id" ] || fail "$p:kill (-d): no dead record after gc: $("$N" ps -a)" || return 1
		"$N" rm "$id" >/dev/null && rt_nothing_left || fail "after $p:kill (-d) + gc + rm" || return 1
		echo "ok $p:kill + gc (--rm, -d)"
	done
	rt_clean
}

# netd gc deletes a netns named as the runtime names them only when no container owns it;
# never another netns, and such a name cannot be taken with netd netns add.
test_run_gc_deletes_only_orphan_runtime_netns() {
	rt_setup || return 1
	id=$(run -d --name keep -- sleep 60) || fail "run -d" || return 1
	for n in netd-0123456789ab netd-0123456789AB netd-012345 other; do ip netns add $n; done
	out=$("$N" --json gc) || fail "gc: $out" || return 1
	echo "$out" | jq -e '.netns==1 and .containers==0' >/dev/null || fail "gc report: $out" || return 1
	[ "$(ls /run/netns | tr '\n' ' ')" = "netd-012345 netd-0123456789AB netd-${id:0:12} other " ] || fail "netns after gc: $(ls /run/netns)" || return 1
	"$N" exec keep true || fail "the running container was hurt" || return 1
	"$N" netns add netd-abcdef012345 2>/dev/null; [ $? = 2 ] || fail "a runtime netns name was accepted" || return 1
	for n in netd-0123456789AB netd-012345 other; do ip netns del $n; done
	"$N" rm -f keep >/dev/null || fail "rm -f" || return 1
	rt_clean
}

# What a monitor killed while writing its first record, or a removal cut short, leaves: a
# container directory without a record, a hidden one being removed, a name pointing at
# nothing. None owns anything else; rm and gc take them.
test_run_rm_and_gc_take_recordless_leftovers() {
	rt_setup || return 1
	c=$NETD_STATE_DIR/containers
	a=$(printf 'a%.0s' $(seq 64)) b=$(printf 'b%.0s' $(seq 64))
	mkdir -p "$c/$a/upper" "$c/$b" "$c/.$a.removing/upper" "$NETD_STATE_DIR/names"
	: >"$c/$a/lock"; : >"$c/$a/config.json.tmp.123"
	ln -s "$(printf 'c%.0s' $(seq 64))" "$NETD_STATE_DIR/names/ghost"
	ln -s "$b" "$NETD_STATE_DIR/names/bee"
	"$N" rm "${a:0:12}" >/dev/null || fail "rm of a directory without a record" || return 1
	[ ! -e "$c/$a" ] || fail "rm left it" || return 1
	"$N" rm ghost 2>/dev/null; [ $? = 3 ] || fail "rm of a dangling name: not 3" || return 1
	[ ! -L "$NETD_STATE_DIR/names/ghost" ] || fail "the dangling name stayed" || return 1
	out=$("$N" --json gc) || fail "gc: $out" || return 1
	echo "$out" | jq -e '.containers==1' >/dev/null || fail "gc report: $out" || return 1
	[ -z "$(ls -A "$c")" ] && [ -z "$(ls -A "$NETD_STATE_DIR/names")" ] || fail "left: $(ls -A "$c" "$NETD_STATE_DIR/names")" || return 1
	rt_clean
}
