#!/bin/sh
# The RPM families pick the same packages as dnf for the same roots: ~40
# small packages built by rpmbuild (a name and a mere provider of it,
# virtual provides as roots, two providers of one, obsoletes, a file
# dependency only the file lists resolve, recommends, suggests and
# supplements, versioned and epoch'd requirements, a newest version that
# cannot be installed, two architectures, rich dependencies, a conflict to
# steer around) and a comps group, in one rpm-md repository with a signed
# repomd.xml; for over a dozen root sets, with weak dependencies on and off
# (the recipe's weak = yes|no, dnf's install_weak_deps), the names,
# versions and architectures of `vztmpl build --dry-run` must equal those
# dnf would install into an empty root; the same on an urpmi media of the
# same packages; dnf's spellings name.arch and name-[epoch:]version[-release]
# [.arch] as roots. Also: unresolvable roots and dependencies are all named,
# with the architecture; the file lists are loaded only for a missing file.
# And, as root, for twelve root sets (obsoletes, a virtual provide, a file
# dependency, weak dependencies off and on, epochs, two architectures of one
# name, dnf's spellings, a comps-free base), the template vztmpl builds and
# the root `dnf --installroot install` makes hold the same: rpmdb, rpm -Va,
# users and groups a %pre added, what %post and a %triggerin wrote, file
# capabilities and hard links.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
BASE=
command -v rpmbuild >/dev/null || skip "needs rpmbuild (Debian package rpm)"
command -v createrepo_c >/dev/null || skip "needs createrepo_c (Debian package createrepo-c)"
command -v dnf >/dev/null || skip "needs dnf (Debian package dnf)"
[ "$(uname -m)" = x86_64 ] || skip "the package set is built for x86_64 hosts"

# pkg NAME EVR [ARCH] [TAG-LINE...]: one package with a file of its own,
# /usr/share/par/NAME-VERSION, into $T/repo.
pkg() {
  name=$1 evr=$2 arch=${3:-x86_64}
  if [ $# -ge 3 ]; then shift 3; else shift $#; fi
  epoch='' ver=${evr%-*} rel=${evr##*-}
  case $ver in *:*) epoch=${ver%%:*} ver=${ver#*:} ;; esac
  spec="$T/spec/$name-$evr.$arch"
  mkdir -p "$T/spec"
  {
    echo "Name: $name"
    [ -z "$epoch" ] || echo "Epoch: $epoch"
    echo "Version: $ver"
    echo "Release: $rel"
    echo "Summary: $name for vztmpl's dnf comparison"
    echo "License: MIT"
    [ "$arch" != noarch ] || echo "BuildArch: noarch"
    for line in "$@"; do echo "$line"; done
    echo "%description"
    echo "$name."
    echo "%install"
    echo "mkdir -p %{buildroot}/usr/share/par"
    echo "echo $name >%{buildroot}/usr/share/par/$name-$ver.$arch"
    case " $* " in *"#ships-opt"*)
      echo "mkdir -p %{buildroot}/opt/par/data"
      echo "echo thing >%{buildroot}/opt/par/data/thing" ;;
    esac
    echo "%files"
    echo "/usr/share/par/$name-$ver.$arch"
    case " $* " in *"#ships-opt"*) echo "/opt/par/data/thing" ;; esac
  } >"$spec.spec"
  build_spec "$spec.spec" "$arch"
}

# build_spec SPEC ARCH: the package SPEC describes, built for ARCH into $T/repo.
build_spec() {
  target=$2
  [ "$2" != noarch ] || target=x86_64
  rpmbuild --quiet -bb "$1" --target "$target" \
    --define "_topdir $T/rpmbuild" --define "_rpmdir $T/repo" --define "_build_id_links none" \
    --define "debug_package %{nil}" --define "__os_install_post %{nil}" \
    --define "busybox ${BUSYBOX:-/nonexistent}" >"$T/rpmbuild.log" 2>&1 ||
    { cat "$T/rpmbuild.log" >&2; fail "rpmbuild $1"; }
}

