#!/bin/sh
# The command line: help (`help VERB` too), usage errors (exit 2) with a
# suggestion for a mistyped command or option, global options accepted after
# the command as well as before it (but not after "--"), listing, info, and
# errors that say what to do; build -o writes the format its name says (or is
# refused) and the manifest beside it, and deploy/verify/info take its path.
# Needs no network (the builds use --offline on the shared test cache).
. "$(dirname "$0")/testlib.sh"

expect_exit 0 "$VZTMPL" --help
grep -q 'build' "$T/stdout" || fail "--help lacks the commands"
expect_exit 0 "$VZTMPL" build --help
grep -q -- '--dry-run' "$T/stdout" || fail "build --help lacks --dry-run"
expect_exit 0 "$VZTMPL" --version
expect_exit 2 "$VZTMPL"
expect_exit 2 "$VZTMPL" frobnicate
expect_stderr 'unknown command'
[ "$(wc -l <"$T/stderr")" -le 2 ] || fail "an unknown command prints more than a line and a hint"
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
expect_stderr 'holds none'

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
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
RECIPES=$(cd "$(dirname "$0")/../../recipes" && pwd)

# Every global option, after the command (before --help, so it is parsed
# first): each command accepts them all there.
for verb in build fetch list info update verify diff publish download push pull cache deploy exec check-kernel; do
  expect_exit 0 "$VZTMPL" $verb -C "$T/g" --cache-dir="$T/g" --recipes-dir "$RECIPES" -j 2 --jobs=2 \
    --timeout 5 -q -v --quiet --verbose --json --no-progress --help
  [ -s "$T/stdout" ] || fail "$verb --help printed nothing"
  echo "ok: $verb takes the global options after its name"
  # help VERB is VERB --help.
  expect_exit 0 "$VZTMPL" help $verb
  cp "$T/stdout" "$T/help.out"
  expect_exit 0 "$VZTMPL" $verb --help
  cmp -s "$T/stdout" "$T/help.out" || fail "help $verb differs from $verb --help"
  echo "ok: help $verb is $verb --help"
done
expect_exit 2 "$VZTMPL" list templates -j 0
expect_stderr '-j wants a number'

# --json after the command gives JSON.
expect_exit 0 "$VZTMPL" list recipes --json
python3 -m json.tool "$T/stdout" >/dev/null || fail "list recipes --json is not JSON"
expect_exit 0 "$VZTMPL" list templates --json -C "$T/new/cache"
python3 -m json.tool "$T/stdout" >/dev/null || fail "list templates --json is not JSON"
echo "ok: list --json after the command"
if [ -f "$CACHE/templates/debian-12-x86_64-minbase.json" ]; then
  expect_exit 0 "$VZTMPL" info debian-12-x86_64-minbase --json -C "$CACHE"
  python3 -m json.tool "$T/stdout" >/dev/null || fail "info --json is not JSON"
  expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase --offline --dry-run --json -q
  python3 -m json.tool "$T/stdout" >/dev/null || fail "build --dry-run --json is not JSON"
  grep -q '"name": "debian-12-x86_64-minbase"' "$T/stdout" || fail "build --dry-run --json lacks the name"
  echo "ok: info and build --dry-run with --json after the command"
  # A name the cache lacks: what it holds that is close.
  expect_exit 1 "$VZTMPL" -C "$CACHE" info debian-12
  expect_stderr 'no template debian-12 in the cache'
  expect_stderr 'did you mean .*debian-12-x86_64-minbase'
  expect_exit 1 "$VZTMPL" -C "$CACHE" verify debian-12-x86_64-minbas
  expect_stderr 'did you mean .*debian-12-x86_64-minbase'
  echo "ok: info/verify of a missing name list the close cached ones"
else
  echo "skipped: info/build --json after the command (no cached debian-12-x86_64-minbase in $CACHE)"
fi

# After "--", options belong to the command run, not to vztmpl.
expect_exit 1 "$VZTMPL" exec -C "$T/g" "$T/no-root" -- /bin/true --json -q --no-such
expect_stderr "$T/no-root"
echo "ok: options after -- are left to the command"

