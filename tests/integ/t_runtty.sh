# netd run -t / -it: a pty of the container's own devpts (tty prints /dev/pts/0), its size
# following the caller's terminal (at start and on SIGWINCH), the caller's terminal put
# back from raw mode whatever way netd ends. The caller's terminal is a pty made by
# python3's pty module, with a known size.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

# rt_pty ROWS COLS SCRIPT...: run the command on a new pty of that size; python3 drives it:
# after the first line holding "size", the pty is resized to 40x100 and "go" is typed.
rt_pty() {
	python3 - "$@" <<'PY'
import os, pty, fcntl, termios, struct, sys, time, select
rows, cols = int(sys.argv[1]), int(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(sys.argv[3], sys.argv[3:])
out, resized, deadline = b'', False, time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if not r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
    if not resized and b'size ' in out and b'\n' in out.split(b'size ', 1)[1]:
        resized = True
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 100, 0, 0))
        time.sleep(0.3)
        os.write(fd, b'go\r')
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace').replace('\r', ''))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

test_runtty_it_gets_pts0_size_follows_raw_mode_restored() {
	rt_setup || return 1
	cmd='tty; echo "size $(stty size)"; read x; echo "size2 $(stty size)"; echo "got $x"; exit 3'
	out=$(rt_pty 33 77 sh -c "stty -g; \"$N\" run -it --rm --net=none --rootfs \"$RFS\" -- sh -c '$cmd'; echo rc=\$?; stty -g")
	echo "$out" | grep -qx '/dev/pts/0' || fail "tty inside: $out" || return 1
	echo "$out" | grep -qx 'size 33 77' || fail "stty size at start: $out" || return 1
	echo "$out" | grep -qx 'size2 40 100' || fail "size after SIGWINCH: $out" || return 1
	echo "$out" | grep -qx 'got go' || fail "stdin through -i: $out" || return 1
	echo "$out" | grep -qx 'rc=3' || fail "exit status: $out" || return 1
	before=$(echo "$out" | head -1); after=$(echo "$out" | tail -1)
	[ -n "$before" ] && [ "$before" = "$after" ] || fail "terminal not restored: $before -> $after" || return 1
	# A command that cannot run: the terminal is left as it was too.
	out=$(rt_pty 33 77 sh -c "stty -g; \"$N\" run -it --rm --net=none --rootfs \"$RFS\" -- /nonexistent 2>/dev/null; echo rc=\$?; stty -g")
	echo "$out" | grep -qx 'rc=127' || fail "missing command: $out" || return 1
	[ "$(echo "$out" | head -1)" = "$(echo "$out" | tail -1)" ] || fail "terminal not restored after a failure" || return 1
	rt_clean
}

