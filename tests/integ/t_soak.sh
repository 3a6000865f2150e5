# Concurrency at scale and a random soak: no failure, no duplicate address, nothing left.

# The store's size: its files (the round-robin cursors aside, whose text length varies) and bytes.
store_size() {
	[ -d "$WORK/ipam" ] || { echo "0 files 0 bytes"; return; }
	find "$WORK/ipam" -type f ! -name 'last_reserved_ip.*' -printf '%s\n' | awk '{ n++; b += $1 } END { printf "%d files %d bytes\n", n, b }'
}

test_64_concurrent_first_adds_then_dels() {
	c=$(conf s64 10.60.0.0/24)
	for i in $(seq 1 64); do mkns "q$i"; done
	before=$(snapshot)
	# All first ADDs of the network: they race to create the bridge and the nft table.
	for i in $(seq 1 64); do add "q$i" "$c" >"$WORK/r$i" 2>"$WORK/e$i" & done; wait
	for i in $(seq 1 64); do jq -er '.ips[0].address' "$WORK/r$i" 2>/dev/null || echo "FAILED $i: $(cat "$WORK/r$i" "$WORK/e$i")"; done >"$WORK/addrs"
	grep FAILED "$WORK/addrs" && { fail "an ADD failed"; return 1; }
	[ "$(sort -u "$WORK/addrs" | wc -l)" = 64 ] || fail "duplicate addresses: $(sort "$WORK/addrs" | uniq -d)" || return 1
	# The kernel agrees: each container holds the address its result names, and no other does.
	for i in $(seq 1 64); do ip -n "q$i" -4 -o addr show eth0 | awk '{print $4}'; done | sort >"$WORK/kaddrs"
	diff <(sort "$WORK/addrs") "$WORK/kaddrs" || fail "kernel addresses differ from results" || return 1
	[ "$(nft -j list map inet netd masq4 | jq '[.nftables[].map.elem // empty | .[]] | length')" = 64 ] || fail "not 64 masq elements" || return 1
	[ "$(ip -o link show master br-s64 | wc -l)" = 64 ] || fail "not 64 ports" || return 1
	for i in $(seq 1 64); do del "q$i" "$c" >"$WORK/d$i" 2>&1 || echo "DEL $i failed: $(cat "$WORK/d$i")" >>"$WORK/delfail" & done; wait
	[ -s "$WORK/delfail" ] && { cat "$WORK/delfail"; fail "a DEL failed"; return 1; }
	ip link del br-s64
	# Left by design: the (empty) nft table and its chains, the cursor, forwarding on.
	now=$(snapshot)
	diff <(echo "$before" | grep -v -e '^[0-9]$') <(echo "$now" | grep -v -e '^[0-9]$' | sed '/^table inet netd {$/,/^}$/d') ||
		fail "host differs after 64 ADDs and DELs" || return 1
	[ -z "$(nft -j list map inet netd masq4 | jq -c '.nftables[].map.elem // empty')" ] || fail "masq elements left" || return 1
	for i in $(seq 1 64); do ip netns del "q$i"; done
}

