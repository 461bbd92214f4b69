#!/bin/sh
# Two deploys to one ROOT at once: exactly one succeeds, the other says the
# root is being deployed by another vztmpl (or, if it came after, that it is
# not empty), and the tree is whole and the same as a lone deploy's.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase

tree_list() { (cd "$1" && find . -printf '%p %y %m %U:%G %l %s\n' | LC_ALL=C sort); }
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$TPL" "$T/ref"
tree_list "$T/ref" >"$T/ref.list"
rm -rf "$T/ref"

# race TEMPLATE ROOT: two deploys started together; prints the loser's message.
race() {
  set +e
  "$VZTMPL" -C "$CACHE" deploy "$1" "$2" >/dev/null 2>"$T/a.err" &
  a=$!
  "$VZTMPL" -C "$CACHE" deploy "$1" "$2" >/dev/null 2>"$T/b.err" &
  b=$!
  wait $a; ra=$?
  wait $b; rb=$?
  set -e
  if [ $ra = 0 ] && [ $rb != 0 ]; then loser=$T/b.err
  elif [ $rb = 0 ] && [ $ra != 0 ]; then loser=$T/a.err
  else cat "$T/a.err" "$T/b.err" >&2; fail "two deploys to $2 exited $ra and $rb: exactly one must succeed"; fi
  grep -q "being deployed by another vztmpl\|is not empty" "$loser" || { cat "$loser" >&2; fail "the losing deploy did not say why"; }
  grep -o "being deployed by another vztmpl\|is not empty" "$loser"
}

why=$(race "$TPL" "$T/ct/root")
tree_list "$T/ct/root" >"$T/root.list"
diff -u "$T/ref.list" "$T/root.list" >&2 || fail "the tree after two concurrent deploys differs from a lone deploy's"
echo "two deploys of $TPL at once: one succeeded, the other: \"$why\"; the tree equals a lone deploy's ($(wc -l <"$T/ref.list") paths)"

# Smaller and more often, to hit the moment the root is made.
small_tar "$T/small.tar" 200
seal "$T/small.tar" small
i=0
while [ $i -lt 10 ]; do
  i=$((i + 1))
  race "$T/tpl/small.json" "$T/s$i/root" >"$T/why"
  [ "$(ls "$T/s$i/root/etc" | wc -l)" = 200 ] || fail "round $i: the tree has $(ls "$T/s$i/root/etc" | wc -l) files, not 200"
  echo "round $i: one of two deploys succeeded (the other: $(cat "$T/why")), 200 files"
done
