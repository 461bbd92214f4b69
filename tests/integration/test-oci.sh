#!/bin/sh
# vztmpl export --format oci|oci-archive: the image skopeo, umoci and podman
# read (platform, layer media type, diff_id, the vztmpl manifest as a blob),
# a rootfs equal to deploy's, the same bytes on every export, an amd64 and an
# arm64 template as one image with a platform each, and the refusals
# (mixing releases is refused too: tests/unit/test-oci.c, without a build).
. "$(dirname "$0")/testlib.sh"
need_root
for tool in skopeo umoci jq; do
  command -v $tool >/dev/null || skip "$tool is not installed (.ci/setup installs it)"
done
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
# Exported from a private copy: a build elsewhere may rewrite the cache's
# .json (another build time) between two exports that must be equal.
mkdir "$T/tpl"
cp "$CACHE/templates/$TPL.json" "$CACHE/templates/$TPL.tar.zst" "$T/tpl/"
ARCHIVE="$T/tpl/$TPL.tar.zst"
X86="$T/tpl/$TPL.json"

# blob DIR DIGEST: the path of a blob of the layout DIR.
blob() { echo "$1/blobs/sha256/${2#sha256:}"; }
# tree_list DIR: path, type, mode, owner, link target, size of everything but the top.
tree_list() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l %s\n' | LC_ALL=C sort); }

# --- oci-archive of one template: what skopeo sees, and the layout inside ---
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci-archive -o "$T/a.tar" "$X86"
expect_exit 0 skopeo inspect "oci-archive:$T/a.tar"
[ "$(jq -r '.Architecture + "/" + .Os' "$T/stdout")" = linux/amd64 ] ||
  [ "$(jq -r '.Os + "/" + .Architecture' "$T/stdout")" = linux/amd64 ] || fail "skopeo: $(cat "$T/stdout")"
expect_exit 0 skopeo inspect --raw "oci-archive:$T/a.tar"
[ "$(jq -r '.layers[0].mediaType' "$T/stdout")" = application/vnd.oci.image.layer.v1.tar+zstd ] ||
  fail "layer media type: $(cat "$T/stdout")"
echo "oci-archive: skopeo reads linux/amd64 with a tar+zstd layer"

tar -tvf "$T/a.tar" >"$T/a.list"
awk '{print $2}' "$T/a.list" | grep -qv '^0/0$' && fail "an entry not owned by 0/0: $(cat "$T/a.list")"
awk '{print $6}' "$T/a.list" >"$T/names"
LC_ALL=C sort -c "$T/names" || fail "the archive's entries are not sorted"
mkdir "$T/a" && tar -C "$T/a" -xf "$T/a.tar"
[ "$(cat "$T/a/oci-layout")" = '{"imageLayoutVersion":"1.0.0"}' ] || fail "oci-layout"
M=$(jq -r '.manifests[0].digest' "$T/a/index.json")
[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/a/index.json")" = 12 ] ||
  fail "the default tag is not the release"
MF=$(blob "$T/a" "$M")
LAYER=$(jq -r '.layers[0].digest' "$MF")
[ "${LAYER#sha256:}" = "$(sha256sum <"$ARCHIVE" | cut -d' ' -f1)" ] || fail "the layer is not the template archive"
cmp -s "$(blob "$T/a" "$LAYER")" "$ARCHIVE" || fail "the layer's bytes are not the archive's"
CF=$(blob "$T/a" "$(jq -r '.config.digest' "$MF")")
[ "$(jq -r '.rootfs.diff_ids[0]' "$CF")" = "sha256:$(zstd -dc "$ARCHIVE" | sha256sum | cut -d' ' -f1)" ] ||
  fail "diff_id is not the sha256 of the uncompressed tar"
[ "$(jq -c '[.architecture, .os, .rootfs.type, .config.Entrypoint]' "$CF")" = '["amd64","linux","layers",["/sbin/init"]]' ] ||
  fail "config: $(cat "$CF")"
VM=$(jq -r '.annotations["org.vztmpl.manifest.digest"]' "$MF")
# The template's manifest (compared by its fields: a rebuild elsewhere may
# rewrite the cache's .json with another build time, never another archive).
[ "$(jq -c '[.name, .archive.sha256]' "$(blob "$T/a" "$VM")")" = "[\"$TPL\",\"${LAYER#sha256:}\"]" ] ||
  fail "the vztmpl manifest blob is not the template's: $(head -c 300 "$(blob "$T/a" "$VM")")"
# Canonical: what jq writes with sorted keys and no spaces, byte for byte.
for f in "$T/a/index.json" "$MF" "$CF"; do
  [ "$(jq -cS . "$f")" = "$(cat "$f")" ] || fail "$f is not canonical JSON: $(cat "$f")"
done
echo "oci-archive: layer = the archive (digest $LAYER), diff_id of the plain tar, vztmpl manifest carried as $VM"

# --- the same bytes on every export ---
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci-archive -o "$T/b.tar" "$X86"
cmp "$T/a.tar" "$T/b.tar" || fail "two exports of one template differ"
echo "determinism: two oci-archive exports are byte-identical ($(wc -c <"$T/a.tar") bytes)"

# --- gzip layer: umoci unpacks a rootfs equal to deploy's tree ---
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci --layer gzip --tag vzt-test -o "$T/g" "$X86"
expect_exit 0 skopeo inspect --raw "oci:$T/g:vzt-test"
[ "$(jq -r '.layers[0].mediaType' "$T/stdout")" = application/vnd.oci.image.layer.v1.tar+gzip ] ||
  fail "gzip layer media type: $(cat "$T/stdout")"
