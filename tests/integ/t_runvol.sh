# netd run's filesystems: -v (bind and named volume), --mount, --tmpfs, --read-only,
# netd volume; and the boundary: a mount target is resolved inside the container's root.
# Each test checks that nothing is left (rt_clean) and removes the volumes it made.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

# No volume is left in the state dir.
rv_no_volumes() {
	left=$("$N" volume ls -q)
	[ -z "$left" ] || fail "volumes left: $left"
}

test_runvol_bind_rw_and_ro() {
	rt_setup || return 1
	H=$WORK/bind.$$; rm -rf "$H"; mkdir -p "$H"; echo host >"$H/f"; echo one >"$WORK/onefile.$$"
	out=$(run --rm --net=none -v "$H:/data" -- sh -c 'cat /data/f; echo ctr >/data/g')
	[ "$out" = host ] || fail "rw bind: $out" || return 1
	[ "$(cat "$H/g")" = ctr ] || fail "a write through a rw bind did not reach the host" || return 1
	out=$(run --rm --net=none -v "$H:/data:ro" -v "$WORK/onefile.$$:/etc/one:ro" -- \
		sh -c 'cat /data/f /etc/one; { echo x >/data/h; } 2>&1; { echo y >/etc/one; } 2>&1; grep " /data " /proc/self/mounts')
	echo "$out" | grep -q '^host$' && echo "$out" | grep -q '^one$' || fail "ro binds: $out" || return 1
	[ "$(echo "$out" | grep -c 'Read-only file system')" = 2 ] || fail "a ro bind took a write: $out" || return 1
	echo "$out" | grep -q ' /data [^ ]* ro,' || fail "/data not mounted ro: $out" || return 1
	[ ! -e "$H/h" ] || fail "the write reached the host" || return 1
	rm -rf "$H" "$WORK/onefile.$$"
	rv_no_volumes && rt_clean
}

test_runvol_bind_missing_source_is_clear_error() {
	rt_setup || return 1
	err=$(run --rm --net=none -v /nonexistent/dir:/data -- true 2>&1)
	rc=$?
	[ "$rc" = 125 ] || fail "exit $rc, want 125: $err" || return 1
	echo "$err" | grep -q "bind source path does not exist: '/nonexistent/dir'" || fail "message: $err" || return 1
	err=$(run --net=none --mount type=bind,source=/nonexistent,target=/x -- true 2>&1)
	echo "$err" | grep -q "bind source path does not exist" || fail "--mount message: $err" || return 1
	for bad in "./relative:/x" "/tmp:x" "/tmp:/" "/tmp:/proc/x" "/tmp:/x:rz" "-bad:/x" "/tmp:/a/../b"; do
		err=$(run --rm --net=none -v "$bad" -- true 2>&1) && { fail "-v '$bad' was taken"; return 1; }
		echo "$err" | grep -q -- "'" || fail "-v '$bad': no clear message: $err" || return 1
	done
	for bad in "type=nfs,target=/x" "type=bind,target=/x" "type=tmpfs,source=a,target=/x" "type=volume,source=v1" \
		"type=volume,source=v1,target=/x,color=red" "type=bind,source=/tmp,target=/x,tmpfs-size=1m"; do
		err=$(run --rm --net=none --mount "$bad" -- true 2>&1) && { fail "--mount '$bad' was taken"; return 1; }
		echo "$err" | grep -q "mount '" || fail "--mount '$bad': $err" || return 1
	done
	err=$(run --rm --net=none --tmpfs /x:size=big -- true 2>&1) && { fail "--tmpfs size=big was taken"; return 1; }
	err=$(run --rm --net=none -v "$WORK:/x" --tmpfs /x -- true 2>&1) && { fail "two mounts on /x were taken"; return 1; }
	echo "$err" | grep -q "duplicate mount point: '/x'" || fail "duplicate: $err" || return 1
	rv_no_volumes && rt_clean
}

