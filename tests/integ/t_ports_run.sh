# netd run -p/--publish (issue 10): Docker's syntax, ephemeral host ports, netd port, the
# PORTS column of netd ps, the bad-input catalogue, and nothing left after rm.
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/t_run.sh"
. "$here/t_ports.sh"

test_ports_run_publish_port_ps_rm() {
	rt_setup || return 1
	lan_up || fail "lan" || return 1
	id=$("$N" run -d --name web --rootfs "$RFS" -p 8080:80 -p 127.0.0.1::81 -p 9000-9001:90-91/udp \
		-- httpd -f -p 80 -h /etc) || fail "run -p: $id" || return 1
	[ "$(get http://$LAN4:8080/group | head -1)" = "root:x:0:" ] || fail "host -> published port" || return 1
	[ "$(get lan http://$LAN4:8080/group | head -1)" = "root:x:0:" ] || fail "LAN -> published port" || return 1
	[ "$(get http://127.0.0.1:8080/group | head -1)" = "root:x:0:" ] || fail "127.0.0.1 -> published port" || return 1
	out=$("$N" port web)
	echo "$out" | grep -qx '80/tcp -> 0.0.0.0:8080' && echo "$out" | grep -qx '90/udp -> 0.0.0.0:9000' &&
		echo "$out" | grep -qx '91/udp -> \[::\]:9001' || fail "netd port: $out" || return 1
	eph=$("$N" port web 81/tcp) || fail "netd port web 81/tcp" || return 1
	case $eph in 127.0.0.1:[1-9]*) ;; *) fail "ephemeral port: '$eph'"; return 1 ;; esac
	"$N" port web 82 >/dev/null 2>&1 && { fail "netd port of an unpublished port"; return 1; }
	"$N" ps | grep -q '0.0.0.0:8080->80/tcp' || fail "ps PORTS: $("$N" ps)" || return 1
	"$N" ps --json | jq -e '.[0].ports|length == 4' >/dev/null || fail "ps --json ports" || return 1
	# Another container asking for the same host port: refused, naming the owner; nothing left of it.
	out=$("$N" run --rm --rootfs "$RFS" -p 8080:80 -- true 2>&1) && { fail "a second 8080 was accepted"; return 1; }
	echo "$out" | grep -q "already published by \"bridge $id eth0\"" || fail "conflict message: $out" || return 1
	"$N" rm -f web >/dev/null || fail "rm -f" || return 1
	[ "$(pm_elems)" = 0 ] || fail "elements left after rm: $(nft list ruleset)" || return 1
	ip link del up0; ip netns del lan
	rt_clean
}

test_ports_run_bad_publish_refused() {
	rt_setup || return 1
	for bad in 0:80 65536:80 80:0 8001-8000:80 8000-8002:80-81 80/icmp 1.2.3:80:80 ::1:80:80 abc:80 \
		"8080:80 -p 8080:81"; do
		# shellcheck disable=SC2086
		out=$("$N" run --rm --rootfs "$RFS" -p $bad -- true 2>&1); rc=$?
		[ $rc = 2 ] || { fail "-p $bad: exit $rc (want 2): $out"; return 1; }
		echo "$out" | grep -q -- "-p\|mapped twice" || fail "-p $bad: message: $out" || return 1
	done
	out=$("$N" run --rm --rootfs "$RFS" --net=none -p 80:80 -- true 2>&1) && { fail "-p with --net=none"; return 1; }
	echo "$out" | grep -q "needs a network" || fail "--net=none: $out" || return 1
	[ -z "$(nft list ruleset 2>/dev/null | grep 'map pm')" ] || fail "a refused run touched nftables" || return 1
	rt_clean
}

# -P: every port of the image's ExposedPorts on a free host port (a -p for one of them wins).
test_ports_run_publish_all_from_image() {
	rt_setup || return 1
	rt_mkimage
	jq -c '.config.ExposedPorts = {"80/tcp":{},"53/udp":{},"81/tcp":{}}' "$T/config.json" >"$T/config2.json"
	dc=$(oci_blob "$T/config2.json" application/vnd.oci.image.config.v1+json)
	jq -c --argjson c "$dc" '.config = $c' "$T/manifest.json" >"$T/manifest2.json"
	dm=$(oci_blob "$T/manifest2.json" application/vnd.oci.image.manifest.v1+json)
	printf '{"schemaVersion":2,"manifests":[%s]}' "$(echo "$dm" | jq -c '. + {annotations:{"org.opencontainers.image.ref.name":"v1"}}')" >"$L/index.json"
	"$N" run -d --name pa -P -p 8081:81 --image "$L:v1" -- httpd -f -p 80 -h /etc >/dev/null || fail "run -P" || return 1
	out=$("$N" port pa)
	h80=$("$N" port pa 80/tcp | head -1)
	echo "$out" | grep -q '^53/udp -> 0.0.0.0:[1-9]' && echo "$out" | grep -qx '81/tcp -> 0.0.0.0:8081' &&
		[ "$(echo "$out" | grep -c '^81/tcp')" = 2 ] || { fail "netd port after -P: $out"; "$N" rm -f pa; return 1; }
	[ "$(get "http://127.0.0.1:${h80##*:}/group" | head -1)" = "root:x:0:" ] || { fail "-P port ${h80} unreachable"; "$N" rm -f pa; return 1; }
	"$N" rm -f pa >/dev/null || fail "rm" || return 1
	[ "$(pm_elems)" = 0 ] || fail "elements left: $(nft list ruleset)" || return 1
	rm -rf "$L" "$T"
	rt_clean
}
