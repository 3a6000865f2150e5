#!/bin/sh
# Product-code hygiene the test suite enforces (issue 3):
#  1. no system(), popen(), or exec of a shell in lib/, plugins/, netd/;
#  2. every call that creates a file descriptor asks for close-on-exec (O_CLOEXEC,
#     SOCK_CLOEXEC, "e" in an fopen mode, F_DUPFD_CLOEXEC, ...), unless tests/check_product.allow
#     lists it with a reason;
#  3. (as root) at run time: the plugins' ADD, CHECK and DEL under strace create no fd
#     without close-on-exec, except ones made close-on-exec by the very next fcntl.
# Usage: tests/check_product.sh [BIN_DIR]   (the runtime check is skipped without BIN_DIR)
set -u
cd "$(dirname "$0")/.."
allow=tests/check_product.allow
src=${CHECK_SRC:-$(ls lib/*/*.c plugins/*/*.c netd/*.c 2>/dev/null)}
bad=0

# Comments out (they may quote calls); string literals stay (fopen modes, shell paths).
strip() { sed -e 's://.*$::' "$1" | awk '
	{ line = $0; out = "";
	  while (length(line)) {
		if (inc) { p = index(line, "*/"); if (!p) { line = ""; break } line = substr(line, p + 2); inc = 0; continue }
		p = index(line, "/*"); if (!p) { out = out line; break }
		out = out substr(line, 1, p - 1); line = substr(line, p + 2); inc = 1
	  }
	  print out }'; }

allowed() { # FILE CALL
	grep -v '^#' "$allow" | while read -r glob call _; do
		# shellcheck disable=SC2254
		case $1 in $glob) [ "$call" = "$2" ] && echo yes && break ;; esac
	done | grep -q yes
}

for f in $src; do
	strip "$f" >"${TMPDIR:-/tmp}/cp.$$"
	# 1. shells
	if grep -nE '(^|[^A-Za-z0-9_])(system|popen)[ \t]*\(|"/bin/(ba)?sh"|"(ba)?sh"|"-c"' "${TMPDIR:-/tmp}/cp.$$" |
		sed "s|^|$f:|" | grep .; then
		echo "  ^ FAIL: runs a shell (system/popen/sh -c)"; bad=1
	fi
	# fcntl(F_DUPFD) makes an inheritable copy; F_DUPFD_CLOEXEC is the one to use.
	if grep -nE 'F_DUPFD([^_]|$)' "${TMPDIR:-/tmp}/cp.$$" | sed "s|^|$f:|" | grep .; then
		echo "  ^ FAIL: F_DUPFD without CLOEXEC"; bad=1
	fi
	# 2. fd-creating calls: the call's text (up to its closing parenthesis, a few lines at
	# most), or a flags variable it passes that was set in the 3 lines before, must ask for
	# close-on-exec.
	awk -v F="$f" '
	BEGIN { re = "(^|[^A-Za-z0-9_>.])(open|openat|openat2|creat|socket|socketpair|accept|accept4|pipe|pipe2|dup|dup2|dup3|fopen|freopen|tmpfile|mkstemp|mkstemps|mkostemp|mkostemps|memfd_create|eventfd|signalfd|timerfd_create|epoll_create|epoll_create1|inotify_init|inotify_init1|opendir|fdopendir|nl_socket_alloc|mnl_socket_open|mnl_socket_open2|pidfd_open|open_tree|fsopen|fsmount|MHD_start_daemon)[ \t]*\\(" }
	# The line with string contents blanked (same length): names inside literals are not calls.
	function mask(s,   o, k, c, q) {
		o = ""; q = 0
		for (k = 1; k <= length(s); k++) {
			c = substr(s, k, 1)
			if (q && c == "\\") { o = o "__"; k++; continue }
			if (c == "\"") q = !q
			o = o ((q && c != "\"") ? "_" : c)
		}
		return o
	}
	{ L[NR] = $0; M[NR] = mask($0) }
	END {
		for (i = 1; i <= NR; i++) {
			rest = M[i]; off = 0
			while (match(rest, re)) {
				m = substr(rest, RSTART, RLENGTH); sub(/^[^A-Za-z_]/, "", m); name = m; sub(/[ \t]*\($/, "", name)
				tail = substr(rest, RSTART + RLENGTH)
				# the call text (unmasked) up to its closing parenthesis
				call = m; depth = 1; j = i; t = substr(L[i], off + RSTART + RLENGTH)
				while (depth > 0) {
					for (k = 1; k <= length(t) && depth > 0; k++) {
						c = substr(t, k, 1); call = call c
						if (c == "(") depth++; else if (c == ")") depth--
					}
					if (depth > 0) { j++; if (j > i + 6 || j > NR) break; t = L[j] }
				}
				# Or a variable assigned, in the 3 lines before, flags holding CLOEXEC.
				ctx = call
				for (b = i - 3; b < i; b++)
					if (b > 0 && L[b] ~ /CLOEXEC/ && match(L[b], /[A-Za-z_][A-Za-z0-9_]*[ \t]*=[^=]/)) {
						v = substr(L[b], RSTART, RLENGTH); sub(/[ \t]*=.*/, "", v)
						if (call ~ ("[^A-Za-z0-9_]" v "[^A-Za-z0-9_]")) ctx = ctx " CLOEXEC"
					}
				ok = 0
				if (name ~ /^(fopen|freopen)$/) ok = (call ~ /"[rwa+]*e[rwa+x]*"/)
				else if (name ~ /^(dup|dup2|creat|pipe|accept|tmpfile|mkstemp|mkstemps|epoll_create|inotify_init|eventfd|signalfd|mnl_socket_open)$/) ok = 0
				else ok = (ctx ~ /CLOEXEC/)
				if (!ok) print F ":" i ": " name ": " L[i]
				off += RSTART + RLENGTH - 1
				rest = tail
			}
		}
	}' "${TMPDIR:-/tmp}/cp.$$" | while IFS= read -r hit; do
		call=$(echo "$hit" | cut -d: -f3 | tr -d ' ')
		allowed "$f" "$call" || echo "$hit"
	done >"${TMPDIR:-/tmp}/cp.hits.$$"
	if [ -s "${TMPDIR:-/tmp}/cp.hits.$$" ]; then
		cat "${TMPDIR:-/tmp}/cp.hits.$$"; echo "  ^ FAIL: fd created without close-on-exec"; bad=1
	fi
done
rm -f "${TMPDIR:-/tmp}/cp.$$" "${TMPDIR:-/tmp}/cp.hits.$$"
[ $bad = 0 ] && echo "ok   check_product: no shell, every fd-creating call asks for CLOEXEC ($(echo "$src" | wc -w) files)"

[ $# -ge 1 ] || exit $bad
[ "$(id -u)" = 0 ] && command -v strace >/dev/null || { echo "skip check_product runtime: needs root and strace"; exit $bad; }
sh tests/check_product_rt.sh "$1" || bad=1
exit $bad
