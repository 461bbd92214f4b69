#!/bin/sh
# vztmpl push and pull against a real registry (Debian's docker-registry on
# loopback): a pushed image skopeo reads back, blobs the registry has
# skipped, a pull that verifies and deploys like the original, a blob
# changed in the registry's storage refused with nothing cached, TLS with a
# CA file and htpasswd credentials from an auth file (a wrong password said
# clearly), signatures required by --keyring, the SBOM attached by push as an
# artifact and installed by pull (signed, or refused unsigned beside a signed
# template), amd64 and arm64 templates pushed as one index and pulled by
# platform, a broken-off pull resumed, and concurrent pulls.
. "$(dirname "$0")/testlib.sh"
need_root
command -v docker-registry >/dev/null || skip "docker-registry is not installed (apt-get install docker-registry)"
command -v skopeo >/dev/null || skip "skopeo is not installed"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
[ -f "$CACHE/templates/$TPL.json" ] || expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
SRC="$T/src"
mkdir -p "$SRC/templates"
cp "$CACHE/templates/$TPL.tar.zst" "$CACHE/templates/$TPL.json" "$SRC/templates/"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
REG_PIDS=
# start_registry NAME [TLS-AND-AUTH-YAML]: a registry storing under $T/NAME; sets $REG.
start_registry() {
  port=$(free_port)
  mkdir -p "$T/$1"
  cat >"$T/$1.yml" <<CONF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/$1
http:
  addr: 127.0.0.1:$port
${2:-}
CONF
  docker-registry serve "$T/$1.yml" >"$T/$1.log" 2>&1 &
  REG_PIDS="$REG_PIDS $!"
  REG=127.0.0.1:$port
  wait_until "registry $1 to listen" curl -sk -o /dev/null "http${2:+s}://$REG/v2/"
}
stop_registries() { for p in $REG_PIDS; do kill "$p" 2>/dev/null || true; done; }
trap 'stop_registries; cleanup' EXIT

# The OCI layout vztmpl's oci export writes, made by ocilayout.py so that
# push is tested on its own.
make_layout() { python3 "$TESTS_DIR/ocilayout.py" "$@"; }
make_layout "$T/layout" "$SRC/templates" "$TPL"
make_layout "$T/layout-index" "$SRC/templates" "$TPL" --index
LAYER=$(sha256sum "$SRC/templates/$TPL.tar.zst" | cut -d" " -f1)

# --- plain HTTP on loopback ---
start_registry plain
REG_PLAIN=$REG
expect_exit 0 "$VZTMPL" push --plain-http "oci:$T/layout" "$REG/tmpl/debian:12"
PUSHED=$(sed -n 's/.*@//p' "$T/stdout")
grep -q "layer  *uploaded  *sha256:$LAYER" "$T/stderr" || fail "push did not say it uploaded the layer"
echo "push: $(grep -c uploaded "$T/stderr") blobs uploaded, image $PUSHED"
skopeo inspect --tls-verify=false "docker://$REG/tmpl/debian:12" >"$T/inspect.json"
python3 - "$T/inspect.json" "$PUSHED" "$LAYER" <<'PY' || fail "skopeo does not see the pushed image"
import json, sys
i = json.load(open(sys.argv[1]))
assert i["Digest"] == sys.argv[2], i["Digest"]
assert i["Layers"] == ["sha256:" + sys.argv[3]], i["Layers"]
assert i["Architecture"] == "amd64"
PY
echo "skopeo inspect: digest $PUSHED, the archive as the one layer"

expect_exit 0 "$VZTMPL" push --plain-http --json "oci:$T/layout" "$REG/tmpl/debian:12"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[i["action"] for i in d["pushed"] if i["kind"]!="manifest"]; assert a and set(a)=={"skipped"}, a' \
  "$T/stdout" || fail "a second push uploaded again"
echo "push again: every blob skipped (--json)"

expect_exit 0 "$VZTMPL" push --plain-http --mount-from tmpl/debian "oci:$T/layout-index" "$REG/tmpl/other:12"
grep -q "layer  *mounted" "$T/stderr" || fail "the layer was not mounted from tmpl/debian"
echo "push to another repository with --mount-from: layer mounted, index under the tag"

