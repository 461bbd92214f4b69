#!/bin/sh
# Runs every tests/integration/test-*.sh and tests/security/test-*.sh, then
# the security tests again with vztmpl run as an ordinary user
# (VZTMPL_TEST_ROOTLESS=1, see tests/security/README.md), and prints
# "N passed, N failed". VZTMPL_NOT_HERE lists tests ("rootless": that second
# pass) another pass of the suite runs instead (named, not silently left out).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
: "${VZTMPL:?set VZTMPL to the vztmpl binary}"
export VZTMPL
pass=0 failed=0 skipped=0 failures=
not_here() {
  case " ${VZTMPL_NOT_HERE:-} " in
    *" $1 "*) echo "NOT HERE: $1 (run by the plain-binary pass)"; return 0 ;;
  esac
  return 1
}
# run_test FILE NAME [VAR=VALUE...]: runs one test (log in /tmp/NAME.log) and counts it.
run_test() {
  t=$1 name=$2; shift 2
  start=$(date +%s)
  env "$@" sh "$t" >"/tmp/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) pass=$((pass + 1)); echo "PASS: $name (${secs}s)" ;;
    77) skipped=$((skipped + 1)); echo "SKIP: $name: $(tail -1 "/tmp/$name.log")" ;;
    *) failed=$((failed + 1)); failures="$failures $name"; echo "FAIL: $name (exit $rc, ${secs}s)"
       sed 's/^/    /' "/tmp/$name.log" | tail -40 ;;
  esac
}
for t in "$dir"/test-*.sh "$dir"/../security/test-*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  not_here "$name" || run_test "$t" "$name"
done
if ! not_here rootless; then
  begin=$(date +%s)
  for t in "$dir"/../security/test-*.sh; do
    [ -e "$t" ] || continue
    run_test "$t" "rootless-$(basename "$t" .sh)" VZTMPL_TEST_ROOTLESS=1
  done
  echo "rootless pass: $(( $(date +%s) - begin ))s"
fi
echo "integration: $pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
