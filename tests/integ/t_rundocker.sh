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

# Unnamed containers get a generated adjective_surname, usable wherever an ID is; rename
# works running or not (and the monitor keeps the new name); prune removes what is not running.
test_rund_generated_names_rename_prune() {
	rt_setup || return 1
	id=$(run -d --net=none -- sleep 60) || fail "run -d" || return 1
	name=$("$N" inspect "$id" | jq -r '.[0].name')
	echo "$name" | grep -qE '^[a-z]+_[a-z]+[0-9]*$' || fail "generated name: '$name'" || return 1
	[ "$("$N" exec "$name" echo hi)" = hi ] || fail "exec by the generated name" || return 1
	"$N" rename "$name" renamed1 || fail "rename a running container" || return 1
	"$N" exec "$name" true 2>/dev/null && { fail "the old name still works"; return 1; }
	"$N" stop -t 0 renamed1 >/dev/null || fail "stop by the new name" || return 1
	[ "$("$N" inspect renamed1 | jq -r '.[0].name')" = renamed1 ] || fail "the monitor forgot the rename" || return 1
	run --net=none --name other -- true || fail "run other" || return 1
	err=$("$N" rename renamed1 other 2>&1)
	[ $? = 4 ] && echo "$err" | grep -q "already in use" || fail "rename onto a taken name: $err" || return 1
	err=$("$N" rename renamed1 'bad/name' 2>&1)
	[ $? = 2 ] && echo "$err" | grep -q "invalid" || fail "rename to an invalid name: $err" || return 1
	run -d --name keep --net=none -- sleep 60 >/dev/null || fail "run keep" || return 1
	out=$("$N" container prune -f)
	echo "$out" | grep -q "^Deleted Containers:" && [ "$(echo "$out" | grep -c '^[0-9a-f]\{64\}$')" = 2 ] ||
		fail "prune: $out" || return 1
	[ "$("$N" ps -a -q | wc -l)" = 1 ] && "$N" exec keep true || fail "prune took a running container" || return 1
	"$N" rm -f keep >/dev/null || fail "rm keep" || return 1
	[ -z "$(ls "$NETD_STATE_DIR/names" 2>/dev/null)" ] || fail "names left: $(ls "$NETD_STATE_DIR/names")" || return 1
	rt_clean
}

# netd ps as docker ps: the columns sized to their content, newest first, Up/Exited, -q,
# -a, --json, filters by name, status and label (-l). An exited container shows no
# address: its lease was released (issue 13's second fix).
test_rund_ps_columns_filters_no_stale_address() {
	rt_setup || return 1
	run --net=bridge --name old1 -l team=a -- true || fail "run old1" || return 1
	sleep 1
	run -d --net=none --name new1 -l team=b -l solo -- sleep 60 >/dev/null || fail "run new1" || return 1
	out=$("$N" ps -a)
	head=$(echo "$out" | head -1 | tr -s ' ')
	[ "$head" = "CONTAINER ID IMAGE COMMAND CREATED STATUS PORTS NAMES" ] || fail "header: $out" || return 1
	echo "$out" | sed -n 2p | grep -qE '"sleep 60" .* Up (Less than a second|[0-9]+ seconds?) .* new1$' || fail "row 1 (newest): $out" || return 1
	echo "$out" | sed -n 3p | grep -qE '"true" .* Exited \(0\) .* ago .* old1$' || fail "row 2: $out" || return 1
	# Sized to content: the STATUS column starts at the same offset in every line.
	[ "$(echo "$out" | awk 'NR==1{print index($0,"STATUS")} NR==2{print index($0,"Up ")}' | uniq | wc -l)" = 1 ] ||
		fail "columns not aligned: $out" || return 1
	[ "$("$N" ps -q)" = "$("$N" inspect new1 | jq -r '.[0].id' | cut -c1-12)" ] || fail "ps -q: $("$N" ps -q)" || return 1
	[ "$("$N" ps -a --json | jq -r '.[] | select(.name=="old1") | .ips | length')" = 0 ] ||
		fail "an exited container shows an address: $("$N" ps -a --json)" || return 1
	[ "$("$N" ps -a -q -f status=exited | wc -l)" = 1 ] || fail "status=exited" || return 1
	[ "$("$N" ps -a --json -f label=team=b | jq -r '.[].name')" = new1 ] || fail "label=team=b" || return 1
	[ "$("$N" ps -a --json -f label=solo | jq -r '.[].name')" = new1 ] || fail "label=solo" || return 1
	[ "$("$N" ps -a --json -f label=team | jq length)" = 2 ] || fail "label=team" || return 1
	[ "$("$N" ps -a --json -f name=old -f name=new | jq length)" = 2 ] || fail "name= twice" || return 1
	[ "$("$N" ps -a --json -f name=old -f status=running | jq length)" = 0 ] || fail "name= and status=" || return 1
	"$N" ps -f bogus=1 >/dev/null 2>&1
	[ $? = 2 ] || fail "an unknown filter is a usage error" || return 1
	"$N" rm -f new1 old1 >/dev/null || fail "rm" || return 1
	rt_clean
}

