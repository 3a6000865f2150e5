# Images from a registry (issue 12): netd pull, images, rmi, tag, image inspect and
# `netd run IMAGE`, against Debian's docker-registry (distribution 2.8) started here on
# the sandbox's loopback with filesystem storage in the test's directory, seeded by
# skopeo from an OCI layout this file builds from busybox-static.

. "$(dirname "${BASH_SOURCE[0]}")/t_run.sh"

REG_ADDR=127.0.0.1:5000

# reg_start [EXTRA_YAML]: a registry on $REG_ADDR, storage and log under $REGD.
reg_start() {
	REGD=$(mktemp -d "$WORK/registry.XXXXXX")
	mkdir -p "$REGD/data"
	cat >"$REGD/config.yml" <<YAML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGD/data
  delete:
    enabled: true
http:
  addr: $REG_ADDR
${1:-}
YAML
	docker-registry serve "$REGD/config.yml" >"$REGD/log" 2>&1 &
	REG_PID=$!
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "${REG_SCHEME:-http}://$REG_ADDR/v2/" ${REG_CURL:-} && return 0
		sleep 0.1
	done
	fail "the registry did not start: $(tail -5 "$REGD/log")"
}

reg_stop() {
	[ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	REG_PID=
	return 0
}

# Blob GETs the registry served (its access log), to prove what a pull fetched.
reg_blob_gets() { grep -c '"GET /v2/[^ ]*/blobs/sha256:' "$REGD/log"; }

# skopeo copy SRC DST with a policy of our own (no trust configuration of the host's).
reg_skopeo() {
	echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$WORK/policy.json"
	skopeo --policy "$WORK/policy.json" copy -q --dest-tls-verify=false --src-tls-verify=false "$@"
}

# reg_blob LAYOUT FILE MEDIATYPE: FILE as a blob of LAYOUT; prints its descriptor.
reg_blob() {
	h=$(sha256sum "$2" | cut -d' ' -f1)
	cp "$2" "$1/blobs/sha256/$h"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$3" "$h" "$(stat -c %s "$2")"
}

# reg_mkimage LAYOUT ARCH: an OCI layout of one image (busybox + a file) for ARCH, with
# Entrypoint, Cmd, Env, WorkingDir and User; its manifest descriptor in $MDESC.
reg_mkimage() {
	L=$1 T=$WORK/regsrc
	rm -rf "$T" && mkdir -p "$L/blobs/sha256" "$T/l2/opt/app"
	[ -s "$WORK/regl1.tgz" ] || { (cd "$WORK/rootfs" && tar --numeric-owner -cf "$WORK/regl1.tar" .) && gzip -n -c "$WORK/regl1.tar" >"$WORK/regl1.tgz"; }
	echo "hello from $2" >"$T/l2/opt/app/greeting"
	chown -R 65534:65534 "$T/l2/opt/app"
	(cd "$T/l2" && tar --numeric-owner -cf "$T/l2.tar" .) && gzip -n -c "$T/l2.tar" >"$T/l2.tgz"
	d1=$(reg_blob "$L" "$WORK/regl1.tgz" application/vnd.oci.image.layer.v1.tar+gzip)
	d2=$(reg_blob "$L" "$T/l2.tgz" application/vnd.oci.image.layer.v1.tar+gzip)
	cat >"$T/config.json" <<JSON
{"architecture":"$2","os":"linux","created":"2024-01-02T03:04:05Z",
 "config":{"Env":["PATH=/bin","ARCH=$2"],"Entrypoint":["/bin/sh","-c"],"Cmd":["echo \$ARCH; pwd; id -u; cat greeting"],"WorkingDir":"/opt/app","User":"65534"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$(sha256sum "$WORK/regl1.tar" | cut -d' ' -f1)","sha256:$(sha256sum "$T/l2.tar" | cut -d' ' -f1)"]}}
JSON
	dc=$(reg_blob "$L" "$T/config.json" application/vnd.oci.image.config.v1+json)
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s,%s]}' \
		"$dc" "$d1" "$d2" >"$T/manifest.json"
	MDESC=$(reg_blob "$L" "$T/manifest.json" application/vnd.oci.image.manifest.v1+json)
	printf '{"schemaVersion":2,"manifests":[%s]}' "$(echo "$MDESC" | jq -c '. + {annotations:{"org.opencontainers.image.ref.name":"v1"}}')" >"$L/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
}

# A registry holding test/img:v1 (linux/amd64) and test/multi:v1 (an index: amd64, arm64).
reg_setup() {
	rt_setup || return 1
	reg_start || return 1
	reg_mkimage "$WORK/regimg" amd64
	reg_skopeo "oci:$WORK/regimg:v1" "docker://$REG_ADDR/test/img:v1" || fail "skopeo seed" || return 1
	AMD=$MDESC
	reg_mkimage "$WORK/regimg" arm64
	ARM=$MDESC
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
		"$(echo "$AMD" | jq -c '. + {platform:{os:"linux",architecture:"amd64"}}')" \
		"$(echo "$ARM" | jq -c '. + {platform:{os:"linux",architecture:"arm64",variant:"v8"}}')" >"$WORK/idx.json"
	IDX=$(reg_blob "$WORK/regimg" "$WORK/idx.json" application/vnd.oci.image.index.v1+json)
	printf '{"schemaVersion":2,"manifests":[%s]}' "$(echo "$IDX" | jq -c '. + {annotations:{"org.opencontainers.image.ref.name":"multi"}}')" >"$WORK/regimg/index.json"
	reg_skopeo --all "oci:$WORK/regimg:multi" "docker://$REG_ADDR/test/multi:v1" || fail "skopeo seed multi" || return 1
	IMG=$REG_ADDR/test/img:v1
}

reg_clean() {
	reg_stop
	rm -rf "$REGD" "$WORK/regimg" "$WORK/regsrc"
	rt_clean
}

test_registry_pull_by_tag_run_and_repull() {
	reg_setup || { reg_clean; return 1; }
	out=$("$N" pull "$IMG") || fail "pull: $out" || { reg_clean; return 1; }
	echo "$out" | tail -1 | grep -qx "$IMG" || fail "pull output: $out" || { reg_clean; return 1; }
	"$N" images | grep -q "^$REG_ADDR/test/img  *v1 " || fail "images: $("$N" images)" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none "$IMG") || fail "run: $out" || { reg_clean; return 1; }
	[ "$out" = "amd64
/opt/app
65534
hello from amd64" ] || fail "run of the pulled image: $out" || { reg_clean; return 1; }
	# Present: a second pull fetches no blob (the registry's log says so).
	before=$(reg_blob_gets)
	out=$("$N" pull "$IMG") || fail "re-pull: $out" || { reg_clean; return 1; }
	[ "$(reg_blob_gets)" = "$before" ] || fail "the re-pull fetched blobs: $before -> $(reg_blob_gets)" || { reg_clean; return 1; }
	echo "$out" | grep -q "Image is up to date" || fail "re-pull output: $out" || { reg_clean; return 1; }
	# The store is an OCI layout other tools read.
	skopeo inspect "oci:$NETD_STATE_DIR/images:$IMG" >/dev/null 2>&1 || fail "skopeo cannot read the store: $(skopeo inspect "oci:$NETD_STATE_DIR/images:$IMG" 2>&1)" || { reg_clean; return 1; }
	reg_clean
}

test_registry_pull_by_digest_and_platform_index() {
	reg_setup || { reg_clean; return 1; }
	dg=$(echo "$AMD" | jq -r .digest)
	out=$("$N" pull -q "$REG_ADDR/test/img@$dg") || fail "pull by digest: $out" || { reg_clean; return 1; }
	[ "$out" = "$REG_ADDR/test/img@$dg" ] || fail "pull -q by digest printed: $out" || { reg_clean; return 1; }
	"$N" images --digests | grep -q "<none>  *$dg" || fail "images --digests: $("$N" images --digests)" || { reg_clean; return 1; }
	rd=$("$N" image inspect "$REG_ADDR/test/img@$dg" | jq -r '.[0].RepoDigests[0]')
	[ "$rd" = "$REG_ADDR/test/img@$dg" ] || fail "RepoDigests: $rd" || { reg_clean; return 1; }
	# A digest the registry does not have, or that its content does not match, is refused.
	bad=sha256:$(printf x | sha256sum | cut -d' ' -f1)
	out=$("$N" pull "$REG_ADDR/test/img@$bad" 2>&1) && { fail "unknown digest pulled"; reg_clean; return 1; }
	# The index: the host's platform by default, --platform otherwise.
	"$N" pull -q "$REG_ADDR/test/multi:v1" >/dev/null || fail "pull multi" || { reg_clean; return 1; }
	a=$("$N" image inspect "$REG_ADDR/test/multi:v1" | jq -r '.[0].Architecture')
	[ "$a" = amd64 ] || fail "default platform gave $a" || { reg_clean; return 1; }
	"$N" pull -q --platform linux/arm64 "$REG_ADDR/test/multi:v1" >/dev/null || fail "pull --platform" || { reg_clean; return 1; }
	a=$("$N" image inspect "$REG_ADDR/test/multi:v1" | jq -r '.[0].Architecture')
	[ "$a" = arm64 ] || fail "--platform linux/arm64 gave $a" || { reg_clean; return 1; }
	out=$("$N" pull --platform linux/s390x "$REG_ADDR/test/multi:v1" 2>&1); rc=$?
	[ $rc = 3 ] && echo "$out" | grep -q "no manifest for platform linux/s390x" || fail "missing platform: $rc $out" || { reg_clean; return 1; }
	reg_clean
}

test_registry_corrupt_blob_stores_nothing() {
	reg_setup || { reg_clean; return 1; }
	# The second layer's blob, altered in the registry's storage (same size).
	h=$(echo "$AMD" | jq -r .digest | cut -c8-)
	l2=$(jq -r '.layers[1].digest' "$WORK/regimg/blobs/sha256/$h" | cut -c8-)
	f=$REGD/data/docker/registry/v2/blobs/sha256/$(echo "$l2" | cut -c1-2)/$l2/data
	[ -f "$f" ] || fail "no blob file $f" || { reg_clean; return 1; }
	printf 'x' | dd of="$f" bs=1 seek=30 conv=notrunc 2>/dev/null
	out=$("$N" pull "$IMG" 2>&1) && { fail "a corrupt blob was accepted: $out"; reg_clean; return 1; }
	echo "$out" | grep -q "blob sha256:$l2: digest mismatch" || fail "no digest error: $out" || { reg_clean; return 1; }
	[ -z "$("$N" images --json | jq -r '.[].name')" ] || fail "an image was recorded: $("$N" images)" || { reg_clean; return 1; }
	ls -a "$NETD_STATE_DIR/images/blobs/sha256" | grep -q "$l2" && { fail "the corrupt blob was kept: $(ls -a "$NETD_STATE_DIR/images/blobs/sha256")"; reg_clean; return 1; }
	[ -z "$(ls -A "$NETD_STATE_DIR/layers" | grep -v '^[0-9a-f]\{64\}$')" ] || fail "temporary layers left: $(ls -A "$NETD_STATE_DIR/layers")" || { reg_clean; return 1; }
	reg_clean
}

test_registry_unknown_image_and_bad_references() {
	reg_setup || { reg_clean; return 1; }
	out=$("$N" pull "$REG_ADDR/test/nope:v1" 2>&1); rc=$?
	[ $rc = 3 ] && echo "$out" | grep -q "No such image" || fail "unknown image: rc $rc: $out" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none "$REG_ADDR/test/nope:v1" 2>&1) && { fail "run of an unknown image: $out"; reg_clean; return 1; }
	echo "$out" | grep -q "No such image" || fail "run of an unknown image: $out" || { reg_clean; return 1; }
	for ref in "$REG_ADDR/Test/Upper:v1" "$REG_ADDR/test/img@sha256:abc" "$REG_ADDR/test/img:" "test//img" ""; do
		out=$("$N" pull "$ref" 2>&1); rc=$?
		[ $rc = 2 ] && echo "$out" | grep -q "invalid reference format" || fail "'$ref': rc $rc: $out" || { reg_clean; return 1; }
	done
	out=$("$N" pull --platform linux "$IMG" 2>&1); rc=$?
	[ $rc = 2 ] || fail "bad --platform: rc $rc: $out" || { reg_clean; return 1; }
	out=$("$N" rmi nosuchimage 2>&1); rc=$?
	[ $rc = 3 ] && echo "$out" | grep -q "No such image" || fail "rmi of nothing: rc $rc: $out" || { reg_clean; return 1; }
	[ "$(ls "$NETD_STATE_DIR/images/blobs/sha256" | wc -l)" = 0 ] || fail "blobs stored: $(ls "$NETD_STATE_DIR/images/blobs/sha256")" || { reg_clean; return 1; }
	reg_clean
}

