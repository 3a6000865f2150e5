# Name resolution for containers (issue 11): the /etc files `netd run` writes, and the
# daemon's DNS server per network (lib/dns) with a fake upstream inside the sandbox.
# Reuses t_run.sh's rootfs and cleanup helpers and t_daemon.sh's daemon helpers.
. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

# The sandbox's own /etc/resolv.conf (a bind mount in the test's mount namespace only).
dns_host_resolv() {
	printf '%s\n' "$@" >"$WORK/host-resolv.conf"
	mount --bind "$WORK/host-resolv.conf" /etc/resolv.conf
}
dns_host_resolv_undo() {
	while grep -q ' /etc/resolv.conf ' /proc/self/mountinfo; do umount /etc/resolv.conf || break; done
	rm -f "$WORK/host-resolv.conf"
	return 0
}

test_dns_etc_files_default_network() {
	rt_setup || return 1
	dns_host_resolv "nameserver 127.0.0.53" "nameserver 10.9.9.9" "search corp.example" "options edns0"
	out=$(run --rm --name web1 --hostname h1 --add-host db:10.1.2.3 --add-host gw:host-gateway -- \
		sh -c 'cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf') ||
		{ fail "run: $out"; dns_host_resolv_undo; return 1; }
	dns_host_resolv_undo
	echo "$out" | sed -n 1p | grep -qx h1 || fail "hostname: $out" || return 1
	echo "$out" | grep -qP '^127\.0\.0\.1\tlocalhost$' || fail "hosts localhost: $out" || return 1
	echo "$out" | grep -qP '^10\.1\.2\.3\tdb$' || fail "--add-host: $out" || return 1
	echo "$out" | grep -qP '^172\.17\.0\.1\tgw$' || fail "--add-host host-gateway: $out" || return 1
	echo "$out" | grep -qP '^172\.17\.0\.\d+\th1 web1$' || fail "own address and names: $out" || return 1
	# Docker on the default network: the host's servers, loopback ones left out; search and options kept.
	echo "$out" | grep -qx 'nameserver 10.9.9.9' || fail "host's server: $out" || return 1
	echo "$out" | grep -q '127.0.0.53' && { fail "loopback server copied: $out"; return 1; }
	echo "$out" | grep -qx 'search corp.example' && echo "$out" | grep -qx 'options edns0' || fail "search/options: $out" || return 1
	# The rootfs has /etc without these files: created in the writable layer, the rootfs untouched (rt_clean).
	[ ! -e "$RFS/etc/hosts" ] || fail "rootfs modified" || return 1
	rt_clean
}

test_dns_etc_files_dns_flags_and_only_loopback_upstreams() {
	rt_setup || return 1
	dns_host_resolv "nameserver 127.0.0.53"
	out=$(run --rm -- cat /etc/resolv.conf) || { fail "run: $out"; dns_host_resolv_undo; return 1; }
	echo "$out" | grep -qx 'nameserver 8.8.8.8' || { fail "no usable host server: Docker's fallback wanted: $out"; dns_host_resolv_undo; return 1; }
	out=$(run --rm --dns 10.3.3.3 --dns-search a.example --dns-search b.example --dns-option ndots:2 -- cat /etc/resolv.conf)
	dns_host_resolv_undo
	echo "$out" | grep -qx 'nameserver 10.3.3.3' || fail "--dns: $out" || return 1
	echo "$out" | grep -q 'nameserver 8.8' && { fail "--dns replaces the host's: $out"; return 1; }
	echo "$out" | grep -qx 'search a.example b.example' && echo "$out" | grep -qx 'options ndots:2' || fail "--dns-search/--dns-option: $out" || return 1
	# Bad values: a usage error (exit 2), nothing made.
	for bad in "--dns nope" "--add-host nocolon" "--add-host x:1.2.3" "--network-alias -bad" "--dns-search a..b"; do
		# shellcheck disable=SC2086
		run --rm $bad -- true 2>/dev/null; rc=$?
		[ $rc = 2 ] || fail "'$bad': exit $rc, want 2" || return 1
	done
	rt_clean
}