# soak_worker W OPS DEADLINE: random ADD/DEL/CHECK on this worker's own containers (so
# operations on one container are ordered), across the three networks.
soak_worker() {
	w=$1 ops=$2 deadline=$3
	RANDOM=$((w * 7919))
	declare -A net res
	n=0
	while [ $n -lt "$ops" ] && [ "$(date +%s)" -lt "$deadline" ]; do
		k=$((RANDOM % 4)) id="w$w-$((RANDOM % 4))"
		cur=${net[$id]:-}
		if [ -z "$cur" ]; then
			m=$((RANDOM % 3))
			if out=$(add "$id" "${NETS[$m]}" 2>"$WORK/err$w"); then net[$id]=$m res[$id]=$out
				echo "ADD $id n$m $(echo "$out" | jq -r '[.ips[].address]|join(",")')"
			else echo "FAIL ADD $id n$m: exit $?: $out $(cat "$WORK/err$w")"; fi
		elif [ $k = 0 ]; then
			cfg=$(printf '%s' "${NETS[$cur]}" | jq -c --argjson p "${res[$id]}" '. + {prevResult:$p}')
			out=$(cni netd-bridge CHECK "$id" eth0 "/run/netns/$id" "$cfg" 2>"$WORK/err$w") && echo "CHECK $id" ||
				echo "FAIL CHECK $id n$cur: exit $?: $out $(cat "$WORK/err$w")"
		else
			cfg=$(printf '%s' "${NETS[$cur]}" | jq -c --argjson p "${res[$id]}" '. + {prevResult:$p}')
			if out=$(del "$id" "$cfg" 2>"$WORK/err$w"); then net[$id]="" && echo "DEL $id n$cur"
			else echo "FAIL DEL $id n$cur: exit $?: $out $(cat "$WORK/err$w")"; fi
		fi
		n=$((n + 1))
	done
	# What is still attached, for the final checks and teardown.
	for id in "${!net[@]}"; do [ -n "${net[$id]}" ] && echo "LIVE $id ${net[$id]}"; done
}

# SOAK_OPS (2000) operations by 8 workers, bounded by SOAK_SECS (240).
test_soak_random_add_del_check() {
	ops=${SOAK_OPS:-2000} secs=${SOAK_SECS:-240} par=8
	NETS=("$(conf sk0 10.61.0.0/24)" "$(conf sk1 10.62.0.0/24)"
	      "$(VERSION=1.1.0 conf sk2 10.63.0.0/24 ',"hairpinMode":true')")
	# One long-lived attachment per network: the bridges, the table and the store directories
	# exist, so the state after the soak must equal the state before it exactly.
	for m in 0 1 2; do mkns "a$m" && add "a$m" "${NETS[$m]}" >/dev/null || fail "anchor ADD $m" || return 1; done
	for w in $(seq 1 $par); do for k in 0 1 2 3; do mkns "w$w-$k"; done; done
	before=$(snapshot) size_before=$(store_size)
	start=$(date +%s)
	for w in $(seq 1 $par); do soak_worker "$w" $((ops / par)) $((start + secs)) >"$WORK/soak$w" 2>&1 & done; wait
	elapsed=$(($(date +%s) - start))
	cat "$WORK"/soak* >"$WORK/soak.log"
	done_ops=$(grep -cE '^(ADD|DEL|CHECK) ' "$WORK/soak.log")
	echo "## soak: $done_ops operations in ${elapsed}s ($(grep -c '^ADD ' "$WORK/soak.log") ADD, $(grep -c '^DEL ' "$WORK/soak.log") DEL, $(grep -c '^CHECK ' "$WORK/soak.log") CHECK)"
	grep -q '^FAIL' "$WORK/soak.log" && { grep '^FAIL' "$WORK/soak.log" | head; fail "operations failed"; return 1; }
	# Each worker is asked for ops / par of them: that many times par, whatever ops is.
	[ "$done_ops" -ge $((ops / par * par)) ] || [ "$elapsed" -ge "$secs" ] || fail "only $done_ops operations" || return 1
	# Live attachments: distinct addresses within each network, each in its container.
	for m in 0 1 2; do
		for id in $(awk -v m=$m '$1=="LIVE" && $3==m {print $2}' "$WORK/soak.log") a$m; do
			ip -n "$id" -4 -o addr show eth0 | awk '{print $4}'
		done | sort | uniq -d | grep . && { fail "duplicate address on network $m"; return 1; }
	done
	awk '$1=="LIVE" {print $2, $3}' "$WORK/soak.log" | while read -r id m; do
		del "$id" "${NETS[$m]}" || echo "FAIL final DEL $id"
	done | grep FAIL && { fail "final DEL"; return 1; }
	same_host "$before" || return 1
	[ "$size_before" = "$(store_size)" ] || fail "store size $size_before before, $(store_size) after" || return 1
	for m in 0 1 2; do del "a$m" "${NETS[$m]}"; ip link del "br-sk$m"; done
	for n in $(ip netns list | cut -d' ' -f1); do ip netns del "$n"; done
}
