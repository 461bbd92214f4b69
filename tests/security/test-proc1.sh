#!/bin/sh
# Nothing of the caller reaches a command run by vztmpl exec: a directory
# descriptor passed as fd 9 is not reachable through /proc/1/fd (pid 1 closed
# it and is not dumpable), the command holds no descriptor beyond 0-2, pid 1's
# environment cannot be read, and a variable the caller exported appears
# nowhere inside.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
R="$T/root"
minbase_root "$R"
mkdir "$T/secretdir"
echo "host-only" >"$T/secretdir/host-secret"
export VZT_SECRET=c0ffee-vzt-secret-value

# fd 9 is the host's directory: through /proc/1/fd/9 it would list it, and
# /proc/1/fd/9/../../.. the host's /.
set +e
"$VZTMPL" exec "$R" -- sh -c 'ls /proc/1/fd/9/; ls /proc/1/fd/9/../../..; readlink /proc/1/fd/0' \
  9<"$T/secretdir" >"$T/stdout" 2>"$T/stderr"
set -e
if grep -q host-secret "$T/stdout"; then fail "the caller's directory is reachable through /proc/1/fd/9"; fi
[ ! -s "$T/stdout" ] || fail "pid 1's descriptors can be followed: $(cat "$T/stdout")"
echo "/proc/1/fd/9: $(head -c 300 "$T/stderr" | tr '\n' ' ')"
# What pid 1 holds, seen from the host while the command runs (from inside,
# pid 1 of a root-run sandbox is the host's root and not even listable).
rm -f "$R/tmp/started"
"$VZTMPL" exec "$R" -- sh -c 'echo up >/tmp/started; sleep 60' 9<"$T/secretdir" >/dev/null 2>&1 &
vz=$!
for _ in $(seq 300); do [ -e "$R/tmp/started" ] && break; sleep 0.1; done # the command is running
[ -e "$R/tmp/started" ] || { kill "$vz"; fail "the command did not start"; }
init=$(pgrep -P "$vz" | head -1)
# vztmpl itself is the caller's (a rootless run's wrapper hands it on as the user).
who=$(awk '/^Uid:/ { print $2 }' "/proc/$vz/status")
[ "$who" = "${ROOTLESS_UID:-0}" ] || { kill "$vz"; fail "vztmpl runs as uid $who, not ${ROOTLESS_UID:-0}"; }
echo "vztmpl seen from the host: pid $vz, uid $who${ROOTLESS_USER:+ ($ROOTLESS_USER)}"
held=$(ls "/proc/$init/fd" | sort -n | tr '\n' ' ')
kill "$vz"; wait "$vz" 2>/dev/null || true
[ "$held" = "0 1 2 " ] || fail "pid 1 holds more than 0-2: $held"
echo "pid 1 holds (seen from the host): $held"

# The command's own descriptors: 0, 1, 2 and the one ls opens for the listing.
expect_exit 0 "$VZTMPL" exec "$R" -- ls /proc/self/fd 9<"$T/secretdir" 7>"$T/seven"
[ "$(tr '\n' ' ' <"$T/stdout")" = "0 1 2 3 " ] || fail "the command holds more than 0-2: $(cat "$T/stdout")"
echo "/proc/self/fd with 7 and 9 passed: $(tr '\n' ' ' <"$T/stdout")"

# pid 1's environment: unreadable, or empty.
expect_exit 0 "$VZTMPL" exec "$R" -- sh -c 'cat /proc/1/environ 2>&1 | tr "\0" "\n"; echo; echo end'
if grep -q VZT_SECRET "$T/stdout"; then fail "/proc/1/environ shows the caller's environment"; fi
echo "/proc/1/environ: $(head -c 200 "$T/stdout" | tr '\n' ' ')"

# Anywhere inside (the pattern is written so that it does not match itself): the command's environment, every process's environ and
# memory-backed files a process could read.
expect_exit 0 "$VZTMPL" exec "$R" -- sh -c \
  'env; for p in /proc/[0-9]*; do cat $p/environ $p/cmdline 2>/dev/null; done; grep -ra "c0ffee-vz[t]" /proc/1/ 2>/dev/null; true'
if grep -q c0ffee-vzt "$T/stdout"; then fail "the caller's VZT_SECRET is visible inside: $(grep -a c0ffee-vzt "$T/stdout")"; fi
echo "VZT_SECRET: absent from env, /proc/*/environ, /proc/*/cmdline and /proc/1"
echo "proc1: ok"