# Typos: one line with a suggestion, and a hint.
expect_exit 2 "$VZTMPL" buidl
expect_stderr "unknown command 'buidl'; did you mean 'build'?"
expect_stderr "vztmpl --help"
[ "$(wc -l <"$T/stderr")" -le 2 ] || fail "a mistyped command prints the whole usage"
expect_exit 2 "$VZTMPL" help deplyo
expect_stderr "did you mean 'deploy'?"
expect_exit 2 "$VZTMPL" build debian --dry-rn
expect_stderr "unknown option '--dry-rn'; did you mean '--dry-run'?"
expect_stderr "vztmpl build --help"
expect_exit 2 "$VZTMPL" list --jsn
expect_stderr "did you mean '--json'?"
expect_exit 2 "$VZTMPL" --jsn list
expect_stderr "did you mean '--json'?"
expect_exit 2 "$VZTMPL" deploy --mode
expect_stderr "option --mode needs an argument"
echo "ok: typos get a suggestion"

# A recipes directory that is not there is an error, not an empty list.
expect_exit 2 "$VZTMPL" --recipes-dir "$T/nonexistent" list recipes
expect_stderr "$T/nonexistent"
expect_exit 2 "$VZTMPL" list recipes --recipes-dir "$T/nonexistent"
expect_stderr "$T/nonexistent"
echo "ok: --recipes-dir to nothing is refused"
# build -o: each name's format, by its magic bytes and a tar listing, and the
# manifest beside it that deploy, verify and info take. As root (the build
# runs maintainer scripts), from the shared cache's packages.
expect_exit 2 "$VZTMPL" -C "$T/cache" build debian:12 --offline -o "$T/x.tar.lz4"
expect_stderr '.tar.bz2'
[ ! -e "$T/x.tar.lz4" ] || fail "-o x.tar.lz4 wrote something"
expect_exit 2 "$VZTMPL" -C "$T/cache" build debian:12 --offline -o "$T/x.tar.gz" --format bz
expect_stderr 'tar.bz2'
echo "ok: -o with an unknown ending or --format is refused, naming the formats"
if [ "$(id -u)" = 0 ] && [ -f "$CACHE/templates/debian-12-x86_64-minbase.json" ]; then
  for suffix in tar tar.gz tar.xz tar.zst tar.bz2; do
    expect_exit 0 "$VZTMPL" -C "$CACHE" -q build debian:12 --variant minbase --offline -o "$T/t.$suffix"
    case $suffix in
    tar) magic=7573746172; skip_bytes=257 ;;  # "ustar" at offset 257
    tar.gz) magic=1f8b; skip_bytes=0 ;;
    tar.xz) magic=fd377a585a00; skip_bytes=0 ;;
    tar.zst) magic=28b52ffd; skip_bytes=0 ;;
    tar.bz2) magic=425a68; skip_bytes=0 ;;
    esac
    got=$(od -An -tx1 -j "$skip_bytes" -N $((${#magic} / 2)) "$T/t.$suffix" | tr -d ' \n')
    [ "$got" = "$magic" ] || fail "-o t.$suffix starts with $got, not $magic"
    tar -tf "$T/t.$suffix" >"$T/list" 2>"$T/tar.err" || { cat "$T/tar.err"; fail "tar -tf t.$suffix"; }
    grep -q 'var/lib/dpkg/status$' "$T/list" || fail "t.$suffix lacks var/lib/dpkg/status"
    [ -f "$T/t.json" ] || fail "-o t.$suffix wrote no t.json beside it"
    grep -q "\"t.$suffix\"" "$T/t.json" || fail "t.json does not name t.$suffix"
    expect_exit 0 "$VZTMPL" -C "$CACHE" verify "$T/t.$suffix"
    grep -q 'verified' "$T/stdout" || fail "verify t.$suffix"
    expect_exit 0 "$VZTMPL" -C "$CACHE" info "$T/t.$suffix"
    grep -q "t.$suffix" "$T/stdout" || fail "info t.$suffix"
    echo "ok: -o t.$suffix is $suffix (magic $magic, tar lists it), t.json beside it verifies"
  done
  mkdir -m 700 "$T/private"
  expect_exit 0 "$VZTMPL" -C "$CACHE" -q deploy "$T/t.tar.bz2" "$T/private/root"
  [ -f "$T/private/root/etc/debian_version" ] || fail "deploy of t.tar.bz2 gave no root"
  expect_exit 0 "$VZTMPL" -C "$CACHE" -q deploy "$T/t.json" "$T/private/root2"
  [ -f "$T/private/root2/etc/debian_version" ] || fail "deploy of t.json gave no root"
  echo "ok: deploy of an -o archive, by its path or its manifest's"
else
  echo "skipped: build -o formats (needs root and a cached debian-12-x86_64-minbase in $CACHE)"
fi
echo "command line behaves"
