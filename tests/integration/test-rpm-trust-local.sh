#!/bin/sh
# RPM package trust on packages this test builds and signs (rpmbuild,
# rpmsign with throw-away EdDSA, RSA and subkey-signing keys), served as
# rpm-md repositories and urpmi media on loopback, so that a clone alone
# checks every refusal: a package signed by the pinned key (EdDSA, RSA, or a
# signing subkey of the pinned key) is accepted; an unsigned one is refused
# where signatures are required and taken with package-signature = none; one
# signed only the V3 way is refused unless allow-v3; one with a BAD payload
# digest is refused always; one signed by a key that is not pinned, or a pin
# the keyring lacks, is refused. Each refusal exits 3 and leaves no package
# in the cache. A urpmi media's own pubkey is trusted only when its
# fingerprint is pinned. `build` installs and registers a verified package
# and installs nothing from a corrupted one. (The same cases on rpm's own
# test packages: test-rpm-signatures.sh, test-urpmi-trust.sh.)
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
command -v rpmsign >/dev/null || skip "needs rpmsign (Debian package rpm)"

rpm_sign_key eddsa ed25519
rpm_sign_key rsa rsa2048
rpm_sign_key sub ed25519 subkey
rpm_sign_key other ed25519
rpm_build_hello "$T/pkgs"
P="$T/pkgs/hello-2.0-1.x86_64.rpm"
cp "$P" "$T/pkgs/unsigned.rpm"
rpm_sign eddsa "$P" "$T/pkgs/eddsa.rpm"
rpm_sign rsa "$P" "$T/pkgs/rsa.rpm"
rpm_sign sub "$P" "$T/pkgs/sub.rpm"
rpm_sign other "$P" "$T/pkgs/other.rpm"
# V3: a header+payload signature (rpmsign --rpmv3) with the V4 one taken away.
rpm_sign rsa "$P" "$T/pkgs/rsa-v3v4.rpm" --rpmv3
rpm_only_v3 "$T/pkgs/rsa-v3v4.rpm" "$T/pkgs/v3.rpm"
# Corrupted: signed, then one byte of the compressed payload (the file's
# end) changed; the header and its signature stay good.
rpm_sign eddsa "$P" "$T/pkgs/corrupted.rpm"
corrupt_byte "$T/pkgs/corrupted.rpm" $(($(stat -c %s "$T/pkgs/corrupted.rpm") - 20))
rpm -qp --qf '%{DSAHEADER:pgpsig}\n' "$T/pkgs/sub.rpm" 2>/dev/null | grep -q EdDSA ||
  fail "rpmsign made no EdDSA signature"
fpr() { cat "$T/$1.fpr"; }
# The keys the recipes trust, in one keyring (one armored block).
gpg --batch --quiet --armor --export eddsa@test.invalid rsa@test.invalid sub@test.invalid >"$T/trusted.asc"

KINDS="eddsa rsa sub other unsigned v3 corrupted"
for kind in $KINDS; do
  rpmmd_repo "$T/srv/md-$kind" "hello:2.0-1:x86_64::$T/pkgs/$kind.rpm"
  urpmi_media "$T/srv/media-$kind" zstd "hello:2.0-1:x86_64::$T/pkgs/$kind.rpm"
done
serve "$T/srv"

