# netd run's lifecycle commands: kill [-s SIG], pause/unpause (cgroup freezer).
# Each test checks that nothing is left (rt_clean), the freezer cgroup included.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

rf_id() { "$N" ps -a --json | jq -r ".[] | select(.name == \"$1\") | .id"; }

# Docker's STATUS text of a container ("Up 3 seconds", "Exited (0) 2 seconds ago").
rf_status() { "$N" ps -a --json | jq -r ".[] | select(.name == \"$1\") | .statusText"; }
rf_wait_exited() {
	for _ in $(seq 100); do rf_status "$1" | grep -q "^Exited" && return 0; sleep 0.1; done
	return 1
}

rf_no_freezer() {
	for d in /sys/fs/cgroup/freezer/"$NETD_CGROUP_PARENT" /sys/fs/cgroup/"$NETD_CGROUP_PARENT"/*/cgroup.freeze; do
		[ -e "$d" ] && { fail "freezer cgroup left: $d"; return 1; }
	done
	return 0
}

test_runlife_kill_sends_the_signal() {
	rt_setup || return 1
	run -d --name k1 --net=none -- sh -c 'trap "echo got-usr1; exit 3" USR1; echo ready; while true; do sleep 0.05; done' >/dev/null ||
		fail "run -d" || return 1
	for _ in $(seq 100); do [ "$("$N" logs k1)" = ready ] && break; sleep 0.05; done
	[ "$("$N" kill -s USR1 k1)" = k1 ] || fail "kill -s USR1" || return 1
	rf_wait_exited k1 || fail "USR1 did not end k1: $("$N" ps -a)" || return 1
	rf_status k1 | grep -q '^Exited (3)' || fail "k1's status: $("$N" ps -a)" || return 1
	[ "$("$N" logs k1 | tail -1)" = got-usr1 ] || fail "logs: $("$N" logs k1)" || return 1
	"$N" kill k1 2>/dev/null; [ $? = 4 ] || fail "kill of a stopped container: not 4" || return 1
	run -d --name k2 --net=none -- sleep 60 >/dev/null || fail "run -d k2" || return 1
	"$N" kill -s NOPE k2 2>/dev/null; [ $? = 2 ] || fail "kill -s NOPE was taken" || return 1
	"$N" kill k2 >/dev/null || fail "kill (KILL)" || return 1
	rf_wait_exited k2 || fail "KILL did not end k2" || return 1
	rf_status k2 | grep -q '^Exited (137)' || fail "k2's status: $("$N" ps -a)" || return 1
	"$N" kill nosuch 2>/dev/null; [ $? = 3 ] || fail "kill of a missing container: not 3" || return 1
	"$N" rm k1 k2 >/dev/null
	rt_clean
}

test_runlife_pause_freezes_and_unpause_thaws() {
	rt_setup || return 1
	run -d --name p1 --net=none -- sh -c 'i=0; while true; do i=$((i+1)); echo $i >>/tmp/c; sleep 0.02; done' >/dev/null ||
		fail "run -d" || return 1
	c=$NETD_STATE_DIR/containers/$(rf_id p1)/upper/tmp/c
	for _ in $(seq 100); do [ -s "$c" ] && break; sleep 0.05; done
	[ "$("$N" pause p1)" = p1 ] || fail "pause" || return 1
	a=$(wc -l <"$c"); sleep 0.5; b=$(wc -l <"$c")
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "the container ran while paused: $a -> $b" || return 1
	"$N" pause p1 2>/dev/null; [ $? = 4 ] || fail "pause of a paused container: not 4" || return 1
	[ "$("$N" unpause p1)" = p1 ] || fail "unpause" || return 1
	for _ in $(seq 50); do [ "$(wc -l <"$c")" != "$b" ] && break; sleep 0.05; done
	[ "$(wc -l <"$c")" != "$b" ] || fail "the container did not run again after unpause" || return 1
	"$N" unpause p1 2>/dev/null; [ $? = 4 ] || fail "unpause of a running container: not 4" || return 1
	# A paused container still stops (it is thawed for the signal) and leaves nothing.
	"$N" pause p1 >/dev/null || fail "pause again" || return 1
	timeout 20 "$N" stop -t 1 p1 >/dev/null || fail "stop of a paused container" || return 1
	"$N" pause p1 2>/dev/null; [ $? = 4 ] || fail "pause of a stopped container: not 4" || return 1
	"$N" rm p1 >/dev/null || fail "rm" || return 1
	rf_no_freezer && rt_clean
}

rf_monitored() { "$N" ps | grep -q " $1\$"; }

test_runlife_start_keeps_files_name_and_network() {
	rt_setup || return 1
	cmd='echo run >>/f; wc -l </f; ip -o -4 addr show eth0 | wc -l'
	out=$(run --name s1 -- sh -c "$cmd") || fail "run" || return 1
	[ "$out" = "1
1" ] || fail "first run: $out" || return 1
	# Attached: the same container, its writable layer, a new address on its network.
	out=$("$N" start -a s1) || fail "start -a" || return 1
	[ "$out" = "2
1" ] || fail "start -a: $out" || return 1
	[ "$("$N" start s1)" = s1 ] || fail "start" || return 1
	rf_wait_exited s1 || fail "s1 did not end" || return 1
	[ "$("$N" logs s1 | tr '\n' ' ')" = "1 1 2 1 3 1 " ] || fail "logs over three runs: $("$N" logs s1)" || return 1
	rf_status s1 | grep -q '^Exited (0)' || fail "ps: $("$N" ps -a)" || return 1
	"$N" start nosuch 2>/dev/null; [ $? = 3 ] || fail "start of a missing container: not 3" || return 1
	run -d --name s2 --net=none -- sleep 60 >/dev/null || fail "run -d s2" || return 1
	"$N" start s2 2>/dev/null; [ $? = 4 ] || fail "start of a running container: not 4" || return 1
	pid1=$("$N" ps --json | jq '.[] | select(.name == "s2") | .pid')
	[ "$("$N" restart -t 1 s2)" = s2 ] || fail "restart" || return 1
	pid2=$("$N" ps --json | jq '.[] | select(.name == "s2") | .pid')
	[ -n "$pid2" ] && [ "$pid2" != 0 ] && [ "$pid1" != "$pid2" ] || fail "restart: pid $pid1 -> $pid2" || return 1
	"$N" rm -f s1 s2 >/dev/null || fail "rm" || return 1
	rt_clean
}

test_runlife_restart_policy_on_failure_and_stop() {
	rt_setup || return 1
	run -d --name rf --net=none --restart on-failure:3 -- sh -c 'echo run; exit 1' >/dev/null || fail "run -d" || return 1
	for _ in $(seq 100); do [ "$("$N" logs rf | wc -l)" = 4 ] && ! rf_monitored rf && break; sleep 0.1; done
	sleep 1
	[ "$("$N" logs rf | wc -l)" = 4 ] || fail "on-failure:3 ran $("$N" logs rf | wc -l) times, want 4" || return 1
	jq -e '.restartCount == 3 and .restartPolicy == "on-failure:3"' "$NETD_STATE_DIR/containers/$(rf_id rf)/config.json" >/dev/null ||
		fail "record: $(jq -c '{restartCount, restartPolicy}' "$NETD_STATE_DIR/containers/$(rf_id rf)/config.json")" || return 1
	rf_status rf | grep -q '^Exited (1)' || fail "ps: $("$N" ps -a)" || return 1
	# on-failure does not restart a success; always does, until netd stop.
	run -d --name ok --net=none --restart on-failure -- true >/dev/null || fail "run ok" || return 1
	run -d --name al --net=none --restart always -- sh -c 'echo run; sleep 0.1' >/dev/null || fail "run al" || return 1
	for _ in $(seq 100); do [ "$("$N" logs al | wc -l)" -ge 3 ] && break; sleep 0.1; done
	[ "$("$N" logs al | wc -l)" -ge 3 ] || fail "always did not restart: $("$N" logs al | wc -l)" || return 1
	timeout 30 "$N" stop -t 1 al >/dev/null || fail "stop al" || return 1
	n=$("$N" logs al | wc -l); sleep 1
	[ "$("$N" logs al | wc -l)" = "$n" ] || fail "always restarted after netd stop" || return 1
	[ "$("$N" logs ok | wc -l)" = 0 ] && rf_status ok | grep -q '^Exited (0)' || fail "on-failure restarted a success" || return 1
	run --rm --net=none --restart always -- true 2>/dev/null; [ $? = 125 ] || fail "--restart with --rm was taken" || return 1
	run --net=none --restart sometimes -- true 2>/dev/null; [ $? = 125 ] || fail "--restart sometimes was taken" || return 1
	"$N" rm -f rf ok al >/dev/null || fail "rm" || return 1
	rt_clean
}