expect_exit 2 "$VZTMPL" push --plain-http "oci:$T/layout" "registry.test.invalid/tmpl/debian:12"
expect_stderr "only for a registry on this machine"
echo "--plain-http to a remote host: refused (exit 2)"

# Push of a cached template goes through the oci export; a vztmpl without it says so.
expect_exit_any() { set +e; "$@" >"$T/stdout" 2>"$T/stderr"; got=$?; set -e; }
expect_exit_any "$VZTMPL" -C "$SRC" push --plain-http "$TPL" "$REG/tmpl/fromcache:12"
if [ "$got" = 0 ]; then
  skopeo inspect --tls-verify=false "docker://$REG/tmpl/fromcache:12" | grep -q "sha256:$LAYER" ||
    fail "push TEMPLATE did not push the archive as the layer"
  echo "push TEMPLATE: exported through oci and pushed"
else
  grep -q "this vztmpl has no oci export" "$T/stderr" || { cat "$T/stderr" >&2; fail "push TEMPLATE failed ($got)"; }
  echo "push TEMPLATE: this build has no oci export, said so (exit $got)"
fi

# --- pull, verify, deploy ---
expect_exit 0 "$VZTMPL" -C "$T/c1" pull --plain-http "$REG/tmpl/other:12"
[ "$(cat "$T/stdout")" = "$T/c1/templates/$TPL.json" ] || fail "pull printed $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$T/c1" verify "$TPL"
expect_exit 0 "$VZTMPL" -C "$T/c1" deploy "$TPL" "$T/pulled"
expect_exit 0 "$VZTMPL" -C "$SRC" deploy "$TPL" "$T/orig"
diff -r --no-dereference "$T/orig" "$T/pulled" >&2 || fail "the pulled template deploys differently"
rm -rf "$T/orig" "$T/pulled"
echo "pull (through an index): verifies, deploys the same tree as the original"

expect_exit 2 "$VZTMPL" -C "$T/c1b" pull --plain-http --arch aarch64 "$REG/tmpl/other:12"
expect_stderr "no image for arm64"
expect_exit 0 "$VZTMPL" -C "$T/c1b" pull --plain-http "$REG/tmpl/debian@$PUSHED"
echo "pull --arch of a platform the index lacks: usage error; pull by digest: ok"

# A pull broken off after half the layer resumes from its .part.
mkdir -p "$T/c2/tmp/downloads"
head -c 20000000 "$SRC/templates/$TPL.tar.zst" >"$T/c2/tmp/downloads/$LAYER.tar.zst.part"
expect_exit 0 "$VZTMPL" -C "$T/c2" pull --plain-http "$REG/tmpl/debian:12"
expect_stderr "Resuming"
expect_exit 0 "$VZTMPL" -C "$T/c2" verify "$TPL"
echo "pull with half the layer in .part: resumed, verifies"
# A pull killed (-9) while the layer streams, slowed by a front, resumes from its .part.
front slow "http://$REG_PLAIN"
SLOW=${FRONT_URL#http://}
echo "/v2/tmpl/debian/blobs/sha256:$LAYER 1 trickle 65536" >"$T/slow.rules"
PART="$T/c8/tmp/downloads/$LAYER.tar.zst.part"
"$VZTMPL" -q -C "$T/c8" pull --plain-http "$SLOW/tmpl/debian:12" >/dev/null 2>&1 &
PULL=$!
part_size() { [ -f "$PART" ] && [ "$(stat -c %s "$PART")" -gt 4000000 ]; }
wait_until "the layer to stream" part_size
kill -9 "$PULL"
wait "$PULL" 2>/dev/null || true
KEPT=$(stat -c %s "$PART")
[ ! -e "$T/c8/templates/$TPL.json" ] || fail "a killed pull left a template in the cache"
expect_exit 0 "$VZTMPL" -C "$T/c8" pull --plain-http "$SLOW/tmpl/debian:12"
expect_stderr "Resuming"
grep -q "blobs/sha256:$LAYER 2 pass" "$T/slow.log" || fail "the second pull did not ask for the layer again"
expect_exit 0 "$VZTMPL" -C "$T/c8" verify "$TPL"
echo "pull killed with $KEPT bytes of the layer: nothing cached; the next pull resumed, verifies"
# A .part that is not the blob's start is dropped and the blob fetched whole.
mkdir -p "$T/c3/tmp/downloads"
head -c 1000000 /dev/urandom >"$T/c3/tmp/downloads/$LAYER.tar.zst.part"
expect_exit 0 "$VZTMPL" -C "$T/c3" pull --plain-http "$REG/tmpl/debian:12"
expect_exit 0 "$VZTMPL" -C "$T/c3" verify "$TPL"
echo "pull with a foreign .part: fetched whole, verifies"

# --- a blob changed in the registry's storage ---
DATA="$T/plain/docker/registry/v2/blobs/sha256/$(echo "$LAYER" | cut -c1-2)/$LAYER/data"
[ -f "$DATA" ] || fail "no layer at $DATA"
corrupt_byte "$DATA" 1000000
expect_exit 3 "$VZTMPL" -C "$T/c4" pull --plain-http "$REG/tmpl/debian:12"
expect_stderr "changed or corrupted"
[ -z "$(ls -A "$T/c4/templates" 2>/dev/null)" ] || fail "a refused pull left $(ls "$T/c4/templates") in the cache"
for f in "$T/c4/tmp/downloads"/*; do
  case $f in *.lock | */\*) ;; *) fail "a refused pull left $f" ;; esac
