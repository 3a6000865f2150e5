# Shared helpers for the integration tests. Sourced by run.sh inside a private
# network + mount namespace: everything here acts on that namespace only.

BIN=${BIN:?}
REF=/usr/lib/cni
WORK=${WORK:?}
export CNI_PATH="$BIN:$REF"
# The fault walks (NETD_FAULT, lib/base/fault.h) need binaries built with their fault points:
# the test build (make integ passes build-test/bin) or the SAN build; release binaries have none.
FAULT_BIN=${FAULT_BIN:-$BIN}

# use_fault_bin: this test file's binaries are $FAULT_BIN's, and they must have fault points.
use_fault_bin() {
	BIN=$FAULT_BIN
	export CNI_PATH="$BIN:$REF"
	strings -a "$BIN/netd-bridge" | grep -q NETD_FAULT_TRACE ||
		fail "$BIN has no fault points: run the fault walks on a test build (FAULT_BIN=build-test/bin)"
}

# points TRACEFILE: "point@n" for each time a fault point was reached (NETD_FAULT_TRACE), in order.
points() { awk '{ n[$1]++; print $1 "@" n[$1] }' "$1"; }

# conf NAME SUBNET [extra json fields]: a netd-bridge config with netd-ipam.
conf() {
	name=$1 subnet=$2 extra=${3:-}
	cat <<JSON
{"cniVersion":"${VERSION:-1.0.0}","name":"$name","type":"netd-bridge","bridge":"br-$name",
 "isGateway":true,"isDefaultGateway":true,"ipMasq":true$extra,
 "ipam":{"type":"netd-ipam","dataDir":"$WORK/ipam","ranges":[[{"subnet":"$subnet"}]]}}
JSON
}

# cni PLUGIN CMD ID IFNAME NETNS CONF [CNI_ARGS]: run a plugin as a runtime does.
# stdout is the plugin's; the exit status is the plugin's.
cni() {
	printf '%s' "$6" | env CNI_COMMAND="$2" CNI_CONTAINERID="$3" CNI_IFNAME="$4" CNI_NETNS="$5" \
		CNI_ARGS="${7:-}" CNI_PATH="$CNI_PATH" "$BIN/$1"
}

add() { cni netd-bridge ADD "$1" eth0 "/run/netns/$1" "$2" "${3:-}"; }
del() { cni netd-bridge DEL "$1" eth0 "/run/netns/$1" "$2" "${3:-}"; }

mkns() { ip netns add "$1" && ip -n "$1" link set lo up; }

# What a test may change on the host, in a stable text form. The allocation cursor
# (last_reserved_ip.N) is left out: like host-local, a failed ADD advances it.
snapshot() {
	{
		# Carrier and operational state follow the kernel's link watch, not us.
		ip -o link show | sed -E 's/^[0-9]+: //; s/ qlen [0-9]+//; s/NO-CARRIER,//; s/,LOWER_UP//; s/ state [A-Z]+//'
		# DAD state (tentative) changes by itself over time; it is not ours.
		ip -o addr show | sed -E 's/^[0-9]+: //; s/valid_lft.*//; s/ (tentative|dadfailed)//g'
		ip -o route show | sed 's/ linkdown//'; ip -o -6 route show | sed 's/ linkdown//'
		nft list ruleset
		ls /run/netns 2>/dev/null
		[ -d "$WORK/ipam" ] && find "$WORK/ipam" -type f ! -name lock ! -name "last_reserved_ip.*" | sort | while read -r f; do
			printf '%s: %s\n' "$f" "$(tr '\r\n' '  ' <"$f")"; done
		cat /proc/sys/net/ipv4/ip_forward
	} 2>&1
}

fail() { echo "    FAIL: $*" >&2; return 1; }

# same_host BEFORE: the host is as the snapshot BEFORE says, else show the difference.
same_host() {
	now=$(snapshot)
	[ "$1" = "$now" ] && return 0
	diff <(echo "$1") <(echo "$now") | head -30
	fail "host changed"
}

# expect_code JSON CODE: the plugin printed a CNI error object with this code.
expect_code() {
	got=$(printf '%s' "$1" | jq -r '.code' 2>/dev/null)
	[ "$got" = "$2" ] || fail "expected error code $2, got '$got' from: $1"
	printf '%s' "$1" | jq -e '(.msg|type=="string") and (.msg|length>0) and has("details") and has("cniVersion")' \
		>/dev/null || fail "error object incomplete: $1"
}

# add_refused NETNS CONF CODE [TEXT] [CNI_ARGS]: ADD fails with a CNI error object of code
# CODE whose message holds TEXT, and the host is left as it was.
add_refused() {
	before=$(snapshot)
	r=$(add "$1" "$2" "${5:-}") && { fail "ADD $1 succeeded: $r"; return 1; }
	expect_code "$r" "$3" || return 1
	[ -z "${4:-}" ] || printf '%s' "$r" | jq -r .msg | grep -q "$4" || fail "message: $r" || return 1
	same_host "$before"
}

# Clean everything a test made, so the next starts from the same host.
reset_host() {
	for n in $(ip netns list 2>/dev/null | cut -d' ' -f1); do ip netns del "$n"; done
	for l in $(ip -o link show | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | grep -v '^lo$'); do
		ip link del "$l" 2>/dev/null
	done
	nft flush ruleset
	rm -rf "$WORK/ipam"
	echo 0 >/proc/sys/net/ipv4/ip_forward
}
