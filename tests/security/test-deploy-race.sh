#!/bin/sh
# deploy opens ROOT once, follows no link there and works through that
# descriptor: while another process keeps swapping ROOT between a directory
# and a symbolic link to another root-owned directory (rootless: the user's
# own), 40 deploys never
# write into that other directory (each one ends whole in its own
# directory, or is refused).
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root

small_tar "$T/small.tar" 50
seal "$T/small.tar" small
mkdir -m 700 "$T/victim" "$T/ct"
echo keep >"$T/victim/keep"
user_owns "$T/victim" "$T/victim/keep" "$T/ct" # rootless: a victim the user could write

# The swapper: ROOT is a fresh directory, then (whatever deploy did with
# it, moved aside) a symbolic link to the victim, and so on, until told to stop.
# (Rootless, the swapper is the user, whose directories the user's deploy may use.)
SWAPPER=
if rootless; then SWAPPER=as_rootless; fi
$SWAPPER python3 - "$T/ct" "$T/victim" "$T/stop" <<'PY' &
import os, sys
ct, victim, stop = sys.argv[1:]
root = os.path.join(ct, "root"); n = 0
while not os.path.exists(stop):
    n += 1
    try: os.mkdir(root)
    except OSError: pass
    try: os.rename(root, os.path.join(ct, "aside.%d" % n))
    except OSError: pass
    try: os.symlink(victim, root)
    except OSError: pass
    try: os.unlink(root)
    except OSError: pass
PY
swapper=$!
ok=0 refused=0 i=0
while [ $i -lt 40 ]; do
  i=$((i + 1))
  if "$VZTMPL" deploy "$T/tpl/small.json" "$T/ct/root" >/dev/null 2>"$T/stderr"; then
    ok=$((ok + 1))
  else
    refused=$((refused + 1))
  fi
done
touch "$T/stop"
wait $swapper
[ "$(ls -A "$T/victim")" = keep ] || fail "a deploy wrote into the symlink's target: $(ls -A "$T/victim" | head)"
[ "$(cat "$T/victim/keep")" = keep ] || fail "the victim's file changed"
echo "40 deploys while ROOT swapped between a directory and a link: $ok deployed, $refused refused, the link's target untouched"
# Every tree deploy called done is whole: 50 files plus etc/.
for d in "$T"/ct/aside.* "$T/ct/root"; do
  [ -d "$d/etc" ] && [ ! -L "$d" ] || continue
  n=$(ls "$d/etc" | wc -l)
  [ "$n" = 50 ] || [ "$n" = 0 ] || echo "  ($d: $n files: a deploy interrupted by the swap, or still being removed)"
done