# real_pkg NAME ARCH: a package whose tags and sections after the header
# come on stdin, into $T/repo.
real_pkg() {
  mkdir -p "$T/spec"
  {
    echo "Name: $1"
    echo "Version: 1.0"
    echo "Release: 1"
    echo "Summary: $1 for vztmpl's installed-root comparison with dnf"
    echo "License: MIT"
    [ "$2" != noarch ] || echo "BuildArch: noarch"
    cat
  } >"$T/spec/$1.spec"
  build_spec "$T/spec/$1.spec" "$2"
}

echo "building the package set"
start=$(date +%s)
pkg base-sys 1.0-1 x86_64 "Provides: system-base"
# A name and a package that merely provides it, at a higher version.
pkg libfoo 1.0-1
pkg libfoo-ng 2.0-1 x86_64 "Provides: libfoo = 2.0"
pkg app-a 1.0-1 x86_64 "Requires: libfoo"
# A virtual name only provided.
pkg httpd-lite 1.0-1 x86_64 "Provides: webserver"
pkg web-user 1.0-1 noarch "Requires: webserver"
# Two providers of one virtual name.
pkg mta-big 1.0-1 x86_64 "Provides: mta"
pkg mta-small 1.0-1 x86_64 "Provides: mta"
pkg mail-user 1.0-1 noarch "Requires: mta"
# A package renamed: the new name obsoletes and provides the old.
pkg old-tool 1.0-1
pkg new-tool 2.0-1 x86_64 "Obsoletes: old-tool < 2.0" "Provides: old-tool = 2.0-1"
pkg needs-old 1.0-1 noarch "Requires: old-tool"
# A file dependency outside primary.xml's file list.
pkg filedep-prov 1.0-1 x86_64 "#ships-opt"
pkg filedep-user 1.0-1 x86_64 "Requires: /opt/par/data/thing"
# Weak dependencies.
pkg weak-app 1.0-1 x86_64 "Recommends: weak-rec" "Suggests: weak-sugg"
pkg weak-rec 1.0-1
pkg weak-sugg 1.0-1
pkg weak-lang 1.0-1 noarch "Supplements: weak-app"
# Versions and epochs.
pkg ver-lib 1.0-1
pkg ver-lib 2.0-1
pkg ver-old-user 1.0-1 x86_64 "Requires: ver-lib < 2.0"
pkg epoch-pkg 1:1.0-1
pkg epoch-pkg 5.0-1
# The newest version cannot be installed: the one before it is taken.
pkg newest-broken 1.0-1
pkg newest-broken 2.0-1 x86_64 "Requires: nowhere-three"
# Two architectures: the better one wins over a higher version.
pkg archpkg 1.0-1 x86_64
pkg archpkg 2.0-1 i686
pkg arch-only32 1.0-1 i686
pkg armonly 1.0-1 aarch64
# Rich dependencies.
pkg rich-a 1.0-1
pkg rich-b 1.0-1
pkg rich-user 1.0-1 x86_64 "Requires: (rich-b or rich-a)" "Requires: (rich-cond if base-sys)"
pkg rich-cond 1.0-1
# Two providers, one conflicting with the base.
pkg cprov-one 1.0-1 x86_64 "Provides: cprov" "Conflicts: base-sys"
pkg cprov-two 1.0-1 x86_64 "Provides: cprov"
pkg conf-user 1.0-1 x86_64 "Requires: cprov"
# Dependencies nothing provides.
pkg broken 1.0-1 x86_64 "Requires: nowhere-one" "Requires: nowhere-two >= 3"
# For the installed roots (none of the roots above reaches these): a
# static shell with the account files for scriptlets to run in; a package
# whose %pre adds a user and a group that own some of its files, whose
# %post writes a file, with a file of a capability and three names of one
# file; a package with a %triggerin on another.
BUSYBOX=$(command -v busybox || true)
if [ -n "$BUSYBOX" ]; then
  real_pkg real-shell x86_64 <<'SPEC'