test_dns_etc_files_image_files_kept_symlink_confined() {
	rt_setup || return 1
	dns_host_resolv "nameserver 10.9.9.9"
	echo "1.1.1.1 imagehost" >"$RFS/etc/hosts"
	# An absolute symlink must resolve inside the root, never to the host's file.
	ln -s /etc/passwd "$RFS/etc/resolv.conf"
	RFS_SUM=$(rt_tree "$RFS")
	hostsum=$(md5sum /etc/passwd)
	out=$(run --rm -- sh -c 'cat /etc/hosts; cat /etc/resolv.conf; cat /etc/passwd') || { fail "run: $out"; dns_host_resolv_undo; return 1; }
	dns_host_resolv_undo
	echo "$out" | grep -q imagehost && { fail "image's hosts not covered: $out"; return 1; }
	echo "$out" | grep -qx 'nameserver 10.9.9.9' || fail "resolv.conf through the symlink: $out" || return 1
	[ "$(md5sum /etc/passwd)" = "$hostsum" ] || fail "host's /etc/passwd changed" || return 1
	rt_clean
}

DNS_TESTDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# dns_setup: the runtime's state (t_run.sh), a fake upstream on the sandbox's 127.0.0.1:53
# named by the sandbox's resolv.conf (a loopback upstream, as systemd-resolved's), the daemon.
dns_setup() {
	rt_setup || return 1
	export NETD_SOCKET="$WORK/dns.sock"
	: >"$WORK/upstream.log"
	dns_host_resolv "nameserver 127.0.0.1"
	python3 "$DNS_TESTDIR/fakedns.py" 127.0.0.1 53 "$WORK/upstream.log" >"$WORK/fake.out" 2>&1 &
	UPID=$!
	for _ in $(seq 1 50); do grep -q ready "$WORK/fake.out" && break; sleep 0.1; done
	dns_daemon || { dns_teardown; return 1; }
	mkdir -p "$RFS/www" && echo "hello from web" >"$RFS/www/index.html"
	RFS_SUM=$(rt_tree "$RFS")
}
dns_daemon() {
	"$BIN/netd" daemon --socket "$NETD_SOCKET" --state-dir "$NETD_STATE_DIR" --ipam-dir "$NETD_IPAM_DIR" \
		--cni-conf-dir "" 2>>"$WORK/dns-dlog" &
	DPID=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$NETD_SOCKET" http://netd/v1/version >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$WORK/dns-dlog"; fail "daemon did not start"
}
# dns_teardown NETWORK...: containers, networks, daemon, upstream, then t_run.sh's checks.
dns_teardown() {
	for id in $("$N" ps -a --json | jq -r '.[].id'); do "$N" rm -f "$id" >/dev/null 2>&1; done
	for net; do "$N" network rm "$net" >/dev/null 2>&1; done
	[ -n "${DPID:-}" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${UPID:-}" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	dns_host_resolv_undo
	rm -f "$WORK/dns-dlog" "$WORK/upstream.log" "$WORK/fake.out"
	rt_clean
}
dnsq() { python3 "$DNS_TESTDIR/dnsq.py" "$@"; }
# ip_of NAME: a running container's first address.
ip_of() { "$N" ps --json | jq -r ".[]|select(.name==\"$1\")|.ips[0]" | cut -d/ -f1; }
id_of() { "$N" ps --json | jq -r ".[]|select(.name==\"$1\")|.id"; }
# lookup CONTAINER NAME [SERVER]: the addresses busybox nslookup finds in the container.
lookup() { "$N" exec "$1" -- nslookup "$2" ${3:+"$3"} 2>&1 | awk '/^Name:/{n=1} n&&/^Address/{print $NF}'; }

test_dns_names_aliases_short_ids_and_http_by_name() {
	dns_setup || return 1
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null && "$N" network create --subnet 10.89.0.0/24 dnsb >/dev/null ||
		{ fail "network create"; dns_teardown dnsa dnsb; return 1; }
	"$N" run -d --name web1 --net dnsa --network-alias svc --rootfs "$RFS" -- httpd -f -p 80 -h /www >/dev/null &&
		"$N" run -d --name web2 --net dnsa --network-alias svc --rootfs "$RFS" -- httpd -f -p 80 -h /www >/dev/null &&
		"$N" run -d --name other --net dnsb --rootfs "$RFS" -- sleep 60 >/dev/null || { fail "run"; dns_teardown dnsa dnsb; return 1; }
	ip1=$(ip_of web1); ip2=$(ip_of web2); short2=$(id_of web2 | cut -c1-12)
	check() {
		"$N" exec web1 -- cat /etc/resolv.conf | grep -qx 'nameserver 10.88.0.1' || fail "resolv.conf: $("$N" exec web1 -- cat /etc/resolv.conf)" || return 1
		[ "$(lookup web1 web2)" = "$ip2" ] || fail "web1 -> web2: '$(lookup web1 web2)', want $ip2" || return 1
		[ "$(lookup web2 WEB1)" = "$ip1" ] || fail "case-insensitive: '$(lookup web2 WEB1)'" || return 1
		[ "$(lookup web1 "$short2")" = "$ip2" ] || fail "short id: '$(lookup web1 "$short2")'" || return 1
		[ "$(lookup web1 svc | sort | tr '\n' ' ')" = "$(printf '%s\n' "$ip1" "$ip2" | sort | tr '\n' ' ')" ] ||
			fail "alias on both: '$(lookup web1 svc)'" || return 1
		out=$("$N" exec web1 -- wget -qO- http://web2/) && [ "$out" = "hello from web" ] || fail "http by name: '$out'" || return 1
		# Scoped to the asker's network: other (dnsb) does not see dnsa's names, even asking dnsa's server.
		[ -z "$(lookup other web1)" ] || fail "other network resolves web1" || return 1
		[ -z "$(lookup other web1 10.88.0.1)" ] || fail "other network resolves web1 through dnsa's server" || return 1
		# PTR, TTL, round robin seen from the host (its address on the bridge is in the network).
		rev=$(echo "$ip2" | awk -F. '{print $4"."$3"."$2"."$1".in-addr.arpa"}')
		dnsq 10.88.0.1 "$rev" PTR | grep -qx web2 || fail "PTR: $(dnsq 10.88.0.1 "$rev" PTR)" || return 1
		dnsq 10.88.0.1 web2 | grep -qx "$ip2 ttl=2" || fail "TTL: $(dnsq 10.88.0.1 web2)" || return 1
		dnsq 10.88.0.1 web2 --tcp | grep -qx "$ip2 ttl=2" || fail "TCP: $(dnsq 10.88.0.1 web2 --tcp)" || return 1
		dnsq 10.88.0.1 nosuch | grep -q 'rcode=3' || fail "NXDOMAIN: $(dnsq 10.88.0.1 nosuch)" || return 1
	}
	check || { dns_teardown dnsa dnsb; return 1; }
	# From the host: netd dns query (every network with DNS, or one).
	[ "$("$N" dns query SVC --network dnsa | sort)" = "$(printf 'dnsa\tSVC\t%s\n' "$ip1" "$ip2" | sort)" ] &&
		[ "$("$N" dns query other)" = "$(printf 'dnsb\tother\t%s' "$(ip_of other)")" ] ||
		{ fail "dns query: $("$N" dns query SVC --network dnsa) / $("$N" dns query other)"; dns_teardown dnsa dnsb; return 1; }
	"$N" dns query nosuch 2>/dev/null; rc=$?
	[ $rc = 3 ] || { fail "dns query of an unknown name: exit $rc, want 3"; dns_teardown dnsa dnsb; return 1; }
	# inspect shows names and aliases.
	"$N" network inspect dnsa | jq -e '.[0].containers | map(.name) | sort == ["web1","web2"]' >/dev/null &&
		"$N" network inspect dnsa | jq -e '.[0].containers | all(.aliases == ["svc"])' >/dev/null &&
		"$N" network inspect dnsa | jq -e '.[0].dns == true' >/dev/null ||
		{ fail "inspect: $("$N" network inspect dnsa)"; dns_teardown dnsa dnsb; return 1; }
	# The daemon killed (SIGKILL) and started again answers for every attachment it had.
	kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
	dns_daemon || { dns_teardown dnsa dnsb; return 1; }
	check || { fail "after SIGKILL and restart"; dns_teardown dnsa dnsb; return 1; }
	dns_teardown dnsa dnsb
}

test_dns_forwarding_truncation_failover_and_internal() {
	dns_setup || return 1
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null && "$N" network create --internal --subnet 10.87.0.0/24 dnsi >/dev/null ||
		{ fail "network create"; dns_teardown dnsa dnsi; return 1; }
	# --dns 10.86.0.9 answers nothing: the daemon fails over to the host's (loopback) server.
	"$N" run -d --name c1 --net dnsa --dns 10.86.0.9 --rootfs "$RFS" -- sleep 60 >/dev/null &&
		"$N" run -d --name ci --net dnsi --rootfs "$RFS" -- sleep 60 >/dev/null || { fail "run"; dns_teardown dnsa dnsi; return 1; }
	[ "$(lookup c1 ext.example)" = 10.99.0.7 ] || fail "forwarded: '$(lookup c1 ext.example)'; $(cat "$WORK/upstream.log")" || { dns_teardown dnsa dnsi; return 1; }
	# A truncated UDP answer reaches the asker truncated; over TCP it comes whole.
	dnsq 10.88.0.1 big.example | grep -q 'tc=1' || fail "UDP: $(dnsq 10.88.0.1 big.example)" || { dns_teardown dnsa dnsi; return 1; }
	[ "$(dnsq 10.88.0.1 big.example --tcp | grep -c '^10\.99\.1\.')" = 40 ] || fail "TCP: $(dnsq 10.88.0.1 big.example --tcp)" ||
		{ dns_teardown dnsa dnsi; return 1; }
	grep -q '^tcp big.example' "$WORK/upstream.log" || fail "not forwarded over TCP: $(cat "$WORK/upstream.log")" || { dns_teardown dnsa dnsi; return 1; }
	# An internal network answers its own names and never forwards.
	before=$(wc -l <"$WORK/upstream.log")
	[ -z "$(lookup ci ext.example)" ] || fail "internal network forwarded" || { dns_teardown dnsa dnsi; return 1; }
	[ "$(lookup ci ci)" = "$(ip_of ci)" ] || fail "internal network's own name: '$(lookup ci ci)'" || { dns_teardown dnsa dnsi; return 1; }
	[ "$(wc -l <"$WORK/upstream.log")" = "$before" ] || fail "upstream asked for an internal network: $(cat "$WORK/upstream.log")" || { dns_teardown dnsa dnsi; return 1; }
	# The host's resolv.conf is read again when it changes (checked at most once a second):
	# rewritten in place (the bind mount holds the inode) to a server that answers nothing.
	printf 'nameserver 10.86.0.10\n' >"$WORK/host-resolv.conf"
	sleep 1.5
	dnsq 10.88.0.1 ext.example | grep -q 'rcode=2' || fail "new resolv.conf not read: $(dnsq 10.88.0.1 ext.example)" || { dns_teardown dnsa dnsi; return 1; }
	printf 'nameserver 127.0.0.1\n' >"$WORK/host-resolv.conf"
	sleep 1.5
	dnsq 10.88.0.1 ext.example | grep -q '^10\.99\.0\.7' || fail "resolv.conf back: $(dnsq 10.88.0.1 ext.example)" || { dns_teardown dnsa dnsi; return 1; }
	dns_teardown dnsa dnsi
}

test_dns_removed_and_replaced_containers_at_once() {
	dns_setup || return 1
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null || { fail "network create"; dns_teardown dnsa; return 1; }
	"$N" run -d --name keep --net dnsa --rootfs "$RFS" -- sleep 60 >/dev/null &&
		"$N" run -d --name gone --net dnsa --rootfs "$RFS" -- sleep 60 >/dev/null || { fail "run"; dns_teardown dnsa; return 1; }
	old=$(ip_of gone)
	[ "$(lookup keep gone)" = "$old" ] || fail "before: '$(lookup keep gone)'" || { dns_teardown dnsa; return 1; }
	"$N" rm -f gone >/dev/null
	dnsq 10.88.0.1 gone | grep -q 'rcode=3' || fail "removed still resolves: $(dnsq 10.88.0.1 gone)" || { dns_teardown dnsa; return 1; }
	"$N" run -d --name gone --net dnsa --ip 10.88.0.77 --rootfs "$RFS" -- sleep 60 >/dev/null || { fail "run again"; dns_teardown dnsa; return 1; }
	[ "$(lookup keep gone)" = 10.88.0.77 ] || fail "replaced: '$(lookup keep gone)', want 10.88.0.77" || { dns_teardown dnsa; return 1; }
	dns_teardown dnsa
}

test_dns_ipv6_network_aaaa_and_dns_false() {
	dns_setup || return 1
	"$N" network create --subnet 10.90.0.0/24 --ipv6 fd00:90::/64 dns6 >/dev/null &&
		"$N" network create --subnet 10.91.0.0/24 --dns=false nodns >/dev/null || { fail "network create"; dns_teardown dns6 nodns; return 1; }
	"$N" run -d --name v6a --net dns6 --rootfs "$RFS" -- sleep 60 >/dev/null &&
		"$N" run -d --name v6b --net dns6 --rootfs "$RFS" -- sleep 60 >/dev/null &&
		"$N" run -d --name nd --net nodns --rootfs "$RFS" -- sleep 60 >/dev/null || { fail "run"; dns_teardown dns6 nodns; return 1; }
	v6=$("$N" ps --json | jq -r '.[]|select(.name=="v6b")|.ips[]' | grep : | cut -d/ -f1)
	# Asked on the IPv6 gateway (bound with IP_FREEBIND, DAD or not).
	out=$("$N" exec v6a -- nslookup -type=AAAA v6b fd00:90::1 2>&1)
	echo "$out" | grep -q "Address: $v6" || fail "AAAA over IPv6: $out (want $v6)" || { dns_teardown dns6 nodns; return 1; }
	# --dns=false: no server on its gateway, the host's servers in resolv.conf.
	"$N" network inspect nodns | jq -e '.[0].dns == false' >/dev/null || fail "inspect dns flag" || { dns_teardown dns6 nodns; return 1; }
	"$N" exec nd -- cat /etc/resolv.conf | grep -q 10.91.0.1 && { fail "resolv.conf names the gateway of a network without DNS"; dns_teardown dns6 nodns; return 1; }
	dnsq 10.91.0.1 nd >/dev/null 2>&1 && { fail "a DNS server answers on a --dns=false network"; dns_teardown dns6 nodns; return 1; }
	dns_teardown dns6 nodns
}

test_dns_beside_host_dns_server_on_wildcard_port() {
	rt_setup || return 1
	export NETD_SOCKET="$WORK/dns.sock"
	dns_host_resolv "nameserver 10.85.0.9"
	# A host DNS server on 0.0.0.0:53 and [::]:53, started first (dnsmasq from dnsmasq-base).
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --port 53 --address=/hostonly.example/10.7.7.7 \
		--pid-file="$WORK/dnsmasq.pid" --user=root 2>"$WORK/dnsmasq.err" &
	MPID=$!
	for _ in $(seq 1 50); do dnsq 127.0.0.1 hostonly.example >/dev/null 2>&1 && break; sleep 0.1; done
	dns_daemon || { kill "$MPID"; rt_clean; return 1; }
	bad=0
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null && "$N" run -d --name w --net dnsa --rootfs "$RFS" -- sleep 60 >/dev/null ||
		{ fail "network or run: $(cat "$WORK/dns-dlog")"; bad=1; }
	[ -n "$(ip_of w)" ] || { fail "no container w"; bad=1; }
	# Both bound: dnsmasq on the wildcard, netd's UDP on the gateway only. Its TCP cannot be
	# (Linux refuses an address bind beside a wildcard listener even with SO_REUSEADDR):
	# that is logged, and UDP, which resolvers use first, still answers.
	socks=$(ss -Hlnup 'sport = :53'; ss -Hlntp 'sport = :53')
	echo "$socks" | grep -q '10\.88\.0\.1:53 .*netd' && echo "$socks" | grep -q '0\.0\.0\.0:53 .*dnsmasq' ||
		{ fail "sockets on port 53: $socks"; bad=1; }
	echo "$socks" | grep -q '^LISTEN.*10\.88\.0\.1:53 .*netd' || grep -q "dns: network 'dnsa': tcp 10.88.0.1 port 53: Address already in use" "$WORK/dns-dlog" ||
		{ fail "TCP neither bound nor its failure logged: $(cat "$WORK/dns-dlog")"; bad=1; }
	echo "$socks" | grep 'netd' | grep -qv '10\.88\.0\.1:53' && { fail "netd on a wildcard: $socks"; bad=1; }
	[ "$(lookup w w)" = "$(ip_of w)" ] || { fail "netd's server beside the host's: '$(lookup w w)'; $(cat "$WORK/dns-dlog")"; bad=1; }
	dnsq 127.0.0.1 hostonly.example | grep -q '^10.7.7.7' || { fail "the host's server stopped answering"; bad=1; }
	kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null
	rm -f "$WORK/dnsmasq.pid" "$WORK/dnsmasq.err"
	UPID=
	dns_teardown dnsa
	return $bad
}

# The TCP path of aardvark-dns's CVEs: idle or slow clients, too many clients, garbage.
test_dns_tcp_clients_bounded_idle_dropped_malformed_answered() {
	dns_setup || return 1
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null && "$N" run -d --name w --net dnsa --rootfs "$RFS" -- sleep 60 >/dev/null ||
		{ fail "network or run"; dns_teardown dnsa; return 1; }
	out=$(python3 - <<'PY' 2>&1
import socket, struct, subprocess, sys, time
GW = "10.88.0.1"
def q(name):
    m = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
    for l in name.split("."):
        m += bytes([len(l)]) + l.encode()
    return m + b"\0" + struct.pack("!HH", 1, 1)
def udp(msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(msg, (GW, 53)); return s.recv(4096)
# Idle clients (one slowloris sending half a length prefix), more than the server takes.
idle = []
for i in range(80):
    s = socket.socket(); s.settimeout(5); s.connect((GW, 53)); idle.append(s)
idle[0].send(b"\x00")
t0 = time.time()
# Others are answered at once, over UDP and over a new TCP connection once slots free up.
r = udp(q("w"))
assert r[:2] == b"\x00\x07" and r[3] & 15 == 0, "udp answer while TCP clients idle"
# Malformed and oversized garbage: FORMERR or nothing, and the server goes on.
for junk in (b"\x00\x08\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff\xff", b"\xff" * 3, b"\x00\x09\x01\x00" + b"\xc0\x0c" * 300):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5); s.sendto(junk, (GW, 53))
    try:
        a = s.recv(4096); assert a[2] & 0x80 and a[3] & 15 == 1, "FORMERR wanted: %r" % a
    except socket.timeout:
        pass
r = udp(q("w")); assert r[3] & 15 == 0, "answers after garbage"
# The server closes the ones over its bound at once and the rest within its idle timeout.
closed = 0
for s in idle:
    try:
        closed += s.recv(1) == b""
    except (socket.timeout, ConnectionResetError):
        closed += 1
took = time.time() - t0
assert closed == 80, "idle clients left open: %d of 80 closed" % closed
assert took < 6, "idle clients dropped after %.1fs" % took
c = socket.socket(); c.settimeout(2); c.connect((GW, 53)); m = q("w")
c.send(struct.pack("!H", len(m)) + m); a = c.recv(4096)
assert a[2:4] == b"\x00\x07", "tcp answer after the idle ones went"
print("ok")
PY
)
	[ "$out" = ok ] || fail "$out" || { dns_teardown dnsa; return 1; }
	kill -0 "$DPID" || fail "daemon died" || { dns_teardown dnsa; return 1; }
	dns_teardown dnsa
}

# An attachment GC releases (its netns vanished) takes its names along (netavark#1471's
# stale records); attachments made through the API with name and aliases resolve too.
test_dns_gc_drops_names_of_released_attachments() {
	dns_setup || return 1
	"$N" network create --subnet 10.88.0.0/24 dnsa >/dev/null || { fail "network create"; dns_teardown dnsa; return 1; }
	ip netns add gx
	curl -sf --unix-socket "$NETD_SOCKET" -X POST http://netd/v1/networks/dnsa/attachments -H 'Content-Type: application/json' \
		--data-binary '{"netns":"gx","name":"ghost","aliases":["spook"]}' >/dev/null || { fail "attach"; ip netns del gx; dns_teardown dnsa; return 1; }
	dnsq 10.88.0.1 spook | grep -q '^10\.88\.0\.' || fail "API alias: $(dnsq 10.88.0.1 spook)" || { ip netns del gx; dns_teardown dnsa; return 1; }
	ip netns del gx
	curl -sf --unix-socket "$NETD_SOCKET" -X POST http://netd/v1/gc >/dev/null || { fail "gc"; dns_teardown dnsa; return 1; }
	dnsq 10.88.0.1 ghost | grep -q 'rcode=3' || fail "released by GC, still resolves: $(dnsq 10.88.0.1 ghost)" || { dns_teardown dnsa; return 1; }
	dns_teardown dnsa
}
