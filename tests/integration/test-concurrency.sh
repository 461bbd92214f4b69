#!/bin/sh
# Concurrency and a full disk. Four builds of two recipes share one cache at
# the same time, with a cache gc among them: all succeed, the two builds of
# a recipe give the same bytes, and every blob and template verifies. A
# build into a cache on a small tmpfs fails with a message naming the lack
# of space, leaves no partial file, and the cache works once there is room.
. "$(dirname "$0")/testlib.sh"
need_root
command -v busybox >/dev/null || skip "needs busybox (Debian package busybox-static)"

buildable_repo
make_deb "$POOL" extra-vzt 1.0 "hostbase-vzt"
make_repo "$T/repo" testing good 7
write_recipe "$T/one.conf" "$URL" "$T/good.gpg" hello-vzt
write_recipe "$T/two.conf" "$URL" "$T/good.gpg" extra-vzt
sed -i 's/^\[template\]$/[template]\nname = two/' "$T/two.conf"
ONE=testdist-1-x86_64
TWO=two-x86_64

# check_cache DIR: every blob hashes to its name, every template verifies.
check_cache() {
  find "$1/blobs" -type f ! -name '*.part' | while read -r b; do
    [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || fail "blob $b does not hash to its name"
  done
  for m in "$1"/templates/*.json; do
    case $m in *.spdx.json) continue ;; esac # an SBOM, not a manifest
    "$VZTMPL" -C "$1" verify "$m" >/dev/null 2>"$T/verify.err" || { cat "$T/verify.err" >&2; fail "$m does not verify"; }
  done
}

# --- four builds and a gc at once, on an empty cache ---
C="$T/shared"
pids=
for i in 1 2 3 4; do
  recipe=$([ $((i % 2)) = 1 ] && echo one || echo two)
  "$VZTMPL" -C "$C" build "$T/$recipe.conf" >"$T/b$i.out" 2>"$T/b$i.err" &
  pids="$pids $!"
done
# gc among the builds: once one of them works in the cache (or, on a very
# fast machine, has already finished).
builds_started() { [ -n "$(ls -A "$C/tmp" 2>/dev/null)" ] || ls "$C"/templates/*.tar.zst >/dev/null 2>&1; }
wait_until "a build to start in $C" builds_started
"$VZTMPL" -C "$C" cache gc >"$T/gc.out" 2>"$T/gc.err" &
gc=$!
i=0
for p in $pids; do
  i=$((i + 1))
  wait "$p" || { cat "$T/b$i.err" >&2; fail "concurrent build $i failed"; }
done
wait "$gc" || { cat "$T/gc.err" >&2; fail "cache gc beside the builds failed"; }
[ -f "$C/templates/$ONE.tar.zst" ] && [ -f "$C/templates/$TWO.tar.zst" ] || fail "a template is missing"
check_cache "$C"
# Each recipe built alone gives the same bytes as under the crowd.
expect_exit 0 "$VZTMPL" -C "$T/alone" build "$T/one.conf"
cmp -s "$T/alone/templates/$ONE.tar.zst" "$C/templates/$ONE.tar.zst" || fail "$ONE differs when built in a crowd"
[ -z "$(ls -A "$C/tmp")" ] || fail "work directories left: $(ls "$C/tmp")"
echo "four builds and a gc at once: all done, every blob and template verifies"

# --- a full disk ---
# Sizes that run out while downloading, unpacking and packing: each build
# fails saying so (or, with room enough, succeeds), and leaves nothing half-made.
D="$T/small"
mkdir "$D"
mount -t tmpfs -o size=1m tmpfs "$D"
trap 'umount "$D" 2>/dev/null; cleanup' EXIT
failed=0
for size in 1m 3m 6m 9m; do
  rm -rf "$D/cache"
  mount -o remount,size=$size "$D"
  set +e
  "$VZTMPL" -C "$D/cache" build "$T/one.conf" >"$T/stdout" 2>"$T/stderr"
  rc=$?
  set -e
  if [ "$rc" = 0 ]; then
    check_cache "$D/cache"
    echo "full disk at $size: built"
    continue
  fi
  [ "$rc" = 1 ] || { cat "$T/stderr" >&2; fail "$size: exit $rc"; }
  expect_stderr "No space left on device"
  failed=$((failed + 1))
  [ ! -e "$D/cache/templates/$ONE.tar.zst" ] && [ ! -e "$D/cache/templates/$ONE.json" ] ||
    fail "$size: a build on a full disk left a template"
  [ -z "$(ls -A "$D/cache/tmp" 2>/dev/null)" ] || fail "$size: a build on a full disk left its work: $(ls "$D/cache/tmp")"
  ! find "$D/cache/blobs" -type f ! -name '*.part' 2>/dev/null | while read -r b; do
    [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || echo "$b"
  done | grep -q . || fail "$size: a partial blob sits under a final name"
  echo "full disk at $size: $(grep -m1 -o 'error: .*' "$T/stderr" | head -c 200)"
done
[ "$failed" -ge 2 ] || fail "only $failed sizes ran out of space"
# With room, the same cache builds.
mount -o remount,size=64m "$D"
expect_exit 0 "$VZTMPL" -C "$D/cache" build "$T/one.conf"
cmp -s "$T/alone/templates/$ONE.tar.zst" "$D/cache/templates/$ONE.tar.zst" || fail "the build after the full disk differs"
check_cache "$D/cache"
echo "concurrency: ok"
