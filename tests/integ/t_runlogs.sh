# netd run's logs: every container's output (foreground too) in Docker's json-file format,
# netd logs [-f] [--tail N] [-t] [--since T], and --log-opt max-size=,max-file= rotation.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

rl_dir() { echo "$NETD_STATE_DIR/containers/$("$N" ps -a --json | jq -r ".[] | select(.name == \"$1\") | .id")"; }

test_runlogs_foreground_output_is_logged_as_json_file() {
	rt_setup || return 1
	printf 'q"\\ t\tx\n' >"$RFS/esc"
	RFS_SUM=$(rt_tree "$RFS")
	run --name f1 --net=none -- sh -c 'echo out; echo err >&2; cat /esc; printf partial' >"$WORK/o.$$" 2>"$WORK/e.$$"
	[ $? = 0 ] || fail "run" || return 1
	# The caller still gets the output, each stream on its own.
	{ echo out; cat "$RFS/esc"; printf partial; } >"$WORK/want.$$"
	cmp -s "$WORK/o.$$" "$WORK/want.$$" || fail "stdout: $(od -c "$WORK/o.$$")" || return 1
	[ "$(cat "$WORK/e.$$")" = err ] || fail "stderr: $(cat "$WORK/e.$$")" || return 1
	log=$(rl_dir f1)/log
	[ "$(wc -l <"$log")" = 4 ] || fail "entries: $(cat "$log")" || return 1
	# Each stream's entries in order (the two pipes are read as they come, so not interleaved in a fixed way).
	jq -e -s '[.[] | select(.stream == "stdout") | .log] == ["out\n", "q\"\\ t\tx\n", "partial"] and
		[.[] | select(.stream == "stderr") | .log] == ["err\n"] and
		all(.[]; (keys == ["log", "stream", "time"]) and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$")))' \
		"$log" >/dev/null || fail "json-file entries: $(cat "$log")" || return 1
	# netd logs: stdout entries to stdout, stderr ones to stderr, as written.
	"$N" logs f1 >"$WORK/o2.$$" 2>"$WORK/e2.$$" || fail "logs" || return 1
	cmp -s "$WORK/o.$$" "$WORK/o2.$$" && cmp -s "$WORK/e.$$" "$WORK/e2.$$" || fail "logs differ: $(cat "$WORK/o2.$$")" || return 1
	[ "$("$N" logs --tail 1 f1)" = partial ] || fail "--tail 1: $("$N" logs --tail 1 f1)" || return 1
	[ -z "$("$N" logs --tail 0 f1 2>&1)" ] || fail "--tail 0" || return 1
	"$N" logs -t f1 2>/dev/null | head -1 | grep -Eq '^[0-9]{4}-[0-9-]{5}T[0-9:]{8}\.[0-9]{9}Z out$' ||
		fail "-t: $("$N" logs -t f1)" || return 1
	[ -z "$("$N" logs --since 2999-01-01T00:00:00Z f1 2>&1)" ] || fail "--since in the future" || return 1
	[ "$("$N" logs --since 1h f1 2>/dev/null | head -1)" = out ] || fail "--since 1h" || return 1
	"$N" logs --tail x f1 2>/dev/null; [ $? = 2 ] || fail "--tail x was taken" || return 1
	"$N" logs nosuch 2>/dev/null; [ $? = 3 ] || fail "logs of a missing container: not 3" || return 1
	"$N" rm f1 >/dev/null || fail "rm" || return 1
	rm -f "$WORK"/[oe]*."$$" "$WORK/want.$$"
	rt_clean
}

test_runlogs_follow_until_the_container_ends() {
	rt_setup || return 1
	run -d --name fo --net=none -- sh -c 'echo a; while [ ! -e /go ]; do sleep 0.05; done; echo b' >/dev/null || fail "run -d" || return 1
	"$N" logs -f fo >"$WORK/f.$$" 2>&1 &
	lp=$!
	for _ in $(seq 100); do [ "$(cat "$WORK/f.$$")" = a ] && break; sleep 0.05; done
	[ "$(cat "$WORK/f.$$")" = a ] || fail "-f did not show the first line: $(cat "$WORK/f.$$")" || return 1
	kill -0 $lp 2>/dev/null || fail "logs -f ended while the container runs" || return 1
	"$N" exec fo -- touch /go || fail "exec" || return 1
	for _ in $(seq 100); do kill -0 $lp 2>/dev/null || break; sleep 0.1; done
	kill -0 $lp 2>/dev/null && { kill $lp; fail "logs -f did not end with the container"; return 1; }
	wait $lp
	[ "$(cat "$WORK/f.$$")" = "a
b" ] || fail "followed: $(cat "$WORK/f.$$")" || return 1
	"$N" rm fo >/dev/null
	rm -f "$WORK/f.$$"
	rt_clean
}

test_runlogs_rotation_bounds_the_log() {
	rt_setup || return 1
	run --name r1 --net=none --log-opt max-size=2k --log-opt max-file=3 -- \
		sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done' >/dev/null || fail "run" || return 1
	d=$(rl_dir r1)
	[ -f "$d/log" ] && [ -f "$d/log.1" ] && [ -f "$d/log.2" ] && [ ! -e "$d/log.3" ] || fail "files: $(ls "$d")" || return 1
	for f in "$d"/log*; do
		[ "$(stat -c %s "$f")" -le 2048 ] || fail "$f is over max-size: $(stat -c %s "$f")" || return 1
	done
	out=$("$N" logs r1)
	[ "$(echo "$out" | tail -1)" = "line 299" ] || fail "last line: $(echo "$out" | tail -1)" || return 1
	n=$(echo "$out" | wc -l)
	[ "$n" -lt 300 ] && [ "$n" -gt 50 ] || fail "$n lines kept" || return 1
	# What is kept is in order and without gaps.
	first=$(echo "$out" | head -1 | cut -d' ' -f2)
	[ "$(seq "$first" 299 | sed 's/^/line /')" = "$out" ] || fail "rotated logs out of order" || return 1
	run --rm --net=none --log-opt max-size=0 -- true 2>/dev/null; [ $? = 125 ] || fail "max-size=0 was taken" || return 1
	err=$(run --rm --net=none --log-opt colour=red -- true 2>&1)
	echo "$err" | grep -q "log-opt 'colour=red' is not supported" || fail "unknown --log-opt: $err" || return 1
	"$N" rm r1 >/dev/null
	rt_clean
}
