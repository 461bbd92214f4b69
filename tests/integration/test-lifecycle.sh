#!/bin/sh
# Template lifecycle on real Debian templates: verify (and its refusals),
# diff between Debian 12 minbase and Debian 13, and cache list/gc/clean on a
# private cache (the shared test cache is never collected).
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
B=debian-13-x86_64
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian

# verify: passes, with every check named in --json.
expect_exit 0 "$VZTMPL" -C "$CACHE" verify "$A"
grep -q "^$A: verified" "$T/stdout" || fail "verify said: $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$CACHE" verify --json "$B"
python3 - "$T/stdout" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is True, r
c = r["checks"]
assert c["archive"]["status"] == "passed" and c["packages"]["status"] == "passed", c
assert c["signature"]["status"] == "skipped", c
assert r["packages"] > 100, r["packages"]
PY

# A copy with one byte flipped: refused (exit 3), naming the file.
mkdir "$T/copy"
cp "$CACHE/templates/$A.tar.zst" "$CACHE/templates/$A.json" "$T/copy/"
size=$(stat -c %s "$T/copy/$A.tar.zst")
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$T/copy/$A.tar.zst" | tr -d ' ')
# shellcheck disable=SC2059 # the format is the octal escape of the flipped byte
printf "\\$(printf %03o $(((byte + 1) % 256)))" |
  dd of="$T/copy/$A.tar.zst" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$T/copy/$A.tar.zst" "$CACHE/templates/$A.tar.zst" && fail "the byte was not flipped"
expect_exit 3 "$VZTMPL" -C "$CACHE" verify "$T/copy/$A.tar.zst"
expect_stderr "verification refused"
expect_stderr "$T/copy/$A.tar.zst: sha256"
expect_exit 3 "$VZTMPL" -C "$CACHE" verify --json "$T/copy/$A.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["verified"] is False and r["checks"]["archive"]["status"] == "failed" and r["checks"]["packages"]["status"] == "skipped", r' "$T/stdout"
expect_exit 1 "$VZTMPL" -C "$CACHE" verify "$T/copy/no-such-template.tar.zst"
echo "verify: passes; refuses a flipped byte (exit 3); a missing template fails (exit 1)"

# diff: 1 when they differ (diff(1)'s convention), 0 when they do not.
expect_exit 1 "$VZTMPL" -C "$CACHE" diff "$A" "$B"
grep -q '^^ apt 2\.[0-9.]* -> 3\.' "$T/stdout" || fail "diff lacks the apt upgrade: $(head "$T/stdout")"
grep -q '^^ base-files 12\..* -> 13\.' "$T/stdout" || fail "diff lacks the base-files upgrade"
grep -q '^- gcc-12-base ' "$T/stdout" || fail "diff lacks gcc-12-base removed"
grep -q '^+ gcc-14-base ' "$T/stdout" || fail "diff lacks gcc-14-base added"
expect_stderr "upgraded"
echo "diff $A $B: $(tail -1 "$T/stderr")"
expect_exit 0 "$VZTMPL" -C "$CACHE" diff "$A" "$A"
[ ! -s "$T/stdout" ] || fail "a template differs from itself"
expect_exit 1 "$VZTMPL" -C "$CACHE" diff --files --json "$A" "$B"
python3 - "$T/stdout" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
up = {p["name"]: p for p in r["packages"] if p["change"] == "upgraded"}
assert "apt" in up and up["apt"]["old_version"].startswith("2.") and up["apt"]["new_version"].startswith("3."), up.get("apt")
files = {f["path"]: f for f in r["files"]}
assert files["/etc/debian_version"]["change"] == "changed" and "content" in files["/etc/debian_version"]["what"]
paths = [f["path"] for f in r["files"]]
assert paths == sorted(paths), "paths not sorted"
assert not any(p.startswith("./") for p in paths)
PY
expect_exit 0 "$VZTMPL" -C "$CACHE" diff --files "$A" "$CACHE/templates/$A.json"
expect_exit 3 "$VZTMPL" -C "$CACHE" diff --files "$A" "$T/copy/$A.tar.zst"
expect_stderr "verification refused"
expect_exit 2 "$VZTMPL" -C "$CACHE" diff "$A" no-such-template
expect_exit 2 "$VZTMPL" -C "$CACHE" diff "$A"
echo "diff: packages and files; refuses a tampered archive (exit 3)"

