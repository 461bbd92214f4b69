#!/bin/sh
# vztmpl update of a golden recipe ([files], [hooks]) against a small signed
# repository on loopback: with nothing changed it is "up to date" after one
# request; a changed file, a changed hook, a file added or removed and an
# edited recipe each rebuild the template, say what changed, and the
# deployed template holds the new content.
. "$(dirname "$0")/testlib.sh"
need_root
command -v busybox >/dev/null || skip "needs busybox (Debian package busybox-static)"

buildable_repo
R="$T/golden"
mkdir -p "$R/files" "$R/hooks"
echo "Welcome, first" >"$R/files/motd"
echo "extra 1" >"$R/files/extra"
printf '#!/bin/sh\nset -e\necho "hook 1" >"$1/etc/hook-mark"\n' >"$R/hooks/mark.sh"
chmod +x "$R/hooks/mark.sh"
write_recipe "$R/golden.conf" "$URL" "$T/good.gpg" hello-vzt
cat >>"$R/golden.conf" <<'RECIPE'
[files]
/etc/motd = files/motd 0644
[hooks]
host-before-pack = hooks/mark.sh
RECIPE
C="$T/cache"
NAME=testdist-1-x86_64
ARCHIVE="$C/templates/$NAME.tar.zst"

# deployed FILE: FILE's content in a fresh deploy of the cached template.
deployed() {
  rm -rf "$T/root"
  expect_exit 0 "$VZTMPL" -C "$C" deploy "$NAME" "$T/root"
  cat "$T/root$1"
}
# update_says CASE LINE...: a real update printed "NAME: updated" and the lines.
update_says() {
  what=$1; shift
  expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
  printf '%s\n' "$NAME: updated" "$@" >"$T/want"
  diff -u "$T/want" "$T/stdout" || fail "$what: update printed the above"
  echo "$what: $(tr '\n' ' ' <"$T/stdout")"
}

expect_exit 0 "$VZTMPL" -C "$C" build "$R/golden.conf"
[ "$(deployed /etc/motd)" = "Welcome, first" ] || fail "the first build lacks the motd"

# 1. Nothing changed: up to date, only the signed index fetched.
served >/dev/null
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "update said: $(cat "$T/stdout")"
stop_server
# The update's own requests: those after the marker of the served call before it.
awk '/\/\.vztmpl-mark-/ { n = 0; next } { buf[n++] = $0 } END { for (i = 0; i < n; i++) print buf[i] }' \
  "$T/access.log" >"$T/requests"
[ "$(cat "$T/requests")" = "GET /dists/testing/InRelease 200" ] ||
  { cat "$T/access.log" >&2; fail "an up-to-date update made other requests than InRelease: $(cat "$T/requests")"; }
echo "nothing changed: up to date, $(wc -l <"$T/requests") request: $(cat "$T/requests")"
# A new server, on another port: the recipe's mirror line changes, which alone rebuilds.
serve "$T/repo"
sed -i "s|^mirror = .*|mirror = $URL|" "$R/golden.conf"
update_says "the recipe's mirror line edited"
sha=$(sha256sum "$ARCHIVE" | cut -d' ' -f1)

# 2. The motd's content changed.
echo "Welcome, second" >"$R/files/motd"
expect_exit 0 "$VZTMPL" -C "$C" update --dry-run "$NAME"
printf '%s\n' "$NAME: outdated (dry run: not rebuilt)" "/etc/motd changed" >"$T/want"
diff -u "$T/want" "$T/stdout" || fail "update --dry-run printed the above"
[ "$(sha256sum "$ARCHIVE" | cut -d' ' -f1)" = "$sha" ] || fail "a dry run changed the template"
update_says "motd changed" "/etc/motd changed"
[ "$(deployed /etc/motd)" = "Welcome, second" ] || fail "the deployed template has the old motd"
expect_exit 0 "$VZTMPL" -C "$C" --json update "$NAME"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"] == "up-to-date" and r["inputs_changed"] == [], r' "$T/stdout"

# 3. The hook changed.
sed -i 's/hook 1/hook 2/' "$R/hooks/mark.sh"
update_says "hook changed" "hook hooks/mark.sh changed"
[ "$(deployed /etc/hook-mark)" = "hook 2" ] || fail "the deployed template has the old hook's effect"

# 4. A file added, then removed (the recipe changes too: its sha256 counts).
printf '/etc/extra = files/extra\n' >"$R/extra.line"
sed -i '/^\/etc\/motd = /r '"$R/extra.line" "$R/golden.conf"
expect_exit 0 "$VZTMPL" -C "$C" --json update "$NAME"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["status"] == "updated" and r["recipe_changed"] and r["inputs_changed"] == ["/etc/extra added"], r' "$T/stdout"
echo "file added: /etc/extra added (JSON)"
[ "$(deployed /etc/extra)" = "extra 1" ] || fail "the added file is not deployed"
sed -i '/^\/etc\/extra = /d' "$R/golden.conf"
update_says "file removed" "/etc/extra removed"
deployed /etc/motd >/dev/null
[ ! -e "$T/root/etc/extra" ] || fail "the removed file is still in the template"

# 5. Nothing changed since: up to date again.
expect_exit 0 "$VZTMPL" -C "$C" update "$NAME"
[ "$(cat "$T/stdout")" = "$NAME: up to date" ] || fail "at the end, update said: $(cat "$T/stdout")"
echo "update follows the recipe's files and hooks"
