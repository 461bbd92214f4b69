#!/bin/sh
# bash completion: `make install` puts src/vztmpl.bash-completion where bash
# finds it (as "vztmpl"); sourced in bash, it completes "vztmpl bu" to build,
# a command's options from its own --help, `cache` to its subcommands, and
# `vztmpl deploy ` and `vztmpl cache rm ` to the cached template names of the
# cache given with -C, and `build` to recipe names.
. "$(dirname "$0")/testlib.sh"
command -v bash >/dev/null || skip "no bash"
SCRIPT="$SRC_DIR/src/vztmpl.bash-completion"
[ -f "$SCRIPT" ] || fail "no $SCRIPT"

# make install, where the binary was built (the install-data-local part, so
# nothing is rebuilt): the script must land as .../bash-completion/completions/vztmpl.
BUILD=$(dirname "$VZTMPL")
if [ -f "$BUILD/Makefile" ]; then
  make -s -C "$BUILD" install-data-local DESTDIR="$T/inst" >"$T/make.log" 2>&1 || { cat "$T/make.log" >&2; fail "make install of the completion failed"; }
  INSTALLED=$(find "$T/inst" -path '*/completions/vztmpl' -type f)
  [ -n "$INSTALLED" ] || fail "make install put no completions/vztmpl under $T/inst: $(find "$T/inst" -type f)"
  cmp -s "$INSTALLED" "$SCRIPT" || fail "the installed completion is not src/vztmpl.bash-completion"
  echo "install: make install puts it at ${INSTALLED#"$T/inst"}"
  SCRIPT=$INSTALLED
else
  echo "install: no Makefile beside $VZTMPL, sourcing the script from the tree"
fi

# A throw-away cache with two templates (their manifests are what list reads).
SRC=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
[ -f "$SRC/templates/$A.json" ] || skip "no cached $A in $SRC (vztmpl -C $SRC build debian:12 --variant minbase)"
mkdir -p "$T/cache/templates"
cp "$SRC/templates/$A.json" "$T/cache/templates/"
sed "s/\"name\": \"$A\"/\"name\": \"acme-web-x86_64\"/" "$SRC/templates/$A.json" >"$T/cache/templates/acme-web-x86_64.json"

# tab WORDS...: COMPREPLY, one per line, for the last word of "vztmpl WORDS".
cat >"$T/complete.bash" <<'BASH'
set -u
. "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_vztmpl
printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort
BASH
tab() { bash "$T/complete.bash" "$SCRIPT" "$VZTMPL" "$@"; }

[ "$(tab bu)" = build ] || fail "vztmpl bu<TAB> gave: $(tab bu)"
echo "vztmpl bu<TAB> -> build"
tab -C "$T/cache" deploy "" >"$T/out"
[ "$(tr '\n' ' ' <"$T/out")" = "acme-web-x86_64 $A " ] || fail "vztmpl deploy <TAB> gave: $(cat "$T/out")"
echo "vztmpl -C CACHE deploy <TAB> -> $(tr '\n' ' ' <"$T/out")"
[ "$(tab -C "$T/cache" cache rm acme)" = acme-web-x86_64 ] || fail "vztmpl cache rm acme<TAB> gave: $(tab -C "$T/cache" cache rm acme)"
[ "$(tab cache "" | tr '\n' ' ')" = "clean gc list rm " ] || fail "vztmpl cache <TAB> gave: $(tab cache "")"
tab deploy --m >"$T/out"
grep -qx -- --mode "$T/out" || fail "vztmpl deploy --m<TAB> gave: $(cat "$T/out")"
tab deploy -- >"$T/out"
grep -qx -- --uid-shift "$T/out" && grep -qx -- --cache-dir "$T/out" || fail "vztmpl deploy --<TAB> lacks its own or the global options: $(cat "$T/out")"
tab cache gc --max >"$T/out"
grep -qx -- --max-size "$T/out" || fail "vztmpl cache gc --max<TAB> gave: $(cat "$T/out")"
echo "options: deploy --m<TAB> -> --mode, deploy --<TAB> has --uid-shift and --cache-dir, cache gc --max<TAB> -> --max-size"
tab build debian: >"$T/out"
grep -qx 'debian:12' "$T/out" || fail "vztmpl build debian:<TAB> gave: $(cat "$T/out")"
echo "vztmpl build debian:<TAB> -> $(tr '\n' ' ' <"$T/out")"
