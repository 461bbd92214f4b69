#!/bin/sh
# publish's high compression: the published Debian 12 minbase archive holds
# the template's tar, is at most the size of `zstd -19 --long` of that tar,
# is the same bytes when published twice, and its manifest, index.json and
# signed SHA256SUMS name those bytes, so download, verify and deploy of it
# work. (test-publish.sh publishes with --compression fast: the cached files.)
. "$(dirname "$0")/testlib.sh"
need_root
command -v zstd >/dev/null || skip "the zstd command is not installed (.ci/setup installs it)"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
# A copy: the shared cache may be rebuilt meanwhile by another run on the machine.
mkdir "$T/src"
cp "$CACHE/templates/$A.tar.zst" "$CACHE/templates/$A.json" "$T/src/"
ORIG="$T/src/$A.tar.zst"
zstd -qdc "$ORIG" >"$T/tar"
start=$(date +%s)
zstd -q -19 --long -T2 -c "$T/tar" >"$T/ref.zst"
ref_size=$(stat -c %s "$T/ref.zst")
echo "reference: zstd -19 --long -T2 of the $(stat -c %s "$T/tar") byte tar is $ref_size bytes ($(($(date +%s) - start)) s)"

# --- unknown values are usage errors ---
expect_exit 2 "$VZTMPL" -C "$CACHE" publish "$T/srv/x" --compression best "$T/src/$A.json"
expect_stderr "wants high or fast"
[ ! -e "$T/srv/x" ] || fail "a usage error created the directory"
echo "--compression best: usage error (exit 2), nothing written"

# --- high is the default: twice, into two directories ---
make_key pub
for d in a b; do
  start=$(date +%s)
  expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$T/srv/$d" --sign pub@test.invalid "$T/src/$A.json"
  grep -q "^Compressed $A (zstd -19 --long): .* MiB tar, .* MiB -> .* MiB (.*%) in .* s" "$T/stderr" ||
    fail "publish did not say the time and sizes: $(cat "$T/stderr")"
  echo "publish $d: $(grep '^Compressed' "$T/stderr"); whole publish $(($(date +%s) - start)) s"
done
BUILD=$(readlink "$T/srv/a/templates/$A/last-good")
PA="$T/srv/a/templates/$A/$BUILD"
PB="$T/srv/b/templates/$A/$BUILD"
cmp -s "$PA/$A.tar.zst" "$PB/$A.tar.zst" || fail "two publishes of one template wrote different archives"
cmp -s "$PA/$A.json" "$PB/$A.json" || fail "two publishes of one template wrote different manifests"
echo "reproducible: both publishes wrote the same archive ($(sha256sum <"$PA/$A.tar.zst" | cut -c1-16)...) and manifest"

size=$(stat -c %s "$PA/$A.tar.zst")
[ "$size" -le "$ref_size" ] || fail "the published archive is $size bytes, zstd -19 --long is $ref_size"
zstd -qdc "$PA/$A.tar.zst" | cmp -s - "$T/tar" || fail "the published archive holds another tar"
cmp -s "$PA/$A.tar.zst" "$ORIG" && fail "the published archive is the cached one: not recompressed"
echo "size: $size bytes published, $ref_size by zstd -19 --long, $(stat -c %s "$ORIG") cached; the same tar inside"

# The manifest, index.json and SHA256SUMS name the published bytes.
python3 - "$T/srv/a" "$A" "$BUILD" "$T/src/$A.json" <<'PY'
import hashlib, json, os, sys
site, name, build, orig_path = sys.argv[1:]
d = os.path.join(site, "templates", name, build)
data = open(os.path.join(d, name + ".tar.zst"), "rb").read()
sha = hashlib.sha256(data).hexdigest()
m = json.load(open(os.path.join(d, name + ".json")))
orig = json.load(open(orig_path))
assert m["archive"]["sha256"] == sha and m["archive"]["size"] == len(data), m["archive"]
# Everything else is the template's own manifest.
for k in ("sha256", "size"):
    del m["archive"][k], orig["archive"][k]
assert m == orig, "the published manifest differs beyond the archive's hash and size"
t = [t for t in json.load(open(os.path.join(site, "index.json")))["templates"] if t["name"] == name][0]
b = t["builds"][0]
assert b["sha256"] == sha and b["size"] == len(data) and b["compression"] == "high", b
assert b["template_sha256"] == hashlib.sha256(open(orig_path[:-5] + ".tar.zst", "rb").read()).hexdigest(), b
sums = open(os.path.join(site, "SHA256SUMS")).read()
assert f"{sha}  {b['archive']}\n" in sums, "SHA256SUMS does not name the published archive"
PY
(cd "$T/srv/a" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the published files"
echo "records: the manifest, index.json and SHA256SUMS carry the published archive's sha256 and size"

# --- download, verify and deploy the recompressed template ---
serve "$T/srv"
C="$T/dl"
expect_exit 0 "$VZTMPL" -C "$C" download "$A" --from "$URL/a" --keyring "$T/pub.gpg"
cmp -s "$C/templates/$A.tar.zst" "$PA/$A.tar.zst" || fail "the downloaded archive is not the published one"
expect_exit 0 "$VZTMPL" -C "$C" verify --keyring "$T/pub.gpg" "$A"
grep -q "^$A: verified .*signature passed" "$T/stdout" || fail "verify said: $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$C" deploy "$A" "$T/root-dl"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$T/src/$A.json" "$T/root-orig"
tree_list() { (cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | sort); }
tree_list "$T/root-dl" >"$T/list-dl"
tree_list "$T/root-orig" >"$T/list-orig"
cmp -s "$T/list-dl" "$T/list-orig" || { diff "$T/list-orig" "$T/list-dl" | head >&2; fail "the deployed trees differ in names, types, modes or owners"; }
diff -r --no-dereference "$T/root-orig" "$T/root-dl" >/dev/null || fail "the deployed trees differ in content"
echo "round trip: downloaded, verified with its signature, deployed (a 128 MiB zstd window): $(wc -l <"$T/list-dl") paths identical to the cached template's"
