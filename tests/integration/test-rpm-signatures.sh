#!/bin/sh
# RPM package trust on rpm's own test packages (the rpm-signatures
# conformance data), served as rpm-md repositories on loopback:
# `vztmpl fetch` accepts the signed package with its pinned key; refuses the
# unsigned one where signatures are required (and takes it with
# package-signature = none); refuses one signed only the V3 way unless
# allow-v3; refuses the corrupted one always, and a key that is not pinned; each refusal exits 3 and leaves no package in the
# cache. `build` installs the verified package and registers it in the
# template's rpmdb; a corrupted one is refused before anything is installed.
# The same cases on packages the test suite builds: test-rpm-trust-local.sh.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"

need_fixtures rpm-signatures
FIX="$FIXTURES/rpm-signatures"
KEY="$FIX/rpm.org-rsa-2048-test.pub"
FPR=771B18D3D7BAA28734333C424344591E1964C5FC

# A package signed only the V3 way (header+payload): the signed one with its
# V4 header-only signature taken away.
rpm_only_v3 "$FIX/hello-2.0-1.x86_64-signed.rpm" "$T/hello-v3.rpm"
for kind in signed unsigned corrupted v3; do
  case $kind in
    unsigned) f=$FIX/hello-2.0-1.x86_64.rpm ;;
    v3) f=$T/hello-v3.rpm ;;
    *) f=$FIX/hello-2.0-1.x86_64-$kind.rpm ;;
  esac
  rpmmd_repo "$T/srv/$kind" "hello:2.0-1:x86_64::$f"
done
serve "$T/srv"

recipe() { # REPO [PACKAGE-SIGNATURE] [KEYRING] [PIN]
  cat >"$T/test.conf" <<RECIPE
[template]
distribution = sigtest
release = 1
architectures = x86_64
variants = base
[repository main]
family = rpm-md
mirror = $URL/$1
suites = .
keyring = ${3:-$KEY}
keys = ${4:-$FPR}
metadata-signature = if-published
${2:+package-signature = $2}
[packages]
base = none
[variant base]
install = hello
RECIPE
}
fetch() { rm -rf "$T/cache"; expect_exit "$1" "$VZTMPL" -C "$T/cache" fetch "$T/test.conf" -a x86_64; }
# blob FILE: where the cache keeps FILE's bytes.
blob() { h=$(sha256sum "$1" | cut -c1-64); echo "$T/cache/blobs/sha256/$(echo "$h" | cut -c1-2)/$h"; }
no_packages() {
  for f in "$FIX"/*.rpm; do
    [ -e "$(blob "$f")" ] && fail "a refused package ($f) stayed in the cache"
  done
  return 0
}

echo "signed by the pinned key: accepted"
recipe signed; fetch 0
[ -f "$(blob "$FIX/hello-2.0-1.x86_64-signed.rpm")" ] || fail "the package is not in the cache"

echo "unsigned where signatures are required: refused"
recipe unsigned; fetch 3
expect_stderr "hello-2.0-1.x86_64"; expect_stderr "has no signature"; no_packages
echo "unsigned, package-signature = none: digests only, accepted"
recipe unsigned none; fetch 0
echo "signed by a key not in the keyring, package-signature = none: digests only, accepted"
recipe signed none "$SRC_DIR/recipes/fedora/keys/RPM-GPG-KEY-fedora-45-primary" \
  4F50A6114CD5C6976A7F1179655A4B02F577861E
fetch 0

echo "only a V3 header+payload signature: refused unless the recipe allows it"
recipe v3; fetch 3; expect_stderr "only a V3 header+payload signature"
[ -e "$(blob "$T/hello-v3.rpm")" ] && fail "the refused V3 package stayed in the cache"
recipe v3 allow-v3; fetch 0
[ -f "$(blob "$T/hello-v3.rpm")" ] || fail "the allowed V3 package is not in the cache"
recipe v3 allow-v3 "$SRC_DIR/recipes/fedora/keys/RPM-GPG-KEY-fedora-45-primary" \
  4F50A6114CD5C6976A7F1179655A4B02F577861E
fetch 3; expect_stderr "hello"
[ -e "$(blob "$T/hello-v3.rpm")" ] && fail "a V3 package by an untrusted key stayed in the cache"
echo "allow-v3 still takes a V4 signature, and no unsigned package"
recipe signed allow-v3; fetch 0
recipe unsigned allow-v3; fetch 3; expect_stderr "has no signature"

echo "payload digest BAD: refused always"
recipe corrupted; fetch 3
expect_stderr "Payload SHA256 digest: BAD"; no_packages
recipe corrupted none; fetch 3
expect_stderr "Payload SHA256 digest: BAD"; no_packages

echo "signed, but by a key the recipe does not trust"
recipe signed required "$SRC_DIR/recipes/fedora/keys/RPM-GPG-KEY-fedora-45-primary" \
  4F50A6114CD5C6976A7F1179655A4B02F577861E
fetch 3; expect_stderr "not among the pinned keys"; no_packages
echo "a pin the keyring does not hold"
recipe signed required "$KEY" 4F50A6114CD5C6976A7F1179655A4B02F577861E
fetch 3; expect_stderr "none of the pinned keys"

echo "build: the verified package is installed and registered"
recipe signed
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" -a x86_64
mkdir "$T/unpacked"
tar --zstd -xpf "$T/cache/templates/"*-x86_64.tar.zst -C "$T/unpacked"
[ "$(rpm --root "$T/unpacked" --dbpath /var/lib/rpm -q --qf '%{NAME}-%{VERSION}' hello)" = hello-2.0 ] ||
  fail "hello is not registered in the template's rpmdb"
echo "build: a corrupted package is refused before anything is installed"
recipe corrupted
rm -rf "$T/cache"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf" -a x86_64
assert_no_template "$T/cache"
echo PASS
