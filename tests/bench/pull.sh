#!/bin/bash
# netd pull against a local registry (Debian's docker-registry on the sandbox loopback):
# an image of 5 layers x 20 MiB of incompressible data (gzip) pulled into an empty store
# by netd pull, by podman pull (verifies and unpacks too; private root, overlay or else
# vfs) and by skopeo copy to an OCI layout (download and verify only); then the re-pull
# of a present image. All in a private network + mount namespace (never the host's).
# Usage: tests/bench/pull.sh BIN_DIR
set -eu
if [ -z "${NETD_BENCH_INNER:-}" ]; then
	BIN=$(cd "$1" && pwd)
	NETD_BENCH_INNER=1 exec unshare --net --mount --propagation private -- "$0" "$BIN"
fi
BIN=$1
mount -t tmpfs tmpfs /run
ip link set lo up
W=$(mktemp -d /var/tmp/netd-bench-pull.XXXXXX)
REG=127.0.0.1:5000
cleanup() {
	[ -n "${RP:-}" ] && kill "$RP" 2>/dev/null && { wait "$RP" 2>/dev/null || true; }
	podman --root "$W/podroot" --runroot "$W/podrun" --storage-driver "${PD:-vfs}" system reset -f >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
	"$W/reg" "$REG" >"$W/reg.yml"
docker-registry serve "$W/reg.yml" >"$W/reg.log" 2>&1 &
RP=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://$REG/v2/" && break; sleep 0.1; done

# The image: 5 layers of 20 MiB of random bytes each, gzip -1.
L=$W/layout && mkdir -p "$L/blobs/sha256" "$W/src"
blob() {
	h=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$L/blobs/sha256/$h"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$h" "$(stat -c %s "$L/blobs/sha256/$h")"
}
layers="" diffs=""
for i in 1 2 3 4 5; do
	mkdir -p "$W/src/l$i" && head -c 20M /dev/urandom >"$W/src/l$i/data$i"
	tar -C "$W/src/l$i" -cf "$W/src/l$i.tar" . && rm -rf "$W/src/l$i"
	diffs="$diffs${diffs:+,}\"sha256:$(sha256sum "$W/src/l$i.tar" | cut -d' ' -f1)\""
	gzip -1 -n "$W/src/l$i.tar"
	layers="$layers${layers:+,}$(blob "$W/src/l$i.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)"
done
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["true"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$W/src/config.json"
cfg=$(blob "$W/src/config.json" application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' "$cfg" "$layers" >"$W/src/m.json"
man=$(blob "$W/src/m.json" application/vnd.oci.image.manifest.v1+json)
printf '{"schemaVersion":2,"manifests":[%s]}' "$(echo "$man" | jq -c '. + {annotations:{"org.opencontainers.image.ref.name":"v1"}}')" >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"
echo '{"default":[{"type":"insecureAcceptAnything"}]}' >"$W/policy.json"
skopeo --policy "$W/policy.json" copy -q --dest-tls-verify=false "oci:$L:v1" "docker://$REG/bench/img:v1"
rm -rf "$L"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
export NETD_STATE_DIR=$W/state
t=$(date +%s%N); "$BIN/netd" pull -q "$REG/bench/img:v1" >/dev/null; netd_ms=$(ms "$t")
best=999999
for _ in 1 2 3 4 5; do
	t=$(date +%s%N); "$BIN/netd" pull -q "$REG/bench/img:v1" >/dev/null; r=$(ms "$t")
	[ "$r" -lt "$best" ] && best=$r
done
t=$(date +%s%N)
skopeo --policy "$W/policy.json" copy -q --src-tls-verify=false "docker://$REG/bench/img:v1" "oci:$W/sk:v1"; sk_ms=$(ms "$t")
PD=overlay
podman --root "$W/podroot" --runroot "$W/podrun" --storage-driver overlay info >/dev/null 2>&1 || PD=vfs
t=$(date +%s%N)
podman --root "$W/podroot" --runroot "$W/podrun" --storage-driver "$PD" pull -q --tls-verify=false \
	--signature-policy "$W/policy.json" "$REG/bench/img:v1" >/dev/null; pod_ms=$(ms "$t")
echo "pull 5 x 20 MiB (gzip, local registry): netd ${netd_ms} ms, podman ($PD) ${pod_ms} ms, skopeo copy (no unpack) ${sk_ms} ms"
echo "pull ratios: podman/netd $(awk -v a="$pod_ms" -v b="$netd_ms" 'BEGIN{printf "%.2f", a/b}') (target >= 1.5), skopeo/netd $(awk -v a="$sk_ms" -v b="$netd_ms" 'BEGIN{printf "%.2f", a/b}') (target >= 1)"
echo "re-pull of a present image: best of 5 ${best} ms (target < 50 ms)"
