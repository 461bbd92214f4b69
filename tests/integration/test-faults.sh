#!/bin/sh
# Bad networks, through a fault-injecting front (faultfront.py) before a real
# local repository served by lighttpd: dropped, truncated, corrupted and
# refused first attempts of every download still give the archive of a build
# without faults; a mirror that is down fails over to the recipe's second
# one; with every mirror down, or a redirect loop, the build fails in bounded
# time with a message naming the mirrors, and writes no template; a stall
# longer than --timeout is abandoned and retried.
. "$(dirname "$0")/testlib.sh"
need_root
command -v busybox >/dev/null || skip "needs busybox (Debian package busybox-static)"

buildable_repo
NAME=testdist-1-x86_64

front good "$URL"
GOOD=$FRONT_URL
write_recipe "$T/good.conf" "$GOOD" "$T/good.gpg" hello-vzt

# The reference: through the front, no faults.
expect_exit 0 "$VZTMPL" -C "$T/c-ref" build "$T/good.conf"
ref=$(sha256sum <"$T/c-ref/templates/$NAME.tar.zst")

# build_with_faults CACHE RULES...: every rule line, then a build that must
# give the reference archive.
build_with_faults() {
  cache=$1; shift
  printf '%s\n' "$@" >"$T/good.rules"
  : >"$T/good.log"
  expect_exit 0 "$VZTMPL" -C "$cache" build "$T/good.conf"
  got=$(sha256sum <"$cache/templates/$NAME.tar.zst")
  [ "$got" = "$ref" ] || fail "with faults ($*) the archive differs from the one without"
}

# 1. Dropped mid-body, truncated, one byte flipped: the first attempt of each package.
build_with_faults "$T/c1" \
  "/pool/main/hello-vzt_* 1 drop" \
  "/pool/main/base-vzt_* 1 flip" \
  "/pool/main/hostbase-vzt_* 1 truncate" \
  "/dists/testing/InRelease 1 status 503" \
  "*/Packages.xz 1 drop"
for p in hello-vzt base-vzt hostbase-vzt; do
  n=$(grep -c "^/pool/main/${p}_" "$T/good.log" || true)
  [ "$n" -ge 2 ] || { cat "$T/good.log" >&2; fail "$p was not asked for again after its fault ($n requests)"; }
done
echo "drop, flip, truncate, 503: the same archive ($(grep -c . "$T/good.log") requests)"

# 2. Wrong Content-Length, 429 and 500, a slow trickle, a redirect to another
# loopback host (which serves the same files).
front other "$URL" 127.0.0.2
build_with_faults "$T/c2" \
  "/pool/main/hello-vzt_* 1 wrong-length" \
  "/pool/main/base-vzt_* 1 status 429" \
  "/pool/main/hostbase-vzt_* 1 status 500" \
  "/pool/main/hostbase-vzt_* 2 trickle" \
  "*/Packages.xz 1 redirect $FRONT_URL"
grep -q "Packages.xz 1 " "$T/other.log" || fail "the redirect to another host was not followed"
echo "wrong length, 429, 500, trickle, redirect to another host: the same archive"

# 3. The first mirror is down (every answer 503) or not listening: the second serves.
front down "$URL"
DOWN=$FRONT_URL
echo "* all status 503" >"$T/down.rules"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_recipe "$T/failover.conf" "$DOWN http://127.0.0.1:$closed $GOOD" "$T/good.gpg" hello-vzt
: >"$T/good.rules"
expect_exit 0 "$VZTMPL" -C "$T/c3" build "$T/failover.conf"
grep -q "^/dists/testing/InRelease" "$T/down.log" || fail "the down mirror was never tried"
grep -q "^/pool/main/hello-vzt" "$T/good.log" || fail "the second mirror did not serve the packages"
echo "failover: the down mirrors were tried, the good one served"

# 4. Every mirror down: a failure in bounded time naming each, no template.
write_recipe "$T/alldown.conf" "$DOWN http://127.0.0.1:$closed" "$T/good.gpg" hello-vzt
start=$(date +%s)
expect_exit_ending 1 "$VZTMPL" -C "$T/c4" build "$T/alldown.conf"
secs=$(( $(date +%s) - start ))
expect_stderr "$DOWN/dists/testing/InRelease"
expect_stderr "127.0.0.1:$closed/dists/testing/InRelease"
assert_no_template "$T/c4"
echo "all mirrors down: failed after $secs s: $(head -c 300 "$T/stderr")"

# 5. A redirect loop: a failure that says so, no template.
echo "/dists/* all redirect-loop" >"$T/good.rules"
expect_exit 1 "$VZTMPL" -C "$T/c5" build "$T/good.conf"
expect_stderr "redirect"
assert_no_template "$T/c5"
# 6. A stall longer than --timeout: that attempt is abandoned after the
# timeout and retried, and the archive is the reference one.
printf '%s\n' "/pool/main/hello-vzt_* 1 stall 40" >"$T/good.rules"
: >"$T/good.log"
expect_exit 0 "$VZTMPL" -v --timeout 3 -C "$T/c6" build "$T/good.conf"
expect_stderr "hello-vzt_1.0_all.deb: .*3 seconds"
[ "$(sha256sum <"$T/c6/templates/$NAME.tar.zst")" = "$ref" ] || fail "after a stall the archive differs"
[ "$(grep -c "^/pool/main/hello-vzt_" "$T/good.log")" -ge 2 ] || fail "the stalled package was not asked for again"
echo "a stall past --timeout: abandoned, retried, the same archive"

# 7. Every answer stalls: the build gives up naming the stall, no template.
echo "* all stall 40" >"$T/good.rules"
start=$(date +%s)
expect_exit_ending 1 "$VZTMPL" --timeout 2 -C "$T/c7" build "$T/good.conf"
secs=$(( $(date +%s) - start ))
expect_stderr "InRelease: .*2 seconds"
assert_no_template "$T/c7"
echo "every answer stalled: failed after $secs s: $(grep error: "$T/stderr" | head -c 200)"
echo "faults: ok"
