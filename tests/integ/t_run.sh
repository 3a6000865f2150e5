# netd run: the bundled runtime (namespaces, cgroups, overlay layers, OCI images, networks).
# Every test has its own state dir and cgroup parent, and checks it left nothing behind:
# no container, netns, link, cgroup, mount or lease.

# The busybox rootfs (Debian's busybox-static), built once per run.
rt_rootfs() {
	R=$WORK/rootfs
	[ -x "$R/bin/busybox" ] && return 0
	bb=/bin/busybox
	[ -x "$bb" ] || { echo "busybox-static is not installed" >&2; return 1; }
	mkdir -p "$R/bin" "$R/etc" "$R/tmp" "$R/root" "$R/proc" "$R/sys" "$R/dev" "$R/var"
	cp "$bb" "$R/bin/busybox"
	for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$R/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$R/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"
	chmod 1777 "$R/tmp"
}

rt_setup() {
	rt_rootfs || return 1
	export NETD_STATE_DIR
	NETD_STATE_DIR=$(mktemp -d "$WORK/state.XXXXXX")
	export NETD_CGROUP_PARENT="netd-integ-$$"
	# Even a test that fails half-way removes its (empty) cgroup parents.
	trap 'rt_cg_parent_rm' EXIT
	# No daemon: the runtime attaches directly through lib/.
	export NETD_SOCKET="$WORK/no-daemon.sock"
	export NETD_IPAM_DIR="$NETD_STATE_DIR/ipam"
	N="$BIN/netd"
	RFS=$(mktemp -d "$WORK/rfs.XXXXXX")
	cp -a "$WORK/rootfs/." "$RFS/"
	RFS_SUM=$(rt_tree "$RFS")
}

# A stable listing of a tree (names, modes, sizes, content hashes) to prove it is untouched.
rt_tree() {
	(cd "$1" && find . -printf '%p %m %s %y\n' | sort && find . -type f -exec md5sum {} + | sort)
}

rt_cg_parents() {
	for d in /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/pids /sys/fs/cgroup/devices /sys/fs/cgroup; do
		[ -d "$d/$NETD_CGROUP_PARENT" ] && echo "$d/$NETD_CGROUP_PARENT"
	done
}

rt_cg_parent_rm() {
	for d in $(rt_cg_parents); do rmdir "$d" 2>/dev/null; done
	return 0
}

# Nothing left: no container, netns, veth, cgroup, mount, lease; the rootfs untouched.
rt_clean() {
	ok=0
	left=$(ls "$NETD_STATE_DIR/containers" 2>/dev/null)
	[ -z "$left" ] || { fail "containers left: $left"; ok=1; }
	[ -z "$(ls /run/netns 2>/dev/null)" ] || { fail "netns left: $(ls /run/netns)"; ok=1; }
	# A container's veth goes with its netns, which the kernel tears down in the background.
	for _ in $(seq 1 50); do
		links=$(ip -o link show | grep -v ': lo:' | grep -v ': netd0:' | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | tr '\n' ' ')
		[ -z "$links" ] && break
		sleep 0.1
	done
	[ -z "$links" ] || { fail "links left: $links"; ok=1; }
	for d in $(rt_cg_parents); do
		sub=$(find "$d" -mindepth 1 -type d)
		[ -z "$sub" ] || { fail "cgroups left: $sub"; ok=1; }
	done
	rt_cg_parent_rm
	grep -q "$NETD_STATE_DIR" /proc/self/mountinfo && { fail "mounts left: $(grep "$NETD_STATE_DIR" /proc/self/mountinfo)"; ok=1; }
	leases=$(find "$NETD_IPAM_DIR" -type f ! -name lock ! -name 'last_reserved_ip*' 2>/dev/null)
	[ -z "$leases" ] || { fail "leases left: $leases"; ok=1; }
	[ "$(rt_tree "$RFS")" = "$RFS_SUM" ] || { fail "the rootfs was modified"; ok=1; }
	ip link del netd0 2>/dev/null
	nft delete table inet netd 2>/dev/null
	rm -rf "$RFS" "$NETD_STATE_DIR"
	return $ok
}

