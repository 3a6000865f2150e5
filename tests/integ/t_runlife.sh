# netd run's lifecycle commands: kill [-s SIG], pause/unpause (cgroup freezer).
# Each test checks that nothing is left (rt_clean), the freezer cgroup included.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

rf_id() { "$N" ps -a --json | jq -r ".[] | select(.name == \"$1\") | .id"; }

rf_wait_exited() {
	for _ in $(seq 100); do "$N" ps -a | grep -q "$1 .*exited" && return 0; sleep 0.1; done
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
	"$N" ps -a | grep -q 'k1 .*exited (3)' || fail "k1's status: $("$N" ps -a)" || return 1
	[ "$("$N" logs k1 | tail -1)" = got-usr1 ] || fail "logs: $("$N" logs k1)" || return 1
	"$N" kill k1 2>/dev/null; [ $? = 4 ] || fail "kill of a stopped container: not 4" || return 1
	run -d --name k2 --net=none -- sleep 60 >/dev/null || fail "run -d k2" || return 1
	"$N" kill -s NOPE k2 2>/dev/null; [ $? = 2 ] || fail "kill -s NOPE was taken" || return 1
	"$N" kill k2 >/dev/null || fail "kill (KILL)" || return 1
	rf_wait_exited k2 || fail "KILL did not end k2" || return 1
	"$N" ps -a | grep -q 'k2 .*exited (137)' || fail "k2's status: $("$N" ps -a)" || return 1
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
