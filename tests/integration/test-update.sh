#!/bin/sh
# vztmpl update against a small signed repository on loopback: an unchanged
# mirror gives "up to date" having fetched only InRelease; one package's new
# version is the one .deb downloaded, the one-line diff, and the new template;
# a failing update keeps the old one; an old manifest is refused clearly.
. "$(dirname "$0")/testlib.sh"
need_root
command -v busybox >/dev/null || skip "needs busybox (Debian package busybox-static)"

# The command line: help, usage, a template that is not there.
expect_exit 0 "$VZTMPL" update --help
grep -q -- '--dry-run' "$T/stdout" || fail "update --help lacks --dry-run"
expect_exit 2 "$VZTMPL" update
expect_stderr 'exactly one TEMPLATE'
expect_exit 2 "$VZTMPL" fetch debian --update
expect_exit 1 "$VZTMPL" -C "$T/empty" update debian-13-x86_64
expect_stderr 'no template debian-13-x86_64'

buildable_repo
write_recipe "$T/test.conf" "$URL" "$T/good.gpg" hello-vzt
C="$T/cache"
NAME=testdist-1-x86_64
ARCHIVE="$C/templates/$NAME.tar.zst"
MANIFEST="$C/templates/$NAME.json"

# count PATTERN FILE: lines matching (grep -c prints 0 but fails on none).
count() { grep -c -- "$1" "$2" || true; }

expect_exit 0 "$VZTMPL" -C "$C" build "$T/test.conf"
[ "$(cat "$T/stdout")" = "$ARCHIVE" ] || fail "the build printed $(cat "$T/stdout")"
served >"$T/requests"
[ "$(count '\.deb ' "$T/requests")" = 3 ] || { cat "$T/requests" >&2; fail "the first build did not fetch 3 packages"; }
python3 - "$MANIFEST" "$T/test.conf" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
assert m["recipe"]["path"] == os.path.realpath(sys.argv[2]), m["recipe"]
assert m["inputs"] == {"include": [], "exclude": [], "mirrors": [], "keyring": None}, m["inputs"]
PY
sha_before=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)

# 1. Unchanged mirror: up to date, only the signed InRelease fetched.
start=$(date +%s%N)
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "update said: $(cat "$T/stdout")"
served >"$T/requests"
cat "$T/requests"
[ "$(cat "$T/requests")" = "GET /dists/testing/InRelease 200" ] ||
  fail "an up-to-date update fetched more than InRelease: $(cat "$T/requests")"
[ "$(sha256sum "$ARCHIVE" | cut -d' ' -f1)" = "$sha_before" ] || fail "an up-to-date update changed the template"
echo "up to date in ${ms} ms (whole process), 1 request"
# The same through build --update, and as JSON.
expect_exit 0 "$VZTMPL" -C "$C" build "$T/test.conf" --update
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "build --update said: $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$C" --json update "$NAME"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"] == "up-to-date" and r["packages"] == [] and r["template"] is None, r' "$T/stdout"
served >"$T/requests"
[ "$(count '\.deb ' "$T/requests")" = 0 ] || fail "up-to-date updates downloaded packages: $(cat "$T/requests")"
[ "$(count 'Packages' "$T/requests")" = 0 ] || fail "up-to-date updates fetched an index again: $(cat "$T/requests")"

# 2. One package gets a new version; the repository is signed again.
rm "$POOL/hello-vzt_1.0_all.deb"
make_deb "$POOL" hello-vzt 1.1 "base-vzt, hostbase-vzt"
make_repo "$T/repo" testing good 7
served >/dev/null

# A dry run reports the change, fetches the changed index but no package, builds nothing.
expect_exit 0 "$VZTMPL" -C "$C" update --dry-run "$NAME"
printf '%s\n' "$NAME: outdated (dry run: not rebuilt)" "^ hello-vzt 1.0 -> 1.1" >"$T/want"
diff -u "$T/want" "$T/stdout" || fail "update --dry-run printed the above"
served >"$T/requests"
[ "$(count '\.deb ' "$T/requests")" = 0 ] || fail "a dry run downloaded packages: $(cat "$T/requests")"
[ "$(count 'Packages' "$T/requests")" -ge 1 ] || fail "the changed index was not fetched: $(cat "$T/requests")"
[ "$(sha256sum "$ARCHIVE" | cut -d' ' -f1)" = "$sha_before" ] || fail "a dry run changed the template"

