#!/bin/sh
# Root in a container run by real root is not the host's root: writes to
# host-wide sysctls (core_pattern, which the host runs as a program of its
# own on a crash; pid_max; drop_caches) are refused and leave the host's
# values as they were; the command is uid 0 inside but vztmpl's range
# outside; files it creates keep their inside owners on disk; a shifted root
# runs over its own ids, and a root owned by an ordinary user is refused.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
V="$VZTMPL"
expect_exit 0 "$V" -C "$CACHE" build debian:12 --variant minbase
R="$T/root"
expect_exit 0 "$V" -C "$CACHE" deploy "$TPL" "$R"

# Should the defect come back, the host must not keep what the test wrote.
core_before=$(cat /proc/sys/kernel/core_pattern)
pid_max_before=$(cat /proc/sys/kernel/pid_max)
restore() {
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$core_before" ] || echo "$core_before" >/proc/sys/kernel/core_pattern
  [ "$(cat /proc/sys/kernel/pid_max)" = "$pid_max_before" ] || echo "$pid_max_before" >/proc/sys/kernel/pid_max
}

# --- host-wide sysctls ---
try_write() { # try_write FILE VALUE
  rc=0
  "$V" exec "$R" -- sh -c "echo '$2' > /proc/sys/$1" >"$T/stdout" 2>"$T/stderr" || rc=$?
  echo "writing '$2' to /proc/sys/$1 inside: exit $rc, $(tail -1 "$T/stderr")"
  if [ $rc = 0 ]; then
    restore
    fail "root in the container wrote /proc/sys/$1"
  fi
}
try_write kernel/core_pattern "|/tmp/x"
try_write kernel/pid_max 4000
try_write vm/drop_caches 3
restore
[ "$(cat /proc/sys/kernel/core_pattern)" = "$core_before" ] || fail "the host's core_pattern changed"
[ "$(cat /proc/sys/kernel/pid_max)" = "$pid_max_before" ] || fail "the host's pid_max changed"
echo "host core_pattern and pid_max unchanged: $core_before, $pid_max_before"

# --- who the command is ---
# Run by root, the command's ids are vztmpl's subordinate range; run by an
# ordinary user, its root is that user and the rest the user's range.
if rootless; then
  SUB=$(awk -F: -v u="$ROOTLESS_USER" '$1 == u { print $2 " " $3; exit }' /etc/subuid)
  GSUB=$(awk -F: -v u="$ROOTLESS_USER" '$1 == u { print $2 " " $3; exit }' /etc/subgid)
  START=$ROOTLESS_UID GSTART=$ROOTLESS_GID
  UID_MAP="0 $START 1,1 $SUB" GID_MAP="0 $GSTART 1,1 $GSUB"
else
  START=$(awk -F: '$1 == "vztmpl" { print $2; exit }' /etc/subuid)
  GSTART=$(awk -F: '$1 == "vztmpl" { print $2; exit }' /etc/subgid)
  [ -n "$START" ] && [ -n "$GSTART" ] || fail "no vztmpl range in /etc/subuid and /etc/subgid after an exec"
  [ "$START" -ge 100000 ] || fail "vztmpl's range starts at $START, below 100000"
  UID_MAP="0 $START 65536" GID_MAP="0 $GSTART 65536"
fi
# map FILE: a map's lines as "INSIDE OUTSIDE COUNT,..."
map() { tr -s ' ' <"$1" | sed 's/^ //' | paste -sd, -; }
expect_exit 0 "$V" exec "$R" -- sh -c 'id -u; id -G; cat /proc/self/uid_map >/tmp/uid_map; cat /proc/self/gid_map >/tmp/gid_map'
# shellcheck disable=SC2046 # one word per id
set -- $(cat "$T/stdout")
echo "inside: id -u $1, groups $2, uid_map $(map "$R/tmp/uid_map"), gid_map $(map "$R/tmp/gid_map")"
[ "$1" = 0 ] || fail "the command is not root inside: uid $1"
[ "$2" = 0 ] || fail "the command keeps supplementary groups: $2"
[ "$(map "$R/tmp/uid_map")" = "$UID_MAP" ] || fail "uid_map is not $UID_MAP: $(map "$R/tmp/uid_map")"
[ "$(map "$R/tmp/gid_map")" = "$GID_MAP" ] || fail "gid_map is not $GID_MAP: $(map "$R/tmp/gid_map")"

