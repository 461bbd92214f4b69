#!/bin/sh
# urpmi media trust: a synthesis carries no package checksums, so each
# package fetched from a media is checked with librpm against the pinned
# key, which may be the media's own media_info/pubkey ("keyring = @media")
# only when its fingerprint is pinned. Uses rpm's signed, unsigned and
# corrupted test packages (the rpm-signatures conformance data) in media
# made by the test (zstd synthesis), served on loopback; the same cases on
# packages the test suite builds: test-rpm-trust-local.sh.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"

need_fixtures rpm-signatures
FIX="$FIXTURES/rpm-signatures"
KEY="$FIX/rpm.org-rsa-2048-test.pub"
FPR=771B18D3D7BAA28734333C424344591E1964C5FC

for kind in signed unsigned corrupted; do
  case $kind in unsigned) f=hello-2.0-1.x86_64.rpm ;; *) f=hello-2.0-1.x86_64-$kind.rpm ;; esac
  urpmi_media "$T/srv/$kind" zstd "hello:2.0-1:x86_64::$FIX/$f"
  cp "$KEY" "$T/srv/$kind/media_info/pubkey"
done
serve "$T/srv"

recipe() { # MEDIA KEYRING PINS [PACKAGE-SIGNATURE]
  cat >"$T/test.conf" <<RECIPE
[template]
distribution = urpmitest
release = 1
architectures = x86_64
variants = base
[repository media]
family = urpmi
mirror = $URL
suites = $1
keyring = $2
${3:+keys = $3}
${4:+package-signature = $4}
[packages]
base = none
[variant base]
install = hello
RECIPE
}
fetch() { rm -rf "$T/cache"; expect_exit "$1" "$VZTMPL" -C "$T/cache" fetch "$T/test.conf" -a x86_64; }
no_packages() {
  if [ -d "$T/cache/unhashed" ] && find "$T/cache/unhashed" -type f | grep -q .; then
    fail "a refused package stayed in the cache"
  fi
}

echo "the media's pubkey, pinned: the signed package is accepted"
recipe signed @media $FPR; fetch 0
[ "$(find "$T/cache/unhashed" -type f | wc -l)" = 1 ] || fail "the package is not in the cache"
echo "the media's pubkey with another pin: refused"
recipe signed @media 4F50A6114CD5C6976A7F1179655A4B02F577861E; fetch 3
expect_stderr "none of the pinned keys"; no_packages
echo "the media's pubkey without a pin: a usage error"
recipe signed @media ""; fetch 2; expect_stderr "needs the key's fingerprint pinned"
echo "the recipe's keyring: signed accepted, unsigned refused"
recipe signed "$KEY" $FPR; fetch 0
recipe unsigned "$KEY" $FPR; fetch 3; expect_stderr "has no signature"; no_packages
echo "corrupted payload: refused, even with package-signature = none"
recipe corrupted "$KEY" $FPR; fetch 3; expect_stderr "Payload SHA256 digest: BAD"; no_packages
recipe corrupted "$KEY" $FPR none; fetch 3; expect_stderr "Payload SHA256 digest: BAD"; no_packages
echo PASS
