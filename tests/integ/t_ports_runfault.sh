# netd run -p killed (SIGKILL) at each fault point of publishing, then `netd rm` or `netd gc`:
# no port element, no container, nothing else left (issue 10). The pending attachment record
# names the ports before they exist, so whoever finishes the detach removes them.
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/t_runfault.sh"
. "$here/t_ports.sh"

PM_POINTS="portmap-nft-add@1 portmap-localnet@1 portmap-conntrack-add@1"

test_ports_runfault_kill_then_rm_or_gc_leaves_nothing() {
	rt_setup || return 1
	rm -f "$WORK/trace.pm"
	NETD_FAULT_TRACE=$WORK/trace.pm "$N" run --rm --name f --rootfs "$RFS" -p 8080:80 -p 5300:53/udp -- true ||
		fail "traced run -p" || return 1
	pts=$(points "$WORK/trace.pm" | tr '\n' ' ')
	for p in $PM_POINTS; do
		case " $pts " in *" $p "*) ;; *) fail "fault point $p not reached: $pts"; return 1 ;; esac
	done
	for p in $PM_POINTS; do
		rc=$( { NETD_FAULT=$p:kill "$N" run --name f --rootfs "$RFS" -p 8080:80 -p 5300:53/udp -- true >/dev/null 2>&1; echo $?; } 2>/dev/null)
		[ $rc = 137 ] || fail "$p:kill: exit $rc, not SIGKILL" || return 1
		settle || return 1
		"$N" rm f >/dev/null || fail "rm after $p:kill" || return 1
		[ "$(pm_elems)" = 0 ] || fail "$p:kill + rm: port elements left: $(nft list ruleset)" || return 1
		rt_nothing_left || fail "after $p:kill + rm" || return 1
		NETD_FAULT=$p:kill "$N" run --rm --name f --rootfs "$RFS" -p 8080:80 -- true >/dev/null 2>&1
		settle && "$N" gc >/dev/null || fail "gc after $p:kill" || return 1
		[ "$(pm_elems)" = 0 ] || fail "$p:kill + gc: port elements left: $(nft list ruleset)" || return 1
		rt_nothing_left || fail "after $p:kill + gc" || return 1
	done
	echo "## netd run -p fault points walked (kill, then rm; kill, then gc): $PM_POINTS"
	rt_clean
}
