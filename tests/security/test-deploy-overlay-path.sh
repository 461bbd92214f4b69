#!/bin/sh
# A manifest's fields are checked before deploy uses them: an archive hash
# of "../../.." (which once made overlay mode mount the host's / as the
# lower layer), upper-case or short hex, a file name with a '/', a negative
# or textual size: each is refused (exit 3), nothing mounted, no root made.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root

small_tar "$T/small.tar" 3
seal "$T/small.tar" small
mounts() { cut -d" " -f5 /proc/self/mountinfo | sort; }

# The true manifest deploys in overlay mode (and leaves the cache's
# unpacked/ in place, through which "../" would climb).
MODES="overlay extract reflink"
if rootless; then
  # An ordinary user's vztmpl refuses overlay mode before it reads anything.
  MODES="extract reflink"
  rootless_skip "overlay mode" "it needs root (refused before the manifest is read)"
  expect_exit 1 "$VZTMPL" -C "$T/cache" deploy --mode overlay "$T/tpl/small.json" "$T/ct/root"
  expect_stderr "overlay needs root"
else
  expect_exit 0 "$VZTMPL" -C "$T/cache" deploy --mode overlay "$T/tpl/small.json" "$T/ct/root"
  [ -f "$T/ct/root/etc/f00002" ] || fail "the overlay lacks the template's files"
  grep -q " $T/ct/root overlay " /proc/mounts || fail "no overlay mounted at $T/ct/root: $(grep overlay /proc/mounts)"
  umount "$T/ct/root"
  rm -rf "$T/ct"
  echo "the template with its true manifest: overlay mounted at the root, then removed"
fi
mounts >"$T/mounts.before"

# tamper FIELD JSON-VALUE: a copy of the manifest with archive.FIELD replaced.
tamper() {
  python3 - "$T/tpl/small.json" "$T/tpl/bad.json" "$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["archive"][sys.argv[3]] = json.loads(sys.argv[4])
json.dump(m, open(sys.argv[2], "w"))
PY
}
hex=$(python3 -c 'import json; print(json.load(open("'"$T/tpl/small.json"'"))["archive"]["sha256"])')
upper=$(echo "$hex" | tr a-f A-F)
for case in 'sha256 "../../../../../../../../../../"' "sha256 \"$upper\"" "sha256 \"${hex%?}\"" \
            "sha256 \"${hex}0\"" 'file "../small.tar.zst"' 'unpacked_size -1' 'unpacked_size "1"' \
            'entries 1e30' 'size 18446744073709551615'; do
  field=${case%% *} value=${case#* }
  tamper "$field" "$value"
  for mode in $MODES; do
    set +e
    "$VZTMPL" -C "$T/cache" deploy --mode "$mode" "$T/tpl/bad.json" "$T/ct/root" >/dev/null 2>"$T/stderr"
    rc=$?
    set -e
    if [ $rc = 0 ] && [ "$mode" = overlay ]; then
      lower=$(grep " $T/ct/root overlay " /proc/mounts | grep -o 'lowerdir=[^,]*')
      umount "$T/ct/root" # before the temporary directory is removed through it
      fail "overlay deploy with archive.$field = $value mounted $lower"
    fi
    [ $rc = 3 ] || { cat "$T/stderr" >&2; fail "archive.$field = $value, $mode: exit $rc, wanted 3"; }
    expect_stderr "refusing the manifest"
    [ ! -e "$T/ct/root" ] || fail "a refused manifest ($field=$value, $mode) made the root"
  done
  mounts >"$T/mounts.after"
  cmp -s "$T/mounts.before" "$T/mounts.after" || fail "a refused manifest ($field=$value) left a mount"
  echo "archive.$field = $value: refused in every mode ($MODES; exit 3), nothing mounted"
done
if rootless; then
  [ -z "$(ls -A "$T/cache/unpacked" 2>/dev/null)" ] ||
    fail "a refused manifest left an unpacked tree: $(ls -A "$T/cache/unpacked")"
else
  [ "$(ls -A "$T/cache/unpacked")" = "$hex" ] ||
    fail "a refused manifest left an unpacked tree: $(ls -A "$T/cache/unpacked")"
fi
