#!/bin/sh
# vztmpl deploy, exec and check-kernel on a Debian 12 minbase template: a
# verified, confined extraction identical to tar's; overlay and reflink
# modes; namespaces, exit codes, signals and beancounters in exec; and the
# host unchanged afterwards (no cgroups, no mounts left).
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
ARCHIVE="$CACHE/templates/$TPL.tar.zst"

cut -d" " -f5 /proc/self/mountinfo | sort >"$T/mounts.before"
cgroups_snapshot

# tree_list DIR: path, type, mode, owner, link target, size of everything but the top.
tree_list() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U:%G %l %s\n' | LC_ALL=C sort); }

# --- deploy, extract ---
R="$T/ct/root"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$TPL" "$R"
[ "$(cat "$T/stdout")" = "$R" ] || fail "deploy did not print the root"
mkdir "$T/ref"
tar -C "$T/ref" --zstd -xpf "$ARCHIVE"
tree_list "$T/ref" >"$T/ref.list"
tree_list "$R" >"$T/root.list"
diff -u "$T/ref.list" "$T/root.list" >&2 || fail "extract mode differs from tar -x"
diff -r --no-dereference "$T/ref" "$R" >&2 || fail "file contents differ from tar -x"
if command -v getfattr >/dev/null; then
  (cd "$T/ref" && getfattr -R -h -d -m - . 2>/dev/null) >"$T/ref.xattr"
  (cd "$R" && getfattr -R -h -d -m - . 2>/dev/null) >"$T/root.xattr"
  cmp -s "$T/ref.xattr" "$T/root.xattr" || fail "xattrs differ from tar -x"
fi
rm -rf "$T/ref"
echo "extract: $(wc -l <"$T/root.list") entries, identical to tar -x"

# A template with names outside ASCII (ca-certificates' "Főtanúsítvány")
# deploys in the C locale too: names are UTF-8 bytes whatever the caller's.
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian
expect_exit 0 env LC_ALL=C "$VZTMPL" -C "$CACHE" deploy debian-13-x86_64 "$T/c-locale"
# shellcheck disable=SC2010 # the listing's bytes are what is checked
ls "$T/c-locale/usr/share/ca-certificates/mozilla/" | grep -q "$(printf 'F\305\221tan')" ||
  fail "the non-ASCII certificate name did not survive a C-locale deploy"
rm -rf "$T/c-locale"

# A root that holds anything is refused; nothing is written into it.
mkdir "$T/busy" && echo keep >"$T/busy/file"
expect_exit 1 "$VZTMPL" -C "$CACHE" deploy "$TPL" "$T/busy"
expect_stderr "not empty"
[ "$(ls -A "$T/busy")" = file ] || fail "deploy wrote into a non-empty root"

# An archive that does not match its manifest is refused (exit 3) before anything is written.
mkdir "$T/bad"
cp "$CACHE/templates/$TPL.json" "$T/bad/"
cp "$ARCHIVE" "$T/bad/"
corrupt_byte "$T/bad/$TPL.tar.zst" 100000
expect_exit 3 "$VZTMPL" -C "$CACHE" deploy "$T/bad/$TPL.json" "$T/bad-root"
expect_stderr "SHA-256"
[ ! -e "$T/bad-root" ] || fail "a refused deploy created the root"

# --uid-shift: every owner moves up by N.
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy --uid-shift 100000 "$TPL" "$T/shifted"
[ "$(stat -c %u:%g "$T/shifted/etc")" = 100000:100000 ] || fail "--uid-shift: /etc is $(stat -c %u:%g "$T/shifted/etc")"
[ "$(stat -c %g "$T/shifted/etc/shadow")" = 100042 ] || fail "--uid-shift: /etc/shadow's group is not shadow+100000"
rm -rf "$T/shifted"