test_registry_rmi_frees_layers_refused_while_used() {
	reg_setup || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull" || { reg_clean; return 1; }
	"$N" tag "$IMG" mine/copy:latest || fail "tag" || { reg_clean; return 1; }
	"$N" images | grep -q "^mine/copy  *latest " || fail "tag not listed: $("$N" images)" || { reg_clean; return 1; }
	[ "$(ls "$NETD_STATE_DIR/layers" | wc -l)" = 2 ] || fail "layers: $(ls "$NETD_STATE_DIR/layers")" || { reg_clean; return 1; }
	"$N" run -d --name user1 --net=none mine/copy -- sleep 60 >/dev/null || fail "run -d" || { reg_clean; return 1; }
	# Untagging one of two names is fine; removing the last one is refused while used.
	"$N" rmi mine/copy | grep -q "Untagged: mine/copy:latest" || fail "rmi of one tag" || { reg_clean; return 1; }
	out=$("$N" rmi "$IMG" 2>&1); rc=$?
	[ $rc = 4 ] && echo "$out" | grep -q "used by container" || fail "rmi of a used image: rc $rc: $out" || { reg_clean; return 1; }
	"$N" rm -f user1 >/dev/null || fail "rm -f" || { reg_clean; return 1; }
	out=$("$N" rmi "$IMG") || fail "rmi: $out" || { reg_clean; return 1; }
	echo "$out" | grep -q "^Deleted: sha256:" || fail "rmi output: $out" || { reg_clean; return 1; }
	[ -z "$(ls "$NETD_STATE_DIR/layers")" ] || fail "layers left: $(ls "$NETD_STATE_DIR/layers")" || { reg_clean; return 1; }
	[ -z "$(ls "$NETD_STATE_DIR/images/blobs/sha256")" ] || fail "blobs left: $(ls "$NETD_STATE_DIR/images/blobs/sha256")" || { reg_clean; return 1; }
	reg_clean
}

