#!/bin/sh
# Progress and times: on a terminal (script(1) gives one) writing a -o
# tar.gz of the cached Debian 12 minbase template shows a bar with its rate
# and the time left; with stderr not a terminal nothing but the messages is
# printed; and "Built ... in N s" is the whole command's time, not the
# cached build's.
. "$(dirname "$0")/testlib.sh"
need_root
command -v script >/dev/null || skip "script (util-linux) is not installed"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase

# built_in FILE: the N of "Built NAME in N s".
built_in() { tr '\r' '\n' <"$1" | sed -n 's/^Built .* in \([0-9.]*\) s$/\1/p' | tail -1; }
# within WALL N: N is the wall time give or take a second.
within() { python3 -c 'import sys; w, n = map(float, sys.argv[1:]); sys.exit(0 if w - 1.0 <= n <= w + 1.0 else 1)' "$1" "$2"; }
now() { python3 -c 'import time; print(time.monotonic())'; }

# Not a terminal: messages only.
t0=$(now)
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/pipe.tar.gz"
wall=$(python3 -c "import time; print(time.monotonic() - $t0)")
if grep -q "$(printf '\r')" "$T/stderr" || grep -q 'Writing tar.gz *\[' "$T/stderr"; then
  fail "a progress bar without a terminal: $(cat -v "$T/stderr")"
fi
n=$(built_in "$T/stderr")
[ -n "$n" ] || fail "no \"Built ... in N s\": $(cat "$T/stderr")"
within "$wall" "$n" || fail "\"Built in $n s\" after $wall s of wall time"
echo "no terminal: no bar, and \"Built in $n s\" for $(printf '%.1f' "$wall") s of wall time"

# A terminal: the conversion's bar with rate and time left.
t0=$(now)
script -qec "'$VZTMPL' -C '$CACHE' build debian:12 --variant minbase -o '$T/tty.tar.gz'" "$T/typescript" >/dev/null ||
  fail "the build under script failed: $(tail -5 "$T/typescript")"
wall=$(python3 -c "import time; print(time.monotonic() - $t0)")
bar=$(tr '\r' '\n' <"$T/typescript" | grep 'Writing tar.gz *\[' | grep 'MiB/s' | grep ' left' | head -1)
[ -n "$bar" ] || fail "no tar.gz bar with rate and time left on the terminal: $(tr '\r' '\n' <"$T/typescript" | tail -5)"
n=$(built_in "$T/typescript")
within "$wall" "$n" || fail "\"Built in $n s\" after $wall s of wall time on the terminal"
echo "terminal: \"$(echo "$bar" | sed 's/\x1b\[K//g')\"; \"Built in $n s\""
cmp -s "$T/pipe.tar.gz" "$T/tty.tar.gz" || fail "the bar changed the archive"