# Issue 13's first fix: after `network rm --force NET`, rm -f of a container that was on it
# succeeds (it did not: "network 'NET' not found" forever), and leaves nothing.
test_rund_rm_after_network_force_removed() {
	rt_setup || return 1
	"$N" network create --subnet 10.78.0.0/24 --bridge br-n3 n3 >/dev/null || fail "network create" || return 1
	run -d --net=n3 --name onn3 -- sleep 60 >/dev/null || fail "run -d --net=n3" || return 1
	"$N" network rm --force n3 >/dev/null || fail "network rm --force" || return 1
	err=$("$N" rm -f onn3 2>&1) || fail "rm -f after the network went: $err" || return 1
	run --net=n3 --name later -- true 2>/dev/null && { fail "a run on the removed network worked"; return 1; }
	ip link del br-n3 2>/dev/null
	rt_clean
}

# Issue 13's third fix: messages say a thing once, and name what the user named (not the
# 64-hex id it resolved to).
test_rund_errors_say_it_once_with_the_users_name() {
	rt_setup || return 1
	err=$(run --rm --net=nope -- true 2>&1)
	[ "$(echo "$err" | grep -o "network 'nope'" | wc -l)" = 1 ] || fail "repeated: $err" || return 1
	run --net=none --name ex1 -- true || fail "run ex1" || return 1
	err=$("$N" exec ex1 true 2>&1)
	[ $? = 1 ] || [ $? != 0 ] || fail "exec into an exited container worked" || return 1
	echo "$err" | grep -q "container 'ex1' is not running" || fail "exec: $err" || return 1
	run -d --net=none --name busy1 -- sleep 60 >/dev/null || fail "run busy1" || return 1
	err=$("$N" rm busy1 2>&1) && { fail "rm of a running container worked"; return 1; }
	echo "$err" | grep -q "container 'busy1' is running" || fail "rm: $err" || return 1
	# A name whose container directory went: the name is what the message says.
	id=$("$N" inspect ex1 | jq -r '.[0].id')
	rm -f "$NETD_STATE_DIR/containers/$id/config.json"
	err=$("$N" inspect ex1 2>&1)
	echo "$err" | grep -q "no such container: 'ex1'" && ! echo "$err" | grep -q "$id" || fail "inspect: $err" || return 1
	"$N" rm -f busy1 ex1 >/dev/null || fail "rm" || return 1
	rt_clean
}