# A second registry at $1 with extra configuration $2 (the first stays in REGD1/REG_PID1).
reg_second() {
	REGD1=$REGD REG_PID1=$REG_PID REG_ADDR1=$REG_ADDR
	REG_ADDR=$1
	reg_start "$2" || return 1
	REGD2=$REGD REG_PID2=$REG_PID
	REGD=$REGD1 REG_PID=$REG_PID1 REG_ADDR=$REG_ADDR1
}

reg_clean2() {
	[ -n "${REG_PID2:-}" ] && kill "$REG_PID2" 2>/dev/null && wait "$REG_PID2" 2>/dev/null
	[ -n "${HTTPD_PID:-}" ] && kill "$HTTPD_PID" 2>/dev/null && wait "$HTTPD_PID" 2>/dev/null
	rm -rf "${REGD2:-/nonexistent}" "$WORK/tls" "$WORK/auth" "$WORK/certs.d" "$WORK/www"
	reg_clean
}

test_registry_push_mount_skip_and_pull_back() {
	reg_setup || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull" || { reg_clean; return 1; }
	dg=$("$N" image inspect "$IMG" | jq -r '.[0].Manifest')
	"$N" tag "$IMG" "$REG_ADDR/test/pushed:v2" || fail "tag" || { reg_clean; return 1; }
	out=$("$N" push "$REG_ADDR/test/pushed:v2") || fail "push: $out" || { reg_clean; return 1; }
	echo "$out" | grep -q "Mounted" || fail "no cross-repository mount: $out" || { reg_clean; return 1; }
	# skopeo reads what netd pushed, with the same digest.
	sk=$(skopeo inspect --tls-verify=false "docker://$REG_ADDR/test/pushed:v2" | jq -r .Digest)
	[ "$sk" = "$dg" ] || fail "skopeo sees $sk, netd pushed $dg" || { reg_clean; return 1; }
	# Again: every blob is there already (HEAD), nothing is uploaded.
	puts=$(grep -c '"PUT /v2/test/pushed/blobs' "$REGD/log")
	out=$("$N" push --json "$REG_ADDR/test/pushed:v2") || fail "re-push: $out" || { reg_clean; return 1; }
	[ "$(echo "$out" | jq -sc '.[-1] | [.uploaded, .mounted, .present]')" = "[0,0,3]" ] || fail "re-push: $out" || { reg_clean; return 1; }
	[ "$(grep -c '"PUT /v2/test/pushed/blobs' "$REGD/log")" = "$puts" ] || fail "re-push uploaded blobs" || { reg_clean; return 1; }
	# Pulled back into an empty store: the same image.
	"$N" rmi "$IMG" "$REG_ADDR/test/pushed:v2" >/dev/null || fail "rmi" || { reg_clean; return 1; }
	"$N" pull -q "$REG_ADDR/test/pushed:v2" >/dev/null || fail "pull back" || { reg_clean; return 1; }
	[ "$("$N" image inspect "$REG_ADDR/test/pushed:v2" | jq -r '.[0].Manifest')" = "$dg" ] || fail "digest changed" || { reg_clean; return 1; }
	"$N" rmi "$REG_ADDR/test/pushed:v2" >/dev/null
	reg_clean
}

test_registry_tls_htpasswd_login_push_pull() {
	reg_setup || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull" || { reg_clean; return 1; }
	T2=$WORK/tls && mkdir -p "$T2"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T2/ca.key" -out "$T2/ca.crt" \
		-days 2 -subj /CN=netd-test-ca 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T2/srv.key" -out "$T2/srv.csr" \
		-subj /CN=127.0.0.1 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$T2/ext" &&
	openssl x509 -req -in "$T2/srv.csr" -CA "$T2/ca.crt" -CAkey "$T2/ca.key" -CAcreateserial -out "$T2/srv.crt" \
		-days 2 -extfile "$T2/ext" 2>/dev/null || fail "test CA" || { reg_clean2; return 1; }
	htpasswd -Bbn tester s3cret >"$T2/htpasswd" 2>/dev/null || fail "htpasswd" || { reg_clean2; return 1; }
	REG_SCHEME=https REG_CURL="--cacert $T2/ca.crt" reg_second 127.0.0.1:5443 "  tls:
    certificate: $T2/srv.crt
    key: $T2/srv.key
auth:
  htpasswd:
    realm: netd-test
    path: $T2/htpasswd" || { reg_clean2; return 1; }
	export NETD_CERTS_DIR=$WORK/certs.d NETD_AUTH_FILE=$WORK/auth/config.json
	S=127.0.0.1:5443
	# Not trusted yet: the certificate is refused (and plain HTTP is no way around it).
	out=$("$N" login -u tester --password-stdin "$S" <<<s3cret 2>&1) && { fail "login without the CA: $out"; reg_clean2; return 1; }
	mkdir -p "$NETD_CERTS_DIR/$S" && cp "$T2/ca.crt" "$NETD_CERTS_DIR/$S/ca.crt"
	"$N" tag "$IMG" "$S/test/img:v1" || fail "tag" || { reg_clean2; return 1; }
	out=$("$N" push "$S/test/img:v1" 2>&1); rc=$?
	[ $rc != 0 ] && echo "$out" | grep -q "without credentials" || fail "push without login: $rc $out" || { reg_clean2; return 1; }
	out=$("$N" login -u tester --password-stdin "$S" <<<wrong 2>&1); rc=$?
	[ $rc != 0 ] && echo "$out" | grep -q "refused the credentials" || fail "wrong password: $rc $out" || { reg_clean2; return 1; }
	[ ! -e "$NETD_AUTH_FILE" ] || fail "a refused login was stored" || { reg_clean2; return 1; }
	out=$("$N" login -u tester --password-stdin "$S" <<<s3cret) || fail "login: $out" || { reg_clean2; return 1; }
	[ "$(stat -c %a "$NETD_AUTH_FILE")" = 600 ] || fail "auth file mode $(stat -c %a "$NETD_AUTH_FILE")" || { reg_clean2; return 1; }
	[ "$(jq -r --arg s "$S" '.auths[$s].auth' "$NETD_AUTH_FILE" | base64 -d)" = tester:s3cret ] || fail "auth file: $(cat "$NETD_AUTH_FILE")" || { reg_clean2; return 1; }
	"$N" push -q "$S/test/img:v1" >/dev/null || fail "push over TLS with login" || { reg_clean2; return 1; }
	"$N" rmi "$S/test/img:v1" >/dev/null
	"$N" pull -q "$S/test/img:v1" >/dev/null || fail "pull over TLS with login" || { reg_clean2; return 1; }
	"$N" logout "$S" | grep -q "Removing login credentials" || fail "logout" || { reg_clean2; return 1; }
	[ "$(jq -r --arg s "$S" '.auths[$s]' "$NETD_AUTH_FILE")" = null ] || fail "logout left: $(cat "$NETD_AUTH_FILE")" || { reg_clean2; return 1; }
	unset NETD_CERTS_DIR NETD_AUTH_FILE
	reg_clean2
}

test_registry_bearer_token_challenge() {
	reg_setup || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull" || { reg_clean; return 1; }
	# The token "server": a static answer; the registry's silly auth wants any Bearer token.
	mkdir -p "$WORK/www" && echo '{"token":"t0k3n","expires_in":60}' >"$WORK/www/token"
	busybox httpd -f -vv -p 127.0.0.1:5001 -h "$WORK/www" 2>"$WORK/www.log" &
	HTTPD_PID=$!
	reg_second 127.0.0.1:5002 "auth:
  silly:
    realm: http://127.0.0.1:5001/token
    service: netd-test" || { reg_clean2; return 1; }
	S=127.0.0.1:5002
	"$N" tag "$IMG" "$S/test/img:v1" || fail "tag" || { reg_clean2; return 1; }
	"$N" push -q "$S/test/img:v1" >/dev/null || fail "push with a Bearer challenge" || { reg_clean2; return 1; }
	"$N" rmi "$S/test/img:v1" >/dev/null
	"$N" pull -q "$S/test/img:v1" >/dev/null || fail "pull with a Bearer challenge" || { reg_clean2; return 1; }
	grep -q "scope=repository" "$WORK/www.log" || grep -q "/token" "$WORK/www.log" || fail "no token was asked for: $(cat "$WORK/www.log")" || { reg_clean2; return 1; }
	grep -q 'Bearer realm="http://127.0.0.1:5001/token"' "$REGD2/log" || grep -q "401" "$REGD2/log" || fail "no challenge in the registry log" || { reg_clean2; return 1; }
	reg_clean2
}

test_registry_commit_push_pull_run() {
	reg_setup || { reg_clean; return 1; }
	"$N" run --name c1 --net=none "$IMG" 'echo committed >/opt/app/newfile' || fail "run" || { reg_clean; return 1; }
	id=$("$N" commit c1 "$REG_ADDR/test/committed:v1") || fail "commit: $id" || { reg_clean; return 1; }
	echo "$id" | grep -Eq '^sha256:[0-9a-f]{64}$' || fail "commit printed $id" || { reg_clean; return 1; }
	"$N" rm c1 >/dev/null
	"$N" push -q "$REG_ADDR/test/committed:v1" >/dev/null || fail "push of the commit" || { reg_clean; return 1; }
	"$N" rmi "$REG_ADDR/test/committed:v1" "$IMG" >/dev/null || fail "rmi" || { reg_clean; return 1; }
	[ -z "$(ls "$NETD_STATE_DIR/layers")" ] || fail "layers left: $(ls "$NETD_STATE_DIR/layers")" || { reg_clean; return 1; }
	"$N" pull -q "$REG_ADDR/test/committed:v1" >/dev/null || fail "pull of the commit" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none "$REG_ADDR/test/committed:v1" 'cat newfile; echo $ARCH') || fail "run of the commit: $out" || { reg_clean; return 1; }
	[ "$out" = "committed
amd64" ] || fail "run of the commit: $out" || { reg_clean; return 1; }
	# A container not from the store cannot become an image; a directory still takes the layer tar.
	"$N" run --name c2 --net=none --rootfs "$RFS" -- true || fail "run c2" || { reg_clean; return 1; }
	out=$("$N" commit c2 "$REG_ADDR/test/x:v1" 2>&1); rc=$?
	[ $rc = 2 ] && echo "$out" | grep -q "not started from an image of the store" || fail "commit of a rootfs container: $rc $out" || { reg_clean; return 1; }
	"$N" commit c2 "$WORK/c2dir" | grep -Eq '^sha256:' && [ -f "$WORK/c2dir/layer.tar" ] || fail "commit to a directory" || { reg_clean; return 1; }
	"$N" rm c2 >/dev/null
	rm -rf "$WORK/c2dir"
	reg_clean
}

test_registry_partial_blob_resumed_with_range() {
	reg_setup || { reg_clean; return 1; }
	# A previous pull that died half-way through the first layer left its partial blob.
	size=$(stat -c %s "$WORK/regl1.tgz")
	h=$(sha256sum "$WORK/regl1.tgz" | cut -d' ' -f1)
	mkdir -p "$NETD_STATE_DIR/images/blobs/sha256"
	head -c $((size / 2)) "$WORK/regl1.tgz" >"$NETD_STATE_DIR/images/blobs/sha256/.partial-$h"
	out=$("$N" pull --json "$IMG") || fail "pull: $out" || { reg_clean; return 1; }
	line=$(grep "\"GET /v2/test/img/blobs/sha256:$h" "$REGD/log")
	echo "$line" | grep -q "\" 206 $((size - size / 2)) " || fail "not resumed from byte $((size / 2)) of $size: $line" || { reg_clean; return 1; }
	[ ! -e "$NETD_STATE_DIR/images/blobs/sha256/.partial-$h" ] && [ -f "$NETD_STATE_DIR/images/blobs/sha256/$h" ] || fail "blob not completed" || { reg_clean; return 1; }
	# A partial that is not a prefix of the blob fails its digest and is dropped, not kept.
	"$N" rmi "$IMG" >/dev/null
	head -c $((size / 2)) /dev/zero >"$NETD_STATE_DIR/images/blobs/sha256/.partial-$h"
	out=$("$N" pull "$IMG" 2>&1) && { fail "a bad partial was accepted"; reg_clean; return 1; }
	echo "$out" | grep -q "digest mismatch" || fail "bad partial: $out" || { reg_clean; return 1; }
	[ ! -e "$NETD_STATE_DIR/images/blobs/sha256/.partial-$h" ] || fail "bad partial kept" || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull after a bad partial" || { reg_clean; return 1; }
	reg_clean
}

test_registry_save_load_oci_and_docker_archives() {
	reg_setup || { reg_clean; return 1; }
	"$N" pull -q "$IMG" >/dev/null || fail "pull" || { reg_clean; return 1; }
	dg=$("$N" image inspect "$IMG" | jq -r '.[0].Manifest')
	"$N" save -o "$WORK/saved.tar" "$IMG" || fail "save" || { reg_clean; return 1; }
	skopeo inspect "oci-archive:$WORK/saved.tar" >/dev/null 2>&1 || fail "skopeo cannot read the saved archive" || { reg_clean; return 1; }
	"$N" rmi "$IMG" >/dev/null || fail "rmi" || { reg_clean; return 1; }
	out=$("$N" load -i "$WORK/saved.tar") || fail "load: $out" || { reg_clean; return 1; }
	[ "$out" = "Loaded image: $IMG" ] || fail "load printed: $out" || { reg_clean; return 1; }
	[ "$("$N" image inspect "$IMG" | jq -r '.[0].Manifest')" = "$dg" ] || fail "digest changed by save/load" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none "$IMG" 'cat greeting') || fail "run of the loaded image: $out" || { reg_clean; return 1; }
	[ "$out" = "hello from amd64" ] || fail "run of the loaded image: $out" || { reg_clean; return 1; }
	# What docker save writes (here by skopeo's docker-archive): loaded and run.
	reg_skopeo "docker://$REG_ADDR/test/img:v1" "docker-archive:$WORK/docker.tar:test/dock:v1" || fail "skopeo docker-archive" || { reg_clean; return 1; }
	out=$("$N" load -i "$WORK/docker.tar") || fail "load docker archive: $out" || { reg_clean; return 1; }
	[ "$out" = "Loaded image: test/dock:v1" ] || fail "docker load printed: $out" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none test/dock:v1 'cat greeting; id -u') || fail "run of the docker archive: $out" || { reg_clean; return 1; }
	[ "$out" = "hello from amd64
65534" ] || fail "run of the docker archive: $out" || { reg_clean; return 1; }
	# Not an archive, or a blob that does not match its name: an error, nothing stored.
	echo junk >"$WORK/junk.tar"
	"$N" load -i "$WORK/junk.tar" >/dev/null 2>&1 && { fail "junk loaded"; reg_clean; return 1; }
	[ -z "$(ls -A "$NETD_STATE_DIR/images" | grep '^\.load')" ] || fail "load left its directory" || { reg_clean; return 1; }
	rm -f "$WORK/saved.tar" "$WORK/docker.tar" "$WORK/junk.tar"
	reg_clean
}