AutoReqProv: no
%description
The smallest root a scriptlet runs in.
%install
mkdir -p %{buildroot}/bin %{buildroot}/etc %{buildroot}/tmp %{buildroot}/var/tmp
cp %{busybox} %{buildroot}/bin/busybox
ln -s busybox %{buildroot}/bin/sh
echo 'root:x:0:0:root:/root:/bin/sh' >%{buildroot}/etc/passwd
echo 'root:x:0:' >%{buildroot}/etc/group
%files
/bin/busybox
/bin/sh
%config(noreplace) /etc/passwd
%config(noreplace) /etc/group
%dir %attr(1777,root,root) /tmp
%dir %attr(1777,root,root) /var/tmp
SPEC
  real_pkg real-users noarch <<'SPEC'
Requires(pre): real-shell
%description
Scriptlets, an owner made by %pre, a capability and hard links.
%pre
echo 'realuser:x:1501:1502:real user:/var/lib/real:/bin/sh' >>/etc/passwd
echo 'realgroup:x:1502:' >>/etc/group
%post
echo "post ran as install number $1" >/var/lib/real/post-ran
%install
mkdir -p %{buildroot}/usr/share/real %{buildroot}/usr/bin %{buildroot}/var/lib/real
echo linked >%{buildroot}/usr/share/real/one
ln %{buildroot}/usr/share/real/one %{buildroot}/usr/share/real/two
ln %{buildroot}/usr/share/real/one %{buildroot}/usr/share/real/three
printf '#!/bin/sh\necho ping\n' >%{buildroot}/usr/bin/real-ping
chmod 755 %{buildroot}/usr/bin/real-ping
echo owned >%{buildroot}/var/lib/real/owned
%files
/usr/share/real/one
/usr/share/real/two
/usr/share/real/three
%caps(cap_net_raw=ep) /usr/bin/real-ping
%attr(0640,realuser,realgroup) /var/lib/real/owned
%dir %attr(0750,realuser,realgroup) /var/lib/real
SPEC
  real_pkg real-target noarch <<'SPEC'
%description
What real-trigger waits for.
%install
mkdir -p %{buildroot}/usr/share/real-target
echo target >%{buildroot}/usr/share/real-target/file
%files
/usr/share/real-target/file
SPEC
  real_pkg real-trigger noarch <<'SPEC'
Requires: real-shell
%description
A trigger on real-target.
%triggerin -- real-target
echo "real-target arrived: $1 $2" >>/var/lib/real-trigger/log
%install
mkdir -p %{buildroot}/var/lib/real-trigger
%files
%dir /var/lib/real-trigger
SPEC
fi
mkdir -p "$T/root"
mv "$T/repo" "$T/root/par"
# A comps group: mandatory packages, default ones (one no repository has)
# and an optional one.
cat >"$T/comps.xml" <<'COMPS'
<?xml version="1.0" encoding="UTF-8"?>
<comps><group><id>core</id><name>Core</name><packagelist>
<packagereq type="mandatory">base-sys</packagereq>
<packagereq type="mandatory">app-a</packagereq>
<packagereq type="default">weak-app</packagereq>
<packagereq type="default">not-in-any-repo</packagereq>
<packagereq type="default">mta-small</packagereq>
<packagereq type="optional">rich-user</packagereq>
</packagelist></group></comps>
COMPS
createrepo_c --quiet -g "$T/comps.xml" "$T/root/par" || fail "createrepo_c"
make_key good 2>"$T/gpg.log"
gpg --batch --yes --quiet --local-user good@test.invalid --armor --detach-sign \
  -o "$T/root/par/repodata/repomd.xml.asc" "$T/root/par/repodata/repomd.xml"
FPR=$(gpg --batch --with-colons --fingerprint good@test.invalid | awk -F: '$1 == "fpr" { print $10; exit }')
echo "  $(find "$T/root/par" -name '*.rpm' | wc -l) packages in $(($(date +%s) - start))s"
serve "$T/root"

# recipe FAMILY ROOTS [WEAK]: $T/par.conf, the recipe installing ROOTS
# (after $BASE) from the served rpm-md repository (rpm-md) or urpmi media
# (urpmi).
recipe() {
  if [ "$1" = rpm-md ]; then repo=par keys="keys = $FPR"; else repo=media keys=; fi
  cat >"$T/par.conf" <<RECIPE
[template]
distribution = partest
release = 1
architectures = x86_64
variants = base
[repository $repo]
family = $1
mirror = $URL/$repo
suites = .
keyring = $T/good.gpg
$keys
package-signature = none
[packages]
base = ${BASE:-none}
weak = ${3:-no}
[variant base]
install = $2
RECIPE
}

