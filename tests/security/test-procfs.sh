#!/bin/sh
# What a command run by vztmpl exec sees of the host kernel through /proc and
# /sys: the host-wide knobs (/proc/sys, /proc/sysrq-trigger) cannot be
# written, kernel memory, keys and timers read as empty or denied, /sys is
# read-only, and the capability bounding set lacks cap_sys_ptrace,
# cap_sys_admin, cap_sys_module, cap_sys_rawio and cap_mknod.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
R="$T/root"
minbase_root "$R"
core_pattern=$(cat /proc/sys/kernel/core_pattern)

# Writes: opening each for writing must fail (nothing is written: where the
# sandbox is open, writing there would change the host), and the host's
# value stays.
for f in /proc/sys/kernel/core_pattern /proc/sys/vm/drop_caches /proc/sysrq-trigger; do
  set +e
  "$VZTMPL" exec "$R" -- sh -c "test -e $f || exit 99; exec 3>>$f" >"$T/stdout" 2>"$T/stderr"
  rc=$?
  set -e
  case $rc in
  99) echo "open $f for writing: this kernel has none" ;;
  0) fail "opened $f for writing from inside" ;;
  *) echo "open $f for writing: refused: $(head -c 120 "$T/stderr")" ;;
  esac
done
[ "$(cat /proc/sys/kernel/core_pattern)" = "$core_pattern" ] || fail "the host's core_pattern changed"

# Reads: empty or denied (a file under /dev/null, a directory under an empty tmpfs).
for f in /proc/kcore /proc/keys /proc/key-users /proc/timer_list /proc/kmsg /proc/latency_stats \
  /proc/sched_debug /proc/scsi /proc/acpi /sys/firmware; do
  [ -e "$f" ] || { echo "read $f: this kernel has none"; continue; }
  set +e
  "$VZTMPL" exec "$R" -- sh -c "if [ -d $f ]; then ls -A $f; else head -c 100 $f; fi" >"$T/stdout" 2>"$T/stderr"
  set -e
  [ ! -s "$T/stdout" ] || fail "$f shows the host's: $(head -c 200 "$T/stdout")"
  echo "read $f: empty $(head -c 80 "$T/stderr")"
done
# A key of the host's is listed in the host's /proc/keys, never inside.
if command -v keyctl >/dev/null; then
  KEY=$(keyctl add user vzt-procfs-key s3cret @u)
  trap 'keyctl unlink "$KEY" @u >/dev/null 2>&1 || true; cleanup' EXIT
  grep -q vzt-procfs-key /proc/keys || fail "the host's /proc/keys does not list the test's key"
fi
expect_exit 0 "$VZTMPL" exec "$R" -- sh -c 'cat /proc/keys; echo end'
[ "$(cat "$T/stdout")" = end ] || fail "/proc/keys lists keys inside: $(cat "$T/stdout")"

# The read-only parts say so in the mount table; /sys cannot be written.
expect_exit 0 "$VZTMPL" exec "$R" -- cat /proc/self/mountinfo
for m in /proc/sys /sys; do
  awk -v m="$m" '$5 == m { split($6, o, ","); if (o[1] == "ro") found = 1 } END { exit !found }' "$T/stdout" ||
    fail "$m is not mounted read-only: $(grep " $m " "$T/stdout")"
done
set +e
"$VZTMPL" exec "$R" -- sh -c 'echo 1 > /sys/kernel/uevent_helper || echo 1 > /sys/power/state' >"$T/stdout" 2>"$T/stderr"
rc=$?
set -e
[ "$rc" != 0 ] || fail "wrote to /sys from inside"
echo "/proc/sys and /sys: read-only ($(head -1 "$T/stderr"))"

# The bounding set: what Docker keeps by default, less cap_mknod.
expect_exit 0 "$VZTMPL" exec "$R" -- grep -E '^Cap(Bnd|Eff):' /proc/self/status
python3 - "$T/stdout" <<'PY'
import sys
f = dict(l.split(":", 1) for l in open(sys.argv[1]).read().split("\n") if ":" in l)
bnd, eff = int(f["CapBnd"], 16), int(f["CapEff"], 16)
banned = {19: "cap_sys_ptrace", 21: "cap_sys_admin", 16: "cap_sys_module", 17: "cap_sys_rawio",
          27: "cap_mknod", 12: "cap_net_admin", 2: "cap_dac_read_search", 39: "cap_bpf"}
for bit, name in banned.items():
    assert not bnd & (1 << bit), f"{name} is in the bounding set: {bnd:x}"
docker = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 29, 31}  # without cap_mknod (27)
extra = [b for b in range(64) if bnd & (1 << b) and b not in docker]
assert not extra, f"the bounding set {bnd:x} is wider than Docker's default: bits {extra}"
assert eff == bnd, f"effective {eff:x} differs from the bounding set {bnd:x}"
print(f"capabilities: bounding set {bnd:#x}, no ptrace/admin/module/rawio/mknod")
PY
echo "procfs: ok"
