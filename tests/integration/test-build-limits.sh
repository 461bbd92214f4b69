#!/bin/sh
# The configure stage of a build runs under the recipe's [limits] (defaults
# otherwise): a fork loop or a memory hog in target code stops at its limit,
# the build fails naming the limit, nothing is left running or mounted and
# no cgroup stays behind; a good build records its limits and usage in the
# manifest.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
cgroups_snapshot

mkdir -p "$T/r/hooks"
# recipe NAME LIMITS HOOK: a debian:12 minbase golden image with [limits]
# lines and an in-root after-configure hook.
recipe() {
  cat >"$T/r/$1.conf" <<RECIPE
[template]
base = debian:12
variant = minbase
name = $1
[limits]
$2
[hooks]
after-configure = hooks/$1.sh
RECIPE
  printf '#!/bin/sh\n%s\n' "$3" >"$T/r/hooks/$1.sh"
  chmod +x "$T/r/hooks/$1.sh"
}

# A good build: the manifest says what the stage was allowed and used.
recipe limits-ok "numproc = 512
physpages = 1G" 'echo ok >/etc/limits-ok'
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$T/r/limits-ok.conf"
python3 - "$CACHE/templates/limits-ok-x86_64.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))["limits"]
assert l["cgroup"] is True, l
assert l["numproc"]["limit"] == 512 and l["numproc"]["maxheld"] >= 2 and l["numproc"]["failcnt"] == 0, l
assert l["physpages"]["limit"] == 1 << 30 and l["physpages"]["maxheld"] > 0, l
assert l["numfile"]["limit"] > 0, l
print("limits in the manifest:", l["numproc"], l["physpages"])
PY
rm -f "$CACHE/templates/limits-ok-x86_64."*
assert_no_new_cgroups "the good build"

# A fork loop in target code stops at numproc; the build fails naming it.
# The loop's sleeps outlast any build: a build that waited for them would
# still be running when expect_exit_ending stops it.
recipe limits-fork "numproc = 32" 'i=0; while [ $i -lt 200 ]; do sleep 3607 & i=$((i + 1)); done; wait'
expect_exit_ending 1 "$VZTMPL" -C "$CACHE" build "$T/r/limits-fork.conf"
expect_stderr "limit (numproc 32"
expect_stderr "raise it in the recipe's \[limits\]"
fork_loop_gone() { ! pgrep -f "sleep 3607" >/dev/null; }
wait_until "the fork loop's processes to end with the build" fork_loop_gone
[ ! -e "$CACHE/templates/limits-fork-x86_64.tar.zst" ] || fail "a failed build left a template"
assert_no_new_cgroups "the fork loop's build"

# A memory hog is killed at physpages.
recipe limits-mem "physpages = 64M" 'dd if=/dev/zero of=/dev/null bs=256M count=1'
expect_exit 1 "$VZTMPL" -C "$CACHE" build "$T/r/limits-mem.conf"
expect_stderr "exit status 137"
expect_stderr "limit (physpages 67108864"
assert_no_new_cgroups "the memory hog's build"

# A bad [limits] line is refused before anything is downloaded or built.
recipe limits-bad "numprocs = 3" 'true'
expect_exit 2 "$VZTMPL" -C "$CACHE" build "$T/r/limits-bad.conf" --dry-run
expect_stderr "limits-bad.conf: \[limits\]"
expect_stderr "unknown resource"

echo "build limits: ok"
