#!/bin/sh
# urpmi media on real Mandriva 2010/2011 media (the mandriva-media
# conformance data): both media load and --dry-run resolves their real
# packages; an MD5SUM mismatch is refused naming the file and leaves nothing
# behind; a media without MD5SUM or not listing the synthesis is refused.
# The same cases on media the test suite makes: test-rpm-trust-local.sh.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"

need_fixtures mandriva-media/repo
FIX="$FIXTURES/mandriva-media/repo"

recipe() { # FILE MIRROR INSTALL
  rpm_recipe "$1" mdvtest 2011 i586 "$3" media "family = urpmi" "mirror = $2" "suites = mAiN/release k0ntr1b/release"
}

# From the two media: null-a-bummy and null-a-dummy exist only in mAiN,
# etcskel in both (noarch), t1lib-config in both (5.1.2-13 in mAiN, whose
# @info@ carries no disttag, beats 5.1.2-9mdv2011.0 in k0ntr1b).
recipe "$T/mdv.conf" "file://$FIX" "null-a-bummy null-a-dummy t1lib-config"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/mdv.conf" --dry-run -a i586
cat "$T/stdout"
awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "null-a-bummy 1:2.1-72 i586" || fail "null-a-bummy"
awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "null-a-dummy 1:2.1-72 i586" || fail "null-a-dummy"
awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "t1lib-config 1:5.1.2-13 i586" || fail "t1lib-config from mAiN"
[ "$(wc -l <"$T/stdout")" = 3 ] || fail "more than the 3 packages"

# mandriva-lxde-config-Free is real Mandriva metadata whose dependencies
# (mandriva-release-Free, lxde-common, ...) are in neither media: resolving
# it fails, and the message names them.
recipe "$T/mdv2.conf" "file://$FIX" "mandriva-lxde-config-Free"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/mdv2.conf" --dry-run -a i586
expect_stderr "mandriva-release-Free"

# fetch downloads them (a synthesis has no package checksums: librpm checks
# each package; these old test packages are unsigned, so only with
# package-signature = none, and refused otherwise).
recipe "$T/fetch.conf" "file://$FIX" "null-a-bummy null-a-dummy"
sed -i 's/^suites = .*/&\npackage-signature = none/' "$T/fetch.conf"
expect_exit 0 "$VZTMPL" -C "$T/cache" fetch "$T/fetch.conf" -a i586
[ "$(find "$T/cache/unhashed" -type f | wc -l)" = 2 ] || fail "not 2 packages fetched"
sed -i '/^package-signature/d; s|^suites = .*|&\nkeyring = '"$SRC_DIR"'/recipes/mandriva/keys/RPM-GPG-KEY-Mageia|' "$T/fetch.conf"
expect_exit 3 "$VZTMPL" -C "$T/cache" fetch "$T/fetch.conf" -a i586
expect_stderr "has no signature"

# Served over loopback HTTP, the same resolves.
serve "$FIX"
recipe "$T/http.conf" "$URL" "null-a-bummy t1lib-config"
expect_exit 0 "$VZTMPL" -C "$T/cache2" build "$T/http.conf" --dry-run -a i586
grep -q "^t1lib-config" "$T/stdout" || fail "over http: t1lib-config"

# A copy whose synthesis is corrupted by one byte: refused (exit 3), naming
# the file; nothing of it stays in the cache.
cp -r "$FIX" "$T/bad"
chmod -R u+w "$T/bad"
syn="$T/bad/k0ntr1b/release/media_info/synthesis.hdlist.cz"
corrupt_byte "$syn" 40
recipe "$T/bad.conf" "file://$T/bad" "null-a-bummy"
expect_exit 3 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "k0ntr1b/release/media_info/synthesis.hdlist.cz"
expect_stderr "md5"
# (mAiN's good synthesis may stay; k0ntr1b's md5 is db9d5748...)
if find "$T/cache3" -name '*db9d5748*' -o -name '*.part' | grep -q .; then
  find "$T/cache3" -type f >&2; fail "the corrupted synthesis stayed in the cache"
fi
assert_no_template "$T/cache3"

# MD5SUM not listing the synthesis, and no MD5SUM at all: refused too.
cp "$FIX/k0ntr1b/release/media_info/synthesis.hdlist.cz" "$syn"
sed -i '/ synthesis.hdlist.cz$/d' "$T/bad/k0ntr1b/release/media_info/MD5SUM"
expect_exit 3 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "does not list synthesis.hdlist.cz"
rm "$T/bad/k0ntr1b/release/media_info/MD5SUM"
expect_exit 1 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "k0ntr1b/release/media_info/MD5SUM"
echo PASS
