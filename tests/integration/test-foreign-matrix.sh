#!/bin/sh
# Foreign Debian minbase templates without --emulate: arm64 and ppc64el of
# Debian 12 (the host's dpkg and helpers configure them) and of Debian 13
# (those of the cached debian-13 native template do), each configured
# chrootless as its manifest says, its tree equal to mmdebstrap's fully
# emulated one for the same packages, its dpkg database sound, and `exec
# --arch` in it seeing the target's machine; a package not known to allow
# chrootless sends the build to emulation, as stderr and the manifest say,
# and that tree equals mmdebstrap's too.
. "$(dirname "$0")/testlib.sh"
. "$TESTS_DIR/reflib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
[ "$(uname -m)" = x86_64 ] || skip "written for an x86_64 host"
for q in qemu-aarch64 qemu-ppc64le; do
  [ -f /usr/share/binfmts/$q ] || skip "qemu-user-static is not installed (.ci/setup installs it)"
done
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (.ci/setup installs it)"

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]))' "$1" "$2"; }

# Debian 13's maintainer scripts are run by Debian 13's helpers: the native
# template of that release lends them (a cache hit when it is there).
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:13 --variant minbase
native13=$(sha256sum <"$CACHE/templates/debian-13-x86_64-minbase.tar.zst" | cut -d' ' -f1)

# check_tree WHAT DRY_JSON CODENAME ARCH ARCHIVE: the template's tree is
# mmdebstrap's emulated one for the dry run's packages, its dpkg sound.
# Debian 12's base-files ships no /bin link: mmdebstrap needs its merged-usr
# hook there, as test-debian-real.sh says.
check_tree() {
  hooks=
  [ "$3" != bookworm ] || hooks=/usr/share/mmdebstrap/hooks/merged-usr
  rm -rf "$T/vz" "$T/mm"
  mkdir "$T/vz" "$T/mm"
  tar -C "$T/vz" --zstd -xf "$5"
  sound_dpkg_db "$T/vz" "$1"
  mmdebstrap_reference "$2" "$3" "$4" "$T/mm.tar" "$hooks"
  tar -C "$T/mm" -xf "$T/mm.tar"
  rm -f "$T/mm.tar"
  same_tree "$T/mm" "$T/vz" "$1"
}

# from_mirror WHAT ARCH CMD...: runs CMD, its output in $T/stdout. The
# mirror is the host's: one that serves ppc64el of some releases only, or
# whose ppc64el index contradicts its own signed Release (a stale cache
# in front of it), makes that case not run, and says why; arm64, which the
# other foreign tests use too, must be there. Any other failure fails.
from_mirror() {
  what=$1 arch=$2
  shift 2
  "$@" >"$T/stdout" 2>"$T/stderr" && return 0
  if [ "$arch" = ppc64el ] &&
     reason=$(grep -o -m1 'every Packages index for [^ ]* the mirror serves contradicts the signed Release or is missing' "$T/stderr" ||
              grep -o -m1 'cannot download [^ ]*: HTTP 404' "$T/stderr"); then
    echo "$what: NOT RUN: the host's mirror cannot serve it: $reason"
    return 1
  fi
  cat "$T/stderr" >&2
  fail "$what: $* failed"
}

# chrootless RELEASE CODENAME ARCH UNAME TOOLS: one case of the matrix.
chrootless() {
  what="debian:$1 $3 minbase"
  from_mirror "$what" "$3" "$VZTMPL" -C "$CACHE" --json build "debian:$1" --arch "$3" --variant minbase --dry-run || return 0
  cp "$T/stdout" "$T/dry.json"
  from_mirror "$what" "$3" "$VZTMPL" -C "$CACHE" fetch "debian:$1" --arch "$3" --variant minbase || return 0
  start=$(date +%s)
  expect_exit 0 "$VZTMPL" -C "$CACHE" build "debian:$1" --arch "$3" --variant minbase -o "$T/vz.tar.zst"
  took=$(($(date +%s) - start))
  [ "$(field "$T/vz.json" configure)" = chrootless ] || fail "$what: the manifest says $(field "$T/vz.json" configure)"
  expect_stderr "Configuring chrootless"
  [ "$(field "$T/vz.json" configure_tools)" = "$5" ] ||
    fail "$what: configured by $(field "$T/vz.json" configure_tools), not $5"
  echo "$what: built in ${took}s, configured chrootless by ${5%%@*}"
  check_tree "$what" "$T/dry.json" "$2" "$3" "$T/vz.tar.zst"
  rm -rf "$T/ct"
  expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$(field "$T/vz.json" name)" "$T/ct"
  expect_exit 0 "$VZTMPL" exec --arch "$3" "$T/ct" -- uname -m
  [ "$(cat "$T/stdout")" = "$4" ] || fail "$what: exec --arch $3 says uname -m is $(cat "$T/stdout")"
  echo "$what: exec --arch $3 in the deployed root: uname -m is $4"
  rm -rf "$T/ct"
}

chrootless 12 bookworm arm64 aarch64 host
chrootless 12 bookworm ppc64el ppc64le host
chrootless 13 trixie arm64 aarch64 "debian-13-x86_64-minbase@sha256:$native13"
chrootless 13 trixie ppc64el ppc64le "debian-13-x86_64-minbase@sha256:$native13"

# less is not among the packages known to configure under DPKG_ROOT: the
# build goes to emulation by itself, and says so.
cat >"$T/less.conf" <<RECIPE
[template]
base = debian:12
variant = minbase
name = foreign-less
[packages]
install = less
RECIPE
expect_exit 0 "$VZTMPL" -C "$CACHE" --json build "$T/less.conf" --arch arm64 --dry-run
cp "$T/stdout" "$T/dry.json"
start=$(date +%s)
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$T/less.conf" --arch arm64 -o "$T/vz.tar.zst"
took=$(($(date +%s) - start))
expect_stderr "Configuring under emulation: less is not known to configure chrootless"
[ "$(field "$T/vz.json" configure)" = emulated ] || fail "with less: the manifest says $(field "$T/vz.json" configure)"
[ "$(field "$T/vz.json" configure_tools)" = None ] || fail "with less: configure_tools $(field "$T/vz.json" configure_tools)"
echo "debian:12 arm64 minbase + less: configured under emulation by itself in ${took}s"
check_tree "debian:12 arm64 minbase + less" "$T/dry.json" bookworm arm64 "$T/vz.tar.zst"
expect_exit 0 "$VZTMPL" -C "$CACHE" cache rm foreign-less-aarch64
