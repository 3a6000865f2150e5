# Concurrency, exhaustion and the bridge's port limit.

test_32_concurrent_adds_and_dels() {
	c=$(conf n1 10.40.0.0/24)
	for i in $(seq 1 32); do mkns "p$i"; done
	for i in $(seq 1 32); do add "p$i" "$c" >"$WORK/r$i" 2>"$WORK/e$i" & done; wait
	for i in $(seq 1 32); do jq -r '.ips[0].address' "$WORK/r$i" 2>/dev/null || echo "FAILED: $(cat "$WORK/r$i" "$WORK/e$i")"; done >"$WORK/addrs"
	grep -q FAILED "$WORK/addrs" && { cat "$WORK/addrs"; fail "an ADD failed"; return 1; }
	[ "$(sort -u "$WORK/addrs" | wc -l)" = 32 ] || fail "addresses not distinct: $(sort "$WORK/addrs" | uniq -d)" || return 1
	[ "$(nft -j list map inet netd masq4 | jq '[.nftables[].map.elem // empty | .[]] | length')" = 32 ] || fail "not 32 masq elements" || return 1
	for i in $(seq 1 32); do del "p$i" "$c" & done; wait
	[ -z "$(nft -j list map inet netd masq4 | jq -c '.nftables[].map.elem // empty')" ] || fail "elements left" || return 1
	[ -z "$(find "$WORK/ipam/n1" -name '10.*')" ] || fail "leases left" || return 1
	[ "$(ip -o link show master br-n1 | wc -l)" = 0 ] || fail "ports left" || return 1
	for i in $(seq 1 32); do ip netns del "p$i"; done; ip link del br-n1
}

test_concurrent_first_adds_create_bridge_and_table() {
	c=$(conf fresh 10.41.0.0/24)
	for i in $(seq 1 8); do mkns "f$i"; done
	for i in $(seq 1 8); do add "f$i" "$c" >"$WORK/r$i" & done; wait
	for i in $(seq 1 8); do jq -e '.ips[0].address' "$WORK/r$i" >/dev/null || fail "ADD $i: $(cat "$WORK/r$i")" || return 1; done
	for i in $(seq 1 8); do del "f$i" "$c"; ip netns del "f$i"; done; ip link del br-fresh
}

test_pool_exhaustion() {
	c=$(conf ex 10.42.0.0/29)
	# A /29 has .1 (gateway) and .2-.6 to hand out.
	for i in 1 2 3 4 5; do mkns "x$i" && add "x$i" "$c" >/dev/null || fail "ADD $i" || return 1; done
	mkns x6
	add_refused x6 "$c" 101 'no free address' || return 1
	for i in 1 2 3 4 5 6; do del "x$i" "$c"; ip netns del "x$i"; done; ip link del br-ex
}

test_bridge_port_limit() {
	c=$(conf lim 10.43.0.0/16)
	ip link add br-lim type bridge && ip link set br-lim up
	# The kernel numbers ports 1..1023 (BR_MAX_PORTS is 1024 with 0 reserved). Fill them with
	# veths whose peers live in one netns, so deleting that netns frees them in one batch.
	ip netns add fill
	seq 1 1023 | sed 's/.*/link add v& master br-lim type veth peer name w& netns fill/' | ip -batch - || fail "fill" || return 1
	mkns c1
	add_refused c1 "$c" 104 '1023' || return 1
	ip netns del c1; ip netns del fill; ip link del br-lim
	# The kernel tears a deleted netns down in the background; wait for its veths to go.
	for _ in $(seq 1 300); do ip -o link show | grep -q ': v[0-9]' || return 0; sleep 0.1; done
	fail "fill veths still present"
}
