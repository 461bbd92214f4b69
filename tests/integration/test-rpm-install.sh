#!/bin/sh
# RPM templates from repositories made now: an rpm-md repository (rpmbuild
# packages with a dependency, a %pre that creates a user, a %post that writes
# a file, a file owned by that user, a hard link; createrepo_c; repomd.xml.asc
# by a test key), and urpmi media of the same packages (synthesis written
# from their headers, gzip and zstd), served on loopback by lighttpd, each
# become a template: rpm lists every package in the template's rpmdb, the
# scriptlets' effects are there, and owners, modes and links are the headers'.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
need_root
command -v rpmbuild >/dev/null || skip "needs rpmbuild (Debian package rpm)"
command -v createrepo_c >/dev/null || skip "needs createrepo_c (Debian package createrepo-c)"
BUSYBOX=$(command -v busybox) || skip "needs busybox (Debian package busybox-static)"
make_key good

rpm_test_packages
rpmmd_signed_repo "$T/repo" "$T"/rpms/*/*.rpm
serve "$T/repo"

# recipe FAMILY SUITE [INSTALL]: the recipe for one of the served repositories.
recipe() {
  rpm_recipe "$T/rpmtest.conf" rpmtest 1 x86_64 "${3:-app}" main "family = $1" "mirror = $URL" "suites = $2" \
    "keyring = $T/good.gpg" "keys = $FPR" "package-signature = none"
}

# How the template's rpmdb is read: with the host's rpm where the host's rpm
# installed (vztmpl puts the database in /var/lib/rpm), with the target's own
# rpm, its own configuration, where that one did.
host_rpm() { rpm --root "$U" --dbpath /var/lib/rpm "$@"; }
target_rpm() { HOME=/root chroot "$U" /usr/bin/rpm "$@"; }

# build_and_check WHAT RPM PACKAGE...: builds the recipe and checks the
# template, reading its rpmdb with RPM, which must list exactly PACKAGE...
build_and_check() {
  what=$1 query=$2; shift 2
  rm -rf "$T/cache" "$T/unpacked"
  expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/rpmtest.conf"
  TPL="$T/cache/templates/rpmtest-1-x86_64.tar.zst"
  [ -f "$TPL" ] || fail "$what: no template"
  U="$T/unpacked"
  mkdir "$U"
  tar --zstd -xpf "$TPL" -C "$U" --numeric-owner
  # Every package is registered in the template's rpmdb.
  $query -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n' | sort >"$T/qa"
  printf '%s\n' "$@" | sort | diff - "$T/qa" || fail "$what: rpm -qa in the template lists other packages"
  # The scriptlets ran: %pre made the user, %post wrote its mark.
  grep -q '^vzuser:x:1234:1234:' "$U/etc/passwd" || fail "$what: %pre did not add vzuser"
  [ "$(cat "$U/var/lib/app/post-ran")" = "post ran" ] || fail "$what: %post did not run"
  # Owners and modes are the header's (the cpio payload says root).
  [ "$(stat -c '%u:%g %a' "$U/usr/share/app/data")" = "1234:1234 640" ] ||
    fail "$what: data is $(stat -c '%u:%g %a' "$U/usr/share/app/data"), wanted 1234:1234 640"
  [ "$(stat -c '%u:%g %a' "$U/var/lib/app")" = "1234:1234 750" ] || fail "$what: /var/lib/app owner or mode"
  [ "$(stat -c %a "$U/var/tmp")" = 1777 ] || fail "$what: /var/tmp is not 1777"
  # The hard link is one file.
  [ "$(stat -c %i "$U/usr/share/app/one")" = "$(stat -c %i "$U/usr/share/app/two")" ] ||
    fail "$what: one and two are not hard-linked"
  # rpm finds every file as its header describes it (the account files,
  # which %pre changed, are configuration).
  $query -V --noconfig app basesys >"$T/verify" 2>&1 ||
    { cat "$T/verify" >&2; fail "$what: rpm -V reports changes"; }
  echo "$what: $(tr '\n' ' ' <"$T/qa")registered, scriptlets ran, owners and links right"
}

recipe rpm-md .
build_and_check "rpm-md, the host's rpm" host_rpm app-2.0-1.noarch basesys-1.0-1.x86_64
expect_stderr "with the host's rpm"

# A package set with an rpm of its own is installed by that one, in the sandbox.
recipe rpm-md . "app rpmtool"
build_and_check "rpm-md, the target's rpm" target_rpm app-2.0-1.noarch basesys-1.0-1.x86_64 \
  rpmtool-1.0-1.x86_64
expect_stderr "with the target's rpm"
[ -f "$U/usr/lib/sysimage/rpm/rpmdb.sqlite" ] || fail "the target's rpm kept its rpmdb elsewhere"
# The same bytes on every rebuild: the rpmdb's install times come from
# SOURCE_DATE_EPOCH, and its transient shared-memory file is not packed.
first=$(sha256sum <"$TPL")
rm -rf "$T/cache"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/rpmtest.conf"
[ "$(sha256sum <"$TPL")" = "$first" ] || fail "a rebuild with the target's rpm gave other bytes"
! tar --zstd -tf "$TPL" | grep -q 'sqlite-shm$' || fail "the rpmdb's -shm file was packed"
echo "rebuilt with the target's rpm: the same bytes"

for comp in gzip zstd; do
  urpmi_media_from_rpms "$T/repo/media-$comp" $comp "$T"/rpms/*/*.rpm
  recipe urpmi "media-$comp"
  build_and_check "urpmi media, $comp synthesis" host_rpm app-2.0-1.noarch basesys-1.0-1.x86_64
  # Undated media: the epoch is the newest package's build time.
  epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' \
    "$T/cache/templates/rpmtest-1-x86_64.json")
  [ "$epoch" = 1700000000 ] || fail "urpmi media, $comp: epoch $epoch, wanted the build time 1700000000"
done
echo PASS