test_registry_concurrent_pulls_share_blobs() {
	reg_setup || { reg_clean; return 1; }
	l1=$(sha256sum "$WORK/regl1.tgz" | cut -d' ' -f1)
	"$N" pull -q "$IMG" >"$WORK/p1.out" 2>&1 & p1=$!
	"$N" pull -q "$IMG" >"$WORK/p2.out" 2>&1 & p2=$!
	"$N" pull -q "$IMG" >"$WORK/p3.out" 2>&1 & p3=$!
	wait $p1 && wait $p2 && wait $p3 || fail "a concurrent pull failed: $(cat "$WORK"/p?.out)" || { reg_clean; return 1; }
	# One download of the big layer for the three pulls (a lock per blob), one image.
	n=$(grep -c "\"GET /v2/test/img/blobs/sha256:$l1" "$REGD/log")
	[ "$n" = 1 ] || fail "the layer was downloaded $n times" || { reg_clean; return 1; }
	[ "$("$N" images --json | jq length)" = 1 ] || fail "images: $("$N" images)" || { reg_clean; return 1; }
	[ "$(ls "$NETD_STATE_DIR/layers" | wc -l)" = 2 ] || fail "layers: $(ls -a "$NETD_STATE_DIR/layers")" || { reg_clean; return 1; }
	[ -z "$(ls -a "$NETD_STATE_DIR/images/blobs/sha256" | grep '^\.partial')" ] || fail "partials left" || { reg_clean; return 1; }
	out=$("$N" run --rm --net=none "$IMG" 'cat greeting') && [ "$out" = "hello from amd64" ] || fail "run: $out" || { reg_clean; return 1; }
	rm -f "$WORK"/p?.out
	reg_clean
}

