#!/bin/sh
# vztmpl as an ordinary user: build, deploy and exec as root of a user
# namespace over the user's subordinate ids (newuidmap/newgidmap). The
# rootless build must give the same bytes as root's; the container sees the
# same isolation; what needs the host's root (cgroup limits, overlay mounts)
# is refused with the reason, and a user without a subordinate range is told
# exactly what to add.
. "$(dirname "$0")/testlib.sh"
need_root
command -v newuidmap >/dev/null || skip "newuidmap is not installed (Debian package uidmap)"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
USER_OK=vztmpl-rootless
USER_NOSUB=vztmpl-nosubid

# The users: one with a subordinate range, one without any.
id "$USER_OK" >/dev/null 2>&1 || useradd -m -s /bin/sh "$USER_OK"
grep -q "^$USER_OK:" /etc/subuid || usermod --add-subuids 300000-365535 "$USER_OK"
grep -q "^$USER_OK:" /etc/subgid || usermod --add-subgids 300000-365535 "$USER_OK"
id "$USER_NOSUB" >/dev/null 2>&1 || useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$USER_NOSUB"
! grep -q "^$USER_NOSUB:" /etc/subuid /etc/subgid || fail "$USER_NOSUB has a subordinate range"
SUBGID=$(grep "^$USER_OK:" /etc/subgid | cut -d: -f2)
OK_UID=$(id -u "$USER_OK")

# Everything the users run or read lives in $T, which they can reach (the
# source tree may sit under root's home). A sanitizer build stays usable.
chmod 755 "$T"
mkdir "$T/bin" "$T/work"
cp "$VZTMPL" "$T/bin/vztmpl"
cp -r "$SRC_DIR/recipes" "$T/recipes"
chmod -R a+rX "$T/bin" "$T/recipes"
chown "$USER_OK" "$T/work"
chmod 700 "$T/work" # deploy wants the user's roots out of other users' reach
as_user() { # as_user USER CMD...: runs CMD as USER in $T/work
  u=$1; shift
  runuser -u "$u" -- sh -c 'cd "$0" && exec "$@"' "$T/work" "$@"
}
V="$T/bin/vztmpl"
UCACHE="$T/work/cache"

# --- build: the same bytes as root's ---
expect_exit 0 as_user "$USER_OK" "$V" -C "$UCACHE" --recipes-dir "$T/recipes" build debian:12 --variant minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
mine=$(sha256sum <"$UCACHE/templates/$TPL.tar.zst")
roots=$(sha256sum <"$CACHE/templates/$TPL.tar.zst")
[ "$mine" = "$roots" ] || fail "the rootless build differs from root's: $mine vs $roots"
[ "$(stat -c %u "$UCACHE/templates/$TPL.tar.zst")" = "$OK_UID" ] || fail "the cache is not the user's own"
echo "rootless build: identical to root's (${mine%% *})"
# update needs no root for an unchanged mirror, and would rebuild as the user.
expect_exit 0 as_user "$USER_OK" "$V" -C "$UCACHE" --recipes-dir "$T/recipes" update "$TPL"
grep -q "^$TPL: up to date" "$T/stdout" || fail "rootless update said: $(cat "$T/stdout")"

# --- deploy: owners land in the subordinate range on the host ---
R="$T/work/root"
expect_exit 0 as_user "$USER_OK" "$V" -C "$UCACHE" deploy "$TPL" "$R"
[ "$(stat -c %u:%g "$R/etc")" = "$OK_UID:$(id -g "$USER_OK")" ] || fail "/etc is $(stat -c %u:%g "$R/etc") on the host"
[ "$(stat -c %g "$R/etc/shadow")" = $((SUBGID + 41)) ] || fail "/etc/shadow's group (shadow, 42) is $(stat -c %g "$R/etc/shadow") on the host"
expect_exit 1 as_user "$USER_OK" "$V" -C "$UCACHE" deploy --mode overlay "$TPL" "$T/work/ov"
expect_stderr "overlay needs root"

# --- exec: the same isolation as root's ---
expect_exit 0 as_user "$USER_OK" "$V" exec "$R" --net none --hostname rootless -- sh -c \
  'id -u; hostname; ls /sys/class/net; echo pid=$$; stat -c %u:%g /etc/shadow; dpkg --audit; echo audit=$?; grep CapBnd /proc/self/status'