test_runtty_t_without_terminal_is_logged() {
	rt_setup || return 1
	out=$(run -t --name t1 --net=none -- sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-tty' </dev/null | tr -d '\r')
	[ "$out" = "/dev/pts/0
all-tty" ] || fail "-t: $out" || return 1
	[ "$("$N" logs t1 | tr -d '\r')" = "/dev/pts/0
all-tty" ] || fail "logs of a -t container: $("$N" logs t1)" || return 1
	out=$(run --rm --net=none -- sh -c '[ -t 1 ] || echo no-tty')
	[ "$out" = no-tty ] || fail "without -t the output is a pipe: $out" || return 1
	"$N" rm t1 >/dev/null
	rt_clean
}

test_runtty_exec_it_gets_a_pty() {
	rt_setup || return 1
	run -d --name e1 --net=none -- sleep 60 >/dev/null || fail "run -d" || return 1
	out=$("$N" exec -t e1 sh -c 'tty; [ -t 0 ] && echo in-tty' </dev/null | tr -d '\r')
	[ "$out" = "/dev/pts/0
in-tty" ] || fail "exec -t: $out" || return 1
	cmd='echo "size $(stty size)"; read x; echo "size2 $(stty size)"; echo "got $x"; exit 5'
	out=$(rt_pty 21 61 sh -c "stty -g; \"$N\" exec -it e1 sh -c '$cmd'; echo rc=\$?; stty -g")
	echo "$out" | grep -qx 'size 21 61' || fail "exec -it size: $out" || return 1
	echo "$out" | grep -qx 'size2 40 100' || fail "exec -it size after SIGWINCH: $out" || return 1
	echo "$out" | grep -qx 'got go' || fail "exec -it stdin: $out" || return 1
	echo "$out" | grep -qx 'rc=5' || fail "exec -it status: $out" || return 1
	[ "$(echo "$out" | head -1)" = "$(echo "$out" | tail -1)" ] || fail "terminal not restored after exec -it" || return 1
	[ "$("$N" exec e1 sh -c '[ -t 1 ] || echo no-tty' | cat)" = no-tty ] || fail "exec without -t got a tty" || return 1
	"$N" rm -f e1 >/dev/null
	rt_clean
}

# rt_pty_type ROWS COLS DELAY TEXT CMD...: CMD on a new pty of that size; TEXT (Python
# escapes) is typed once the terminal is in raw mode (netd attach set it), or after DELAY seconds.
rt_pty_type() {
	python3 - "$@" <<'PY'
import os, pty, fcntl, termios, struct, sys, time, select
rows, cols, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
text = sys.argv[4].encode().decode('unicode_escape').encode()
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    os.execvp(sys.argv[5], sys.argv[5:])
out, typed, start = b'', False, time.time()
while time.time() < start + 60:
    try:  # the slave's modes (the master's own are not the ones netd sets)
        sfd = os.open(os.readlink('/proc/%d/fd/0' % pid), os.O_RDONLY | os.O_NOCTTY)
        raw = not (termios.tcgetattr(sfd)[3] & termios.ECHO)
        os.close(sfd)
    except OSError:
        raw = False
    if not typed and (raw or time.time() > start + delay):
        typed = True
        os.write(fd, text)
    r, _, _ = select.select([fd], [], [], 0.1)
    if not r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace').replace('\r', ''))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

test_runtty_attach_and_detach_keys() {
	rt_setup || return 1
	run -dit --name a1 --net=none -- sh -c 'read x; echo "got $x $(stty size)"; exit 4' >/dev/null || fail "run -dit" || return 1
	out=$(rt_pty_type 25 90 10 'go\r' sh -c "stty -g; \"$N\" attach a1; echo rc=\$?; stty -g")
	echo "$out" | grep -qx 'got go 25 90' || fail "attach: $out" || return 1
	echo "$out" | grep -qx 'rc=4' || fail "attach's status: $out" || return 1
	[ "$(echo "$out" | head -1)" = "$(echo "$out" | tail -1)" ] || fail "terminal not restored after attach" || return 1
	# Ctrl-P Ctrl-Q: the client goes, the container stays.
	run -dit --name a2 --net=none -- sh -c 'read x; echo "got $x"' >/dev/null || fail "run -dit a2" || return 1
	out=$(rt_pty_type 25 90 10 '\x10\x11' sh -c "stty -g; timeout --foreground 20 \"$N\" attach a2; echo rc=\$?; stty -g")
	echo "$out" | grep -qx 'rc=0' || fail "detach: $out" || return 1
	[ "$(echo "$out" | head -1)" = "$(echo "$out" | tail -1)" ] || fail "terminal not restored after detach" || return 1
	"$N" ps | grep -q ' a2$' || fail "a2 did not survive the detach" || return 1
	# Ctrl-P alone goes through.
	out=$(rt_pty_type 25 90 10 '\x10x\r' timeout --foreground 20 "$N" attach a2)
	echo "$out" | grep -q 'got .x' || fail "Ctrl-P then x: $out" || return 1
	run -d --name a3 --net=none -- sleep 30 >/dev/null
	err=$("$N" attach a3 </dev/null 2>&1) && { fail "attach to a container without -t was taken"; return 1; }
	echo "$err" | grep -q 'cannot attach' || fail "attach without -t: $err" || return 1
	"$N" rm -f a1 a2 a3 >/dev/null
	rt_clean
}
