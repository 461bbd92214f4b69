#!/bin/sh
# Shipped RPM recipes and their mirrors: Fedora's and Mandriva's fail with a
# clear error naming the URL when their mirror cannot be reached (and say how
# to give one when none is given), and resolve against a local mirror served
# on loopback. Fedora's also downloads by the checksums in primary.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"

R=$SRC_DIR/recipes
unset VZTMPL_MIRROR_FEDORA VZTMPL_MIRROR_MAGEIA || true
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dead="http://127.0.0.1:$closed/mirror"

echo "Fedora: no mirror given"
expect_exit 2 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64
expect_stderr "VZTMPL_MIRROR_FEDORA"
expect_stderr "releases/45/Everything/x86_64/os"

echo "Fedora: the mirror cannot be reached"
expect_exit 1 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64 --mirror "$dead"
expect_stderr "$dead/releases/45/Everything/x86_64/os/repodata/repomd.xml"
assert_no_template "$T/cache"

echo "Mandriva: no mirror given, then an unreachable one"
expect_exit 2 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build mandriva --dry-run -a x86_64
expect_stderr "VZTMPL_MIRROR_MAGEIA"
expect_exit 1 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build mandriva --dry-run -a x86_64 --mirror "$dead"
expect_stderr "$dead/distrib/9/x86_64/media/core/release/media_info/MD5SUM"

# A local Fedora 45 mirror: releases with a comps group "core", updates with
# a newer bash. tmux is only optional in the group, s390utils a default one
# this mirror lacks (left out, as dnf does); glibc.i686 is the wrong
# architecture.
M="$T/mirror"
rpmmd_repo "$M/releases/45/Everything/x86_64/os" --comps "bash filesystem setup" "rootfiles s390utils" "tmux" \
  setup:2.14-1:noarch filesystem:3.18-1:x86_64:setup glibc:2.40-1:x86_64 glibc:2.40-1:i686 \
  bash:5.2-1:x86_64:filesystem,glibc rootfiles:9.0-1:noarch tmux:3.4-1:x86_64 \
  systemd:256-1:x86_64:bash iproute:6.10-1:x86_64 iputils:20240905-1:x86_64 \
  openssh:9.8-1:x86_64 openssh-server:9.8-1:x86_64:openssh,systemd dnf:4.21-1:noarch:bash
rpmmd_repo "$M/updates/45/Everything/x86_64" bash:5.2-2:x86_64:filesystem,glibc
# A local Mageia 9 mirror: release media gzip, updates media zstd.
media="$M/distrib/9/x86_64/media/core"
urpmi_media "$media/release" gzip basesystem-minimal:9-1.mga9:noarch:bash,filesystem \
  bash:5.2-1.mga9:x86_64:filesystem filesystem:2.1.9-1.mga9:x86_64 systemd:253-1.mga9:x86_64:bash \
  urpmi:8.1-1.mga9:noarch:perl perl:5.36-1.mga9:x86_64 iproute2:6.4-1.mga9:x86_64 \
  iputils:20221126-1.mga9:x86_64 openssh-server:9.3-1.mga9:x86_64:systemd
urpmi_media "$media/updates" zstd systemd:253-2.mga9:x86_64:bash
serve "$M"

echo "Fedora: --mirror at the local mirror resolves"
expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64 --mirror "$URL"
out="$T/stdout"
for want in "bash 5.2-2 x86_64" "filesystem 3.18-1 x86_64" "setup 2.14-1 noarch" "rootfiles 9.0-1 noarch" \
  "glibc 2.40-1 x86_64" "systemd 256-1 x86_64" "openssh-server 9.8-1 x86_64" "openssh 9.8-1 x86_64" \
  "dnf 4.21-1 noarch" "iproute 6.10-1 x86_64" "iputils 20240905-1 x86_64"; do
  awk '{print $1, $2, $3}' "$out" | grep -qx "$want" || { cat "$out"; fail "fedora dry run lacks $want"; }
done
[ "$(wc -l <"$out")" = 11 ] || { cat "$out"; fail "fedora dry run has more than the 11 packages"; }
grep -q '^tmux ' "$out" && fail "an optional comps package was installed"
grep -q ' i686 ' "$out" && fail "an i686 package was chosen for x86_64"

