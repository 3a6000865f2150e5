# netd run's container boundary (issue 8): host devices, seccomp, masked paths, layer xattrs.
# Each test defends one hole the attack run found; t_run.sh's helpers give every test its
# own state dir and cgroup parent and check that nothing is left behind.
. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

# Helpers built next to the unit tests (make integ says where; SAN builds have their own).
TOOLS=${NETD_TEST_TOOLS:-$(cd "$BIN/../build/tests" 2>/dev/null && pwd)}
SECRET=NETD-HOST-SECRET

# A loop device over a small file holding $SECRET: the "host's block device". Detached on
# every path by the EXIT trap (which keeps rt_setup's cgroup cleanup).
sec_loop() {
	dd if=/dev/zero of="$WORK/loop.img" bs=1k count=64 2>/dev/null
	printf '%s' "$SECRET" | dd of="$WORK/loop.img" conv=notrunc 2>/dev/null
	LOOP=$(losetup -f --show "$WORK/loop.img") || { fail "losetup"; return 1; }
	trap 'losetup -d "$LOOP" 2>/dev/null; rm -f "$WORK/loop.img"; rt_cg_parent_rm' EXIT
	LOOP_MIN=$((0x$(stat -c %T "$LOOP")))
	[ "$((0x$(stat -c %t "$LOOP")))" = 7 ] || { fail "$LOOP is not a loop device"; return 1; }
}