test_registry_cli_help_and_usage_errors() {
	for c in pull images rmi tag image push login logout save load; do
		"$BIN/netd" $c --help >/dev/null || { fail "netd $c --help"; return 1; }
	done
	for c in "pull" "rmi" "tag x" "image" "push" "login" "logout" "save" "load" "images --nope"; do
		# shellcheck disable=SC2086
		"$BIN/netd" $c >/dev/null 2>&1; rc=$?
		[ $rc = 2 ] || { fail "netd $c: exit $rc, want 2"; return 1; }
	done
}

test_registry_mirror_then_origin() {
	reg_setup || { reg_clean; return 1; }
	# A registry reachable only through its mirror: the image keeps the registry's name.
	out=$(NETD_REGISTRY_MIRRORS="origin.invalid:5000=$REG_ADDR" "$N" pull "origin.invalid:5000/test/img:v1" 2>&1) || fail "pull through the mirror: $out" || { reg_clean; return 1; }
	"$N" image inspect origin.invalid:5000/test/img:v1 >/dev/null || fail "not stored under the registry's name" || { reg_clean; return 1; }
	# A mirror that does not answer: the registry itself.
	out=$(NETD_REGISTRY_MIRRORS="$REG_ADDR=127.0.0.1:5999" "$N" pull "$IMG" 2>&1) || fail "pull past a dead mirror: $out" || { reg_clean; return 1; }
	echo "$out" | grep -q "mirror 127.0.0.1:5999 failed" || fail "the mirror was not tried: $out" || { reg_clean; return 1; }
	reg_clean
}
