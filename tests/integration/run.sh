#!/bin/sh
# Runs every tests/integration/test-*.sh and tests/security/test-*.sh and
# prints "N passed, N failed". VZTMPL_NOT_HERE lists tests another pass of
# the suite runs instead (named, not silently left out).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
: "${VZTMPL:?set VZTMPL to the vztmpl binary}"
export VZTMPL
pass=0 failed=0 skipped=0 failures=
for t in "$dir"/test-*.sh "$dir"/../security/test-*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  case " ${VZTMPL_NOT_HERE:-} " in
    *" $name "*) echo "NOT HERE: $name (run by the plain-binary pass)"; continue ;;
  esac
  start=$(date +%s)
  sh "$t" >"/tmp/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) pass=$((pass + 1)); echo "PASS: $name (${secs}s)" ;;
    77) skipped=$((skipped + 1)); echo "SKIP: $name: $(tail -1 "/tmp/$name.log")" ;;
    *) failed=$((failed + 1)); failures="$failures $name"; echo "FAIL: $name (exit $rc, ${secs}s)"
       sed 's/^/    /' "/tmp/$name.log" | tail -40 ;;
  esac
done
echo "integration: $pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
