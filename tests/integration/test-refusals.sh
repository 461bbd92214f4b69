#!/bin/sh
# Every tampering with a signed repository ends in exit 3, a message naming
# the file, and nothing in the cache's templates. Served on loopback.
. "$(dirname "$0")/testlib.sh"

make_key good
make_key other
make_deb "$T/repo/pool/main" hello-vzt 1.0 "base-vzt"
make_deb "$T/repo/pool/main" base-vzt 1.0
make_repo "$T/repo" testing good 7
serve "$T/repo"
write_recipe "$T/test.conf" "$URL" "$T/good.gpg" hello-vzt
export VZTMPL_APT_DIR="$T/no-apt"  # no host sources may leak in

# Control: the untouched repository resolves and downloads.
expect_exit 0 "$VZTMPL" -C "$T/cache" fetch "$T/test.conf"
expect_exit 0 "$VZTMPL" -C "$T/cache" --json build "$T/test.conf" --dry-run
grep -q '"name": "hello-vzt"' "$T/stdout" || fail "dry run lacks hello-vzt"
grep -q '"name": "base-vzt"' "$T/stdout" || fail "dry run lacks the dependency"
rm -rf "$T/cache"

dists="$T/repo/dists/testing"
# assert_index_refused CACHE: a refused or missing index left no template,
# no index (blob or parsed copy) and no partial download in the cache.
assert_index_refused() {
  assert_no_template "$1"
  left=$(find "$1" -type f \( -path "*/blobs/*" -o -path "*/solv/*" -o -name "*.part" \) 2>/dev/null || true)
  [ -z "$left" ] || fail "the refused index left files in the cache: $left"
}
cp "$dists/InRelease" "$T/InRelease.good"
restore() { cp "$T/InRelease.good" "$dists/InRelease"; rm -rf "$T/cache"; }

# 1. One byte of the signed text changed.
echo "case 1: One byte of the signed text changed."
sed -i 's/^Origin: vztmpl-test/Origin: vztmpl-tesT/' "$dists/InRelease"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "InRelease"
assert_no_template "$T/cache"
restore

# 2. Text added outside the signed block is never read: a forged hash there changes nothing,
echo "case 2: Text added outside the signed block is never read: a forged hash there changes nothing,"
#    and a forged SHA256 for a new index appended after the signature is ignored.
{ cat "$T/InRelease.good"; printf 'SHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/binary-amd64/Packages.xz\n'; } >"$dists/InRelease"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run
{ printf 'Valid-Until: Thu, 01 Jan 1970 00:00:00 UTC\n\n'; cat "$T/InRelease.good"; } >"$dists/InRelease"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run
restore

# 3. A Packages.xz whose hash differs from the signed one.
echo "case 3: A Packages.xz whose hash differs from the signed one."
#    Like apt, vztmpl then tries the other compressions the Release lists;
#    with every copy tampered there is nothing verified left.
bin="$dists/main/binary-amd64"
cp "$bin/Packages.xz" "$T/Packages.xz.good"
cp "$bin/Packages" "$T/Packages.good"
printf 'Package: evil\nVersion: 1\nArchitecture: all\n\n' | xz >"$bin/Packages.xz"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run
expect_stderr "Packages.xz: size mismatch"
grep -q '^hello-vzt ' "$T/stdout" || fail "the fallback to the verified uncompressed index lost packages"
rm -rf "$T/cache"
printf 'Package: evil\nVersion: 1\nArchitecture: all\n\n' >"$bin/Packages"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "Packages.xz"
expect_stderr "binary-amd64/Packages:"
assert_no_template "$T/cache"
cp "$T/Packages.xz.good" "$bin/Packages.xz"
cp "$T/Packages.good" "$bin/Packages"
restore

# 3b. A tampered Packages.xz and no other form served: the missing plain
#     index does not turn the contradiction into a mere "cannot download".
echo "case 3b: A tampered Packages.xz, the plain Packages missing: exit 3, naming the mismatch."
printf 'Package: evil\nVersion: 1\nArchitecture: all\n\n' | xz >"$bin/Packages.xz"
rm "$bin/Packages"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "Packages.xz: size mismatch: expected $(stat -c %s "$T/Packages.xz.good") bytes"
expect_stderr "contradicts the signed Release"
assert_index_refused "$T/cache"
cp "$T/Packages.xz.good" "$bin/Packages.xz"
cp "$T/Packages.good" "$bin/Packages"
restore

# 3c. The same over by-hash names (Acquire-By-Hash: yes): the by-hash files
#     hold other bytes of the signed size, the plain paths are missing.
echo "case 3c: By-hash indices with other bytes of the signed size, plain paths missing: exit 3."
sed 's/^Components: main$/Components: main\nAcquire-By-Hash: yes/' "$dists/Release" >"$T/Release.byhash"
gpg --batch --yes --quiet --local-user "good@test.invalid" --clearsign -o "$dists/InRelease" "$T/Release.byhash"
mkdir -p "$bin/by-hash/SHA256"
for f in Packages Packages.xz; do
  sum=$(sha256sum "$bin/$f" | cut -d' ' -f1)
  cp "$bin/$f" "$bin/by-hash/SHA256/$sum"
  corrupt_byte "$bin/by-hash/SHA256/$sum" 10
  mv "$bin/$f" "$T/$f.moved"
done
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "by-hash/SHA256/$(sha256sum "$T/Packages.xz.good" | cut -d' ' -f1): sha256 mismatch: expected $(sha256sum "$T/Packages.xz.good" | cut -d' ' -f1), got"
expect_stderr "contradicts the signed Release"
assert_index_refused "$T/cache"
rm -rf "$T/cache"

# 3d. Every form of the index missing (by-hash and plain): nothing lied,
#     the mirror is incomplete: exit 1, "cannot download".
echo "case 3d: Every form of the index missing: exit 1, cannot download."
rm -rf "$bin/by-hash"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "cannot download"
assert_index_refused "$T/cache"
mv "$T/Packages.xz.moved" "$bin/Packages.xz"
mv "$T/Packages.moved" "$bin/Packages"
restore

# 4. A .deb whose hash differs from its Packages entry.
echo "case 4: A .deb whose hash differs from its Packages entry."
deb="$T/repo/pool/main/hello-vzt_1.0_all.deb"
cp "$deb" "$T/deb.good"
corrupt_byte "$deb" 200
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "hello-vzt_1.0_all.deb"
assert_no_template "$T/cache"
cp "$T/deb.good" "$deb"
restore

# 5. An expired Valid-Until (signed, so it is the repository's own word).
echo "case 5: An expired Valid-Until (signed, so it is the repository's own word)."
make_repo "$T/repo" testing good -1
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
expect_stderr "expired"
expect_stderr "InRelease"
assert_no_template "$T/cache"
make_repo "$T/repo" testing good 7
cp "$dists/InRelease" "$T/InRelease.good"
restore

# 6. A keyring that lacks the signing key.
echo "case 6: A keyring that lacks the signing key."
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --keyring "$T/other.gpg"
expect_stderr "InRelease"
assert_no_template "$T/cache"

# 7. Signed by a key that is in the keyring but not pinned by the recipe.
echo "case 7: Signed by a key that is in the keyring but not pinned by the recipe."
sed -i "s|^keyring = .*|keyring = $T/good.gpg\nkeys = 0123456789ABCDEF0123456789ABCDEF01234567|" "$T/test.conf"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf"
assert_no_template "$T/cache"
echo "all refusals behaved"
