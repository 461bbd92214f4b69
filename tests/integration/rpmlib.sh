# Helpers for the RPM families' tests: rpm-md repositories and urpmi media
# written by the test (metadata only; package files are stand-in bytes with
# real checksums). Source after testlib.sh.
# shellcheck shell=sh

# A package spec is "name:version-release:arch[:req1,req2...[:FILE]]": FILE,
# when given, is a real package file served for it (its checksum goes into
# the metadata); otherwise the package file is stand-in bytes.
_rpm_field() { echo "$1" | cut -d: -f"$2"; }

# rpmmd_repo DIR [--comps "mandatory..." "default..." "optional..."] SPEC...:
# DIR/repodata/{repomd.xml,<sha256>-primary.xml.gz[,<sha256>-comps.xml.gz]}
# and DIR/Packages/<name>-<vr>.<arch>.rpm.
rpmmd_repo() {
  dir=$1; shift
  comps=
  if [ "${1:-}" = --comps ]; then comps="$2|$3|$4"; shift 4; fi
  mkdir -p "$dir/repodata" "$dir/Packages"
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"$#\">"
    for spec in "$@"; do
      n=$(_rpm_field "$spec" 1) vr=$(_rpm_field "$spec" 2) a=$(_rpm_field "$spec" 3) reqs=$(_rpm_field "$spec" 4)
      v=${vr%-*} r=${vr##*-}
      file="Packages/$n-$vr.$a.rpm"
      real=$(_rpm_field "$spec" 5)
      if [ -n "$real" ]; then cp "$real" "$dir/$file"; else echo "stand-in payload of $n $vr $a" >"$dir/$file"; fi
      sum=$(sha256sum "$dir/$file" | cut -d' ' -f1)
      size=$(stat -c %s "$dir/$file")
      echo "<package type=\"rpm\"><name>$n</name><arch>$a</arch><version epoch=\"0\" ver=\"$v\" rel=\"$r\"/>"
      echo "<checksum type=\"sha256\" pkgid=\"YES\">$sum</checksum><summary>test $n</summary>"
      echo "<size package=\"$size\" installed=\"$size\" archive=\"$size\"/><location href=\"$file\"/>"
      echo "<format><rpm:provides><rpm:entry name=\"$n\" flags=\"EQ\" epoch=\"0\" ver=\"$v\" rel=\"$r\"/></rpm:provides>"
      if [ -n "$reqs" ]; then
        echo "<rpm:requires>"
        for q in $(echo "$reqs" | tr , ' '); do echo "<rpm:entry name=\"$q\"/>"; done
        echo "</rpm:requires>"
      fi
      echo "</format></package>"
    done
    echo "</metadata>"
  } | gzip -n >"$T/primary.xml.gz"
  psum=$(sha256sum "$T/primary.xml.gz" | cut -d' ' -f1)
  mv "$T/primary.xml.gz" "$dir/repodata/$psum-primary.xml.gz"
  if [ -n "$comps" ]; then
    {
      echo '<?xml version="1.0" encoding="UTF-8"?><comps><group><id>core</id><name>Core</name><packagelist>'
      i=0
      for kind in mandatory default optional; do
        i=$((i + 1))
        for p in $(echo "$comps" | cut -d'|' -f$i); do
          echo "<packagereq type=\"$kind\">$p</packagereq>"
        done
      done
      echo '</packagelist></group></comps>'
    } | xz >"$T/comps.xml.xz"
    csum=$(sha256sum "$T/comps.xml.xz" | cut -d' ' -f1)
    mv "$T/comps.xml.xz" "$dir/repodata/$csum-comps.xml.xz"
  fi
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1700000000</revision>'
    echo "<data type=\"primary\"><checksum type=\"sha256\">$psum</checksum><location href=\"repodata/$psum-primary.xml.gz\"/><timestamp>1700000000</timestamp></data>"
    [ -n "$comps" ] &&
      echo "<data type=\"group_xz\"><checksum type=\"sha256\">$csum</checksum><location href=\"repodata/$csum-comps.xml.xz\"/><timestamp>1700000000</timestamp></data>"
    echo '</repomd>'
  } >"$dir/repodata/repomd.xml"
}

# rpmmd_signed_repo DIR RPM...: an rpm-md repository of the package files
# RPM... made by createrepo_c in DIR, its repomd.xml signed by the test key
# good (make_key good) as repomd.xml.asc; FPR is set to that key's fingerprint.
rpmmd_signed_repo() {
  dir=$1; shift
  mkdir -p "$dir"
  cp "$@" "$dir/"
  createrepo_c --quiet "$dir" || fail "createrepo_c"
  gpg --batch --yes --quiet --local-user "good@test.invalid" --armor --detach-sign \
    -o "$dir/repodata/repomd.xml.asc" "$dir/repodata/repomd.xml"
  # shellcheck disable=SC2034 # for the test that sourced this
  FPR=$(gpg --batch --with-colons --fingerprint "good@test.invalid" | awk -F: '$1 == "fpr" { print $10; exit }')
}