test_runvol_named_volume_keeps_data_and_is_seeded_from_image() {
	rt_setup || return 1
	mkdir -p "$RFS/seed/sub" && echo from-image >"$RFS/seed/sub/orig" && chmod 0750 "$RFS/seed"
	RFS_SUM=$(rt_tree "$RFS")
	out=$(run --rm --net=none -v vol1:/seed -- sh -c 'cat /seed/sub/orig; stat -c %a /seed; echo kept >/seed/new; rm /seed/sub/orig')
	[ "$out" = "from-image
750" ] || fail "seeded volume: $out" || return 1
	"$N" volume ls | grep -q 'local *vol1' || fail "volume ls: $("$N" volume ls)" || return 1
	# The second container finds the data; an emptied file is not seeded again (only an empty volume is).
	out=$(run --rm --net=none --mount type=volume,source=vol1,target=/other -- sh -c 'cat /other/new; ls /other/sub')
	[ "$out" = kept ] || fail "second container: $out" || return 1
	mp=$("$N" volume inspect vol1 | jq -r '.[0].Mountpoint')
	[ "$(cat "$mp/new")" = kept ] || fail "inspect Mountpoint: $mp" || return 1
	# A volume a container's record names (even stopped) is not removed, nor pruned.
	run --name user1 --net=none -v vol1:/seed -- true || fail "run user1" || return 1
	err=$("$N" volume rm vol1 2>&1)
	[ $? = 4 ] || fail "volume rm of a volume in use: $err" || return 1
	echo "$err" | grep -q "volume 'vol1' is in use by container" || fail "message: $err" || return 1
	"$N" volume prune -f | grep -q vol1 && { fail "prune removed a volume in use"; return 1; }
	"$N" volume inspect vol1 | jq -e '.[0].UsedBy | length == 1' >/dev/null || fail "UsedBy" || return 1
	"$N" rm user1 >/dev/null || fail "rm user1" || return 1
	"$N" volume rm vol1 >/dev/null || fail "volume rm" || return 1
	[ ! -e "$mp" ] || fail "volume rm left $mp" || return 1
	rv_no_volumes && rt_clean
}

test_runvol_volume_commands() {
	rt_setup || return 1
	[ "$("$N" volume create data-1)" = data-1 ] || fail "create" || return 1
	"$N" volume create data-1 >/dev/null || fail "create of an existing volume must succeed" || return 1
	"$N" volume create x 2>/dev/null; [ $? = 2 ] || fail "a one-letter name was taken" || return 1
	"$N" volume create '../evil' 2>/dev/null; [ $? = 2 ] || fail "'../evil' was taken" || return 1
	"$N" volume create data-2 >/dev/null
	[ "$("$N" volume ls -q | tr '\n' ' ')" = "data-1 data-2 " ] || fail "ls -q: $("$N" volume ls -q)" || return 1
	[ "$("$N" --json volume ls | jq -c .)" = '["data-1","data-2"]' ] || fail "ls --json" || return 1
	"$N" volume inspect data-1 | jq -e '.[0] | .Name == "data-1" and .Driver == "local" and (.CreatedAt | length > 0)' \
		>/dev/null || fail "inspect: $("$N" volume inspect data-1)" || return 1
	"$N" volume inspect nope >/dev/null 2>&1; [ $? = 3 ] || fail "inspect of a missing volume: not 3" || return 1
	"$N" volume rm nope 2>/dev/null; [ $? = 3 ] || fail "rm of a missing volume: not 3" || return 1
	"$N" volume rm data-1 >/dev/null || fail "rm" || return 1
	[ "$("$N" volume prune -f | tail -n +2)" = data-2 ] || fail "prune" || return 1
	rv_no_volumes && rt_clean
}

test_runvol_read_only_root_keeps_volumes_and_tmpfs_writable() {
	rt_setup || return 1
	out=$(run --rm --net=none --read-only -v rov:/data --tmpfs /scratch:size=1m,mode=700 -- \
		sh -c 'touch /x 2>&1; touch /tmp/x 2>&1; echo a >/data/a && echo b >/scratch/b && echo c >/dev/shm/c && echo writable;
		       stat -c %a /scratch; grep " /scratch " /proc/self/mounts')
	[ "$(echo "$out" | grep -c 'Read-only file system')" = 2 ] || fail "--read-only root took a write: $out" || return 1
	echo "$out" | grep -q '^writable$' || fail "volume, tmpfs or /dev/shm not writable: $out" || return 1
	echo "$out" | grep -q '^700$' || fail "tmpfs mode: $out" || return 1
	echo "$out" | grep -q 'size=1024k.*' || fail "tmpfs size: $out" || return 1
	echo "$out" | grep ' /scratch ' | grep -q 'noexec' || fail "--tmpfs must default to noexec: $out" || return 1
	out=$(run --rm --net=none --mount type=tmpfs,target=/t,tmpfs-size=2m,tmpfs-mode=1770 -- sh -c 'stat -c %a /t; grep " /t " /proc/self/mounts')
	echo "$out" | grep -q '^1770$' && echo "$out" | grep -q 'size=2048k' || fail "--mount tmpfs: $out" || return 1
	# Without --read-only the root takes writes as before.
	run --rm --net=none -- touch /x || fail "a plain root refused a write" || return 1
	"$N" volume rm rov >/dev/null || fail "volume rm" || return 1
	rv_no_volumes && rt_clean
}

# The security boundary: an image's symlinks (absolute, or "..") must not lead a mount,
# or a directory the runtime creates for one, out of the container's root.
test_runvol_symlink_in_image_cannot_escape_root() {
	rt_setup || return 1
	OUT=$WORK/outside.$$; rm -rf "$OUT"; mkdir -p "$OUT"
	E1=/tmp/netd-escape-abs-$$ E2=/tmp/netd-escape-rel-$$
	rm -rf "$E1" "$E2"
	ln -s /tmp "$RFS/abs"
	ln -s ../../../../../../../../../tmp "$RFS/rel"
	ln -s "$OUT/made" "$RFS/dangling"
	RFS_SUM=$(rt_tree "$RFS")
	H=$WORK/src.$$; rm -rf "$H"; mkdir -p "$H"; echo secret >"$H/s"
	# Both links are followed inside the root: the mounts land on the container's /tmp.
	out=$(run --rm --net=none -v "$H:/abs/${E1#/tmp/}" -v esc:/rel/${E2#/tmp/} -- sh -c "cat $E1/s; echo in >$E2/f; cat $E2/f" 2>&1)
	[ "$out" = "secret
in" ] || fail "mounts through links inside the root: $out" || return 1
	[ ! -e "$E1" ] && [ ! -e "$E2" ] || fail "a mount target was created on the host: $(ls -d "$E1" "$E2" 2>&1)" || return 1
	# A link to a place missing in the root is refused, and nothing is made outside.
	err=$(run --rm --net=none --tmpfs /dangling -- true 2>&1)
	[ $? = 125 ] || fail "a mount on a dangling link was taken: $err" || return 1
	echo "$err" | grep -q "'/dangling'" || fail "message: $err" || return 1
	err=$(run --rm --net=none -v esc:/dangling/sub -- true 2>&1) && { fail "a mount under a dangling link was taken"; return 1; }
	[ -z "$(ls -A "$OUT")" ] || fail "a directory was created outside the root: $(ls -A "$OUT")" || return 1
	grep -q "$OUT\|$E1\|$E2" /proc/self/mountinfo && { fail "a mount landed on the host"; return 1; }
	"$N" volume rm esc >/dev/null || fail "volume rm" || return 1
	rm -rf "$OUT" "$H" "$E1" "$E2"
	rv_no_volumes && rt_clean
}