# vzt FAMILY ROOTS WEAK: vztmpl's choice as sorted "name evr arch" lines,
# or its error's last line.
vzt() {
  recipe "$@"
  if ! "$VZTMPL" -C "$T/cache" build "$T/par.conf" --dry-run -a x86_64 >"$T/vzt.out" 2>"$T/vzt.err"; then
    echo "vztmpl failed: $(tail -1 "$T/vzt.err")"
    return
  fi
  awk '{ print $1, $2, $3 }' "$T/vzt.out" | sort
}

# dnf_pick ROOTS WEAK: what dnf would install into an empty root, as sorted
# "name evr arch" lines.
mkdir -p "$T/dnfroot" "$T/reposd"
# best=False as Fedora's (and Debian's) dnf.conf says.
cat >"$T/dnf.conf" <<CONF
[main]
best=False
gpgcheck=0
cachedir=$T/dnfcache
reposdir=$T/reposd
CONF
dnf_pick() {
  w=False
  [ "$2" = no ] || w=True
  # shellcheck disable=SC2086 # the roots are words
  dnf -c "$T/dnf.conf" --installroot="$T/dnfroot" --releasever=1 --forcearch=x86_64 \
    --setopt=reposdir="$T/reposd" --repofrompath=par,"$T/root/par" \
    --setopt=install_weak_deps=$w --setopt=logdir="$T" --nogpgcheck --noplugins \
    install --assumeno ${BASE:+"$BASE"} $1 >"$T/dnf.out" 2>"$T/dnf.err" || true
  grep -q "Operation aborted" "$T/dnf.out" "$T/dnf.err" ||
    { cat "$T/dnf.out" "$T/dnf.err" >&2; fail "dnf could not resolve \"${BASE:+$BASE }$1\""; }
  # The rows of the table's Installing sections (for a group too):
  # " name arch evr repo size"
  # (not those of "Skipping packages with broken dependencies").
  awk '/^Installing/ { on = 1; next } /^[A-Z]/ { on = 0 }
       on && NF >= 5 && $4 == "par" { print $1, $3, $2 }' "$T/dnf.out" | sed 's/ 0:/ /' | sort
}

# same_or_not LABEL: whether $T/a (vztmpl's) and $T/b (dnf's) list the
# same packages, said in a line (and the difference, counted in $differ).
differ=0
same_or_not() {
  if cmp -s "$T/a" "$T/b"; then
    echo "  [$1]: same $(wc -l <"$T/a") packages: $(cut -d' ' -f1 "$T/a" | paste -sd' ')"
  else
    echo "  [$1]: DIFFERENT (< vztmpl, > dnf):"
    diff "$T/a" "$T/b" | grep '^[<>]' | sed 's/^/    /'
    differ=$((differ + 1))
  fi
}
compare() { # ROOTS
  for weak in no yes; do
    vzt rpm-md "$1" $weak >"$T/a"
    dnf_pick "$1" $weak >"$T/b"
    same_or_not "${BASE:+$BASE }$1 weak=$weak"
  done
}

echo "root sets, vztmpl against dnf, weak dependencies off and on"
compare "app-a"
compare "webserver"
compare "web-user"
compare "mta"
compare "mail-user"
compare "mail-user mta-small"
compare "old-tool"
compare "needs-old"
compare "filedep-user"
grep -q "Loading the file lists: 1 file dependency (/opt/par/data/thing)" "$T/vzt.err" ||
  { cat "$T/vzt.err" >&2; fail "the log does not say why the file lists were loaded"; }
