#!/bin/sh
# A [files] entry without a MODE keeps the source's mode: a 0600 secret is
# 0600 in the template (it used to become 0644, world-readable), a
# group-writable file loses group write, an executable stays 0755, and a
# MODE given in the recipe wins.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
R="$T/recipe"
mkdir -p "$R/files"
echo "root:secret-hash:19000::::::" >"$R/files/shadow"
chmod 0600 "$R/files/shadow"
echo "shared" >"$R/files/shared.conf"
chmod 0664 "$R/files/shared.conf"
printf '#!/bin/sh\necho tool\n' >"$R/files/tool"
chmod 0755 "$R/files/tool"
echo "public" >"$R/files/given"
chmod 0600 "$R/files/given"
# Rootless, the recipe and its sources are the building user's own.
if rootless; then chown -R "$ROOTLESS_USER:" "$R"; fi
cat >"$R/modes.conf" <<'RECIPE'
[template]
base = debian:12
variant = minbase
name = filesmode
[files]
/etc/vztmpl-shadow = files/shadow
/etc/vztmpl-shared.conf = files/shared.conf
/usr/local/bin/vztmpl-tool = files/tool
/etc/vztmpl-given = files/given 0644
RECIPE
cleanup_template() { rm -f "$CACHE/templates/filesmode-x86_64."*; }
trap 'cleanup_template; cleanup' EXIT
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$R/modes.conf" -o "$T/t.tar.zst"
mkdir "$T/root"
tar -C "$T/root" --zstd -xf "$T/t.tar.zst" ./etc/vztmpl-shadow ./etc/vztmpl-shared.conf \
  ./usr/local/bin/vztmpl-tool ./etc/vztmpl-given
check() {
  got=$(stat -c %a "$T/root$1")
  echo "[files] $1 from a $2 source ($3): template has $got"
  [ "$got" = "$4" ] || fail "$1 is $got in the template, wanted $4"
}
check /etc/vztmpl-shadow 0600 "no MODE" 600
check /etc/vztmpl-shared.conf 0664 "no MODE" 644
check /usr/local/bin/vztmpl-tool 0755 "no MODE" 755
check /etc/vztmpl-given 0600 "MODE 0644" 644
man="$CACHE/templates/filesmode-x86_64.json"
grep -q "file /etc/vztmpl-shadow 0600 " "$man" || fail "the manifest does not record 0600 for the secret"
echo "files mode: a copy is never more open than its source unless the recipe says so"