# The update: exactly the one new .deb is downloaded, the diff is one line.
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
printf '%s\n' "$NAME: updated" "^ hello-vzt 1.0 -> 1.1" >"$T/want"
diff -u "$T/want" "$T/stdout" || fail "update printed the above"
served >"$T/requests"
cat "$T/requests"
[ "$(count '\.deb ' "$T/requests")" = 1 ] || fail "update downloaded other than one package: $(cat "$T/requests")"
grep -q '^GET /pool/main/hello-vzt_1.1_all.deb 200$' "$T/requests" || fail "update did not download hello-vzt 1.1"
[ "$(tar --zstd -xOf "$ARCHIVE" ./usr/share/hello-vzt/version)" = "hello-vzt 1.1" ] ||
  fail "the cached template does not hold hello-vzt 1.1"
grep -A1 '"name": "hello-vzt"' "$MANIFEST" | grep -q '"version": "1.1"' || fail "the manifest does not list hello-vzt 1.1"
expect_exit 0 "$VZTMPL" -C "$C" verify "$NAME"
ls "$C/templates" >"$T/listing"
printf '%s\n' "$NAME.json" "$NAME.spdx.json" "$NAME.tar.zst" >"$T/want"
diff -u "$T/want" "$T/listing" || fail "the templates directory holds the above"
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "after the update: $(cat "$T/stdout")"

# 3. An update whose build fails keeps the previous template, byte for byte.
sha_good=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)
cp "$MANIFEST" "$T/manifest.good"
make_deb "$POOL" hello-vzt 1.2 "base-vzt, hostbase-vzt"
make_repo "$T/repo" testing good 7
corrupt_byte "$POOL/hello-vzt_1.2_all.deb" 200
expect_exit 3 "$VZTMPL" -C "$C" update "$NAME"
expect_stderr "hello-vzt_1.2_all.deb"
[ "$(sha256sum "$ARCHIVE" | cut -d' ' -f1)" = "$sha_good" ] || fail "a failed update changed the archive"
cmp "$MANIFEST" "$T/manifest.good" || fail "a failed update changed the manifest"
rm "$POOL/hello-vzt_1.2_all.deb"
make_repo "$T/repo" testing good 7
served >/dev/null

# 4. A recipe edit alone (same packages) makes the template stale.
echo "# edited" >>"$T/test.conf"
expect_exit 0 "$VZTMPL" -C "$C" update --dry-run "$NAME"
expect_stderr "its recipe $T/test.conf changed"
[ "$(cat "$T/stdout")" = "$NAME: outdated (dry run: not rebuilt)" ] ||
  fail "with only the recipe changed, update --dry-run said: $(cat "$T/stdout")"

# 5. A manifest from before inputs were recorded: a clear refusal, nothing changed.
python3 - "$MANIFEST" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); del m["inputs"]
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
cp "$MANIFEST" "$T/manifest.old"
expect_exit 1 "$VZTMPL" -C "$C" update "$NAME"
expect_stderr "predates"
expect_stderr "build RECIPE --update"
cmp "$MANIFEST" "$T/manifest.old" || fail "a refused update changed the manifest"
# build --update needs no recorded inputs: it rebuilds for the edited recipe,
# with the same packages, and records the inputs from now on.
expect_exit 0 "$VZTMPL" -C "$C" build "$T/test.conf" --update
[ "$(cat "$T/stdout")" = "$NAME: updated" ] || fail "build --update said: $(cat "$T/stdout")"
served >"$T/requests"
[ "$(count '\.deb ' "$T/requests")" = 0 ] || fail "a rebuild for the recipe downloaded packages: $(cat "$T/requests")"
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "after build --update: $(cat "$T/stdout")"
echo "update: up to date with 1 request; one new version downloaded alone and reported; failures keep the old template"