echo "  the log says: $(grep "Loading the file lists" "$T/vzt.err")"
compare "weak-app"
! grep -q "file lists" "$T/vzt.err" || fail "file lists loaded for weak-app, which needs none"
compare "ver-old-user"
compare "epoch-pkg ver-lib"
compare "newest-broken"
compare "archpkg arch-only32"
compare "rich-user"
compare "base-sys conf-user"
compare "app-a web-user needs-old filedep-user weak-app rich-user base-sys"
# dnf's other spellings of a root: name.arch, name-version,
# name-version-release (with an epoch, with .arch); an older version so
# named is the one taken, and a named version of a renamed package is not
# replaced by its successor.
compare "app-a.x86_64 web-user.noarch"
compare "archpkg.i686"
compare "archpkg.x86_64 archpkg.i686"
compare "ver-lib-1.0"
compare "ver-lib-1.0-1.x86_64 epoch-pkg-5.0-1"
compare "epoch-pkg-1:1.0-1.x86_64"
compare "old-tool-1.0 newest-broken-1.0"
# The group's mandatory and default packages are installed (a default one
# no repository has is left out), its optional ones are not.
BASE=@core
compare "web-user"
BASE=
[ "$differ" = 0 ] || fail "$differ root sets resolve differently from dnf"

# The urpmi family resolves with the same rules: the same packages as an
# urpmi media (a synthesis as genhdlist2 writes it, without weak
# dependencies), against dnf's choice without them.
# shellcheck disable=SC2046 # the package files are words without spaces
urpmi_media_from_rpms "$T/root/media" gzip $(find "$T/root/par" -name '*.rpm' | sort)
echo "root sets on an urpmi media, vztmpl against dnf"
for roots in "app-a" "webserver" "old-tool" "needs-old" "filedep-user" "ver-old-user" \
    "epoch-pkg ver-lib" "archpkg arch-only32" "base-sys conf-user"; do
  vzt urpmi "$roots" no >"$T/a"
  dnf_pick "$roots" no >"$T/b"
  same_or_not "$roots"
done
[ "$differ" = 0 ] || fail "$differ root sets resolve differently from dnf on urpmi media"

unresolvable() { # ROOTS
  recipe rpm-md "$1"
  expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/par.conf" --dry-run -a x86_64
}
echo "unresolvable roots: every one is named, with the architecture it lacks"
unresolvable "armonly base-sys no-such-package armonly.aarch64"
expect_stderr "no loaded index has these packages"
expect_stderr "armonly (requested) for x86_64: built only for aarch64"
expect_stderr "armonly.aarch64 (requested) for x86_64: built only for aarch64"
expect_stderr "no-such-package (requested) for x86_64"
! grep -q "file lists" "$T/stderr" || fail "file lists loaded for roots that do not exist"
echo "  refused, naming armonly and armonly.aarch64 (only for aarch64) and no-such-package"

echo "unresolvable dependencies: every missing one is named"
unresolvable "broken"
expect_stderr "needs nowhere-one, which nothing for x86_64 provides"
expect_stderr "needs nowhere-two >= 3, which nothing for x86_64 provides"
! grep -q "file lists" "$T/stderr" || fail "file lists loaded though no file dependency is missing"
echo "  refused, naming nowhere-one and nowhere-two >= 3"
# The installed roots: vztmpl's template, deployed, against the root dnf
# really installs (the same repository and dnf.conf; the packages are
# unsigned, as the recipe's package-signature = none takes them, hence
# gpgcheck=0). dnf keeps its rpmdb where vztmpl does, in /var/lib/rpm.
mkdir -p "$T/dnfhome"
echo '%_dbpath /var/lib/rpm' >"$T/dnfhome/.rpmmacros"
dnf_install() { # ROOTS WEAK DIR
  w=False
  [ "$2" = no ] || w=True
  # shellcheck disable=SC2086 # the roots are words
  HOME="$T/dnfhome" dnf -c "$T/dnf.conf" --installroot="$3" --releasever=1 --forcearch=x86_64 \
    --setopt=reposdir="$T/reposd" --repofrompath=par,"$T/root/par" \
    --setopt=install_weak_deps=$w --setopt=logdir="$T" --noplugins -y install $1 \
    >"$T/dnf.out" 2>"$T/dnf.err" || { cat "$T/dnf.out" "$T/dnf.err" >&2; fail "dnf could not install \"$1\""; }
}