done
corrupt_byte "$DATA" 1000000
echo "a layer changed in the registry: exit 3, nothing in the cache"

# An image whose vztmpl manifest vouches for another archive than its layer.
make_layout "$T/layout-lie" "$SRC/templates" "$TPL" --lie
expect_exit 0 "$VZTMPL" push --plain-http "oci:$T/layout-lie" "$REG/tmpl/lie:12"
expect_exit 3 "$VZTMPL" -C "$T/c12" pull --plain-http "$REG/tmpl/lie:12"
expect_stderr "does not vouch for the layer"
[ -z "$(ls -A "$T/c12/templates" 2>/dev/null)" ] || fail "a manifest that does not vouch for the layer let it in"
echo "an image whose manifest names another archive: exit 3, nothing in the cache"

# --- signatures ---
make_key signer
SIGNER=$(gpg --batch --with-colons --list-keys signer@test.invalid | awk -F: '/^fpr/ {print $10; exit}')
make_key stranger
expect_exit 0 "$VZTMPL" push --plain-http --sign "$SIGNER" "oci:$T/layout" "$REG/tmpl/signed:12"
grep -q "sha256-.*\.sig" "$T/stderr" || fail "no .sig tag on a registry without the referrers API"
expect_exit 0 "$VZTMPL" -C "$T/c5" pull --plain-http --keyring "$T/signer.gpg" "$REG/tmpl/signed:12"
expect_exit 0 "$VZTMPL" -C "$T/c5" verify --keyring "$T/signer.gpg" "$TPL"
echo "push --sign, pull --keyring: good signature, verify checks it again"
expect_exit 3 "$VZTMPL" -C "$T/c6" pull --plain-http --keyring "$T/stranger.gpg" "$REG/tmpl/signed:12"
[ -z "$(ls -A "$T/c6/templates" 2>/dev/null)" ] || fail "a foreign signature let the template in"
expect_exit 3 "$VZTMPL" -C "$T/c6" pull --plain-http --keyring "$T/signer.gpg" "$REG/tmpl/debian:12"
expect_stderr "no vztmpl signature"
[ -z "$(ls -A "$T/c6/templates" 2>/dev/null)" ] || fail "an unsigned image let the template in"
echo "pull --keyring: a foreign signature and a missing one both exit 3, nothing cached"

