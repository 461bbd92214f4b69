#!/bin/sh
# A firm's golden image: a recipe inheriting debian:12 minbase with files, a
# group and user, a masked service, a time zone, a hostname and hooks.
# The template holds each effect, two builds are byte-identical, a changed
# file changes the manifest and the archive, and failing or networking hooks
# stop the build with nothing written.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
R="$T/acme"
mkdir -p "$R/files/tree/conf.d" "$R/hooks"
echo "Welcome to ACME" >"$R/files/motd"
echo "level = 3" >"$R/files/tree/conf.d/agent.conf"
printf '#!/bin/sh\nset -e\necho "built by hook" >/etc/acme-hook\n' >"$R/hooks/mark.sh"
printf '#!/bin/sh\nset -e\n[ "$1" = "$VZTMPL_ROOT" ]\nls "$1/etc/acme-hook" >/dev/null\n' >"$R/hooks/host.sh"
chmod +x "$R/hooks/host.sh"
cat >"$R/acme.conf" <<'RECIPE'
[template]
base = debian:12
variant = minbase
name = acme
[files]
/etc/motd = files/motd root:root 0644
/opt/acme = files/tree support:acme 0640
[groups]
acme = gid=1600
[users]
support = uid=1500 groups=acme shell=/bin/bash
[services]
mask = cron.service
[settings]
timezone = Europe/Berlin
hostname = acme-node
[hooks]
after-configure = hooks/mark.sh
host-before-pack = hooks/host.sh
RECIPE

export SOURCE_DATE_EPOCH=1790000000
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$R/acme.conf" -o "$T/one.tar.zst"
[ "$(cat "$T/stdout")" = "$CACHE/templates/acme-x86_64.tar.zst" ] || fail "template not named acme-x86_64"
mkdir "$T/root"
tar -C "$T/root" --zstd -xf "$T/one.tar.zst"
r="$T/root"
[ "$(cat "$r/etc/motd")" = "Welcome to ACME" ] || fail "motd"
[ "$(stat -c '%a %u %g' "$r/opt/acme/conf.d/agent.conf")" = "640 1500 1600" ] || fail "tree owner/mode: $(stat -c '%a %u %g' "$r/opt/acme/conf.d/agent.conf")"
grep -q '^support:x:1500:' "$r/etc/passwd" || fail "user"
grep -q '^acme:x:1600:support' "$r/etc/group" || fail "group membership"
[ -d "$r/home/support" ] || fail "home"
[ "$(readlink "$r/etc/systemd/system/cron.service")" = /dev/null ] || fail "mask"
[ "$(readlink "$r/etc/localtime")" = /usr/share/zoneinfo/Europe/Berlin ] || fail "time zone"
[ "$(cat "$r/etc/hostname")" = acme-node ] || fail "hostname"
[ "$(cat "$r/etc/acme-hook")" = "built by hook" ] || fail "hook effect"
[ ! -e "$r/tmp/vztmpl-hook" ] || fail "hook left in /tmp"
man="$CACHE/templates/acme-x86_64.json"
grep -q "file /etc/motd 0644 root:root $(sha256sum "$R/files/motd" | cut -d' ' -f1)" "$man" || fail "manifest lacks the motd hash"
grep -q "hook after-configure hooks/mark.sh $(sha256sum "$R/hooks/mark.sh" | cut -d' ' -f1)" "$man" || fail "manifest lacks the hook hash"

# Changing nothing changes nothing; changing one file changes manifest and archive.
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$R/acme.conf" -o "$T/two.tar.zst"
cmp "$T/one.tar.zst" "$T/two.tar.zst" || fail "two builds differ"
echo "Welcome to ACME, again" >"$R/files/motd"
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$R/acme.conf" -o "$T/three.tar.zst"
cmp -s "$T/one.tar.zst" "$T/three.tar.zst" && fail "a changed file did not change the archive"
grep -q "file /etc/motd 0644 root:root $(sha256sum "$R/files/motd" | cut -d' ' -f1)" "$man" || fail "manifest hash not updated"

# A failing hook stops the build, named, with its status, and nothing is written.
rm -f "$CACHE/templates/acme-x86_64."*
printf '#!/bin/sh\nexit 7\n' >"$R/hooks/fail.sh"
sed 's|^after-configure = hooks/mark.sh|after-configure = hooks/fail.sh|' "$R/acme.conf" >"$R/fail.conf"
expect_exit 1 "$VZTMPL" -C "$CACHE" build "$R/fail.conf"
expect_stderr "hooks/fail.sh"
expect_stderr "exit status 7"
[ ! -e "$CACHE/templates/acme-x86_64.tar.zst" ] || fail "a template was written after a failed hook"

# A hook reaching the network: refused without "network = yes", allowed with it.
mkdir -p "$T/www"; echo ok >"$T/www/index.html"
serve "$T/www"
port=${URL##*:}
printf '#!/bin/bash\nset -e\nexec 3<>/dev/tcp/127.0.0.1/%s\necho net >/etc/acme-hook\n' "$port" >"$R/hooks/net.sh"
sed 's|^after-configure = hooks/mark.sh|after-configure = hooks/net.sh|' "$R/acme.conf" >"$R/net.conf"
expect_exit 1 "$VZTMPL" -C "$CACHE" build "$R/net.conf"
expect_stderr "hooks/net.sh"
[ ! -e "$CACHE/templates/acme-x86_64.tar.zst" ] || fail "a template was written after a failed hook"
printf 'network = yes\n' >>"$R/net.conf"
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$R/net.conf"
rm -f "$CACHE/templates/acme-x86_64."*
echo "golden image: every customization present, reproducible, failures contained"