# Crafted archives: nothing may land outside the root, and each ends in an error.
craft() { # craft NAME: $T/evil/NAME.tar(.json) from the python below
  python3 - "$T/evil" "$1" "$T/outside" <<'PY'
import hashlib, io, json, os, sys, tarfile
out, name, outside = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
path = os.path.join(out, name + ".tar")
def add(t, n, kind=tarfile.REGTYPE, link="", data=b"pwned\n"):
    i = tarfile.TarInfo(n); i.type = kind; i.linkname = link; i.mode = 0o644
    if kind == tarfile.REGTYPE:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as t:
    if name == "symlink":
        add(t, "./escape", tarfile.SYMTYPE, outside)
        add(t, "./escape/pwned")
    elif name == "dotdot":
        add(t, "./ok")
        add(t, "../../outside/pwned")
    elif name == "absolute":
        add(t, outside + "/pwned")
    elif name == "hardlink":
        add(t, "./hl", tarfile.LNKTYPE, outside + "/victim")
        add(t, "./hl", data=b"overwritten\n")
data = open(path, "rb").read()
json.dump({"format": 1, "name": "evil-" + name,
           "archive": {"file": name + ".tar", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}},
          open(os.path.join(out, name + ".json"), "w"))
PY
}
mkdir "$T/outside"
echo original >"$T/outside/victim"
for evil in symlink dotdot absolute hardlink; do
  craft $evil
  set +e
  "$VZTMPL" -C "$CACHE" deploy "$T/evil/$evil.json" "$T/evil-$evil" >"$T/stdout" 2>"$T/stderr"
  rc=$?
  set -e
  [ "$(ls -A "$T/outside")" = victim ] || fail "$evil: wrote into $T/outside: $(ls -A "$T/outside")"
  [ "$(cat "$T/outside/victim")" = original ] || fail "$evil: changed a file outside the root"
  case $evil in
  symlink) ;; # resolved inside the root by the chroot: harmless either way
  *) [ "$rc" != 0 ] || fail "$evil: deploy of a crafted archive succeeded"
     [ -s "$T/stderr" ] || fail "$evil: no message" ;;
  esac
  echo "crafted $evil: exit $rc, $(head -c 200 "$T/stderr")"
done
[ ! -e "/tmp/pwned" ] || fail "a crafted archive wrote /tmp/pwned"

# --- exec ---
V="$VZTMPL"
expect_exit 0 "$V" exec "$R" --net none --hostname ct-test -- sh -c \
  'ls /sys/class/net; cat /proc/sys/kernel/hostname; echo pid=$$; ls /proc | grep -c "^[0-9]"; ls /dev | tr "\n" " "'
out=$(cat "$T/stdout")
[ "$(echo "$out" | sed -n 1p)" = lo ] || fail "--net none: interfaces: $out"
[ "$(echo "$out" | sed -n 2p)" = ct-test ] || fail "--hostname: $out"
[ "$(echo "$out" | sed -n 3p)" = pid=2 ] || fail "not its own pid namespace: $out"
[ "$(echo "$out" | sed -n 4p)" -le 5 ] || fail "too many processes visible: $out"
[ "$(echo "$out" | sed -n 5p)" = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ] ||
  fail "/dev is not the minimal one: $out"
# (The mounts that mask or protect parts of /proc and /sys are not counted.)
expect_exit 0 "$V" exec "$R" -- sh -c 'awk "\$5 !~ \"^/(proc|sys)/\"" /proc/self/mountinfo | wc -l; cat /proc/self/cgroup'
[ "$(head -1 "$T/stdout")" -le 12 ] || fail "host mounts visible: $(cat "$T/stdout")"
# shellcheck disable=SC2143 # any line but the first that is not "...:/" is a finding
[ -z "$(tail -n +2 "$T/stdout" | grep -v ':/$')" ] || fail "not its own cgroup namespace: $(cat "$T/stdout")"
# Capabilities: the bounding set lacks what the sandbox drops (bit 21 is
# cap_sys_admin, 16 cap_sys_module, 27 cap_mknod), no_new_privs is set, and
# a mknod of a host disk's node is refused.
expect_exit 0 "$V" exec "$R" -- sh -c 'grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status; mknod /tmp/sda b 8 0 2>/dev/null; echo mknod=$?'
python3 - "$T/stdout" <<'PY'
import sys
f = dict(l.split(":", 1) for l in open(sys.argv[1]).read().split("\n") if ":" in l)
bnd, eff = int(f["CapBnd"], 16), int(f["CapEff"], 16)
for bit, name in ((21, "cap_sys_admin"), (16, "cap_sys_module"), (27, "cap_mknod"), (17, "cap_sys_rawio"), (25, "cap_sys_time")):
    assert not bnd & (1 << bit), f"{name} is in the bounding set: {bnd:x}"
    assert not eff & (1 << bit), f"{name} is effective: {eff:x}"