# --- the SBOM: an artifact referring to the image ---
expect_exit 0 "$VZTMPL" -C "$SRC" push --plain-http "$TPL" "$REG_PLAIN/tmpl/sbom:12"
IMG=$(sed -n 's/.*@//p' "$T/stdout")
grep -q "sbom  *put" "$T/stderr" || { cat "$T/stderr" >&2; fail "push TEMPLATE attached no SBOM"; }
expect_exit 0 skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/tmpl/sbom:sha256-${IMG#sha256:}.sbom"
python3 - "$T/stdout" "$IMG" <<'PY' || fail "the .sbom tag is not an SPDX artifact referring to the image"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["artifactType"] == "application/spdx+json", m
assert m["subject"]["digest"] == sys.argv[2], m["subject"]
assert [l["mediaType"] for l in m["layers"]] == ["application/spdx+json"], m["layers"]
PY
echo "push TEMPLATE: SBOM attached, skopeo sees it under sha256-<hex>.sbom (artifactType application/spdx+json, subject the image)"
expect_exit 0 "$VZTMPL" -C "$T/sb1" pull --plain-http --json "$REG_PLAIN/tmpl/sbom:12"
SB="$T/sb1/templates/$TPL.spdx.json"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sbom"])' "$T/stdout")" = "$SB" ] ||
  fail "pull --json does not name the SBOM: $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$T/sb1" sbom "$TPL"
cmp -s "$T/stdout" "$SB" || fail "the pulled SBOM differs from what vztmpl sbom prints"
python3 - "$SB" "$LAYER" <<'PY' || fail "the pulled SBOM does not describe the archive"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["spdxVersion"] == "SPDX-2.3" and d["documentNamespace"].endswith("-" + sys.argv[2]), d["documentNamespace"]
PY
echo "pull: $TPL.spdx.json installed ($(stat -c %s "$SB") bytes), equal to vztmpl sbom, names the archive sha256"
expect_exit 0 "$VZTMPL" -C "$T/sb1" pull --plain-http "$REG_PLAIN/tmpl/debian:12"
[ ! -e "$SB" ] || fail "a pull of an image without an SBOM left the old SBOM"
echo "pull of an image without an SBOM: none installed, the old one removed"

expect_exit 0 "$VZTMPL" -C "$SRC" push --plain-http --sign "$SIGNER" "$TPL" "$REG_PLAIN/tmpl/sbomsigned:12"
expect_exit 0 "$VZTMPL" -C "$T/sb2" pull --plain-http --keyring "$T/signer.gpg" "$REG_PLAIN/tmpl/sbomsigned:12"
[ -f "$T/sb2/templates/$TPL.spdx.json" ] || fail "pull --keyring of a signed push brought no SBOM"
grep -q "^$(sha256sum <"$T/sb2/templates/$TPL.spdx.json" | cut -d" " -f1)  $TPL.spdx.json\$" \
  "$T/sb2/templates/$TPL.SHA256SUMS" || fail "the signed list does not name the SBOM"
expect_exit 0 "$VZTMPL" -C "$T/sb2" verify --keyring "$T/signer.gpg" "$TPL"
echo "push --sign TEMPLATE, pull --keyring: the SBOM comes, listed in the signed SHA256SUMS, verifies"
# The same image signed without the SBOM in its list, then the SBOM attached unsigned.
expect_exit 0 "$VZTMPL" -C "$SRC" export --format oci -o "$T/exp" "$TPL"
expect_exit 0 "$VZTMPL" push --plain-http --sign "$SIGNER" "oci:$T/exp" "$REG_PLAIN/tmpl/sbommixed:12"
expect_exit 0 "$VZTMPL" -C "$SRC" push --plain-http "$TPL" "$REG_PLAIN/tmpl/sbommixed:12"
expect_exit 3 "$VZTMPL" -C "$T/sb3" pull --plain-http --keyring "$T/signer.gpg" "$REG_PLAIN/tmpl/sbommixed:12"
expect_stderr "unsigned SBOM"
[ -z "$(ls -A "$T/sb3/templates" 2>/dev/null)" ] || fail "an unsigned SBOM beside a signed template got in"
echo "an unsigned SBOM attached to a signed image: pull --keyring exits 3, nothing cached"

