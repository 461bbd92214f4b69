#!/bin/sh
# Cache housekeeping on a throw-away cache: `cache rm` removes a template's
# manifest, archive and signed sidecars and nothing else, refuses a path
# (exit 3) and an unknown name (exit 2, naming the cached ones) with nothing
# removed, and -n removes nothing; `cache gc --max-size` removes the oldest
# template not in use and the package blob only it listed, keeps the newer
# one and the one deploy's unpacked tree uses, and says what it freed.
. "$(dirname "$0")/testlib.sh"
SRC=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
[ -f "$SRC/templates/$A.json" ] || skip "no cached $A in $SRC (vztmpl -C $SRC build debian:12 --variant minbase)"
C="$T/cache"
mkdir -p "$C/templates" "$C/unpacked"
cp "$SRC/templates/$A.json" "$SRC/templates/$A.tar.zst" "$C/templates/"
echo sums >"$C/templates/$A.SHA256SUMS"
echo sig >"$C/templates/$A.SHA256SUMS.gpg"

# old-x86_64 and used-x86_64: small templates of A's manifest; old lists one
# more package whose blob no other template lists; used is older still, but
# deploy keeps its unpacked tree.
head -c 300000 /dev/urandom >"$T/only-old.deb"
X=$(sha256sum "$T/only-old.deb" | cut -d' ' -f1)
mkdir -p "$C/blobs/sha256/$(echo "$X" | cut -c1-2)"
cp "$T/only-old.deb" "$C/blobs/sha256/$(echo "$X" | cut -c1-2)/$X"
for n in old used; do
  head -c 20000 /dev/urandom >"$C/templates/$n-x86_64.tar.zst"
  python3 - "$C/templates" "$n" "$X" "$A" <<'PY'
import hashlib, json, os, sys
d, n, x, a = sys.argv[1:]
m = json.load(open(os.path.join(d, a + ".json")))
arc = os.path.join(d, n + "-x86_64.tar.zst")
m["name"] = n + "-x86_64"
m["archive"] = {"file": n + "-x86_64.tar.zst", "size": os.path.getsize(arc),
                "sha256": hashlib.sha256(open(arc, "rb").read()).hexdigest(), "unpacked_size": 1, "entries": 1}
if n == "old":
    m["packages"].append({"name": "only-old", "version": "1", "architecture": "all", "size": 300000, "sha256": x})
json.dump(m, open(os.path.join(d, n + "-x86_64.json"), "w"))
PY
done
USED_SHA=$(sha256sum "$C/templates/used-x86_64.tar.zst" | cut -d' ' -f1)
mkdir "$C/unpacked/$USED_SHA"
touch -d '2020-01-01' "$C/templates/used-x86_64.json"
touch -d '2021-01-01' "$C/templates/old-x86_64.json"
snapshot() { (cd "$C" && find . -type f | sort | xargs sha256sum); }
"$VZTMPL" -C "$C" cache list >/dev/null # the cache creates its lock and directories once
snapshot >"$T/before"

# --- cache rm: refusals change nothing ---
expect_exit 2 "$VZTMPL" -C "$C" cache rm "$A" no-such-template
expect_stderr "no template no-such-template in the cache $C; it has: $A, old-x86_64, used-x86_64"
expect_exit 3 "$VZTMPL" -C "$C" cache rm ../templates/$A
expect_stderr "not a template name"
expect_exit 2 "$VZTMPL" -C "$C" cache rm
expect_exit 0 "$VZTMPL" -C "$C" cache rm -n "$A"
grep -q "would remove template $A" "$T/stdout" || fail "rm -n did not say what it would remove: $(cat "$T/stdout")"
snapshot | cmp -s - "$T/before" || fail "a refused or dry-run rm changed the cache"
echo "rm: an unknown name (exit 2, the cached ones named), a path (exit 3), -n: nothing removed"

# --- gc --max-size: the oldest template not in use, and its own blob ---
total=$("$VZTMPL" -C "$C" cache list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["total"]["bytes"])')
max=$((total - 1000))
expect_exit 0 "$VZTMPL" -C "$C" cache gc --max-size "$max" -n
grep -q "would remove template old-x86_64" "$T/stdout" || fail "gc -n --max-size: $(cat "$T/stdout")"
grep -q "template $A\|template used" "$T/stdout" && fail "gc -n --max-size would remove too much: $(cat "$T/stdout")"
snapshot | cmp -s - "$T/before" || fail "gc -n --max-size changed the cache"
expect_exit 0 "$VZTMPL" -C "$C" --json cache gc --max-size "$max"
python3 - "$T/stdout" <<'PY' || fail "gc --max-size did not report old-x86_64 and the bytes it freed: $(cat "$T/stdout")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["removed_templates"] == ["old-x86_64"], r
assert r["freed"]["total"]["bytes"] >= 320000 and r["freed"]["unreferenced"]["files"] == 1, r
print(f"gc --max-size: removed {r['removed_templates']}, freed {r['freed']['total']['bytes']} bytes")
PY
[ ! -e "$C/templates/old-x86_64.json" ] && [ ! -e "$C/templates/old-x86_64.tar.zst" ] || fail "old-x86_64 is still there"
[ ! -e "$C/blobs/sha256/$(echo "$X" | cut -c1-2)/$X" ] || fail "the blob only old-x86_64 listed is still there"
[ -f "$C/templates/used-x86_64.json" ] || fail "gc removed the template deploy's unpacked tree uses"
[ -f "$C/templates/$A.tar.zst" ] || fail "gc removed the newest template"
now=$("$VZTMPL" -C "$C" cache list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["usage"]["total"]["bytes"])')
[ "$now" -le "$max" ] || fail "the cache is $now bytes, over --max-size $max"
echo "gc --max-size: $total -> $now bytes (max $max); the newest and the in-use template stay"
expect_exit 2 "$VZTMPL" -C "$C" cache gc --max-size 20X
expect_exit 2 "$VZTMPL" -C "$C" cache list --max-size 20G

# --- cache rm: the template and its sidecars, nothing else ---
expect_exit 0 "$VZTMPL" -C "$C" cache rm "$A"
grep -q "removed template $A" "$T/stdout" && grep -q "^freed " "$T/stdout" || fail "rm said: $(cat "$T/stdout")"
for f in "$A.json" "$A.tar.zst" "$A.SHA256SUMS" "$A.SHA256SUMS.gpg"; do
  [ ! -e "$C/templates/$f" ] || fail "rm left $f"
done
expect_exit 0 "$VZTMPL" -C "$C" list templates
[ "$(cat "$T/stdout")" = used-x86_64 ] || grep -q "^used-x86_64" "$T/stdout" || fail "list templates after rm: $(cat "$T/stdout")"
grep -q "$A" "$T/stdout" && fail "$A is still listed"
[ -d "$C/unpacked/$USED_SHA" ] || fail "rm touched unpacked/"
echo "rm: $A's manifest, archive, SHA256SUMS and signature gone; used-x86_64 and unpacked/ stay"