# cache list on the shared cache only reads it.
expect_exit 0 "$VZTMPL" -C "$CACHE" cache list
grep -q "^  $A " "$T/stdout" || fail "cache list lacks $A"
expect_exit 0 "$VZTMPL" -C "$CACHE" cache list -v
grep -q "^    [0-9a-f]\{64\}  apt " "$T/stdout" || fail "cache list -v lists no blobs"

# gc on a private cache: a fresh build there, then junk around it.
C="$T/cache"
expect_exit 0 "$VZTMPL" -C "$C" build debian:12 --variant minbase
sum=$(sha256sum "$C/templates/$A.tar.zst" | cut -d' ' -f1)
junk=$(printf 'not a package' | sha256sum | cut -d' ' -f1)
mkdir -p "$C/blobs/sha256/$(echo "$junk" | cut -c1-2)"
printf 'not a package' >"$C/blobs/sha256/$(echo "$junk" | cut -c1-2)/$junk"
printf 'half' >"$C/blobs/sha256/$(echo "$junk" | cut -c1-2)/$junk.part"
mkdir -p "$C/tmp/build.999999999.abcdef"   # no such pid: a build that died
expect_exit 0 "$VZTMPL" -C "$C" cache gc -n
grep -q '^would free' "$T/stdout" || fail "gc -n said: $(cat "$T/stdout")"
[ -f "$C/blobs/sha256/$(echo "$junk" | cut -c1-2)/$junk" ] || fail "gc -n removed a blob"
expect_exit 0 "$VZTMPL" -C "$C" cache gc
grep -q '^freed' "$T/stdout" || fail "gc said: $(cat "$T/stdout")"
grep -q '^kept 88 blobs' "$T/stdout" || fail "gc did not keep the template's 88 blobs: $(cat "$T/stdout")"
[ ! -e "$C/blobs/sha256/$(echo "$junk" | cut -c1-2)/$junk" ] || fail "gc kept an unreferenced blob"
[ ! -e "$C/blobs/sha256/$(echo "$junk" | cut -c1-2)/$junk.part" ] || fail "gc kept a .part"
[ ! -e "$C/tmp/build.999999999.abcdef" ] || fail "gc kept a dead build's work directory"
echo "gc: $(head -1 "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$C" --json cache list
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=r["templates"][0]; assert t["cached"] == t["packages"] == 88, t; assert r["usage"]["unreferenced"]["files"] == 0' "$T/stdout"
expect_exit 0 "$VZTMPL" -C "$C" verify "$A"

# gc while a build holds the cache: it waits, and the build is not broken.
"$VZTMPL" -C "$C" build debian:12 --variant minbase --offline >"$T/build.out" 2>"$T/build.err" &
build=$!
build_started() { [ -n "$(ls -A "$C/tmp" 2>/dev/null)" ] || ! kill -0 "$build" 2>/dev/null; }
wait_until "the --offline build to start" build_started
expect_exit 0 "$VZTMPL" -C "$C" cache gc
wait "$build" || { cat "$T/build.err" >&2; fail "the --offline build beside gc failed"; }
[ "$(sha256sum "$C/templates/$A.tar.zst" | cut -d' ' -f1)" = "$sum" ] || fail "the offline rebuild differs"
expect_exit 0 "$VZTMPL" -C "$C" build debian:12 --variant minbase --offline
expect_exit 0 "$VZTMPL" -C "$C" verify "$A"
echo "gc: keeps what the template needs; build --offline works after it and beside it"

# clean: everything but the templates; --all: those too.
expect_exit 0 "$VZTMPL" -C "$C" cache clean
[ -z "$(find "$C/blobs" "$C/solv" -type f)" ] || fail "clean left blobs"
expect_exit 0 "$VZTMPL" -C "$C" verify "$A"
expect_exit 1 "$VZTMPL" -C "$C" build debian:12 --variant minbase --offline
expect_exit 0 "$VZTMPL" -C "$C" cache clean --all
[ -z "$(ls -A "$C/templates")" ] || fail "clean --all left templates"
expect_exit 2 "$VZTMPL" -C "$C" cache gc --keep x
expect_exit 2 "$VZTMPL" -C "$C" cache list --all
expect_exit 2 "$VZTMPL" -C "$C" cache frob
echo "clean: keeps templates; --all removes them"