out=$(cat "$T/stdout")
[ "$(echo "$out" | sed -n 1p)" = 0 ] || fail "not root in the container: $out"
[ "$(echo "$out" | sed -n 2p)" = rootless ] || fail "--hostname: $out"
[ "$(echo "$out" | sed -n 3p)" = lo ] || fail "--net none: $out"
[ "$(echo "$out" | sed -n 4p)" = pid=2 ] || fail "not its own pid namespace: $out"
[ "$(echo "$out" | sed -n 5p)" = 0:42 ] || fail "owners inside are not the template's: $out"
[ "$(echo "$out" | sed -n 6p)" = audit=0 ] || fail "dpkg --audit: $out"
[ $(( 0x$(echo "$out" | sed -n 7p | cut -f2) >> 21 & 1 )) = 0 ] || fail "cap_sys_admin is in the bounding set: $out"
expect_exit 7 as_user "$USER_OK" "$V" exec "$R" -- sh -c 'exit 7'
# The boundary holds for the user's root as for root's: host sysctls stay
# unwritable, pid 1 and a passed directory unreachable, the kernel's keys
# hidden, and the bounding set the same as a root-run sandbox's.
core=$(cat /proc/sys/kernel/core_pattern)
mkdir "$T/work/secret" && echo host-only >"$T/work/secret/file"
expect_exit 0 as_user "$USER_OK" "$V" exec "$R" -- sh -c \
  'echo "|/tmp/x" >/proc/sys/kernel/core_pattern 2>/dev/null && echo wrote; ls /proc/1/fd/9/ 2>/dev/null; cat /proc/keys; grep CapBnd /proc/self/status' 9<"$T/work/secret"
[ "$(cat /proc/sys/kernel/core_pattern)" = "$core" ] || fail "a rootless run changed the host's core_pattern"
! grep -q "wrote\|file" "$T/stdout" || fail "rootless: sysctl written or the passed directory reached: $(cat "$T/stdout")"
rootless_bnd=$(grep CapBnd "$T/stdout" | cut -f2)
mkdir -m 700 "$T/private"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$TPL" "$T/private/root"
expect_exit 0 "$VZTMPL" exec "$T/private/root" -- grep CapBnd /proc/self/status
[ "$rootless_bnd" = "$(cut -f2 "$T/stdout")" ] || fail "bounding sets differ: rootless $rootless_bnd, root $(cat "$T/stdout")"
echo "rootless boundary: core_pattern unwritable, /proc/1/fd/9 unreachable, /proc/keys empty, CapBnd $rootless_bnd as root's"
# Cgroups are the host root's: a limit is refused with the reason.
expect_exit 1 as_user "$USER_OK" "$V" exec "$R" --limit numproc=32 -- true
expect_stderr "not delegated to uid $OK_UID"

# A crafted archive with a device node: skipped with a note, nothing created.
python3 - "$T/work" <<'PY'
import hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
with tarfile.open(os.path.join(out, "dev.tar"), "w", format=tarfile.GNU_FORMAT) as t:
    i = tarfile.TarInfo("./sda"); i.type = tarfile.BLKTYPE; i.devmajor, i.devminor = 8, 0; i.mode = 0o660
    t.addfile(i)
data = open(os.path.join(out, "dev.tar"), "rb").read()
json.dump({"format": 1, "name": "evil-dev",
           "archive": {"file": "dev.tar", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}},
          open(os.path.join(out, "dev.json"), "w"))
PY
chmod a+r "$T/work/dev.tar" "$T/work/dev.json"
expect_exit 0 as_user "$USER_OK" "$V" -C "$UCACHE" deploy "$T/work/dev.json" "$T/work/devroot"
expect_stderr "skipped the block device"
[ ! -b "$T/work/devroot/sda" ] || fail "a rootless deploy created a block device"
echo "device node: $(head -c 200 "$T/stderr")"

# --- a user without a subordinate range ---
chmod 755 "$T/work" # for USER_NOSUB
mkdir "$T/nosub" && chown "$USER_NOSUB" "$T/nosub"
expect_exit 1 as_user "$USER_NOSUB" "$V" -C "$T/nosub/cache" --recipes-dir "$T/recipes" build debian:12 --variant minbase
expect_stderr "has no subordinate uid range in /etc/subuid"
expect_stderr "usermod --add-subuids"
[ ! -e "$T/nosub/cache/templates/$TPL.tar.zst" ] || fail "a build without ids produced a template"
# exec only needs 0 mapped: it still works, as that user's root.
expect_exit 0 as_user "$USER_NOSUB" "$V" exec "$R" -- id -u
[ "$(cat "$T/stdout")" = 0 ] || fail "exec without a range: $(cat "$T/stdout")"

# check-kernel tells an ordinary user what rootless runs need.
expect_exit 0 as_user "$USER_OK" "$V" check-kernel
grep -q "^subordinate uids .*yes" "$T/stdout" || fail "check-kernel: $(grep -i subordinate "$T/stdout")"
grep -q "^newuidmap .*yes" "$T/stdout" || fail "check-kernel lacks newuidmap"
expect_exit 0 as_user "$USER_NOSUB" "$V" check-kernel
grep -q "^subordinate uids .*no" "$T/stdout" || fail "check-kernel for $USER_NOSUB: $(grep -i subordinate "$T/stdout")"
echo "rootless: ok"
