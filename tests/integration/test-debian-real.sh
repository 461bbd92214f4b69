#!/bin/sh
# Real Debian templates from the host's configured mirror, as users build
# them: Debian 12 and 13, minbase and minimal (13 minimal is what `vztmpl
# build debian` makes). The minbase set equals debootstrap's; each tree
# equals mmdebstrap's for the same packages path by path (accepted
# differences, with their reasons, in volatile-paths.txt); the package
# database is sound; two builds give the same bytes.
. "$(dirname "$0")/testlib.sh"
. "$TESTS_DIR/reflib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}

# dry RECIPE VARIANT NAME: the resolved transaction in $T/NAME.json.
dry() {
  expect_exit 0 "$VZTMPL" -C "$CACHE" --json build "$1" --variant "$2" --dry-run
  cp "$T/stdout" "$T/$3.json"
}

# 1. The resolved minbase sets are debootstrap's.
for rel in 12:bookworm 13:trixie; do
  dry "debian:${rel%%:*}" minbase "min-${rel#*:}"
  dry_packages "$T/min-${rel#*:}.json" >"$T/ours.txt"
  debootstrap --print-debs --variant=minbase "${rel#*:}" "$T/dbs-${rel#*:}" "$(dry_mirror "$T/min-${rel#*:}.json" 0)" |
    tr ' ' '\n' | grep -v '^$' | sort >"$T/debootstrap.txt"
  diff -u "$T/debootstrap.txt" "$T/ours.txt" || fail "debian:${rel%%:*} minbase set differs from debootstrap --print-debs"
  echo "debian:${rel%%:*} minbase: $(wc -l <"$T/ours.txt") packages, the same as debootstrap"
done

# 2. Two builds with the same SOURCE_DATE_EPOCH give byte-identical archives,
# the root on tmpfs (where memory allows, as here) or on disk.
epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' "$T/min-bookworm.json")
expect_exit 0 env SOURCE_DATE_EPOCH="$epoch" "$VZTMPL" -v -C "$CACHE" build debian:12 --variant minbase -o "$T/first.tar.zst"
expect_stderr "build root on tmpfs"
expect_exit 0 env SOURCE_DATE_EPOCH="$epoch" VZTMPL_BUILD_TMPFS=0 "$VZTMPL" -v -C "$CACHE" build debian:12 --variant minbase -o "$T/second.tar.zst"
expect_stderr "build root on disk"
cmp "$T/first.tar.zst" "$T/second.tar.zst" || fail "the builds on tmpfs and on disk differ"
# --offline: everything from the cache (Release verified again), the same bytes.
expect_exit 0 env SOURCE_DATE_EPOCH="$epoch" "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase --offline -o "$T/third.tar.zst"
cmp "$T/first.tar.zst" "$T/third.tar.zst" || fail "the offline build differs"
sha=$(sha256sum "$T/first.tar.zst" | cut -d' ' -f1)
grep -q "\"sha256\": *\"$sha\"" "$CACHE/templates/debian-12-x86_64-minbase.json" || fail "manifest lacks the archive hash"
echo "reproducible: $sha"

# 3. Each tree: a sound package database, merged /usr as the release lays it
# out, and the same tree as mmdebstrap makes from the same packages.
# fidelity RECIPE CODENAME VARIANT [HOOK_DIR]
fidelity() {
  what="$1 $3"
  dry "$1" "$3" "fid"
  rm -rf "$T/vz" "$T/mm" && mkdir "$T/vz" "$T/mm"
  expect_exit 0 "$VZTMPL" -C "$CACHE" build "$1" --variant "$3" -o "$T/vz.tar.zst"
  tar -C "$T/vz" --zstd -xf "$T/vz.tar.zst"
  sound_dpkg_db "$T/vz" "$what"
  [ -L "$T/vz/bin" ] && [ "$(readlink "$T/vz/bin")" = usr/bin ] || fail "$what: /bin is not merged-/usr's link"
  [ ! -s "$T/vz/etc/machine-id" ] || fail "$what: machine-id not empty"
  mmdebstrap_reference "$T/fid.json" "$2" amd64 "$T/mm.tar" "${4:-}"
  tar -C "$T/mm" -xf "$T/mm.tar"
  same_tree "$T/mm" "$T/vz" "$what"
  rm -rf "$T/vz" "$T/mm" "$T/vz.tar.zst" "$T/mm.tar"
}
# Debian 12's base-files ships no /bin link: mmdebstrap needs its merged-usr
# hook there, as debootstrap lays the root out itself.
fidelity debian:12 bookworm minbase /usr/share/mmdebstrap/hooks/merged-usr
# Debian 13's base-files ships the links itself: no hook, and no /lib32 or
# /libx32 that the release does not make.
fidelity debian:13 trixie minbase
fidelity debian:13 trixie minimal
[ ! -e "$CACHE/templates/debian-13-x86_64-minbase.tar.zst" ] ||
  ! tar --zstd -tf "$CACHE/templates/debian-13-x86_64-minbase.tar.zst" | grep -qx './lib32' ||
  fail "debian:13 has a /lib32 link its base-files does not make"
