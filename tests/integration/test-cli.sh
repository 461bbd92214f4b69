#!/bin/sh
# The command line: help, usage errors (exit 2), listing, info, and errors
# that say what to do. Needs no network.
. "$(dirname "$0")/testlib.sh"

expect_exit 0 "$VZTMPL" --help
grep -q 'build' "$T/stdout" || fail "--help lacks the commands"
expect_exit 0 "$VZTMPL" build --help
grep -q -- '--dry-run' "$T/stdout" || fail "build --help lacks --dry-run"
expect_exit 0 "$VZTMPL" --version
expect_exit 2 "$VZTMPL"
expect_exit 2 "$VZTMPL" frobnicate
expect_stderr 'unknown command'
expect_exit 2 "$VZTMPL" build
expect_stderr 'exactly one RECIPE'
expect_exit 2 "$VZTMPL" build debian --no-such-option
expect_exit 2 "$VZTMPL" -j 0 list
expect_exit 2 "$VZTMPL" -C "$T/cache" build debian:99 --dry-run
expect_stderr 'no recipe for debian:99'
expect_exit 2 "$VZTMPL" -C "$T/cache" build debian:12 --arch vax --dry-run
expect_stderr 'unknown architecture vax'
expect_exit 2 "$VZTMPL" -C "$T/cache" build debian:12 --variant huge --dry-run
expect_stderr 'no variant "huge"'
expect_exit 2 "$VZTMPL" -C "$T/cache" build "$T/missing.conf"

# Recipes are found from the build tree without installing.
expect_exit 0 "$VZTMPL" list recipes
grep -q '^debian:12 *bookworm' "$T/stdout" || fail "list recipes lacks debian:12"
grep -q '^debian:13 *trixie' "$T/stdout" || fail "list recipes lacks debian:13"
expect_exit 0 "$VZTMPL" --json list recipes
grep -q '"codename": "trixie"' "$T/stdout" || fail "--json list recipes"

# -C creates the cache; an empty cache lists nothing; info on a missing template fails clearly.
expect_exit 0 "$VZTMPL" -C "$T/new/cache" list templates
[ -d "$T/new/cache/blobs" ] || fail "-C did not create the cache"
expect_exit 1 "$VZTMPL" -C "$T/new/cache" info debian-13-x86_64
expect_stderr 'no template debian-13-x86_64'

# mirror = system with no Debian source in the apt configuration says how to give one.
mkdir -p "$T/apt/sources.list.d"
echo "deb http://mirror.example/ubuntu jammy main" >"$T/apt/sources.list"
VZTMPL_APT_DIR="$T/apt" expect_exit 1 "$VZTMPL" -C "$T/cache" build debian:12 --dry-run
expect_stderr '--mirror'

# A broken recipe names its file and the problem.
printf '[template]\ndistribution = x\nrelease = 1\narchitectures = amd64\nfoo = bar\n' >"$T/bad.conf"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/bad.conf" --dry-run
expect_stderr "bad.conf"
expect_stderr 'unknown key "foo"'
echo "command line behaves"