# rpm_recipe FILE DISTRIBUTION RELEASE ARCH INSTALL REPOSITORY LINE...: a
# recipe whose one variant, base, installs INSTALL and nothing else from one
# repository named REPOSITORY, its settings the LINEs ("family = urpmi",
# "mirror = URL"...; an empty LINE is left out).
rpm_recipe() {
  _rr_file=$1 _rr_dist=$2 _rr_release=$3 _rr_arch=$4 _rr_install=$5 _rr_repo=$6
  shift 6
  {
    printf '[template]\ndistribution = %s\nrelease = %s\narchitectures = %s\nvariants = base\n' \
      "$_rr_dist" "$_rr_release" "$_rr_arch"
    echo "[repository $_rr_repo]"
    for _rr_line in "$@"; do [ -z "$_rr_line" ] || printf '%s\n' "$_rr_line"; done
    printf '[packages]\nbase = none\n[variant base]\ninstall = %s\n' "$_rr_install"
  } >"$_rr_file"
}

# rpm_kind_source FAMILY KIND: the repository lines (one per output line)
# for the package KIND served from $URL as srv/md-KIND (an rpm-md
# repository, its metadata signature checked where published) or
# srv/media-KIND (urpmi media).
rpm_kind_source() {
  if [ "$1" = rpm-md ]; then
    printf 'mirror = %s\nsuites = .\nmetadata-signature = if-published\n' "$URL/md-$2"
  else
    printf 'mirror = %s\nsuites = media-%s\n' "$URL" "$2"
  fi
}

# urpmi_media DIR COMPRESSOR SPEC...: DIR/media_info/{synthesis.hdlist.cz,MD5SUM}
# (SPEC as for rpmmd_repo)
# with the synthesis compressed by COMPRESSOR (gzip, zstd or xz) under the
# same name, and the stand-in package files beside media_info/.
urpmi_media() {
  dir=$1 comp=$2; shift 2
  mkdir -p "$dir/media_info"
  for spec in "$@"; do
    n=$(_rpm_field "$spec" 1) vr=$(_rpm_field "$spec" 2) a=$(_rpm_field "$spec" 3) reqs=$(_rpm_field "$spec" 4)
    real=$(_rpm_field "$spec" 5)
    if [ -n "$real" ]; then cp "$real" "$dir/$n-$vr.$a.rpm"; else echo "stand-in payload of $n $vr $a" >"$dir/$n-$vr.$a.rpm"; fi
    echo "@provides@${n}[== $vr]"
    [ -n "$reqs" ] && echo "@requires@$(echo "$reqs" | tr , @)"
    echo "@summary@test $n"
    echo "@filesize@$(stat -c %s "$dir/$n-$vr.$a.rpm")"
    echo "@info@$n-$vr.$a@0@100@System/Base"
  done | _urpmi_write_synthesis "$dir" "$comp"
}

# _urpmi_write_synthesis DIR COMPRESSOR: stdin, compressed, as DIR's
# media_info/synthesis.hdlist.cz, with its MD5SUM.
_urpmi_write_synthesis() {
  case $2 in
    gzip) gzip -n ;;
    zstd) zstd -q ;;
    xz) xz ;;
  esac >"$1/media_info/synthesis.hdlist.cz"
  (cd "$1/media_info" && md5sum synthesis.hdlist.cz >MD5SUM)
}

# urpmi_media_from_rpms DIR COMPRESSOR RPM...: real packages copied into DIR
# and a synthesis written from their headers (as genhdlist2 writes it:
# provides, with the files some package requires; requires without rpmlib()
# ones; obsoletes and conflicts; summary, file size, and @info@ with epoch,
# size and group last),
# compressed by COMPRESSOR, with its MD5SUM.
urpmi_media_from_rpms() {
  dir=$1 comp=$2; shift 2
  mkdir -p "$dir/media_info"
  # "name OP evr" -> "name[OP evr]", with = written ==.
  deps() { sed -e 's/^\([^ ]*\) = \(.*\)$/\1[== \2]/' -e 's/^\([^ ]*\) \([<>=]*\) \(.*\)$/\1[\2 \3]/'; }
  wanted=$(for f in "$@"; do rpm -qp --requires "$f"; done | awk '$1 ~ /^\// { print $1 }' | sort -u)
  for f in "$@"; do
    cp "$f" "$dir/"
    {
      rpm -qp --provides "$f" | deps
      rpm -qpl "$f" | grep -Fx "$wanted" || true
    } | paste -sd@ | sed 's/^/@provides@/'
    reqs=$(rpm -qp --requires "$f" | grep -v '^rpmlib(' | sort -u | deps | paste -sd@)
    [ -z "$reqs" ] || echo "@requires@$reqs"
    for kind in obsoletes conflicts; do
      deps=$(rpm -qp --"$kind" "$f" | deps | paste -sd@)
      [ -z "$deps" ] || echo "@$kind@$deps"
    done
    rpm -qp --qf '@summary@%{SUMMARY}\n' "$f"
    echo "@filesize@$(stat -c %s "$f")"
    rpm -qp --qf '@info@%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}@%{EPOCH}@%{SIZE}@%{GROUP}\n' "$f" |
      sed 's/@(none)@/@0@/'
  done | _urpmi_write_synthesis "$dir" "$comp"
}

