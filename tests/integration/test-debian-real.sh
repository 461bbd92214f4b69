#!/bin/sh
# Real Debian templates from the host's configured mirror: the minbase set
# equals debootstrap's, the tree equals mmdebstrap's for the same packages,
# the package database is sound, and two builds give the same bytes.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}

# 1. The resolved minbase set is debootstrap's.
expect_exit 0 "$VZTMPL" -C "$CACHE" --json build debian:12 --variant minbase --dry-run
cp "$T/stdout" "$T/dry.json"
names() { python3 -c 'import json,sys; print("\n".join(sorted(p["name"] for p in json.load(open(sys.argv[1]))["packages"])))' "$1"; }
names "$T/dry.json" >"$T/ours.txt"
MIRROR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][0])' "$T/dry.json")
SECURITY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][1])' "$T/dry.json")
debootstrap --print-debs --variant=minbase bookworm "$T/dbs" "$MIRROR" | tr ' ' '\n' | grep -v '^$' | sort >"$T/debootstrap.txt"
diff -u "$T/debootstrap.txt" "$T/ours.txt" || fail "minbase set differs from debootstrap --print-debs"
echo "minbase: $(wc -l <"$T/ours.txt") packages, the same as debootstrap"

# 2. Two builds with the same SOURCE_DATE_EPOCH give byte-identical archives.
export SOURCE_DATE_EPOCH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' "$T/dry.json")
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/first.tar.zst"
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/second.tar.zst"
cmp "$T/first.tar.zst" "$T/second.tar.zst" || fail "two builds differ"
# --offline: everything from the cache (Release verified again), the same bytes.
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase --offline -o "$T/third.tar.zst"
cmp "$T/first.tar.zst" "$T/third.tar.zst" || fail "the offline build differs"
sha=$(sha256sum "$T/first.tar.zst" | cut -d' ' -f1)
grep -q "\"sha256\": *\"$sha\"" "$CACHE/templates/debian-12-x86_64-minbase.json" || fail "manifest lacks the archive hash"
echo "reproducible: $sha"

# 3. The package database is sound.
mkdir "$T/vz"
tar -C "$T/vz" --zstd -xf "$T/first.tar.zst"
[ -z "$(dpkg --root="$T/vz" --audit)" ] || fail "dpkg --audit reports problems"
[ -z "$(dpkg --root="$T/vz" --verify)" ] || { dpkg --root="$T/vz" --verify | head; fail "dpkg --verify reports changes"; }
[ -L "$T/vz/bin" ] && [ "$(readlink "$T/vz/bin")" = usr/bin ] || fail "/bin is not merged-/usr's link"
[ ! -s "$T/vz/etc/machine-id" ] || fail "machine-id not empty"

# 4. The same tree as mmdebstrap makes from the same packages and suites.
pkgs=$(paste -sd, "$T/ours.txt")
mmdebstrap --quiet --variant=custom --include="$pkgs" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr bookworm "$T/mm.tar" \
  "deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
  "deb $SECURITY bookworm-security main" 2>"$T/mm.log" || { tail "$T/mm.log"; fail "mmdebstrap failed"; }
mkdir "$T/mm"
tar -C "$T/mm" -xf "$T/mm.tar"
listing() {
  (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U %G %l\n' | sort) >"$2.meta"
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | awk '{print $2, $1}') >"$2.sums"
}
listing "$T/mm" "$T/mm"
listing "$T/vz" "$T/vz"
volatile() {
  sed 's/ *#.*//; /^$/d' "$TESTS_DIR/volatile-paths.txt" >"$T/volatile"
  while read -r line; do
    path=${line%% *}
    keep=1
    while read -r pat; do
      # shellcheck disable=SC2254
      case $path in $pat) keep=0; break ;; esac
    done <"$T/volatile"
    if [ $keep = 1 ]; then echo "$line"; fi
  done
}
for kind in meta sums; do
  volatile <"$T/mm.$kind" >"$T/mm.$kind.f"
  volatile <"$T/vz.$kind" >"$T/vz.$kind.f"
  diff "$T/mm.$kind.f" "$T/vz.$kind.f" >"$T/diff.$kind" || { head -40 "$T/diff.$kind"; fail "tree differs from mmdebstrap's ($kind)"; }
done
echo "fidelity: $(wc -l <"$T/vz.meta.f") paths equal to mmdebstrap's (type, mode, owner, link, content)"