run() { "$N" run --rootfs "$RFS" "$@"; }

test_run_hostname_pid1_and_exit_code() {
	rt_setup || return 1
	# --init: the small init is PID 1 (without it the command is; see t_rundocker.sh).
	out=$(run --rm --net=none --init --hostname box1 -- sh -c 'hostname; cat /proc/1/comm; echo $$; exit 7')
	rc=$?
	[ "$rc" = 7 ] || fail "exit code $rc, want 7" || return 1
	[ "$out" = "box1
init
2" ] || fail "inside: $out" || return 1
	run --rm --net=none -- /nonexistent 2>/dev/null
	[ $? = 127 ] || fail "a missing command must give 127" || return 1
	run --rm --net=none --init -- sh -c 'kill -TERM $$'
	[ $? = 143 ] || fail "a signalled command must give 128+N" || return 1
	rt_clean
}

test_run_ps_sees_only_the_container() {
	rt_setup || return 1
	out=$(run --rm --net=none --init -- ps -o pid,comm)
	n=$(echo "$out" | tail -n +2 | wc -l)
	[ "$n" = 2 ] || fail "ps inside sees $n processes: $out" || return 1
	echo "$out" | grep -q '^ *1 init$' || fail "PID 1 is not init: $out" || return 1
	rt_clean
}

test_run_isolation_caps_nnp_fds_mounts() {
	rt_setup || return 1
	exec 7</etc/hostname
	out=$(run --rm --net=none -- sh -c 'grep -E "^(CapBnd|CapEff|NoNewPrivs)" /proc/self/status; ls /proc/self/fd | tr "\n" " "; echo; ls /dev | tr "\n" " "; echo; touch /sys/x 2>&1; grep -c . /proc/self/mountinfo')
	exec 7<&-
	echo "$out" | grep -q 'CapBnd:	00000000a80425fb' || fail "bounding set: $out" || return 1
	echo "$out" | grep -q 'NoNewPrivs:	1' || fail "no_new_privs: $out" || return 1
	# ls's own directory fd is 3; the caller's fd 7 must not be there.
	echo "$out" | grep -q '^0 1 2 3 $' || fail "fds: $out" || return 1
	for d in null zero full random urandom tty pts shm; do
		echo "$out" | grep -qw "$d" || fail "/dev/$d missing: $out" || return 1
	done
	echo "$out" | grep -q 'Read-only file system' || fail "/sys is writable: $out" || return 1
	rt_clean
}

test_run_memory_limit_oom() {
	rt_setup || return 1
	# tail keeps a "line" without newline in memory: it grows until the limit kills it.
	err=$(run --rm --net=none --memory 32m -- tail /dev/zero 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 137 ] || fail "exit $rc, want 137 (OOM kill): $err" || return 1
	echo "$err" | grep -q 'OOM' || fail "OOM not reported: $err" || return 1
	rt_clean
}

test_run_pids_limit_stops_fork_bomb() {
	rt_setup || return 1
	bomb='i=0; while [ $i -lt 40 ]; do sleep 30 & i=$((i+1)); done; echo spawned'
	err=$(timeout 60 "$N" run --rootfs "$RFS" --rm --net=none --pids-limit 12 -- sh -c "$bomb" 2>&1)
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "40 tasks ran under --pids-limit 12 (exit $rc)" || return 1
	echo "$err" | grep -q "fork" || fail "no fork failure: $err" || return 1
	# The same with room for it: the limit, not the shell, stopped it.
	out=$(timeout 60 "$N" run --rootfs "$RFS" --rm --net=none --pids-limit 100 -- sh -c "$bomb" 2>&1)
	[ "$out" = spawned ] || fail "with --pids-limit 100: $out" || return 1
	rt_clean
}

test_run_cpu_quota_written() {
	rt_setup || return 1
	id=$(run -d --net=none --cpus 0.5 --name q1 -- sleep 30) || fail "run -d" || return 1
	if [ -d /sys/fs/cgroup/cpu ]; then
		q=$(cat "/sys/fs/cgroup/cpu/$NETD_CGROUP_PARENT/$id/cpu.cfs_quota_us")
	else
		q=$(cut -d' ' -f1 "/sys/fs/cgroup/$NETD_CGROUP_PARENT/$id/cpu.max")
	fi
	[ "$q" = 50000 ] || fail "cpu quota $q, want 50000" || return 1
	"$N" rm -f q1 >/dev/null || fail "rm -f" || return 1
	rt_clean
}

test_run_writes_land_in_upper_layer() {
	rt_setup || return 1
	run --name w1 --net=none -- sh -c 'echo hi >/newfile; echo x >>/etc/passwd; rm /bin/vi' || fail "run" || return 1
	id=$("$N" ps -a --json | jq -r '.[0].id')
	up=$NETD_STATE_DIR/containers/$id/upper
	[ "$(cat "$up/newfile")" = hi ] || fail "newfile not in the upper layer" || return 1
	[ -c "$up/bin/vi" ] || fail "no whiteout for /bin/vi in the upper layer" || return 1
	[ ! -e "$RFS/newfile" ] && [ -e "$RFS/bin/vi" ] || fail "the rootfs changed" || return 1
	"$N" ps -a | grep -q 'Exited (0) .* w1$' || fail "ps -a: $("$N" ps -a)" || return 1
	"$N" rm w1 >/dev/null || fail "rm" || return 1
	[ ! -e "$up" ] || fail "rm left the upper layer" || return 1
	rt_clean
}

test_run_commit_and_stack_layer() {
	rt_setup || return 1
	run --name c1 --net=none -- sh -c 'mkdir -p /data/sub; echo v1 >/data/sub/f; rm /bin/vi; rm -r /root; mkdir /root; echo new >/root/x' || fail "run" || return 1
	d=$("$N" commit c1 "$WORK/commit") || fail "commit" || return 1
	echo "$d" | grep -Eq '^sha256:[0-9a-f]{64}$' || fail "diff_id: $d" || return 1
	[ "sha256:$(sha256sum "$WORK/commit/layer.tar" | cut -d' ' -f1)" = "$d" ] || fail "diff_id is not the tar's sha256" || return 1
	tar -tf "$WORK/commit/layer.tar" | grep -qx 'bin/.wh.vi' || fail "no whiteout in the tar: $(tar -tf "$WORK/commit/layer.tar")" || return 1
	tar -tf "$WORK/commit/layer.tar" | grep -qx 'root/.wh..wh..opq' || fail "no opaque marker: $(tar -tf "$WORK/commit/layer.tar")" || return 1
	"$N" rm c1 >/dev/null
	out=$(run --rm --net=none --layer "$WORK/commit/layer.tar" -- sh -c 'cat /data/sub/f; ls /bin/vi 2>&1; ls /root')
	[ "$out" = "v1
ls: /bin/vi: No such file or directory
x" ] || fail "stacked layer: $out" || return 1
	[ "$(ls "$NETD_STATE_DIR/layers" | wc -l)" = 1 ] || fail "layer store" || return 1
	rm -rf "$WORK/commit"
	rt_clean
}

# oci_blob FILE MEDIATYPE: store FILE as a blob of layout $L; prints its descriptor.
oci_blob() {
	h=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$L/blobs/sha256/$h"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$h" "$(stat -c %s "$1")"
}

# An OCI layout: layer 1 the busybox rootfs, layer 2 a file, a whiteout and an opaque dir.
rt_mkimage() {
	L=$WORK/image T=$WORK/imgsrc
	rm -rf "$L" "$T"
	mkdir -p "$L/blobs/sha256" "$T/l1" "$T/l2/etc/app" "$T/l2/opt"
	cp -a "$WORK/rootfs/." "$T/l1/"
	mkdir -p "$T/l1/etc/app" "$T/l1/opt"
	echo gone >"$T/l1/etc/removeme"
	echo old >"$T/l1/etc/app/old"
	echo hello >"$T/l2/etc/greeting"
	echo new >"$T/l2/etc/app/new"
	: >"$T/l2/etc/.wh.removeme"
	: >"$T/l2/etc/app/.wh..wh..opq"
	(cd "$T/l1" && tar --numeric-owner -cf "$T/l1.tar" .) && gzip -n -c "$T/l1.tar" >"$T/l1.tgz"
	(cd "$T/l2" && tar --numeric-owner -cf "$T/l2.tar" .) && gzip -n -c "$T/l2.tar" >"$T/l2.tgz"
	d1=$(oci_blob "$T/l1.tgz" application/vnd.oci.image.layer.v1.tar+gzip)
	d2=$(oci_blob "$T/l2.tgz" application/vnd.oci.image.layer.v1.tar+gzip)
	cat >"$T/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/bin","FOO=from-image","BAR=keep"],"Cmd":["sh","-c","echo \$FOO \$BAR; pwd; cat /etc/greeting; ls /etc/removeme 2>&1; ls /etc/app"],"WorkingDir":"/opt"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$(sha256sum "$T/l1.tar" | cut -d' ' -f1)","sha256:$(sha256sum "$T/l2.tar" | cut -d' ' -f1)"]}}
JSON
	dc=$(oci_blob "$T/config.json" application/vnd.oci.image.config.v1+json)
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s,%s]}' \
		"$dc" "$d1" "$d2" >"$T/manifest.json"
	dm=$(oci_blob "$T/manifest.json" application/vnd.oci.image.manifest.v1+json)
	dm=$(echo "$dm" | jq -c '. + {annotations:{"org.opencontainers.image.ref.name":"v1"}}')
	printf '{"schemaVersion":2,"manifests":[%s]}' "$dm" >"$L/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
}