for bit, name in ((0, "cap_chown"), (1, "cap_dac_override"), (6, "cap_setgid"), (7, "cap_setuid")):
    assert eff & (1 << bit), f"{name} was dropped: {eff:x}"
assert f["NoNewPrivs"].strip() == "1", f
print("capabilities: bounding set", hex(bnd))
PY
grep -q '^mknod=[1-9]' "$T/stdout" || fail "mknod of a block device worked in the container"
[ ! -e "$R/tmp/sda" ] || fail "mknod left a device node"
expect_exit 0 "$V" exec "$R" --net host -- grep CapBnd /proc/self/status
[ $(( 0x$(cut -f2 "$T/stdout") >> 12 & 1 )) = 0 ] || fail "--net host keeps cap_net_admin: $(cat "$T/stdout")"

expect_exit 7 "$V" exec "$R" -- sh -c 'exit 7'
expect_exit 0 "$V" exec "$R" -- true
expect_exit 137 "$V" exec "$R" -- sh -c 'kill -9 $$'
expect_exit 42 "$V" exec "$R" --limit numfile=42 -- sh -c 'exit $(ulimit -n)'
expect_exit 2 "$V" exec "$R" --limit nosuch=1 -- true
expect_stderr "unknown resource"
expect_exit 2 "$V" exec "$R" --net bridge -- true

# Signals sent to vztmpl reach the command. It says when its trap is set;
# its sleep only keeps it running until the signal comes.
rm -f "$R/tmp/trap-set"
"$V" exec "$R" -- sh -c 'trap "exit 42" TERM; : >/tmp/trap-set; sleep 120 & wait' &
pid=$!
trap_set() { [ -e "$R/tmp/trap-set" ] || ! kill -0 "$pid" 2>/dev/null; }
wait_until "the command to set its trap" trap_set
kill -TERM $pid
set +e
wait $pid
rc=$?
set -e
[ "$rc" = 42 ] || fail "SIGTERM was not forwarded (exit $rc)"

# numproc: a bounded fork loop stops at the limit, and the report counts it
# (its sleeps only hold their process slots).
expect_exit 0 "$V" --json exec "$R" --limit numproc=20 -- sh -c \
  '(for i in $(seq 50); do sleep 5 & done) >/dev/null 2>&1; exit 0'
python3 - "$T/stdout" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
r = {b["resource"]: b for b in json.loads(text[text.index("{"):])["beancounters"]}
n = r["numproc"]
assert n["limit"] == 20, n
assert n["failcnt"] > 0, n
assert n["maxheld"] is None or n["maxheld"] <= 20, n
print("numproc=20:", n)
PY

# physpages: the limit is in the memory cgroup while the command runs, and
# 256 MB do not fit in 64M.
# Polled until it is there (a loaded machine, or ASan, may take seconds to
# start the command); the command's sleep only keeps it running till then.
"$V" exec "$R" --limit physpages=64M -- sleep 120 &
pid=$!
lim=
# (A group just made holds the default until its limit is written.)
limit_seen() {
  d=$(vztmpl_cgroups | grep memory | head -1)
  for f in memory.limit_in_bytes memory.max; do
    if [ -n "$d" ] && [ -f "$d/$f" ]; then lim=$(cat "$d/$f" 2>/dev/null || true); fi
  done
  [ "$lim" = 67108864 ] || ! kill -0 "$pid" 2>/dev/null
}
wait_until "the memory cgroup's limit while the command runs" limit_seen
kill -TERM "$pid" 2>/dev/null || true
wait $pid || true
[ "$lim" = 67108864 ] || fail "physpages=64M: the memory cgroup's limit is \"$lim\""
expect_exit 0 "$V" --json exec "$R" --limit physpages=64M -- sh -c \
  'dd if=/dev/zero of=/dev/null bs=256M count=1 >/dev/null 2>&1; echo "dd=$?" >&2'
grep -q 'dd=137' "$T/stderr" || fail "a 256 MB allocation survived physpages=64M: $(cat "$T/stderr")"
python3 - "$T/stdout" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
r = {b["resource"]: b for b in json.loads(text[text.index("{"):])["beancounters"]}
p = r["physpages"]
assert p["limit"] == 64 << 20 and p["failcnt"] > 0, p
print("physpages=64M:", p)
PY
expect_exit 0 "$V" -v exec "$R" --limit cpulimit=50 --limit cpuunits=500 -- true
expect_stderr "^numproc "
expect_stderr "^cpulimit .* 50 "

