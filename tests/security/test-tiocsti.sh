#!/bin/sh
# A command run by vztmpl exec cannot type into the caller's terminal with
# ioctl(TIOCSTI): the text would be run by the caller's shell once vztmpl
# exits. Under script(1), with stdin a terminal (the command gets a pty of
# its own) and without (it shares only stdout, in a session of its own), the
# ioctl fails with EPERM and the caller's shell runs nothing; the same helper
# run directly does get its text run, so the check can see it.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
command -v script >/dev/null || skip "needs script (Debian package bsdutils)"
command -v cc >/dev/null || skip "needs cc"
R="$T/root"
minbase_root "$R"

# tiocsti FD TEXT: pushes TEXT into the input of terminal FD; writes
# "tiocsti=ok" or "tiocsti=ERRNO" to /tiocsti.result (its stdout may be a
# terminal).
cat >"$T/tiocsti.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
int main(int argc, char **argv)
{
  int fd = atoi(argv[1]), err = 0;
  for (const char *p = argv[2]; *p && !err; p++)
    if (ioctl(fd, TIOCSTI, p) < 0)
      err = errno;
  FILE *f = fopen(argv[3] ? argv[3] : "/tiocsti.result", "w");
  fprintf(f, "tiocsti=%s\n", err ? strerrorname_np(err) : "ok");
  return fclose(f) != 0;
}
C
cc -static -O1 -o "$R/tiocsti" "$T/tiocsti.c" || fail "cannot compile the helper"

# under_script CMD: runs CMD in script(1)'s terminal, then an interactive
# shell there, which runs whatever CMD left in the terminal's input; "exit"
# is typed only once CMD has finished, so it comes after anything pushed.
under_script() {
  rm -f "$T/done"
  (i=0
   while [ ! -e "$T/done" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
   printf 'exit\n') |
    script -qec "$1; touch $T/done; exec sh -i" /dev/null >"$T/script.out" 2>&1 || true
}

# The check sees a push that works: the helper run directly, outside vztmpl.
under_script "$R/tiocsti 0 'id > $T/pwned-direct
' $T/direct.result"
[ -s "$T/pwned-direct" ] || {
  cat "$T/script.out" "$T/direct.result" >&2
  skip "TIOCSTI does not work on this kernel even for root (dev.tty.legacy_tiocsti=0?)"
}
echo "direct, outside vztmpl: $(cat "$T/direct.result"), the shell ran: $(cat "$T/pwned-direct")"

# stdin a terminal: the command gets a pty of its own.
rm -f "$R/tiocsti.result"
under_script "$VZTMPL exec $R -- /tiocsti 0 'id > $T/pwned-pty
'"
[ -e "$R/tiocsti.result" ] || { cat "$T/script.out" >&2; fail "the helper did not run under script"; }
[ ! -e "$T/pwned-pty" ] || fail "the caller's shell ran text the command pushed: $(cat "$T/pwned-pty")"
[ "$(cat "$R/tiocsti.result")" = tiocsti=EPERM ] || fail "TIOCSTI with a pty: $(cat "$R/tiocsti.result")"
echo "exec on a terminal: $(cat "$R/tiocsti.result"), nothing ran"

# stdin not a terminal: no pty, the caller's terminal on stdout only.
rm -f "$R/tiocsti.result"
under_script "$VZTMPL exec $R -- /tiocsti 1 'id > $T/pwned-out
' </dev/null"
[ -e "$R/tiocsti.result" ] || { cat "$T/script.out" >&2; fail "the helper did not run under script"; }
[ ! -e "$T/pwned-out" ] || fail "the caller's shell ran text the command pushed: $(cat "$T/pwned-out")"
[ "$(cat "$R/tiocsti.result")" = tiocsti=EPERM ] || fail "TIOCSTI on stdout: $(cat "$R/tiocsti.result")"
echo "exec with the terminal on stdout only: $(cat "$R/tiocsti.result"), nothing ran"
# The pty is the command's own, named in its /dev/pts, its controlling
# terminal in a session of its own; ours is back in its mode afterwards.
under_script "stty -g >$T/stty.before; $VZTMPL exec $R -- sh -c 'tty; cat /proc/self/stat' >$T/inside.crlf </dev/tty; stty -g >$T/stty.after"
tr -d '\r' <"$T/inside.crlf" >"$T/inside" # the pty's output mode
[ "$(head -1 "$T/inside")" = /dev/pts/0 ] || fail "the command's terminal: $(cat "$T/inside")"
# /proc/self/stat: field 6 is the session, field 7 the controlling terminal (136,0 = /dev/pts/0).
# shellcheck disable=SC2046 # the fields of /proc/self/stat
set -- $(sed 's/.*) //' "$T/inside" | tail -1)
[ "$4" = 2 ] && [ "$5" = 34816 ] || fail "session $4 and terminal $5 of the command: $(cat "$T/inside")"
cmp -s "$T/stty.before" "$T/stty.after" || fail "the terminal's mode was not restored: $(cat "$T/stty.before") -> $(cat "$T/stty.after")"
echo "exec on a terminal: the command's is /dev/pts/0 of its own, session 2; ours restored ($(cat "$T/stty.after"))"
# The relay passes the window size on, at the start and after a change.
python3 - "$VZTMPL" "$R" <<'PY'
import fcntl, os, select, struct, sys, termios, time
fd, slave = os.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
pid = os.fork()
if pid == 0:
    os.login_tty(slave)
    os.execv(sys.argv[1], ["vztmpl", "exec", sys.argv[2], "--", "sh", "-c", "stty size; read x; stty size"])
os.close(slave)
out = b""
def wait_for(text):
    global out
    end = time.time() + 60
    while text not in out and time.time() < end:
        if select.select([fd], [], [], 1)[0]:
            try:
                out += os.read(fd, 1024)
            except OSError:
                break
    assert text in out, f"no {text!r} from the command: {out!r}"
wait_for(b"30 100")
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # SIGWINCH to vztmpl
os.write(fd, b"go\r")
wait_for(b"40 120")
os.waitpid(pid, 0)
print("window size: 30x100, then 40x120 after a change, seen inside")
PY
echo "tiocsti: ok"