# --- amd64 and arm64 templates pushed as one index ---
ARMT=debian-12-aarch64-minbase
if arm64_minbase; then
  cp "$CACHE/templates/$ARMT.tar.zst" "$CACHE/templates/$ARMT.json" "$SRC/templates/"
  expect_exit 0 "$VZTMPL" -C "$SRC" push --plain-http "$TPL" "$ARMT" "$REG_PLAIN/tmpl/multi:12"
  [ "$(grep -c "sbom  *put" "$T/stderr")" = 2 ] || fail "push of two templates did not attach two SBOMs"
  expect_exit 0 skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/tmpl/multi:12"
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); p=sorted(d["platform"]["architecture"] for d in m["manifests"]); assert p==["amd64","arm64"], p' \
    "$T/stdout" || fail "the pushed index does not list amd64 and arm64: $(cat "$T/stdout")"
  expect_exit 0 "$VZTMPL" -C "$T/mu1" pull --plain-http --arch arm64 "$REG_PLAIN/tmpl/multi:12"
  [ "$(cat "$T/stdout")" = "$T/mu1/templates/$ARMT.json" ] || fail "pull --arch arm64 gave $(cat "$T/stdout")"
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["architecture"])' "$T/mu1/templates/$ARMT.json")" = aarch64 ] ||
    fail "pull --arch arm64 did not bring the arm64 template"
  [ -f "$T/mu1/templates/$ARMT.spdx.json" ] || fail "the arm64 template came without its SBOM"
  expect_exit 0 "$VZTMPL" -C "$T/mu2" pull --plain-http "$REG_PLAIN/tmpl/multi:12"
  [ "$(cat "$T/stdout")" = "$T/mu2/templates/$TPL.json" ] || fail "pull without --arch gave $(cat "$T/stdout")"
  echo "push $TPL $ARMT: one index (amd64, arm64); pull --arch arm64 gets the aarch64 template, pull without --arch this host's"
else
  echo "amd64 + arm64 as one index: not tried, no arm64 template and qemu-user-static is not installed"
fi

# --- TLS with a throw-away CA, htpasswd credentials ---
make_ca "$T/tls" ca
htpasswd -Bbc "$T/htpasswd" tester s3cret 2>/dev/null
start_registry tls "  tls:
    certificate: $T/tls/cert.pem
    key: $T/tls/key.pem
auth:
  htpasswd:
    realm: vztmpl-test
    path: $T/htpasswd"