GL=$(blob "$T/g" "$(jq -r '.layers[0].digest' "$T/stdout")")
gzip -t "$GL" || fail "the gzip layer is not gzip"
expect_exit 0 umoci unpack --image "$T/g:vzt-test" "$T/bundle"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$X86" "$T/ct"
tree_list "$T/bundle/rootfs" >"$T/umoci.list"
tree_list "$T/ct" >"$T/deploy.list"
diff -u "$T/deploy.list" "$T/umoci.list" >&2 || fail "umoci's rootfs differs from deploy's (metadata)"
diff -r --no-dereference "$T/ct" "$T/bundle/rootfs" >&2 || fail "umoci's rootfs differs from deploy's (contents)"
rm -rf "$T/bundle" "$T/ct"
echo "gzip layer (reproducible: tests/unit/test-oci.c): umoci unpack gives deploy's tree ($(wc -l <"$T/deploy.list") paths: type, mode, owner, link, size, contents)"

# --- podman load ---
if command -v podman >/dev/null; then
  expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci-archive --tag vztmpl-oci-test:12 -o "$T/p.tar" "$TPL"
  expect_exit 0 podman load -i "$T/p.tar"
  expect_exit 0 podman image inspect --format '{{.Os}}/{{.Architecture}}' localhost/vztmpl-oci-test:12
  got=$(cat "$T/stdout")
  podman rmi localhost/vztmpl-oci-test:12 >/dev/null 2>&1 || true
  [ "$got" = linux/amd64 ] || fail "podman image inspect: $got"
  rm -f "$T/p.tar"
  echo "podman load: localhost/vztmpl-oci-test:12 is $got"
else
  echo "podman load: not tried, podman is not installed"
fi

# --- amd64 and arm64 as one image: a platform per manifest ---
# podman 4.3 (Debian 12's) cannot `podman load` such an oci-archive ("more
# than one image in oci, choose an image"): podman loads the single-platform
# archive above; a multi-platform one is taken by its full ref name,
# `podman pull oci-archive:FILE:NAME:TAG`. Here skopeo reads it.
# The real arm64 Debian 12 minbase (export verifies it).
if arm64_minbase; then
  cp "$CACHE/templates/debian-12-aarch64-minbase.json" "$CACHE/templates/debian-12-aarch64-minbase.tar.zst" "$T/tpl/"
  ARM="$T/tpl/debian-12-aarch64-minbase.json"
  expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci -o "$T/m" "$ARM" "$X86"
  jq -c '[.manifests[] | [.annotations["org.opencontainers.image.ref.name"], .mediaType, .platform.architecture, .platform.os]]' \
    "$T/m/index.json" >"$T/m.idx"
  [ "$(cat "$T/m.idx")" = '[["12-amd64","application/vnd.oci.image.manifest.v1+json","amd64","linux"],["12-arm64","application/vnd.oci.image.manifest.v1+json","arm64","linux"],["12","application/vnd.oci.image.index.v1+json",null,null]]' ] ||
    fail "index.json: $(cat "$T/m.idx")"
  expect_exit 0 skopeo inspect "oci:$T/m:12"
  [ "$(jq -r .Architecture "$T/stdout")" = amd64 ] || fail "skopeo oci:DIR:12 on amd64: $(cat "$T/stdout")"
  expect_exit 0 skopeo inspect --override-arch arm64 "oci:$T/m:12"
  [ "$(jq -r .Architecture "$T/stdout")" = arm64 ] || fail "skopeo oci:DIR:12 for arm64: $(cat "$T/stdout")"
  expect_exit 0 skopeo inspect "oci:$T/m:12-arm64"
  [ "$(jq -r .Architecture "$T/stdout")" = arm64 ] || fail "skopeo oci:DIR:12-arm64: $(cat "$T/stdout")"
  # Argument order does not matter.
  expect_exit 0 "$VZTMPL" -C "$CACHE" export --format oci -o "$T/m2" "$X86" "$ARM"
  diff -r "$T/m" "$T/m2" >/dev/null || fail "the image depends on the order of the templates"
  rm -rf "$T/m2"
  echo "amd64 + arm64: one index, skopeo picks linux/amd64 or linux/arm64 by platform, 12-arm64 names one"
else
  echo "amd64 + arm64: not tried, qemu-user-static is not installed"
fi

# --- refusals: nothing written ---
expect_exit 2 "$VZTMPL" -C "$CACHE" export --format oci -o "$T/twice" "$X86" "$X86"
expect_stderr "one manifest per platform"
expect_exit 2 "$VZTMPL" -C "$CACHE" export --format oci --tag 'bad tag' -o "$T/x" "$X86"
expect_stderr "a tag is"
expect_exit 2 "$VZTMPL" -C "$CACHE" export --format oci --layer xz -o "$T/x" "$X86"
expect_stderr "zstd"
expect_exit 2 "$VZTMPL" -C "$CACHE" export --format oci -o "$T/a" "$X86"
expect_stderr "not empty"
[ ! -e "$T/twice" ] && [ ! -e "$T/x" ] || fail "a refused export wrote something"
for f in "$T"/.*.oci-*; do [ ! -e "$f" ] || fail "a temporary layout was left: $f"; done
echo "refusals: one platform twice, a bad tag, an unknown layer compression, a non-empty directory (exit 2, nothing left)"