# --- overlay ---
# overlayfs cannot be idmapped: real root runs an overlay root shifted to
# vztmpl's own range (allocated by the first exec above), and refuses one
# that is not.
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy --mode overlay "$TPL" "$T/ov0/root"
# The sandbox's init fails at its first mount, racing vztmpl moving it into
# its cgroups: every try ends in the refusal, never in a signal.
for _ in 1 2 3 4 5 6 7 8; do
  expect_exit 3 "$V" exec "$T/ov0/root" -- true
  expect_stderr "overlayfs does not support idmapped mounts"
done
umount "$T/ov0/root"
SHIFT=$(awk -F: '$1 == "vztmpl" { print $2; exit }' /etc/subuid)
O="$T/ov/root"
expect_exit 0 "$VZTMPL" -C "$CACHE" --json deploy --mode overlay --uid-shift "$SHIFT" "$TPL" "$O"
lower=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lower"])' "$T/stdout")
findmnt -n -t overlay "$O" >/dev/null || fail "overlay: $O is not an overlayfs mount"
lower_before=$(find "$lower" -newer "$CACHE/templates/$TPL.json" | wc -l)
expect_exit 0 "$V" exec "$O" -- sh -c 'echo changed >/etc/motd; echo new >/root/new'
[ -f "$T/ov/root.upper/root/new" ] || fail "overlay: the change is not in the upper dir"
[ "$(stat -c %u "$T/ov/root.upper/root/new")" = "$SHIFT" ] || fail "overlay: root's new file is not owned by $SHIFT"
[ ! -e "$lower/root/new" ] && [ "$(cat "$lower/etc/motd")" != changed ] || fail "overlay wrote to the lower dir"
[ "$(find "$lower" -newer "$CACHE/templates/$TPL.json" | wc -l)" = "$lower_before" ] || fail "overlay touched the lower dir"
start=$(date +%s%N)
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy --mode overlay "$TPL" "$T/ov2/root"
echo "overlay (cached lower): $(( ($(date +%s%N) - start) / 1000000 )) ms"
umount "$O" "$T/ov2/root"
# The cached lower's top is the container's root's too; one that an earlier
# vztmpl left as the host root's is finished again when it is found.
[ "$(stat -c '%a %u' "$lower")" = "755 $SHIFT" ] || fail "overlay: the cached lower's top is $(stat -c '%a %u' "$lower")"
chown 0:0 "$lower"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy --mode overlay --uid-shift "$SHIFT" "$TPL" "$T/ov3/root"
[ "$(stat -c '%a %u' "$lower")" = "755 $SHIFT" ] || fail "overlay: a lower found owned by root is still $(stat -c '%a %u' "$lower")"
expect_exit 0 "$V" exec "$T/ov3/root" -- true
umount "$T/ov3/root"

# --- reflink ---
if "$VZTMPL" -C "$CACHE" --json check-kernel | python3 -c '
import json, sys
sys.exit(0 if [i for i in json.load(sys.stdin) if i["name"] == "reflink" and i["ok"]] else 1)'; then
  expect_exit 0 "$VZTMPL" -C "$CACHE" deploy --mode reflink "$TPL" "$T/rl/root"
  tree_list "$T/rl/root" | diff -u "$T/root.list" - >&2 || fail "reflink copy differs"
else
  expect_exit 1 "$VZTMPL" -C "$CACHE" deploy --mode reflink "$TPL" "$T/rl/root"
  expect_stderr "reflink"
  [ ! -e "$T/rl/root" ] || fail "a failed reflink deploy left its root"
  echo "reflink: refused on this file system, as it should be"
fi

# --- check-kernel ---
expect_exit 0 "$VZTMPL" -C "$CACHE" check-kernel
for want in "pid namespace" "cgroup namespace" "pids controller" "memory controller" overlayfs reflink binfmt_misc; do
  grep -q "^$want " "$T/stdout" || fail "check-kernel lacks \"$want\""
done
expect_exit 0 "$VZTMPL" -C "$CACHE" --json check-kernel
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert all({"group","name","ok","detail","cost"} <= set(i) for i in d)' "$T/stdout"

# --- the host is as it was ---
assert_no_new_cgroups
cut -d" " -f5 /proc/self/mountinfo | sort | diff "$T/mounts.before" - >&2 || fail "mounts left behind"
echo "deploy/exec: ok"