# The docker run flags people type: each shows inside the container what Docker shows.
test_rund_docker_run_flags() {
	rt_setup || return 1
	printf '# comment\n\nFROMFILE=1\nBOTH=file\nPASSED\n' >"$WORK/envf"
	out=$(PASSED=through run --rm --net=none --env-file "$WORK/envf" -e BOTH=flag -- sh -c 'echo $FROMFILE $BOTH $PASSED')
	[ "$out" = "1 flag through" ] || fail "--env-file: $out" || return 1
	out=$(run --rm --net=none --entrypoint /bin/echo -- hello there)
	[ "$out" = "hello there" ] || fail "--entrypoint: $out" || return 1
	out=$(run --rm --net=none -w /new/dir/here -- pwd)
	[ "$out" = /new/dir/here ] || fail "-w creates the directory: $out" || return 1
	out=$(run --rm --net=none --ulimit nofile=123:456 -- sh -c 'ulimit -n; ulimit -Hn')
	[ "$out" = "123
456" ] || fail "--ulimit: $out" || return 1
	out=$(run --rm --net=none --shm-size 8m -- df -k /dev/shm | awk 'NR==2{print $2}')
	[ "$out" = 8192 ] || fail "--shm-size: $out" || return 1
	out=$(run --rm --net=none --sysctl net.ipv4.ip_forward=1 --sysctl kernel.shmmni=1234 -- \
		cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni)
	[ "$out" = "1
1234" ] || fail "--sysctl: $out" || return 1
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "--sysctl reached the host" || return 1
	printf 'root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n' >"$RFS/etc/group"
	RFS_SUM=$(rt_tree "$RFS")
	out=$(run --rm --net=none --group-add staff --group-add 777 -- id -G)
	[ "$out" = "0 50 777" ] || fail "--group-add: $out" || return 1
	# --stop-signal: a PID 1 with a handler for it stops at once; --stop-timeout is kept.
	run -d --name st --net=none --stop-signal USR1 --stop-timeout 30 -- sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done' >/dev/null ||
		fail "run -d st" || return 1
	sleep 0.3
	"$N" inspect st | jq -e '.[0] | .stopSignal == "USR1" and .stopTimeout == 30' >/dev/null || fail "inspect st" || return 1
	"$N" stop st >/dev/null || fail "stop st" || return 1
	"$N" inspect st | jq -e '.[0].exitCode == 42' >/dev/null || fail "not stopped by USR1: $("$N" inspect st)" || return 1
	"$N" rm st >/dev/null || fail "rm st" || return 1
	# --device: the node appears where asked, and the cgroup allows exactly its permissions
	# (a loop device over a small file, detached on every path by the EXIT trap).
	dd if=/dev/zero of="$WORK/dev.img" bs=1k count=64 2>/dev/null && printf 'DEVICE-CONTENT' | dd of="$WORK/dev.img" conv=notrunc 2>/dev/null
	LOOP=$(losetup -f --show "$WORK/dev.img") || fail "losetup" || return 1
	trap 'losetup -d "$LOOP" 2>/dev/null; rm -f "$WORK/dev.img"; rt_cg_parent_rm' EXIT
	out=$(run --rm --net=none --device "$LOOP:/dev/sub/disk:r" -- sh -c 'ls -l /dev/sub/disk | cut -c1; head -c14 /dev/sub/disk; echo
		echo overwrite 2>/dev/null | dd of=/dev/sub/disk conv=notrunc 2>/dev/null || echo write-denied')
	[ "$out" = "b
DEVICE-CONTENT
write-denied" ] || fail "--device: $out" || return 1
	# Without it, the same node made inside cannot be opened.
	min=$((0x$(stat -c %T "$LOOP")))
	out=$(run --rm --net=none -- sh -c "mknod /dev/d b 7 $min && head -c14 /dev/d 2>&1")
	echo "$out" | grep -q "Operation not permitted" || fail "without --device: $out" || return 1
	losetup -d "$LOOP"
	# --cpu-shares: v1's cpu.shares, or v2's cpu.weight by runc's mapping (512 -> 20).
	id=$(run -d --net=none --cpu-shares 512 -- sleep 30) || fail "run -d --cpu-shares" || return 1
	if [ -d /sys/fs/cgroup/cpu ]; then
		w=$(cat "/sys/fs/cgroup/cpu/$NETD_CGROUP_PARENT/$id/cpu.shares") want=512
	else
		w=$(cat "/sys/fs/cgroup/$NETD_CGROUP_PARENT/$id/cpu.weight") want=20
	fi
	[ "$w" = "$want" ] || fail "--cpu-shares: $w, want $want" || return 1
	"$N" rm -f "$id" >/dev/null || fail "rm -f" || return 1
	rt_clean
}

# Values are checked before anything is made, with errors that name the limit.
test_rund_flag_values_checked() {
	rt_setup || return 1
	for bad in "--memory 1m|minimum memory limit of 6MiB" "--memory-swap 64m|needs --memory" \
		"--memory 64m --memory-swap 32m|below --memory" "--ulimit nofile=10:5|soft limit is above" \
		"--ulimit bogus=1|unknown limit 'bogus'" "--sysctl kernel.hostname=x|not namespaced" \
		"--sysctl ../../x=1|not a sysctl name" "--stop-signal NOPE|not a signal" "--stop-timeout -3|seconds" \
		"--shm-size 0|--shm-size: size '0' is invalid" "--device /etc/passwd|not a device node" \
		"--cpu-shares 1|from 2 to 262144" "--device /dev/null:/etc/x|must be under /dev/" "--device /dev/null:/dev/x:rx|permissions are of r, w and m" "--net=host --sysctl net.ipv4.ip_forward=1|not namespaced with this --net"; do
		opts=${bad%%|*} want=${bad#*|}
		# shellcheck disable=SC2086
		err=$(run --rm --net=none $opts -- true 2>&1)
		rc=$?
		[ "$rc" = 125 ] && echo "$err" | grep -qF -- "$want" || fail "[$opts] rc $rc: $err" || return 1
	done
	err=$(run --rm --net=none --env-file "$WORK/nope" -- true 2>&1)
	[ $? = 2 ] && echo "$err" | grep -q "No such file" || fail "--env-file missing: $err" || return 1
	err=$(run --rm --net=none --group-add nosuchgroup -- true 2>&1)
	[ $? = 126 ] && echo "$err" | grep -q "group 'nosuchgroup'" || fail "--group-add unknown: $err" || return 1
	[ -z "$(ls "$NETD_STATE_DIR/containers" 2>/dev/null)" ] || fail "a refused run left a record" || return 1
	rt_clean
}

# The compiled filter is cached in the state dir (one file per profile and capability
# set); a cache file that is damaged or not ours is compiled again, never trusted.
test_rund_seccomp_cache_never_trusted_blindly() {
	rt_setup || return 1
	run --rm --net=none -- true || fail "first run" || return 1
	n=$(ls "$NETD_STATE_DIR/seccomp" | wc -l)
	[ "$n" = 1 ] || fail "cache files after one run: $n" || return 1
	f=$(ls "$NETD_STATE_DIR"/seccomp/*.bpf)
	run --rm --net=none --cap-add SYS_ADMIN -- true || fail "run with SYS_ADMIN" || return 1
	[ "$(ls "$NETD_STATE_DIR/seccomp" | wc -l)" = 2 ] || fail "a capability set has its own file" || return 1
	for damage in truncate allow-all foreign; do
		case $damage in
		truncate) head -c 5 "$f" >"$f.x" && mv "$f.x" "$f" ;;
		allow-all) printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$f"; chmod 666 "$f" ;;
		foreign) printf '\x06\x00\x00\x00\x00\x00\xff\x7f' >"$f"; chmod 600 "$f"; chown 1234 "$f" ;;
		esac
		# A user namespace: the kernel allows it, only the filter refuses it.
		out=$(run --rm --net=none -- sh -c 'unshare -U true 2>&1; grep Seccomp: /proc/self/status')
		echo "$out" | grep -q "Operation not permitted" && echo "$out" | grep -q "Seccomp:	2" ||
			fail "[$damage] the damaged cache was used: $out" || return 1
	done
	# Control: without the filter the probe works, so the check above can fail.
	run --rm --net=none --security-opt seccomp=unconfined -- unshare -U true || fail "control: unshare -U unconfined" || return 1
	rt_clean
}