# The container may make device nodes (CAP_MKNOD, as with Docker) but open only the default
# ones: a node made in /dev (a tmpfs that allows devices) is refused by the device cgroup
# (EPERM); one made on the root (an overlay mounted nodev) by nodev first (EACCES).
test_run_sec_mknod_host_devices_denied() {
	rt_setup || return 1
	sec_loop || return 1
	out=$(run --rm --net=none -- sh -c "
		mknod /dev/hd b 7 $LOOP_MIN && dd if=/dev/hd bs=16 count=1 2>&1
		echo overwrite | dd of=/dev/hd conv=notrunc 2>&1
		mknod /dev/km c 1 11 && echo netd-integ-kmsg-must-be-denied 2>&1 >/dev/km
		mknod /hd2 b 7 $LOOP_MIN && dd if=/hd2 bs=16 count=1 2>&1")
	echo "$out" | grep -q "$SECRET" && { fail "the container read the host's block device: $out"; return 1; }
	[ "$(head -c ${#SECRET} "$WORK/loop.img")" = "$SECRET" ] || fail "the container wrote the host's block device" || return 1
	echo "$out" | grep -q "can't open '/dev/hd': Operation not permitted" || fail "reading /dev/hd: $out" || return 1
	echo "$out" | grep -q "can't create /dev/km: Operation not permitted" || fail "writing kmsg: $out" || return 1
	echo "$out" | grep -q "can't open '/hd2': Permission denied" || fail "a node on the nodev root: $out" || return 1
	# The default devices work: null, zero, full, random, urandom, tty, ptmx and a pts.
	out=$(run --rm --net=none -- sh -c '
		echo x >/dev/null && echo null-ok; head -c 8 /dev/zero | wc -c; head -c 8 /dev/urandom | wc -c
		head -c 8 /dev/random | wc -c; echo x 2>&1 >/dev/full; true 2>&1 </dev/tty
		exec 3<>/dev/ptmx && ls /dev/pts | tr "\n" " "; echo; true 2>&1 <>/dev/pts/0')
	[ "$out" = "null-ok
8
8
8
sh: write error: No space left on device
sh: can't open /dev/tty: No such device or address
0 ptmx 
sh: can't create /dev/pts/0: Input/output error" ] || fail "default devices: $out" || return 1
	rt_clean
}

# A device node shipped in a layer (block device of the host's loop device, mode 0666) is
# not a way in either, as root, as a user, with and without a user namespace.
test_run_sec_layer_device_node_denied() {
	rt_setup || return 1
	sec_loop || return 1
	rm -rf "$WORK/devlayer" && mkdir -p "$WORK/devlayer"
	mknod -m 0666 "$WORK/devlayer/hd" b 7 "$LOOP_MIN"
	tar --numeric-owner -cf "$WORK/devlayer.tar" -C "$WORK/devlayer" hd
	for opts in "" "-u 1000" "--userns" "--userns -u 1000"; do
		# shellcheck disable=SC2086
		out=$(run --rm --net=none $opts --layer "$WORK/devlayer.tar" -- sh -c 'ls -l /hd; dd if=/hd bs=16 count=1 2>&1; echo x | dd of=/hd 2>&1')
		echo "$out" | grep -q "$SECRET" && { fail "[$opts] a layer's device node read the host's block device: $out"; return 1; }
		echo "$out" | grep -q '^brw-rw-rw-' || fail "[$opts] the layer's node is not there: $out" || return 1
		[ "$(echo "$out" | grep -c "can't open '/hd': Permission denied")" = 2 ] || fail "[$opts] $out" || return 1
	done
	[ "$(head -c ${#SECRET} "$WORK/loop.img")" = "$SECRET" ] || fail "the host's block device was written" || return 1
	rm -rf "$WORK/devlayer" "$WORK/devlayer.tar"
	rt_clean
}

# The v2 device program (what a unified host's container cgroup gets), proved on this host's
# cgroup2 mount (a hybrid host's /sys/fs/cgroup/unified, where device programs are enforced
# too): a process in the cgroup reads the loop device before the program is attached, and
# cannot once it is, while /dev/null and /dev/zero still work.
test_run_sec_v2_device_program_denies() {
	sec_loop || return 1
	[ -x "$TOOLS/devcg" ] || { fail "no $TOOLS/devcg (make integ builds it)"; return 1; }
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[ -n "$cg2" ] || { fail "no cgroup2 mount on this host"; return 1; }
	cg="$cg2/netd-integ-dev-$$"
	mkdir "$cg" || { fail "mkdir $cg"; return 1; }
	trap 'losetup -d "$LOOP" 2>/dev/null; rm -f "$WORK/loop.img" "$WORK/hd" "$WORK/km"; rmdir "'"$cg"'" 2>/dev/null' EXIT
	mknod "$WORK/hd" b 7 "$LOOP_MIN" && mknod "$WORK/km" c 1 11
	probe="echo \$\$ >$cg/cgroup.procs; dd if=$WORK/hd bs=16 count=1 2>&1; echo x 2>&1 >$WORK/km
		echo x >/dev/null && echo null-ok; head -c 4 /dev/zero | wc -c"
	before=$(sh -c "$probe")
	echo "$before" | grep -q "$SECRET" || fail "control: the loop device is not readable without the program: $before" || return 1
	"$TOOLS/devcg" "$cg" || fail "attach the device program to $cg" || return 1
	after=$(sh -c "$probe")
	echo "$after" | grep -q "$SECRET" && { fail "read the loop device under the program: $after"; return 1; }
	echo "$after" | grep "$WORK/hd" | grep -q "Operation not permitted" || fail "block device: $after" || return 1
	echo "$after" | grep "$WORK/km" | grep -q "Operation not permitted" || fail "kmsg: $after" || return 1
	echo "$after" | grep -q '^null-ok$' && echo "$after" | grep -q '^4$' || fail "/dev/null, /dev/zero: $after" || return 1
	for _ in $(seq 50); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
	[ ! -d "$cg" ] || fail "cgroup $cg left" || return 1
	echo "## device program enforced on $cg2"
}

# keyctl (Debian's keyutils) and what it links, into the test's rootfs copy.
sec_keyctl_in_rootfs() {
	for f in /usr/bin/keyctl $(ldd /usr/bin/keyctl | grep -o '/[^ ]*'); do
		mkdir -p "$RFS$(dirname "$f")" && cp -L "$f" "$RFS$f" || return 1
	done
	RFS_SUM=$(rt_tree "$RFS")
}

# Seccomp: the default profile is on in the command, in exec and in the init; a key the
# host's process holds in its session keyring is out of reach; seccomp=unconfined (stored
# in the record, so exec follows it) turns it off.
test_run_sec_seccomp_filters_commands_exec_and_init() {
	rt_setup || return 1
	sec_keyctl_in_rootfs || fail "keyctl into the rootfs" || return 1
	keyctl new_session >/dev/null || fail "keyctl new_session" || return 1
	kid=$(keyctl add user netd-integ-secret "s3cret-$$" @s) || fail "keyctl add" || return 1
	probe="grep Seccomp: /proc/self/status; keyctl print $kid 2>&1; keyctl search @s user netd-integ-secret 2>&1"
	out=$(run --rm --net=none -- sh -c "$probe")
	echo "$out" | grep -q "s3cret-$$" && { fail "the container read the host's key: $out"; return 1; }
	echo "$out" | grep -q "^Seccomp:	2$" || fail "no seccomp filter: $out" || return 1
	[ "$(echo "$out" | grep -c 'Operation not permitted')" = 2 ] || fail "keyctl: $out" || return 1
	# The init (PID 1 under --init) keeps CAP_KILL alone, no_new_privs and the filter.
	out=$(run --rm --net=none --init -- grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' /proc/1/status | tr '\t\n' '  ')
	[ "$out" = "CapPrm: 0000000000000020 CapEff: 0000000000000020 CapBnd: 0000000000000020 NoNewPrivs: 1 Seccomp: 2 " ] ||
		fail "init: $out" || return 1
	# Unconfined: no filter, and then the key is readable (the check above can fail).
	out=$(run --rm --net=none --security-opt seccomp=unconfined -- sh -c "$probe")
	echo "$out" | grep -q "^Seccomp:	0$" && echo "$out" | grep -q "s3cret-$$" || fail "unconfined: $out" || return 1
	# exec gets the container's profile.
	run -d --name sc1 --net=none -- sleep 60 >/dev/null || fail "run -d sc1" || return 1
	run -d --name sc0 --net=none --security-opt seccomp:unconfined -- sleep 60 >/dev/null || fail "run -d sc0" || return 1
	out=$("$N" exec sc1 sh -c "$probe")
	echo "$out" | grep -q "^Seccomp:	2$" && ! echo "$out" | grep -q "s3cret-$$" || fail "exec: $out" || return 1
	out=$("$N" exec sc0 grep Seccomp: /proc/self/status)
	[ "$out" = "Seccomp:	0" ] || fail "exec into an unconfined container: $out" || return 1
	"$N" rm -f sc1 sc0 >/dev/null || fail "rm" || return 1
	# Any other --security-opt is a usage error that creates nothing.
	err=$(run --rm --net=none --security-opt apparmor=unconfined -- true 2>&1)
	[ $? = 2 ] && echo "$err" | grep -q "not supported" || fail "--security-opt apparmor: $err" || return 1
	run --rm --net=none --security-opt no-new-privileges -- true || fail "no-new-privileges" || return 1
	keyctl unlink "$kid" @s >/dev/null 2>&1
	rt_clean
}

# No user namespace from inside (the first step of the nf_tables escalations): not as a
# user, not as root without CAP_SYS_ADMIN, not under --userns. Unconfined, the same command
# works as a user, so the refusal is the filter's.
test_run_sec_seccomp_denies_user_namespaces() {
	rt_setup || return 1
	for opts in "-u 1000" "" "--userns" "--userns -u 1000"; do
		# shellcheck disable=SC2086
		err=$(run --rm --net=none $opts -- unshare -U -r -n true 2>&1) &&
			{ fail "[$opts] a user namespace was created inside the container"; return 1; }
		echo "$err" | grep -q 'Operation not permitted' || fail "[$opts] $err" || return 1
	done
	run --rm --net=none -- unshare -n true 2>/dev/null && { fail "unshare -n as root without CAP_SYS_ADMIN"; return 1; }
	run --rm --net=none -u 1000 --security-opt seccomp=unconfined -- unshare -U -r -n true ||
		fail "control: unconfined, unshare -U -r -n should work" || return 1
	rt_clean
}

# The filter leaves ordinary work alone: a shell, files, raw ICMP (CAP_NET_RAW), a web
# server and a client over the bridge network.
test_run_sec_seccomp_keeps_ordinary_commands() {
	rt_setup || return 1
	run -d --name web --net=bridge -- sh -c 'mkdir -p /www && echo hello-from-web >/www/index.html && httpd -f -p 8080 -h /www' >/dev/null ||
		fail "run web" || return 1
	ip=$("$N" ps --json | jq -r '.[]|select(.name=="web")|.ips[0]' | cut -d/ -f1)
	out=$(run --rm -- sh -c "ls / >/dev/null && echo ls-ok; gw=\$(ip route | awk '/default/{print \$3}'); ping -c1 -W2 \$gw >/dev/null && echo ping-ok; for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://$ip:8080/ && break; sleep 0.2; done")
	[ "$out" = "ls-ok
ping-ok
hello-from-web" ] || fail "ordinary commands under the filter: $out" || return 1
	"$N" rm -f web >/dev/null || fail "rm web" || return 1
	rt_clean
}

# Docker's masked paths: empty, and read-only where they are directories.
test_run_sec_masked_paths() {
	rt_setup || return 1
	out=$(run --rm --net=none -- sh -c 'ls -A /sys/firmware | wc -l; ls -A /proc/acpi 2>/dev/null | wc -l
		wc -c </proc/interrupts; cat /proc/kcore 2>/dev/null | wc -c; cat /proc/keys 2>/dev/null | wc -c
		cat /proc/timer_list 2>/dev/null | wc -c; touch /sys/firmware/x 2>&1
		grep -Ec " /(proc/interrupts|sys/firmware) " /proc/self/mountinfo')
	[ "$out" = "0
0
0
0
0
0
touch: /sys/firmware/x: Read-only file system
2" ] || fail "masked paths: $out (host: $(ls /sys/firmware | tr '\n' ' '))" || return 1
	rt_clean
}

# A layer tar that carries trusted.overlay.opaque on /etc must not hide the lower /etc,
# and no trusted.* attribute reaches the layer store; user.* ones are kept.
test_run_sec_layer_xattrs_dropped() {
	rt_setup || return 1
	src=$WORK/xlayer
	rm -rf "$src" && mkdir -p "$src/etc" && echo added >"$src/etc/added"
	setfattr -n trusted.overlay.opaque -v y "$src/etc" && setfattr -n trusted.netd.test -v x "$src/etc/added" &&
		setfattr -n user.keep -v 1 "$src/etc/added" || fail "setfattr" || return 1
	tar --xattrs --xattrs-include='*' --numeric-owner -cf "$WORK/xlayer.tar" -C "$src" etc
	grep -aq 'SCHILY.xattr.trusted.overlay.opaque' "$WORK/xlayer.tar" || fail "test bug: the tar has no opaque xattr" || return 1
	# hostname, hosts and resolv.conf are netd run's own (bind-mounted, t_dns.sh).
	out=$(run --rm --net=none --layer "$WORK/xlayer.tar" -- ls /etc | grep -vxE 'hostname|hosts|resolv.conf' | tr '\n' ' ')
	[ "$out" = "added group passwd " ] || fail "the layer's xattr hid the lower /etc: $out" || return 1
	attrs=$(getfattr -R -d -m - --absolute-names "$NETD_STATE_DIR/layers" 2>/dev/null)
	echo "$attrs" | grep -q '^trusted\.' && { fail "trusted.* in the layer store: $attrs"; return 1; }
	echo "$attrs" | grep -q '^user.keep="1"' || fail "user.* xattr lost: $attrs" || return 1
	rm -rf "$src" "$WORK/xlayer.tar"
	rt_clean
}