# installed ROOT: what is compared of an installed root, section by section.
# rpm -Va says nothing of either root but that the account files, which
# %pre changed, differ from real-shell's (both roots alike). Its mtime
# column (T) is left out: a template's mtimes are clamped to its
# SOURCE_DATE_EPOCH (here the date in repomd.xml), so whether a file a
# scriptlet rewrote still shows a changed mtime depends on whether the
# repository was made in the second its packages were built, not on what
# was installed.
installed() {
  echo "== rpmdb"
  rpm --root "$1" --dbpath /var/lib/rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH}\n' | sort
  echo "== rpm -Va"
  rpm --root "$1" --dbpath /var/lib/rpm -Va 2>&1 | sed -E 's/^(.{7})T/\1./' | sort
  echo "== accounts"
  cat "$1/etc/passwd" "$1/etc/group" 2>/dev/null || true
  echo "== owners and modes"
  (cd "$1" && stat -c '%n %u:%g %a' var/lib/real var/lib/real/owned 2>/dev/null || true)
  echo "== %post, %triggerin"
  cat "$1/var/lib/real/post-ran" "$1/var/lib/real-trigger/log" 2>/dev/null || true
  echo "== capabilities"
  (cd "$1" && getcap -r bin usr 2>/dev/null || true) | sort
  # A file of several names as its names in order, with their link count.
  echo "== hard links"
  (cd "$1" && find bin etc usr var/lib -path var/lib/rpm -prune -o -type f -links +1 -printf '%i %n %p\n') |
    sort -k3 | awk '{ names[$1] = names[$1] " " $3; n[$1] = $2 } END { for (i in n) print n[i] names[i] }' | sort
}

# real ROOTS WEAK: the template vztmpl builds for ROOTS and the root dnf
# installs must be the same in everything installed() shows.
real() {
  recipe rpm-md "$1" "$2"
  rm -rf "$T/vztroot" "$T/dnfreal"
  expect_exit 0 "$VZTMPL" -C "$T/realcache" build "$T/par.conf" -a x86_64
  expect_exit 0 "$VZTMPL" -C "$T/realcache" deploy partest-1-x86_64 "$T/vztroot"
  dnf_install "$1" "$2" "$T/dnfreal"
  installed "$T/vztroot" >"$T/vzt.installed"
  installed "$T/dnfreal" >"$T/dnf.installed"
  if cmp -s "$T/vzt.installed" "$T/dnf.installed"; then
    echo "  [$1 weak=$2]: the same $(sed -n '/^== rpmdb/,/^==/p' "$T/vzt.installed" | grep -vc '^==') packages," \
      "rpm -Va lines, accounts, scriptlet files, capabilities and links"
  else
    echo "  [$1 weak=$2]: DIFFERENT (< vztmpl, > dnf):"
    diff "$T/vzt.installed" "$T/dnf.installed" | grep '^[<>]' | sed 's/^/    /'
    differ=$((differ + 1))
  fi
}

if [ "$(id -u)" != 0 ]; then
  echo "installed roots: not compared (building a template needs root)"
elif [ -z "$BUSYBOX" ] || ! command -v getcap >/dev/null; then
  echo "installed roots: not compared (needs busybox and getcap: Debian packages busybox-static, libcap2-bin)"
else
  echo "installed roots, vztmpl's template against dnf's root"
  real "real-users real-trigger real-target needs-old" no
  # What a scriptlet wrote must be there, or two empty sections would agree.
  grep -q '^realuser:x:1501:1502:' "$T/vztroot/etc/passwd" || fail "%pre did not add realuser"
  grep -q 'real-target arrived: 1 1' "$T/vztroot/var/lib/real-trigger/log" || fail "%triggerin did not run"
  getcap "$T/vztroot/usr/bin/real-ping" | grep -q cap_net_raw || fail "real-ping has no cap_net_raw"
  real "real-users web-user" no
  real "real-users filedep-user" no
  real "real-users weak-app" no
  real "real-users weak-app" yes
  real "real-users app-a" yes
  real "real-users old-tool" no
  real "real-users epoch-pkg ver-lib" no
  real "real-users archpkg.x86_64 archpkg.i686" no
  real "real-users base-sys conf-user" yes
  real "real-users ver-old-user" no
  real "real-users app-a.x86_64 web-user.noarch" yes
  [ "$differ" = 0 ] || fail "$differ installed roots differ from dnf's"
fi
echo "took $(($(date +%s) - start))s"