# The same process seen from the host, while it runs.
"$V" exec "$R" -- sh -c 'touch /tmp/running; exec sleep 60' >/dev/null 2>&1 &
vpid=$!
i=0
while [ ! -e "$R/tmp/running" ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
[ -e "$R/tmp/running" ] || fail "the command did not start"
marker=$(stat -c %d:%i "$R/tmp/running")
cpid=
i=0
while [ -z "$cpid" ] && [ $i -lt 100 ]; do
  for p in $(pgrep -x sleep || true); do
    [ "$(stat -L -c %d:%i "/proc/$p/root/tmp/running" 2>/dev/null)" = "$marker" ] && cpid=$p
  done
  i=$((i + 1))
  [ -n "$cpid" ] || sleep 0.1
done
[ -n "$cpid" ] || fail "the command's process is not to be found from the host"
host_ids=$(awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } END { print u ":" g }' "/proc/$cpid/status")
kill "$cpid"
wait "$vpid" || true
echo "from the host, the command's uid:gid is $host_ids"
[ "$host_ids" = "$START:$GSTART" ] || fail "the command runs as $host_ids on the host, not $START:$GSTART"

# Its pid 1 is the host's root: out of its reach.
expect_exit 0 "$V" exec "$R" -- sh -c 'ls /proc/1/fd >/dev/null 2>&1; echo fd=$?; kill -0 1 2>/dev/null; echo kill=$?'
echo "inside, /proc/1/fd and kill -0 1: $(tr '\n' ' ' <"$T/stdout")"
grep -q '^fd=[1-9]' "$T/stdout" || fail "the command can read the sandbox's pid 1's descriptors"

# --- owners on disk ---
expect_exit 0 "$V" exec "$R" -- sh -c 'touch /root/by-root; mkdir /var/tmp/dir; chown 100:65534 /var/tmp/dir'
echo "made inside: /root/by-root $(stat -c %u:%g "$R/root/by-root"), /var/tmp/dir $(stat -c %u:%g "$R/var/tmp/dir")"
if rootless; then # on disk, the user's ids and its range's
  want_root=$START:$GSTART want_dir=$((${SUB% *} + 99)):$((${GSUB% *} + 65533))
else # on disk, the inside ids
  want_root=0:0 want_dir=100:65534
fi
[ "$(stat -c %u:%g "$R/root/by-root")" = "$want_root" ] || fail "a file root made inside is not $want_root on disk"
[ "$(stat -c %u:%g "$R/var/tmp/dir")" = "$want_dir" ] || fail "chown inside did not store $want_dir on disk"

# --- a root shifted to vztmpl's range ---
S="$T/shifted"
expect_exit 0 "$V" -C "$CACHE" deploy --uid-shift "$START" "$TPL" "$S"
expect_exit 0 "$V" exec "$S" -- sh -c 'id -u; cat /proc/self/uid_map; touch /root/by-root; echo "|/tmp/x" > /proc/sys/kernel/core_pattern 2>/dev/null; echo core=$?'
echo "shifted root: $(tr -s ' \n' ' ' <"$T/stdout"), /root/by-root $(stat -c %u "$S/root/by-root")"
[ "$(sed -n 1p "$T/stdout")" = 0 ] || fail "not root inside a shifted root"
grep -q '^core=[1-9]' "$T/stdout" || { restore; fail "core_pattern was writable in a shifted root"; }
if rootless; then
  rootless_skip "a shifted root's map and owners" "an ordinary user's runs map its own ids whatever the shift (core_pattern checked)"
else
  [ "$(sed -n 2p "$T/stdout" | tr -s ' ' | sed 's/^ //')" = "0 $START 65536" ] || fail "a shifted root's map: $(sed -n 2p "$T/stdout")"
  [ "$(stat -c %u "$S/root/by-root")" = "$START" ] || fail "a shifted root's new file is not owned by $START"
fi

# --- a root owned by an ordinary user ---
mkdir "$T/users-root"
chown 1000:1000 "$T/users-root"
if rootless; then
  # An ordinary user's run has no more than that user's rights: another
  # user's root is the kernel's to refuse, whatever vztmpl says.
  rc=0
  "$V" exec "$T/users-root" -- true >"$T/stdout" 2>"$T/stderr" || rc=$?
  [ "$rc" != 0 ] || fail "an ordinary user ran a command over another user's root"
  rootless_skip "exit 3 for another user's root" "the run failed (exit $rc) on the user's own rights: $(tail -1 "$T/stderr" | cut -c1-100)"
else
  expect_exit 3 "$V" exec "$T/users-root" -- true
  echo "a root owned by 1000:1000: exit 3, $(tail -1 "$T/stderr" | cut -c1-120)..."
  expect_stderr "neither root nor a root shifted"
fi
# --- a build's configure stage ---
P="$T/probe"
mkdir -p "$P/hooks"
printf '#!/bin/sh\ncat /proc/self/uid_map >/etc/build-uid-map\n(echo "|/tmp/x" >/proc/sys/kernel/core_pattern) 2>/dev/null && echo written >/etc/build-core || echo refused >/etc/build-core\n' >"$P/hooks/probe.sh"
cat >"$P/probe.conf" <<'RECIPE'
[template]
base = debian:12
variant = minbase
name = userns-probe
[hooks]
after-configure = hooks/probe.sh
RECIPE
expect_exit 0 "$V" -C "$CACHE" build "$P/probe.conf" -o "$T/probe.tar.zst"
mkdir "$T/probe-root"
tar -C "$T/probe-root" --zstd -xf "$T/probe.tar.zst" ./etc/build-uid-map ./etc/build-core
echo "configure stage: uid_map $(map "$T/probe-root/etc/build-uid-map"), core_pattern $(cat "$T/probe-root/etc/build-core")"
[ "$(map "$T/probe-root/etc/build-uid-map")" = "$UID_MAP" ] ||
  fail "the configure stage does not run over ${ROOTLESS_USER:-vztmpl}'s ids ($UID_MAP)"
[ "$(cat "$T/probe-root/etc/build-core")" = refused ] || { restore; fail "the configure stage wrote core_pattern"; }
[ "$(cat /proc/sys/kernel/core_pattern)" = "$core_before" ] || { restore; fail "the host's core_pattern changed"; }
echo "sysctl: ok"
