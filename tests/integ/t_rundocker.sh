# netd run as docker run (issue 13, part 1): the command is PID 1, --init, capabilities,
# --privileged, seccomp profiles in Docker's format, inspect, names and ps, the docker run
# flags. t_run.sh's helpers give every test its own state dir and cgroup parent, and
# rt_clean checks that nothing is left behind.
. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

# Without --init the command is PID 1 (echo $$ is 1, ps shows it alone); with --init the
# small init is PID 1 and the command PID 2. The monitor still gets the exit status, and
# exec still joins the container.
test_rund_command_is_pid1_init_in_front_on_request() {
	rt_setup || return 1
	out=$(run --rm --net=none -- sh -c 'echo $$; cat /proc/1/comm; exit 7')
	rc=$?
	[ "$rc" = 7 ] || fail "exit code $rc, want 7" || return 1
	[ "$out" = "1
sh" ] || fail "without --init: $out" || return 1
	out=$(run --rm --net=none -- ps -o pid,comm | tail -n +2 | tr -s ' ')
	[ "$out" = " 1 ps" ] || fail "ps without --init: $out" || return 1
	out=$(run --rm --net=none --init -- sh -c 'echo $$; ps -o pid,comm; true' | tr -s ' ')
	[ "$(echo "$out" | head -4)" = "2
PID COMMAND
 1 init
 2 sh" ] || fail "with --init: $out" || return 1
	# PID 1 ignores a signal it has no handler for (the kernel's rule), so sh survives its own TERM.
	out=$(run --rm --net=none -- sh -c 'kill -TERM 1; echo alive')
	[ "$out" = alive ] || fail "PID 1 without a handler must ignore TERM: $out" || return 1
	run --rm --net=none -- /nonexistent 2>/dev/null
	[ $? = 127 ] || fail "a missing command must give 127" || return 1
	run --rm --net=none -- sh -c 'kill -KILL $$' 2>/dev/null
	[ $? = 0 ] || fail "SIGKILL from inside to PID 1 is ignored too" || return 1
	run -d --name p1 --net=none -- sleep 60 >/dev/null || fail "run -d" || return 1
	out=$("$N" exec p1 sh -c 'cat /proc/1/comm; echo $$')
	[ "$(echo "$out" | head -1)" = sleep ] || fail "exec sees PID 1: $out" || return 1
	"$N" rm -f p1 >/dev/null || fail "rm -f" || return 1
	rt_clean
}

# keyctl (Debian's keyutils) and what it links, into the test's rootfs copy.
rund_keyctl_in_rootfs() {
	for f in /usr/bin/keyctl $(ldd /usr/bin/keyctl | grep -o '/[^ ]*'); do
		mkdir -p "$RFS$(dirname "$f")" && cp -L "$f" "$RFS$f" || return 1
	done
	RFS_SUM=$(rt_tree "$RFS")
}

# The default profile answers EPERM to what Docker's blocks without CAP_SYS_ADMIN: a user
# namespace, keyctl, mount; the command (PID 1) itself is filtered.
test_rund_default_profile_eperm() {
	rt_setup || return 1
	rund_keyctl_in_rootfs || fail "keyctl into the rootfs" || return 1
	out=$(run --rm --net=none -- sh -c 'unshare -U true 2>&1; keyctl show @s 2>&1; mkdir /m; mount -t tmpfs t /m 2>&1
		grep Seccomp: /proc/1/status' 2>&1)
	# busybox mount says EPERM its own way.
	[ "$(echo "$out" | grep -cE 'Operation not permitted|permission denied')" -ge 3 ] || fail "EPERM expected 3 times: $out" || return 1
	echo "$out" | grep -q "^Seccomp:	2$" || fail "PID 1 is not filtered: $out" || return 1
	rt_clean
}

# --cap-drop NET_RAW makes ping fail; names with or without CAP_, any case; ALL; an
# unknown name is refused (125, as Docker) and leaves nothing.
test_rund_cap_add_drop() {
	rt_setup || return 1
	run --rm --net=none -- ping -c1 -W1 127.0.0.1 >/dev/null || fail "ping with the default set" || return 1
	out=$(run --rm --net=none --cap-drop NET_RAW -- ping -c1 -W1 127.0.0.1 2>&1) && { fail "ping without NET_RAW: $out"; return 1; }
	out=$(run --rm --net=none --cap-drop cap_net_raw -- grep CapBnd /proc/self/status)
	[ "$out" = "CapBnd:	00000000a80405fb" ] || fail "--cap-drop cap_net_raw: $out" || return 1
	out=$(run --rm --net=none --cap-drop ALL --cap-add CAP_NET_ADMIN -- grep -E '^Cap(Bnd|Eff)' /proc/self/status | tr '\t\n' '  ')
	[ "$out" = "CapEff: 0000000000001000 CapBnd: 0000000000001000 " ] || fail "drop ALL, add NET_ADMIN: $out" || return 1
	# CAP_SYS_ADMIN opens mount to the filter as well as to the kernel.
	run --rm --net=none --cap-add sys_admin -- sh -c 'mkdir /m && mount -t tmpfs t /m && umount /m' ||
		fail "mount with --cap-add SYS_ADMIN" || return 1
	out=$(run --rm --net=none --cap-add ALL --cap-drop MKNOD -- grep CapBnd /proc/self/status | cut -f2)
	[ "$((0x$out & (1 << 27)))" = 0 ] && [ "$((0x$out & (1 << 21)))" != 0 ] || fail "add ALL, drop MKNOD: $out" || return 1
	# A user gets none in effect (as with Docker), its bounding set is the container's.
	out=$(run --rm --net=none -u 1000 --cap-drop NET_RAW -- grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr '\t\n' '  ')
	[ "$out" = "CapEff: 0000000000000000 CapBnd: 00000000a80405fb " ] || fail "user: $out" || return 1
	# Docker's status for a value it refuses at create time: 125.
	err=$(run --rm --net=none --cap-add NOPE -- true 2>&1)
	[ $? = 125 ] && echo "$err" | grep -q "unknown capability 'NOPE'" || fail "--cap-add NOPE: $err" || return 1
	[ -z "$(ls "$NETD_STATE_DIR/containers" 2>/dev/null)" ] || fail "a refused run left a record" || return 1
	rt_clean
}

# --privileged: every capability, no seccomp, /sys read-write, the host's devices, nothing masked.
test_rund_privileged() {
	rt_setup || return 1
	want=$(grep CapBnd /proc/self/status)
	out=$(run --rm --net=none --privileged -- sh -c 'grep -E "^(CapBnd|Seccomp):" /proc/self/status
		grep -E " /sys " /proc/self/mountinfo | grep -c " rw,"; grep -c " /proc/interrupts " /proc/self/mountinfo
		[ -c /dev/kmsg ] && echo kmsg; head -c1 /dev/kmsg >/dev/null && echo kmsg-read')
	[ "$out" = "$want
Seccomp:	0
1
0
kmsg
kmsg-read" ] || fail "privileged: $out" || return 1
	# The default container has none of it.
	out=$(run --rm --net=none -- sh -c '[ -e /dev/kmsg ] && echo kmsg; grep -c " /proc/interrupts " /proc/self/mountinfo')
	[ "$out" = 1 ] || fail "default: $out" || return 1
	rt_clean
}

# --security-opt seccomp=FILE in Docker's format: the profile is the command's (and exec's),
# inspect shows it; a bad profile is refused (125, naming the problem) and leaves nothing.
test_rund_seccomp_profile_file() {
	rt_setup || return 1
	prof=$WORK/profile.json
	cat >"$prof" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW",
 "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
	      {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": ["CAP_SYS_ADMIN"]}}]}
JSON
	out=$(run --rm --net=none --security-opt seccomp="$prof" -- sh -c 'mkdir /x 2>&1; unshare -n true && echo unshared; grep Seccomp: /proc/self/status')
	# The profile allows unshare (the default one would not), refuses mkdir with its errno.
	[ "$out" = "mkdir: can't create directory '/x': Permission denied
Seccomp:	2" ] || fail "profile: $out" || return 1
	run -d --name sp --net=none --security-opt seccomp="$prof" -- sleep 60 >/dev/null || fail "run -d" || return 1
	out=$("$N" exec sp mkdir /y 2>&1) && { fail "exec is not under the profile: $out"; return 1; }
	"$N" inspect sp | jq -e '.[0] | .seccomp == "custom" and .seccompProfile.syscalls[0].errnoRet == 13 and .init == false' >/dev/null ||
		fail "inspect: $("$N" inspect sp)" || return 1
	"$N" rm -f sp >/dev/null || fail "rm" || return 1
	for bad in '{"syscalls":[]}' '{"defaultAction":"SCMP_ACT_NOTIFY"}' '[1,' \
		'{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_KILL","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}'; do
		printf '%s' "$bad" >"$prof"
		err=$(run --rm --net=none --security-opt seccomp="$prof" -- true 2>&1)
		[ $? = 125 ] && echo "$err" | grep -q "seccomp profile" || fail "bad profile $bad: $err" || return 1
	done
	err=$(run --rm --net=none --security-opt seccomp="$WORK/nonexistent.json" -- true 2>&1)
	[ $? = 2 ] && echo "$err" | grep -q "No such file" || fail "missing profile: $err" || return 1
	[ -z "$(ls "$NETD_STATE_DIR/containers" 2>/dev/null)" ] || fail "a refused run left a record" || return 1
	rt_clean
}

# netd inspect: the whole record as JSON, for one or several containers; unknown is an error.
test_rund_inspect_whole_record() {
	rt_setup || return 1
	run -d --name i1 --net=none --init --cap-drop NET_RAW -m 64m -- sleep 60 >/dev/null || fail "run -d" || return 1
	out=$("$N" inspect i1)
	echo "$out" | jq -e '.[0] | .name == "i1" and .state.status == "running" and .state.running and .init
		and .capDrop == ["NET_RAW"] and .limits.memory == 67108864 and .seccomp == "default" and (.argv|join(" ")) == "sleep 60"
		and (.id|length) == 64 and .pid > 0' >/dev/null || fail "inspect: $out" || return 1
	"$N" stop -t 1 i1 >/dev/null
	out=$("$N" inspect i1 nope 2>/dev/null)
	rc=$?
	[ "$rc" = 3 ] && echo "$out" | jq -e 'length == 1 and (.[0].state.status|startswith("exited"))' >/dev/null ||
		fail "inspect of a stopped and an unknown one (rc $rc): $out" || return 1
	"$N" rm i1 >/dev/null || fail "rm" || return 1
	rt_clean
}