# rpm_sign_key NAME ALGO [subkey]: a key in $T/gnupg (GNUPGHOME) to sign
# packages and metadata with (ALGO: ed25519 or rsa2048); with "subkey", the
# primary key only certifies and a subkey of the same algorithm signs. Its
# armored public key goes to $T/NAME.asc, the primary's fingerprint to
# $T/NAME.fpr.
rpm_sign_key() {
  export GNUPGHOME="$T/gnupg"
  [ -d "$GNUPGHOME" ] || mkdir -m 700 "$GNUPGHOME"
  usage=sign
  [ "${3:-}" != subkey ] || usage=cert
  gpg --batch --quiet --passphrase '' --quick-gen-key "vztmpl test $1 <$1@test.invalid>" "$2" $usage never 2>"$T/gpg.log" || { cat "$T/gpg.log" >&2; fail "gpg: no key $1"; }
  gpg --batch --with-colons --fingerprint "$1@test.invalid" |
    awk -F: '$1 == "fpr" { print $10; exit }' >"$T/$1.fpr"
  if [ "${3:-}" = subkey ]; then
    gpg --batch --quiet --passphrase '' --quick-add-key "$(cat "$T/$1.fpr")" "$2" sign never
  fi
  gpg --batch --quiet --armor --export "$1@test.invalid" >"$T/$1.asc"
}

# rpm_sign KEY IN OUT [RPMSIGN-OPTION...]: a copy of the package IN, signed
# by KEY (made by rpm_sign_key) with rpmsign, as OUT.
rpm_sign() {
  key=$1 out=$3
  cp "$2" "$out"
  shift 3
  rpmsign --addsign "$@" --define "__gpg $(command -v gpg)" --define "_gpg_name $key@test.invalid" \
    "$out" >"$T/rpmsign.log" 2>&1 || { cat "$T/rpmsign.log" >&2; fail "rpmsign by $key"; }
  [ -s "$out" ] || { cat "$T/rpmsign.log" >&2; ls -la "$(dirname "$out")" >&2; fail "rpmsign by $key left no $out"; }
}

# rpm_build_hello DIR: DIR/hello-2.0-1.x86_64.rpm, a small unsigned package
# (one file, a payload digest) built by rpmbuild "at" 1700000000.
rpm_build_hello() {
  command -v rpmbuild >/dev/null || skip "needs rpmbuild (Debian package rpm)"
  cat >"$T/hello.spec" <<'SPEC'
Name: hello
Version: 2.0
Release: 1
Summary: a package to sign for vztmpl's tests
License: MIT
%description
One file, signed in several ways by the tests.
%install
mkdir -p %{buildroot}/usr/share/hello
echo hello >%{buildroot}/usr/share/hello/greeting
%files
/usr/share/hello/greeting
SPEC
  SOURCE_DATE_EPOCH=1700000000 rpmbuild --quiet -bb "$T/hello.spec" --target x86_64 \
    --define "use_source_date_epoch_as_buildtime 1" --define "_topdir $T/rpmbuild" \
    --define "_rpmdir $T/rpms" --define "debug_package %{nil}" --define "_build_id_links none" \
    >"$T/rpmbuild.log" 2>&1 || { cat "$T/rpmbuild.log" >&2; fail "rpmbuild hello"; }
  mkdir -p "$1"
  cp "$T/rpms/x86_64/hello-2.0-1.x86_64.rpm" "$1/"
}

# rpm_only_v3 IN OUT: a package signed only the V3 way (header+payload):
# IN with its V4 header-only signature tags (RSAHEADER 268, DSAHEADER 267)
# renamed in the (unsigned) signature header; its header+payload signature
# stays good.
rpm_only_v3() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
off = 96  # the lead
assert data[off:off + 3] == b'\x8e\xad\xe8', 'no signature header'
nindex = struct.unpack('>I', data[off + 8:off + 12])[0]
renamed = 0
for i in range(nindex):
    e = off + 16 + 16 * i
    if struct.unpack('>I', data[e:e + 4])[0] in (267, 268):
        data[e:e + 4] = struct.pack('>I', 1999 + i)
        renamed += 1
assert renamed, 'no V4 header signature to remove'
open(sys.argv[2], 'wb').write(data)
PY
}

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

# rpm_test_packages: three packages built by rpmbuild into $T/rpms/<arch>/:
# basesys (a static shell, the account files, /tmp), app (noarch; its %pre
# adds a user that owns its files, its %post leaves a mark in
# /var/lib/app/post-ran, two of its names are one file) and rpmtool (the
# host's rpm with its libraries, keeping its rpmdb in /usr/lib/sysimage/rpm).
rpm_test_packages() {
  command -v rpmbuild >/dev/null || skip "needs rpmbuild (Debian package rpm)"
  BUSYBOX=$(command -v busybox) || skip "needs busybox (Debian package busybox-static)"
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
}