auth_file() { printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$1" "$(printf %s "$2" | base64 -w0)" >"$3"; }
auth_file "$REG" tester:s3cret "$T/auth.json"
auth_file "$REG" tester:wrong "$T/bad.json"
expect_exit 1 env REGISTRY_AUTH_FILE="$T/auth.json" "$VZTMPL" push "oci:$T/layout" "$REG/tmpl/debian:12"
expect_stderr "certificate"
echo "TLS without --ca-file: refused by certificate verification (exit 1)"
expect_exit 1 env REGISTRY_AUTH_FILE=/nonexistent HOME="$T/nohome" XDG_RUNTIME_DIR="$T/norun" \
  "$VZTMPL" push --ca-file "$T/tls/ca.pem" "oci:$T/layout" "$REG/tmpl/debian:12"
expect_stderr "wants a user and password"
echo "no credentials: says to log in (exit 1)"
expect_exit 1 env REGISTRY_AUTH_FILE="$T/bad.json" "$VZTMPL" push --ca-file "$T/tls/ca.pem" "oci:$T/layout" "$REG/tmpl/debian:12"
expect_stderr "credentials were refused"
echo "wrong password: \"$(sed -n 's/^error: //p' "$T/stderr" | cut -c1-100)...\" (exit 1)"
expect_exit 0 env REGISTRY_AUTH_FILE="$T/auth.json" "$VZTMPL" push --ca-file "$T/tls/ca.pem" "oci:$T/layout" "$REG/tmpl/debian:12"
mkdir -p "$T/home/.docker"
cp "$T/auth.json" "$T/home/.docker/config.json"
expect_exit 0 env -u REGISTRY_AUTH_FILE HOME="$T/home" XDG_RUNTIME_DIR="$T/norun" \
  "$VZTMPL" -C "$T/c7" pull --ca-file "$T/tls/ca.pem" "$REG/tmpl/debian:12"
expect_exit 0 "$VZTMPL" -C "$T/c7" verify "$TPL"
echo "TLS + htpasswd: push with REGISTRY_AUTH_FILE, pull with ~/.docker/config.json, verifies"

# --- bearer tokens (a front speaking the token flow before the plain registry) ---
python3 "$TESTS_DIR/tokenfront.py" "http://$REG_PLAIN" tester:s3cret "$T/token.port" "$T/token.log" &
FRONT_PIDS="${FRONT_PIDS:-} $!"
wait_until "the token front to start" test -s "$T/token.port"
TOKREG=127.0.0.1:$(cat "$T/token.port")
expect_exit 0 env REGISTRY_AUTH_FILE=/nonexistent HOME="$T/nohome" XDG_RUNTIME_DIR="$T/norun" \
  "$VZTMPL" -C "$T/c9" pull --plain-http "$TOKREG/tmpl/debian:12"
grep -q "token:anon-token 200" "$T/token.log" || fail "pull did not fetch an anonymous token"
expect_exit 1 env REGISTRY_AUTH_FILE=/nonexistent HOME="$T/nohome" XDG_RUNTIME_DIR="$T/norun" \
  "$VZTMPL" push --plain-http "oci:$T/layout" "$TOKREG/tmpl/tok:12"
expect_stderr "HTTP 401"
auth_file "$TOKREG" tester:wrong "$T/tokbad.json"
expect_exit 1 env REGISTRY_AUTH_FILE="$T/tokbad.json" "$VZTMPL" push --plain-http "oci:$T/layout" "$TOKREG/tmpl/tok:12"
expect_stderr "refused the credentials"
auth_file "$TOKREG" tester:s3cret "$T/tokgood.json"
: >"$T/token.log"
expect_exit 0 env REGISTRY_AUTH_FILE="$T/tokgood.json" "$VZTMPL" push --plain-http "oci:$T/layout" "$TOKREG/tmpl/tok:12"
grep -q "token:push-token 200" "$T/token.log" || fail "push did not fetch a token with the credentials"
[ "$(grep -c "token:" "$T/token.log")" = 1 ] || { cat "$T/token.log" >&2; fail "push asked for more than one token"; }
expect_exit 0 env REGISTRY_AUTH_FILE="$T/tokgood.json" "$VZTMPL" push --plain-http --sign "$SIGNER" "oci:$T/layout" "$TOKREG/tmpl/tok:12"
! grep -q "also tagged" "$T/stderr" || fail "push tagged the signature although the registry answers referrers"
expect_exit 0 "$VZTMPL" -C "$T/c10" pull --plain-http --keyring "$T/signer.gpg" "$TOKREG/tmpl/tok:12"
grep -q "GET /v2/tmpl/tok/referrers/sha256:.* 200" "$T/token.log" || fail "pull did not ask the referrers API"
expect_exit 3 "$VZTMPL" -C "$T/c11" pull --plain-http --keyring "$T/stranger.gpg" "$TOKREG/tmpl/tok:12"
echo "OCI 1.1 referrers: push --sign attaches without a tag, pull --keyring finds it (a foreign keyring: exit 3)"
echo "bearer tokens: anonymous pull ok; push without credentials 401, with a wrong password refused, with the right one ok (one token for pull and push)"

# --- 16 pulls at once into 16 caches ---
pids=
for i in $(seq 1 16); do
  "$VZTMPL" -q -C "$T/p$i" pull --plain-http "$REG_PLAIN/tmpl/debian:12" >"$T/p$i.out" 2>&1 &
  pids="$pids $!"
done
n=0
for p in $pids; do n=$((n + 1)); wait "$p" || { cat "$T/p$n.out" >&2; fail "concurrent pull $n failed"; }; done
for i in $(seq 1 16); do
  "$VZTMPL" -q -C "$T/p$i" verify "$TPL" >/dev/null 2>&1 || fail "concurrent pull $i does not verify"
  rm -rf "$T/p$i"
done
echo "16 concurrent pulls into 16 caches: all verify"

# --- 4 pulls of one image at once into one cache: they take turns ---
pids=
for i in 1 2 3 4; do
  "$VZTMPL" -q -C "$T/shared" pull --plain-http "$REG_PLAIN/tmpl/debian:12" >"$T/s$i.out" 2>&1 &
  pids="$pids $!"
done
n=0
for p in $pids; do n=$((n + 1)); wait "$p" || { cat "$T/s$n.out" >&2; fail "pull $n into the shared cache failed"; }; done
expect_exit 0 "$VZTMPL" -C "$T/shared" verify "$TPL"
echo "4 concurrent pulls into one cache: all succeed, the template verifies"