test_run_oci_image_layers_whiteouts_env() {
	rt_setup || return 1
	rt_mkimage
	out=$("$N" run --rm --net=none -e FOO=from-cli --image "$L:v1") || fail "run --image: $out" || return 1
	[ "$out" = "from-cli keep
/opt
hello
ls: /etc/removeme: No such file or directory
new" ] || fail "image run: $out" || return 1
	# The same image again: both layers come from the store, unpacked once.
	"$N" run --rm --net=none --image "$L" -- true || fail "second run" || return 1
	[ "$(ls "$NETD_STATE_DIR/layers" | wc -l)" = 2 ] || fail "layer store: $(ls -a "$NETD_STATE_DIR/layers")" || return 1
	# A blob whose content does not match its digest is refused.
	rm -rf "$NETD_STATE_DIR/layers"
	for f in "$L"/blobs/sha256/*; do
		if [ "$(stat -c %s "$f")" = "$(stat -c %s "$T/l2.tgz")" ]; then printf 'x' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null; fi
	done
	err=$("$N" run --rm --net=none --image "$L:v1" 2>&1) && { fail "a corrupt layer was accepted"; return 1; }
	echo "$err" | grep -q digest || fail "no digest error: $err" || return 1
	# Layer 1 is sound and stays; nothing of layer 2, not even a temporary directory.
	[ "$(ls -A "$NETD_STATE_DIR/layers" | wc -l)" = 1 ] || fail "a corrupt layer was stored: $(ls -A "$NETD_STATE_DIR/layers")" || return 1
	rm -rf "$L" "$T"
	rt_clean
}

test_run_bridge_containers_ping() {
	rt_setup || return 1
	"$N" run -d --name a --rootfs "$RFS" -- sleep 60 >/dev/null || fail "run a" || return 1
	"$N" run -d --name b --rootfs "$RFS" -- sleep 60 >/dev/null || fail "run b" || return 1
	ipa=$("$N" ps --json | jq -r '.[]|select(.name=="a")|.ips[0]' | cut -d/ -f1)
	ipb=$("$N" ps --json | jq -r '.[]|select(.name=="b")|.ips[0]' | cut -d/ -f1)
	[ -n "$ipa" ] && [ -n "$ipb" ] && [ "$ipa" != "$ipb" ] || fail "addresses '$ipa' '$ipb'" || return 1
	[ -e "/run/netns/netd-$("$N" ps --json | jq -r '.[]|select(.name=="a")|.id' | cut -c1-12)" ] || fail "netns not under /var/run/netns" || return 1
	gw=$("$N" exec a ip route | awk '/default/{print $3}')
	"$N" exec a ping -c1 -W2 "$gw" >/dev/null || fail "a cannot ping the gateway $gw" || return 1
	"$N" exec a ping -c1 -W2 "$ipb" >/dev/null || fail "a cannot ping b" || return 1
	"$N" exec b ping -c1 -W2 "$ipa" >/dev/null || fail "b cannot ping a" || return 1
	[ "$("$N" exec b hostname)" = "$("$N" ps --json | jq -r '.[]|select(.name=="b")|.id' | cut -c1-12)" ] || fail "exec hostname" || return 1
	"$N" stop -t 1 a b >/dev/null || fail "stop" || return 1
	"$N" ps | grep -q sleep && { fail "still running after stop: $("$N" ps)"; return 1; }
	"$N" rm a b >/dev/null || fail "rm" || return 1
	rt_clean
}

test_run_requested_ip_and_named_network() {
	rt_setup || return 1
	out=$(run --rm --ip 172.17.0.42 -- ip -o -4 addr show eth0) || fail "run --ip: $out" || return 1
	echo "$out" | grep -q 'inet 172.17.0.42/' || fail "--ip: $out" || return 1
	"$N" network create --subnet 10.77.0.0/24 --bridge br-n2 n2 >/dev/null || fail "network create" || return 1
	out=$(run --rm --net=n2 -- ip -o -4 addr show eth0) || fail "run --net=n2: $out" || return 1
	echo "$out" | grep -q 'inet 10.77.0.2/24' || fail "--net=n2: $out" || return 1
	"$N" network rm n2 >/dev/null || fail "network rm (still attached?)" || return 1
	ip link del br-n2 2>/dev/null
	rt_clean
}

test_run_container_net_shares_address() {
	rt_setup || return 1
	"$N" run -d --name web --rootfs "$RFS" -- sleep 60 >/dev/null || fail "run web" || return 1
	ip=$("$N" ps --json | jq -r '.[0].ips[0]')
	out=$(run --rm --net=container:web -- ip -o -4 addr show eth0) || fail "container:web: $out" || return 1
	echo "$out" | grep -q "inet $ip" || fail "address not shared: $out vs $ip" || return 1
	err=$(run --rm --net=container:nosuch -- true 2>&1) && { fail "container:nosuch accepted"; return 1; }
	echo "$err" | grep -q "no such container" || fail "unclear error: $err" || return 1
	"$N" stop -t 0 web >/dev/null
	err=$(run --rm --net=container:web -- true 2>&1) && { fail "a stopped container's netns was joined"; return 1; }
	echo "$err" | grep -q "is not running" || fail "unclear error: $err" || return 1
	"$N" rm web >/dev/null || fail "rm web" || return 1
	rt_clean
}

test_run_net_none_only_lo_and_host() {
	rt_setup || return 1
	out=$(run --rm --net=none -- ip -o link) || fail "run" || return 1
	[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q '^1: lo: <LOOPBACK,UP' || fail "none: $out" || return 1
	ip link add hostv0 type veth peer name hostv1
	out=$(run --rm --net=host -- ip -o link)
	ip link del hostv0
	echo "$out" | grep -q hostv0 || fail "host netns not shared: $out" || return 1
	rt_clean
}

test_run_rm_leaves_nothing() {
	rt_setup || return 1
	id=$(run -d --name gone --memory 64m --pids-limit 50 -- sleep 60) || fail "run -d" || return 1
	[ "$(echo "$id" | wc -c)" = 65 ] || fail "run -d printed '$id'" || return 1
	"$N" ps | grep -q "^${id%"${id#????????????}"} .* Up .* gone$" || fail "ps: $("$N" ps)" || return 1
	err=$("$N" rm gone 2>&1) && { fail "rm of a running container succeeded"; return 1; }
	"$N" rm -f gone >/dev/null || fail "rm -f" || return 1
	"$N" ps -a | grep -q gone && { fail "still listed"; return 1; }
	: "$err"
	rt_clean
}

test_run_foreground_rm_releases_everything() {
	rt_setup || return 1
	run --rm -- true || fail "run --rm" || return 1
	run --rm --memory 64m --cpus 1 -- true || fail "run --rm with limits" || return 1
	rt_clean
}

test_run_userns_root_is_not_host_root() {
	rt_setup || return 1
	out=$(run --rm --net=none --userns -- sh -c 'id -u; cat /proc/self/uid_map; touch /ok && echo wrote') || fail "run --userns: $out" || return 1
	echo "$out" | grep -q '^0$' || fail "uid inside: $out" || return 1
	echo "$out" | grep -Eq '^ *0 +100000 +65536$' || fail "uid_map: $out" || return 1
	echo "$out" | grep -q wrote || fail "root cannot write its own root: $out" || return 1
	rt_clean
}

test_run_logs_and_name_reuse() {
	rt_setup || return 1
	run -d --name l1 --net=none -- sh -c 'echo out; echo err >&2' >/dev/null || fail "run -d" || return 1
	for _ in $(seq 100); do "$N" ps -a | grep -q 'Exited (0) .* l1$' && break; sleep 0.1; done
	out=$("$N" logs l1 2>&1)
	[ "$out" = "out
err" ] || fail "logs: $out" || return 1
	err=$(run --name l1 --net=none -- true 2>&1) && { fail "a taken name was reused"; return 1; }
	echo "$err" | grep -q 'in use' || fail "unclear error: $err" || return 1
	"$N" rm l1 >/dev/null && run --rm --name l1 --net=none -- true || fail "the name is free after rm" || return 1
	rt_clean
}

# The runtime's commands report errors through the CLI's one printer: with --json, an
# object on stdout with the runtime's own code (lib/base/err.h: 120 no such container, 121
# not running, 122 running, 123 command not found, 125 no such image); the exit status is
# the code's, but netd run keeps Docker's (125, or 127 for a command that is not there).
test_run_errors_are_json_with_runtime_codes() {
	rt_setup || return 1
	# Slurped: jq -e passes on empty input, and exactly one object must be there.
	jcode() { echo "$1" | jq -se --argjson c "$2" 'length == 1 and .[0].code == $c and (.[0].message | length > 0)' >/dev/null; }
	out=$("$N" --json run --rm --net=none --rootfs "$RFS" -- /nonexistent 2>/dev/null); rc=$?
	[ $rc = 127 ] && jcode "$out" 123 || fail "run, no such command: exit $rc: $out" || return 1
	out=$("$N" --json run --rm --net=none --image "$WORK/no-image" 2>/dev/null); rc=$?
	[ $rc = 125 ] && jcode "$out" 125 || fail "run --image, no such image: exit $rc: $out" || return 1
	for c in "rm nosuch" "stop nosuch" "logs nosuch" "exec nosuch true" "commit nosuch $WORK/c"; do
		# shellcheck disable=SC2086
		out=$("$N" --json $c 2>/dev/null); rc=$?
		[ $rc = 3 ] && jcode "$out" 120 || fail "$c: exit $rc: $out" || return 1
	done
	run -d --net=none --name j1 -- sleep 60 >/dev/null || fail "run -d" || return 1
	out=$("$N" --json rm j1 2>/dev/null); rc=$?
	[ $rc = 4 ] && jcode "$out" 122 || fail "rm of a running container: exit $rc: $out" || return 1
	"$N" stop -t 0 j1 >/dev/null || fail "stop" || return 1
	out=$("$N" --json exec j1 true 2>/dev/null); rc=$?
	[ $rc = 4 ] && jcode "$out" 121 || fail "exec in a stopped container: exit $rc: $out" || return 1
	"$N" rm j1 >/dev/null || fail "rm" || return 1
	rt_clean
}
