#!/bin/sh
# The run-time half of check_product.sh: the plugins' ADD, CHECK, DEL (and GC, STATUS) under
# strace -ff, inside a private network + mount namespace. Every fd a plugin process creates
# must be close-on-exec from birth, or be made so by fcntl(F_SETFD, FD_CLOEXEC) -- or be
# closed -- before the process creates another fd, forks or execs. (jansson reads its hash
# seed from /dev/urandom that way: open, read, close.) Children are followed up to their
# exec: a forked child may dup2() pipes onto its stdin/stdout/stderr, which must survive the
# exec; what a delegated plugin that is not ours does after its exec is not judged. A trace
# file without an execve is not judged either: it is a thread of such a plugin, or a child of
# ours that never execs (nftbatch.c close_deferred) -- an fd can only leak across an exec.
# Usage: tests/check_product_rt.sh BIN_DIR
set -u
if [ -z "${NETD_CP_INNER:-}" ]; then
	NETD_CP_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$@"
fi
mount -t tmpfs tmpfs /run && mkdir -p /run/netns
ip link set lo up
BIN=$(cd "$1" && pwd)
W=$(mktemp -d /tmp/netd-cp.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
export CNI_PATH="$BIN:/usr/lib/cni"

conf() { # NAME IPAM-TYPE [VERSION]
	cat <<JSON
{"cniVersion":"${3:-1.1.0}","name":"$1","type":"netd-bridge","bridge":"br-$1","isGateway":true,"isDefaultGateway":true,
 "ipMasq":true,"hairpinMode":true,"ipam":{"type":"$2","dataDir":"$W/ipam","ranges":[[{"subnet":"10.70.0.0/24"}],[{"subnet":"fd00:70::/64"}]]}}
JSON
}
n=0
traced() { # PLUGIN CMD ID IFNAME NETNS CONF
	n=$((n + 1))
	printf '%s' "$6" | env CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_IFNAME="$4" CNI_NETNS="$5" \
		strace -qq -ff -o "$W/trace.$n.$1.$2" -e trace=%desc,%network,%process "$BIN/$1" >"$W/out" ||
		{ echo "FAIL: $1 $2 under strace: $(cat "$W/out")"; return 1; }
}
ip netns add c1
c=$(conf cp netd-ipam)
traced netd-bridge ADD c1 eth0 /run/netns/c1 "$c" || exit 1
prev=$(cat "$W/out")
cc=$(printf '%s' "$c" | jq -c --argjson p "$prev" '. + {prevResult:$p}')
traced netd-bridge CHECK c1 eth0 /run/netns/c1 "$cc" || exit 1
traced netd-bridge GC "" "" "" "$(printf '%s' "$c" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]}')" || exit 1
traced netd-bridge STATUS "" "" "" "$c" || exit 1
traced netd-bridge DEL c1 eth0 /run/netns/c1 "$cc" || exit 1
traced netd-ipam ADD c2 eth0 /x "$c" || exit 1
traced netd-ipam DEL c2 eth0 /x "$c" || exit 1
traced netd-loopback ADD c1 lo /run/netns/c1 '{"cniVersion":"1.1.0","name":"lo","type":"netd-loopback"}' || exit 1
if [ -x /usr/lib/cni/host-local ]; then
	# A delegated IPAM plugin: the fork and exec path (pipes).
	c=$(conf cpd host-local 1.0.0)
	traced netd-bridge ADD c1 eth1 /run/netns/c1 "$c" || exit 1
	traced netd-bridge DEL c1 eth1 /run/netns/c1 "$c" || exit 1
fi

awk -v bin="$BIN/" '
function fail(why) { print FILENAME ": " why ": " $0; bad = 1 }
FNR == 1 { for (f in pending) if (pending[f] && !foreign) { print FILENAME ": fd " f " left inheritable at exit"; bad = 1 }
	   delete pending; foreign = 0 }
foreign { next }
{
	if (!match($0, /^[a-z0-9_]+\(/)) next
	sc = substr($0, 1, RLENGTH - 1)
	ret = $0; sub(/.*\) += +/, "", ret); sub(/ .*/, "", ret)
	if (ret !~ /^[0-9]+$/) next               # failed or unfinished: no fd
	if (sc ~ /^(clone|clone3|fork|vfork|execve|execveat)$/) {
		for (f in pending) if (pending[f]) fail("fd " f " inheritable at " sc)
		# After exec, a process that is not one of our plugins is not ours to judge.
		if (sc ~ /^execve/ && index($0, "\"" bin) != index($0, "(") + 1) foreign = 1
		next
	}
	# A forked child wiring a pipe to its stdio for the exec that follows.
	if (sc ~ /^dup[23]$/ && ret + 0 <= 2) next
	if (sc == "close") { pending[substr($0, 7) + 0] = 0; next }
	if (sc == "fcntl") {
		split(substr($0, 7), a, /[,)]/)
		if (a[2] ~ /F_SETFD/ && a[3] ~ /FD_CLOEXEC/) pending[a[1] + 0] = 0
		else if (a[2] ~ /F_DUPFD$/) fail("F_DUPFD")
		next
	}
	if (sc !~ /^(open|openat|openat2|creat|socket|socketpair|accept|accept4|pipe|pipe2|dup|dup2|dup3|memfd_create|eventfd|eventfd2|signalfd|signalfd4|timerfd_create|epoll_create|epoll_create1|inotify_init|inotify_init1|pidfd_open|pidfd_getfd|userfaultfd|fsopen|fsmount|open_tree)$/) next
	for (f in pending) if (pending[f]) fail("fd " f " still inheritable at the next " sc)
	if ($0 ~ /CLOEXEC/) next
	if (sc == "pipe" || sc == "pipe2" || sc == "socketpair") {
		match($0, /\[[0-9]+, [0-9]+\]/); split(substr($0, RSTART + 1, RLENGTH - 2), p, ", ")
		pending[p[1] + 0] = 1; pending[p[2] + 0] = 1
	} else
		pending[ret + 0] = 1
	count++
}
END {
	for (f in pending) if (pending[f] && !foreign) { print FILENAME ": fd " f " left inheritable at exit"; bad = 1 }
	exit bad
}' $(grep -l '^execve(' "$W"/trace.*) || { echo "FAIL check_product runtime: an fd without close-on-exec (see above)"; exit 1; }
echo "ok   check_product runtime: $n plugin runs ($(ls "$W"/trace.* | wc -l) processes) under strace, every fd close-on-exec ($(cat "$W"/trace.* | grep -cE '^(open|openat|socket|pipe2|accept4|dup3|socketpair)\(.*= [0-9]+$') fds created)"