echo "Fedora: the parsed primary is cached, and a damaged copy is parsed again"
ls "$T/cache/solv/"*.solv >/dev/null 2>&1 || fail "no parsed index in the cache"
for f in "$T/cache/solv/"*.solv; do printf 'XXXX' | dd of="$f" bs=1 seek=20 conv=notrunc 2>/dev/null; done
expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64 --mirror "$URL"
expect_stderr "does not match its recorded hash"
grep -q '^bash .*5.2-2' "$T/stdout" || fail "after re-parsing: no bash 5.2-2"

echo "Fedora: VZTMPL_MIRROR_FEDORA does the same"
VZTMPL_MIRROR_FEDORA="$URL" expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64
grep -q '^bash .*5.2-2' "$T/stdout" || fail "VZTMPL_MIRROR_FEDORA was not used"

echo "Fedora: fetch downloads every package by its sha256, then checks it as an RPM"
served >/dev/null
# The stand-in files match primary's sha256 but are no RPMs: librpm refuses
# the first one checked, and the cache does not keep it.
expect_exit 3 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" fetch fedora -a x86_64 --mirror "$URL"
expect_stderr "is not an RPM package"
served >"$T/log"
grep -q "GET /updates/45/Everything/x86_64/Packages/bash-5.2-2.x86_64.rpm 200" "$T/log" ||
  { cat "$T/log"; fail "bash was not fetched from updates"; }
[ "$(grep -c '\.rpm 200$' "$T/log")" = 11 ] || { cat "$T/log"; fail "not 11 packages fetched"; }
refused=$(sed -n 's/.*package \([^ ]*\) (.*/\1/p' "$T/stderr")
[ -n "$refused" ] || fail "the refusal names no package"
echo "tampered" >>"$M/releases/45/Everything/x86_64/os/Packages/dnf-4.21-1.noarch.rpm"
rm -rf "$T/cache"
expect_exit 3 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" fetch fedora -a x86_64 --mirror "$URL"
expect_stderr "dnf-4.21-1.noarch.rpm"

echo "a comps group whose mandatory package is missing: the resolver says which"
rpmmd_repo "$M/broken" --comps "bash missing-mandatory" "" "" bash:5.2-1:x86_64
cat >"$T/broken.conf" <<RECIPE
[template]
distribution = broken
release = 1
architectures = x86_64
[repository os]
family = rpm-md
mirror = $URL/broken
suites = .
metadata-signature = if-published
[packages]
base = @core
RECIPE
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/broken.conf" --dry-run -a x86_64
expect_stderr "missing-mandatory"
sed -i 's/^base = @core/base = @nosuchgroup/' "$T/broken.conf"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/broken.conf" --dry-run -a x86_64
expect_stderr 'no comps group "nosuchgroup"'

echo "Mandriva: --mirror at the local mirror resolves (gzip and zstd media)"
expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build mandriva --dry-run -a x86_64 --mirror "$URL"
out="$T/stdout"
for want in "basesystem-minimal 9-1.mga9 noarch" "systemd 253-2.mga9 x86_64" "urpmi 8.1-1.mga9 noarch" \
  "perl 5.36-1.mga9 x86_64" "openssh-server 9.3-1.mga9 x86_64" "iproute2 6.4-1.mga9 x86_64" \
  "iputils 20221126-1.mga9 x86_64" "bash 5.2-1.mga9 x86_64" "filesystem 2.1.9-1.mga9 x86_64"; do
  awk '{print $1, $2, $3}' "$out" | grep -qx "$want" || { cat "$out"; fail "mageia dry run lacks $want"; }
done
[ "$(wc -l <"$out")" = 9 ] || { cat "$out"; fail "mageia dry run has more than the 9 packages"; }
cp "$out" "$T/mageia.online"

echo "--offline: the same from the cache alone, without one request"
served >/dev/null
expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build mandriva --dry-run -a x86_64 --mirror "$URL" --offline
cmp "$T/stdout" "$T/mageia.online" || fail "mageia offline differs"
expect_exit 0 "$VZTMPL" -C "$T/cache" --recipes-dir "$R" build fedora --dry-run -a x86_64 --mirror "$URL" --offline
grep -q '^bash .*5.2-2' "$T/stdout" || fail "fedora offline: no bash 5.2-2"
# (served into a file, not in $(...): a fail inside served must end the test)
served >"$T/log"
[ ! -s "$T/log" ] || { cat "$T/log"; fail "--offline made requests"; }
expect_exit 1 "$VZTMPL" -C "$T/empty-cache" --recipes-dir "$R" build fedora --dry-run -a x86_64 --mirror "$URL" --offline
expect_stderr "--offline: $URL/releases/45/Everything/x86_64/os/repodata/repomd.xml was never fetched"
echo "PASS"
