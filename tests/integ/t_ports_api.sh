# Port publishing through the daemon's API (issue 10): "ports" on POST
# /v1/networks/{name}/attachments, shown in the record, replayed by reload, removed on detach.
here=$(dirname "${BASH_SOURCE[0]}")
. "$here/t_daemon.sh"
. "$here/t_ports.sh"

test_ports_api_publish_record_reload_detach() {
	lan_up || fail "lan" || return 1
	dstart || return 1
	expect POST /v1/networks '{"name":"pn","subnet":"10.70.0.0/24"}' 201 >/dev/null || { dclean; return 1; }
	ip netns add a1 && ip netns add a2
	expect POST /v1/networks/pn/attachments \
		'{"netns":"a1","containerID":"a1","ports":[{"hostPort":8080,"containerPort":80},{"hostPort":5353,"containerPort":53,"protocol":"udp"}]}' \
		201 >/dev/null || { dclean; return 1; }
	web a1
	[ "$(get http://$LAN4:8080/)" = page-a1 ] && [ "$(get lan http://$LAN4:8080/)" = page-a1 ] &&
		[ "$(get http://127.0.0.1:8080/)" = page-a1 ] || { fail "published port unreachable"; dclean; return 1; }
	recs=$(expect GET /v1/networks/pn/attachments "" 200) || { dclean; return 1; }
	echo "$recs" | jq -e '.[0].ports == [{"hostPort":8080,"containerPort":80},{"hostPort":5353,"containerPort":53,"protocol":"udp"}]' >/dev/null ||
		{ fail "record does not show the ports: $recs"; dclean; return 1; }
	# Bad input and a conflict: refused, nothing recorded, nothing published.
	before=$(nft list ruleset)
	expect POST /v1/networks/pn/attachments '{"netns":"a2","containerID":"a2","ports":[{"hostPort":0,"containerPort":80}]}' 400 |
		jq -e '.code == 7' >/dev/null || { fail "port 0 not refused with code 7"; dclean; return 1; }
	out=$(expect POST /v1/networks/pn/attachments '{"netns":"a2","containerID":"a2","ports":[{"hostPort":8080,"containerPort":80}]}' 409) &&
		echo "$out" | jq -e '.code == 112 and (.message|contains("pn a1 eth0"))' >/dev/null || { fail "conflict: $out"; dclean; return 1; }
	[ "$(nft list ruleset)" = "$before" ] || { fail "a refused attach changed the ruleset"; dclean; return 1; }
	[ "$(expect GET /v1/networks/pn/attachments "" 200 | jq length)" = 1 ] || { fail "refused attach recorded"; dclean; return 1; }
	# A flushed ruleset: reload publishes again.
	nft flush ruleset
	curl -s -m 1 http://127.0.0.1:8080/ >/dev/null && { fail "flush did not unpublish"; dclean; return 1; }
	netd reload >/dev/null || { fail "reload"; dclean; return 1; }
	[ "$(get http://$LAN4:8080/)" = page-a1 ] || { fail "reload did not publish again"; dclean; return 1; }
	stop_servers
	expect DELETE /v1/networks/pn/attachments/a1 "" 204 >/dev/null || { dclean; return 1; }
	[ "$(pm_elems)" = 0 ] || { fail "detach left elements: $(nft list ruleset)"; dclean; return 1; }
	dclean
	ip link del up0 2>/dev/null
	return 0
}

# Another firewall's forward policy drop: netd status and the daemon log say so, naming the chain.
test_ports_api_forward_drop_reported() {
	nft add table ip filter && nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
	dstart || return 1
	netd status | grep -q "warning: .*'ip filter FORWARD' drops forwarded packets" || { fail "status: $(netd status)"; dclean; return 1; }
	grep -q "'ip filter FORWARD' drops forwarded packets" "$WORK/dlog" || { fail "log: $(cat "$WORK/dlog")"; dclean; return 1; }
	nft delete table ip filter
	netd status | grep -q warning && { fail "warning without the drop"; dclean; return 1; }
	dclean
}