recipe() { # FAMILY KIND [PACKAGE-SIGNATURE] [KEYRING] [PINS]
  rpm_recipe "$T/test.conf" trusttest 1 x86_64 hello main "family = $1" "$(rpm_kind_source "$1" "$2")" \
    "keyring = ${4:-$T/trusted.asc}" "${5+keys = $5}" "${3:+package-signature = $3}"
}
fetch() { rm -rf "$T/cache"; expect_exit "$1" "$VZTMPL" -C "$T/cache" fetch "$T/test.conf" -a x86_64; }
# cached FILE: whether FILE's bytes are in the cache (rpm-md keeps them by
# their sha256, urpmi media, which have no checksums, under unhashed/).
cached() {
  h=$(sha256sum "$1" | cut -c1-64)
  [ -e "$T/cache/blobs/sha256/$(echo "$h" | cut -c1-2)/$h" ] && return 0
  [ -d "$T/cache/unhashed" ] && find "$T/cache/unhashed" -type f -exec cmp -s "$1" {} \; -print | grep -q .
}
no_packages() {
  for f in "$T"/pkgs/*.rpm; do
    if cached "$f"; then fail "$2: a refused package ($(basename "$f")) stayed in the cache"; fi
  done
  echo "  $2: refused (exit 3), nothing cached"
}
accepted() {
  cached "$T/pkgs/$1.rpm" || fail "$2: the package is not in the cache"
  echo "  $2: accepted, cached"
}
ALL="$(fpr eddsa) $(fpr rsa) $(fpr sub)"

for fam in rpm-md urpmi; do
  echo "$fam:"
  recipe $fam eddsa "" "" "$(fpr eddsa)"; fetch 0; accepted eddsa "EdDSA signature by the pinned key"
  recipe $fam rsa "" "" "$(fpr rsa)"; fetch 0; accepted rsa "RSA signature by the pinned key"
  recipe $fam sub "" "" "$(fpr sub)"; fetch 0; accepted sub "signed by a subkey of the pinned key"
  recipe $fam unsigned "" "" "$ALL"; fetch 3
  expect_stderr "has no signature"; no_packages x "unsigned where signatures are required"
  recipe $fam unsigned none; fetch 0; accepted unsigned "unsigned, package-signature = none"
  recipe $fam other none; fetch 0; accepted other "signed by an unknown key, package-signature = none"
  recipe $fam other "" "" "$ALL"; fetch 3
  expect_stderr "not among the pinned keys"; no_packages x "signed by a key that is not pinned"
  recipe $fam eddsa "" "" "$(fpr rsa)"; fetch 3
  expect_stderr "not among the pinned keys"; no_packages x "signed by a trusted key that is not pinned"
  recipe $fam eddsa "" "$T/eddsa.asc" "$(fpr rsa)"; fetch 3
  expect_stderr "none of the pinned keys"; no_packages x "a pin the keyring does not hold"
  recipe $fam v3 "" "" "$ALL"; fetch 3
  expect_stderr "only a V3 header+payload signature"; no_packages x "only a V3 signature"
  recipe $fam v3 allow-v3 "" "$ALL"; fetch 0; accepted v3 "only a V3 signature, allow-v3"
  recipe $fam v3 allow-v3 "$T/other.asc" "$(fpr other)"; fetch 3
  no_packages x "only a V3 signature by a key that is not pinned, allow-v3"
  recipe $fam eddsa allow-v3 "" "$ALL"; fetch 0; accepted eddsa "a V4 signature, allow-v3"
  recipe $fam unsigned allow-v3 "" "$ALL"; fetch 3
  expect_stderr "has no signature"; no_packages x "unsigned, allow-v3"
  recipe $fam corrupted "" "" "$ALL"; fetch 3
  expect_stderr "Payload SHA256 digest: BAD"; no_packages x "payload digest BAD"
  recipe $fam corrupted none; fetch 3
  expect_stderr "Payload SHA256 digest: BAD"; no_packages x "payload digest BAD, package-signature = none"
done

echo "urpmi, the media's own pubkey (keyring = @media):"
for kind in eddsa sub; do cp "$T/$kind.asc" "$T/srv/media-$kind/media_info/pubkey"; done
recipe urpmi eddsa "" @media "$(fpr eddsa)"; fetch 0; accepted eddsa "pinned"
recipe urpmi sub "" @media "$(fpr sub)"; fetch 0; accepted sub "pinned, signed by its subkey"
recipe urpmi eddsa "" @media "$(fpr rsa)"; fetch 3
expect_stderr "none of the pinned keys"; no_packages x "another key pinned"
recipe urpmi eddsa "" @media ""; fetch 2
expect_stderr "needs the key's fingerprint pinned"; echo "  no pin: a usage error (exit 2)"

echo "build: the verified package is installed and registered"
recipe rpm-md eddsa "" "" "$(fpr eddsa)"
rm -rf "$T/cache"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" -a x86_64
mkdir "$T/unpacked"
tar --zstd -xpf "$T/cache/templates/"*-x86_64.tar.zst -C "$T/unpacked"
[ "$(rpm --root "$T/unpacked" --dbpath /var/lib/rpm -q --qf '%{NAME}-%{VERSION}' hello)" = hello-2.0 ] ||
  fail "hello is not registered in the template's rpmdb"
[ "$(cat "$T/unpacked/usr/share/hello/greeting")" = hello ] || fail "hello's file is not installed"
echo "build: a corrupted package is refused before anything is installed"
recipe rpm-md corrupted "" "" "$ALL"
rm -rf "$T/cache"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf" -a x86_64
expect_stderr "Payload SHA256 digest: BAD"
assert_no_template "$T/cache"
echo PASS
