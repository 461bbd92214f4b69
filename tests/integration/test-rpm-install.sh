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

# rpm_build SPEC: builds the package described by $T/SPEC.spec into $T/rpms,
# built "at" 1700000000 with no file newer.
rpm_build() {
  SOURCE_DATE_EPOCH=1700000000 rpmbuild --quiet -bb "$T/$1.spec" \
    --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" \
    --define "_topdir $T/rpmbuild" --define "_rpmdir $T/rpms" \
    --define "debug_package %{nil}" --define "__os_install_post %{nil}" \
    --define "_build_id_links none" --define "busybox $BUSYBOX" >"$T/rpmbuild.log" 2>&1 ||
    { cat "$T/rpmbuild.log" >&2; fail "rpmbuild $1"; }
}

# The base: a static shell, the account files and the directories rpm
# writes its scriptlets to.
cat >"$T/basesys.spec" <<'SPEC'
Name: basesys
Version: 1.0
Release: 1
Summary: a shell and account files for vztmpl's tests
License: MIT
%description
The smallest root a scriptlet can run in.
%install
mkdir -p %{buildroot}/bin %{buildroot}/etc %{buildroot}/tmp %{buildroot}/var/tmp
cp %{busybox} %{buildroot}/bin/busybox
ln -s busybox %{buildroot}/bin/sh
echo 'root:x:0:0:root:/root:/bin/sh' >%{buildroot}/etc/passwd
echo 'root:x:0:' >%{buildroot}/etc/group
%files
/bin/busybox
/bin/sh
%config /etc/passwd
%config /etc/group
%dir %attr(1777,root,root) /tmp
%dir %attr(1777,root,root) /var/tmp
SPEC

# The application: its %pre makes the user that owns its files, its %post
# leaves a mark, and two of its names are one file.
cat >"$T/app.spec" <<'SPEC'
Name: app
Version: 2.0
Release: 1
Summary: a package with scriptlets for vztmpl's tests
License: MIT
BuildArch: noarch
Requires: basesys
%description
Scriptlets, an owner made by %pre and a hard link.
%pre
echo 'vzuser:x:1234:1234::/var/lib/app:/bin/sh' >>/etc/passwd
echo 'vzuser:x:1234:' >>/etc/group
%post
echo "post ran" >/var/lib/app/post-ran
%install
mkdir -p %{buildroot}/usr/share/app %{buildroot}/var/lib/app
echo data >%{buildroot}/usr/share/app/data
echo linked >%{buildroot}/usr/share/app/one
ln %{buildroot}/usr/share/app/one %{buildroot}/usr/share/app/two
%files
%attr(0640,vzuser,vzuser) /usr/share/app/data
/usr/share/app/one
/usr/share/app/two
%dir %attr(0750,vzuser,vzuser) /var/lib/app
SPEC

# The host's rpm with what it links and its configuration, standing in for
# a release's own rpm package.
cat >"$T/rpmtool.spec" <<'SPEC'
Name: rpmtool
Version: 1.0
Release: 1
Summary: the host's rpm as a package, for vztmpl's tests
License: GPL
AutoReqProv: no
Requires: basesys
%description
rpm, its libraries and its configuration.
%install
for f in /usr/bin/rpm $(ldd /usr/bin/rpm | awk '$2 == "=>" { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'); do
  mkdir -p "%{buildroot}$(dirname "$f")"
  cp -L "$f" "%{buildroot}$f"
done
mkdir -p %{buildroot}/usr/lib/rpm
cp -rL /usr/lib/rpm/rpmrc /usr/lib/rpm/macros /usr/lib/rpm/platform %{buildroot}/usr/lib/rpm/
# Where current releases keep the rpmdb (Debian's rpm would want bash for ~/.rpmdb).
mkdir -p %{buildroot}/etc/rpm
echo '%%_dbpath /usr/lib/sysimage/rpm' >%{buildroot}/etc/rpm/macros.dbpath
(cd %{buildroot} && find . -type f | sed 's|^\.||') >%{_builddir}/rpmtool.files
%files -f %{_builddir}/rpmtool.files
SPEC

rpm_build basesys
rpm_build app
rpm_build rpmtool
mkdir -p "$T/repo"
cp "$T"/rpms/*/*.rpm "$T/repo/"
createrepo_c --quiet "$T/repo" || fail "createrepo_c"
gpg --batch --yes --quiet --local-user "good@test.invalid" --armor --detach-sign \
  -o "$T/repo/repodata/repomd.xml.asc" "$T/repo/repodata/repomd.xml"
FPR=$(gpg --batch --with-colons --fingerprint "good@test.invalid" | awk -F: '$1 == "fpr" { print $10; exit }')
serve "$T/repo"

# recipe FAMILY SUITE [INSTALL]: the recipe for one of the served repositories.
recipe() {
  cat >"$T/rpmtest.conf" <<RECIPE
[template]
distribution = rpmtest
release = 1
architectures = x86_64
variants = base
[repository main]
family = $1
mirror = $URL
suites = $2
keyring = $T/good.gpg
keys = $FPR
package-signature = none
[packages]
base = none
[variant base]
install = ${3:-app}
RECIPE
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
