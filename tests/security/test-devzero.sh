#!/bin/sh
# Endless inputs are refused before they are read: a recipe, a base recipe,
# a keyring or a manifest that is /dev/zero each fail within seconds with a
# message naming the file (exit 3), under a 2 GB address-space limit, and
# leave the cache as it was. (They used to be read into memory until the
# host's OOM killer stepped in.)
. "$(dirname "$0")/../integration/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
[ -e "$CACHE/templates/$A.tar.zst" ] || expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
# shellcheck disable=SC2010 # ls -l's sizes and times are the snapshot; the lock file changes
snapshot() { ls -l --time-style=+%s.%N "$CACHE/templates" "$CACHE" 2>/dev/null | grep -v ' lock' ; }
snapshot >"$T/cache.before"

# bounded WHAT NAME WHY CMD...: CMD within 2 GB of memory and a 60 s bound
# (a bound for the test, not a timing claim); must exit 3 naming NAME and WHY.
bounded() {
  what=$1 name=$2 why=$3; shift 3
  start=$(date +%s)
  set +e
  if ldd "$VZTMPL_BIN" 2>/dev/null | grep -q libasan; then
    # AddressSanitizer reserves terabytes of address space for its shadow:
    # it bounds the memory itself instead.
    (ASAN_OPTIONS="${ASAN_OPTIONS:-}:hard_rss_limit_mb=2000" exec timeout 60 "$@") >"$T/stdout" 2>"$T/stderr"
  else
    # shellcheck disable=SC3045 # dash, Debian's /bin/sh, has ulimit -v
    (ulimit -v 2000000; exec timeout 60 "$@") >"$T/stdout" 2>"$T/stderr"
  fi
  got=$?
  set -e
  took=$(($(date +%s) - start))
  echo "$what: exit $got after ${took} s: $(head -c 300 "$T/stderr" | tr '\n' ' ')"
  [ "$got" = 3 ] || fail "$what: exit $got, wanted 3 (refused)"
  expect_stderr "$name"
  expect_stderr "$why"
  [ "$took" -le 20 ] || fail "$what took $took s"
}

bounded "build /dev/zero" /dev/zero "not a regular file" "$VZTMPL" -C "$CACHE" build /dev/zero

mkdir -p "$T/recipe"
cat >"$T/recipe/golden.conf" <<'RECIPE'
[template]
base = /dev/zero
variant = minbase
name = devzero
RECIPE
bounded "a recipe with base = /dev/zero" /dev/zero "not a regular file" "$VZTMPL" -C "$CACHE" build "$T/recipe/golden.conf"

# A recipe file of 2 GiB (sparse): refused by its size, not read.
truncate -s 2G "$T/recipe/huge.conf"
bounded "a 2 GiB recipe" huge.conf "limit of 1048576" "$VZTMPL" -C "$CACHE" build "$T/recipe/huge.conf"

# A published directory's SHA256SUMS is checked with the keyring first.
mkdir -p "$T/www"
echo "0000000000000000000000000000000000000000000000000000000000000000  index.json" >"$T/www/SHA256SUMS"
echo "not a signature" >"$T/www/SHA256SUMS.gpg"
serve "$T/www"
bounded "download --keyring /dev/zero" /dev/zero "not a regular file" "$VZTMPL" -C "$CACHE" download "$A" --from "$URL" --keyring /dev/zero

# A template whose manifest is /dev/zero.
mkdir -p "$T/evil"
ln -s "$CACHE/templates/$A.tar.zst" "$T/evil/$A.tar.zst"
ln -s /dev/zero "$T/evil/$A.json"
bounded "verify a template whose manifest is /dev/zero" "$A.json" "not a regular file" "$VZTMPL" -C "$CACHE" verify "$T/evil/$A.tar.zst"

snapshot >"$T/cache.after"
diff "$T/cache.before" "$T/cache.after" || fail "the cache changed"
echo "devzero: every endless input refused at once, the cache unchanged"
