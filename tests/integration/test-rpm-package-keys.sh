#!/bin/sh
# RPM package signatures checked with the keyrings and pins recipes give:
# a binary keyring (gpg --export, no armor) checks packages as an armored
# one does, on rpm-md repositories and urpmi media; a pin naming a signing
# subkey's own fingerprint takes its certificate, as for signed metadata,
# and a pin of another certificate's subkey refuses the package; a refusal
# for an unpinned key names the package and the key that signed it, and
# exits 3 leaving nothing cached.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
command -v rpmsign >/dev/null || skip "needs rpmsign (Debian package rpm)"

rpm_sign_key main ed25519
rpm_sign_key sub ed25519 subkey
rpm_sign_key other ed25519 subkey
rpm_build_hello "$T/pkgs"
P="$T/pkgs/hello-2.0-1.x86_64.rpm"
rpm_sign main "$P" "$T/pkgs/main.rpm"
rpm_sign sub "$P" "$T/pkgs/sub.rpm"
rpm_sign other "$P" "$T/pkgs/other.rpm"
fpr() { cat "$T/$1.fpr"; }
# The signing subkey's fingerprint (the second fpr line).
subfpr() {
  gpg --batch --with-colons --fingerprint --fingerprint "$1@test.invalid" |
    awk -F: '$1 == "fpr" { n++; if (n == 2) { print $10; exit } }'
}
gpg --batch --quiet --export main@test.invalid sub@test.invalid other@test.invalid >"$T/trusted.gpg"
head -c 40 "$T/trusted.gpg" | grep -q "BEGIN PGP" && fail "the keyring is not binary"

for kind in main sub other; do
  rpmmd_repo "$T/srv/md-$kind" "hello:2.0-1:x86_64::$T/pkgs/$kind.rpm"
  urpmi_media "$T/srv/media-$kind" gzip "hello:2.0-1:x86_64::$T/pkgs/$kind.rpm"
done
serve "$T/srv"

recipe() { # FAMILY KIND KEYRING PINS
  rpm_recipe "$T/test.conf" keytest 1 x86_64 hello main "family = $1" "$(rpm_kind_source "$1" "$2")" \
    "keyring = $3" "keys = $4"
}
fetch() { rm -rf "$T/cache"; expect_exit "$1" "$VZTMPL" -C "$T/cache" fetch "$T/test.conf" -a x86_64; }
# nothing_cached FILE WHAT: FILE's bytes are nowhere in the cache (rpm-md
# keeps packages by sha256, urpmi media under unhashed/).
nothing_cached() {
  h=$(sha256sum "$1" | cut -c1-64)
  [ ! -e "$T/cache/blobs/sha256/$(echo "$h" | cut -c1-2)/$h" ] || fail "$2: the refused package stayed in the cache"
  [ ! -d "$T/cache/unhashed" ] || ! find "$T/cache/unhashed" -type f -exec cmp -s "$1" {} \; -print | grep -q . ||
    fail "$2: the refused package stayed in the cache"
}

for fam in rpm-md urpmi; do
  echo "$fam:"
  recipe $fam main "$T/trusted.gpg" "$(fpr main)"; fetch 0
  echo "  binary keyring, signed by the pinned key: accepted"
  recipe $fam sub "$T/trusted.gpg" "$(fpr sub)"; fetch 0
  echo "  binary keyring, signed by a subkey of the pinned key: accepted"
  recipe $fam sub "$T/trusted.gpg" "$(subfpr sub)"; fetch 0
  echo "  the signing subkey itself pinned: accepted"
  recipe $fam sub "$T/trusted.gpg" "$(subfpr other)"; fetch 3
  expect_stderr "hello-2.0-1.x86_64"
  nothing_cached "$T/pkgs/sub.rpm" "another key's subkey pinned"
  echo "  another key's subkey pinned: refused (exit 3): $(tail -1 "$T/stderr" | cut -c1-160)"
  recipe $fam other "$T/trusted.gpg" "$(fpr main)"; fetch 3
  expect_stderr "hello-2.0-1.x86_64"
  keyid=$(subfpr other | cut -c25-40)
  expect_stderr "$keyid"
  nothing_cached "$T/pkgs/other.rpm" "an unpinned key"
  echo "  signed by a key that is not pinned: refused (exit 3), naming the package and key $keyid"
done
echo PASS
