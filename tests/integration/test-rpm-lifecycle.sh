#!/bin/sh
# verify, diff and publish on RPM templates built now from local rpm-md and
# urpmi repositories: verify reads the template's rpmdb (written by the
# host's rpm in /var/lib/rpm or by the target's in /usr/lib/sysimage/rpm,
# or reached through a /var/lib/rpm link) and passes; diff lists a package
# added, with its epoch; publish signs an RPM template; a flipped byte, a
# manifest whose version the rpmdb does not have, a package the manifest
# does not list and an rpmdb link to nothing are refused (exit 3).
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
need_root
command -v createrepo_c >/dev/null || skip "needs createrepo_c (Debian package createrepo-c)"
make_key good
rpm_test_packages

# One more package, with an epoch, for diff and for the version check.
cat >"$T/extra.spec" <<'SPEC'
Name: extra
Epoch: 2
Version: 1.0
Release: 1
Summary: a package with an epoch for vztmpl's tests
License: MIT
BuildArch: noarch
Requires: basesys
%description
One file.
%install
mkdir -p %{buildroot}/usr/share/extra
echo extra >%{buildroot}/usr/share/extra/file
%files
/usr/share/extra/file
SPEC
rpm_build extra

rpmmd_signed_repo "$T/repo" "$T"/rpms/*/*.rpm
urpmi_media_from_rpms "$T/repo/media" zstd "$T"/rpms/*/*.rpm
serve "$T/repo"
N=rpmtest-1-x86_64

# build CACHE FAMILY SUITE INSTALL: the template of a recipe for one of the
# served repositories, in CACHE.
build() {
  rpm_recipe "$T/rpmtest.conf" rpmtest 1 x86_64 "$4" main "family = $2" "mirror = $URL" "suites = $3" \
    "keyring = $T/good.gpg" "keys = $FPR" "package-signature = none"
  expect_exit 0 "$VZTMPL" -C "$1" build "$T/rpmtest.conf"
}

# verify_passes WHAT CACHE COUNT: verify of CACHE's template passes, with
# COUNT packages found as the manifest lists them.
verify_passes() {
  expect_exit 0 "$VZTMPL" -C "$2" verify "$N"
  grep -q "^$N: verified (.*, $3 packages as listed" "$T/stdout" ||
    fail "$1: verify said: $(cat "$T/stdout")"
  echo "$1: verify passes, $3 packages as listed"
}

build "$T/c-host" rpm-md . app
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["family"] == "rpm-md"' \
  "$T/c-host/templates/$N.json" || fail "the manifest does not record the family rpm-md"
verify_passes "rpm-md, the host's rpm (/var/lib/rpm)" "$T/c-host" 2
build "$T/c-target" rpm-md . "app rpmtool"
tar --zstd -tf "$T/c-target/templates/$N.tar.zst" | grep -q 'usr/lib/sysimage/rpm/rpmdb.sqlite$' ||
  fail "the target's rpm kept its rpmdb elsewhere"
verify_passes "rpm-md, the target's rpm (/usr/lib/sysimage/rpm)" "$T/c-target" 3
build "$T/c-urpmi" urpmi media "app extra"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["family"] == "urpmi"' \
  "$T/c-urpmi/templates/$N.json" || fail "the manifest does not record the family urpmi"
verify_passes "urpmi, the host's rpm, a package with an epoch" "$T/c-urpmi" 3
expect_exit 0 "$VZTMPL" -C "$T/c-urpmi" --json verify "$N"
python3 - "$T/stdout" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is True and r["packages"] == 3, r
assert r["checks"]["packages"]["status"] == "passed", r["checks"]
PY

# diff: the template with extra against the one without.
build "$T/c-extra" rpm-md . "app extra"
expect_exit 1 "$VZTMPL" diff "$T/c-host/templates/$N.json" "$T/c-extra/templates/$N.json"
grep -q '^+ extra 2:1.0-1' "$T/stdout" ||
  fail "diff does not list extra 2:1.0-1 added: $(cat "$T/stdout")"
[ "$(wc -l <"$T/stdout")" = 1 ] || fail "diff lists more than extra: $(cat "$T/stdout")"
echo "diff: $(cat "$T/stdout"); $(tail -1 "$T/stderr")"
expect_exit 0 "$VZTMPL" diff "$T/c-host/templates/$N.json" "$T/c-host/templates/$N.json"
[ ! -s "$T/stdout" ] || fail "a template differs from itself: $(cat "$T/stdout")"

# publish verifies first, then signs; the published copy verifies with the key.
expect_exit 0 "$VZTMPL" -C "$T/c-extra" publish "$T/site" --sign good@test.invalid "$N"
BUILD=$(readlink "$T/site/templates/$N/last-good") || fail "publish made no last-good"
expect_exit 0 "$VZTMPL" verify --keyring "$T/good.gpg" "$T/site/templates/$N/$BUILD/$N.json"
grep -q "^$N: verified" "$T/stdout" || fail "the published template: $(cat "$T/stdout")"
echo "publish: build $BUILD signed; the published copy verifies with its signature"

# copy NAME CACHE: the template of CACHE, archive and manifest, in $T/NAME.
copy() {
  rm -rf "${T:?}/$1"
  mkdir "$T/$1"
  cp "$2/templates/$N.tar.zst" "$2/templates/$N.json" "$T/$1/"
}

# A flipped byte: the archive's hash is refused before anything is read.
copy flipped "$T/c-host"
corrupt_byte "$T/flipped/$N.tar.zst" $(($(stat -c %s "$T/flipped/$N.tar.zst") / 2))
expect_exit 3 "$VZTMPL" verify "$T/flipped/$N.json"
expect_stderr "$T/flipped/$N.tar.zst: sha256"
echo "a flipped byte: refused (exit 3) by the archive hash"

# set_manifest NAME PYTHON: runs PYTHON on the manifest m of $T/NAME and
# writes it back.
set_manifest() {
  python3 - "$T/$1/$N.json" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
}

# The manifest says another version than the rpmdb has.
copy version "$T/c-urpmi"
set_manifest version '[p for p in m["packages"] if p["name"] == "extra"][0]["version"] = "2:1.0-2"'
expect_exit 3 "$VZTMPL" --json verify "$T/version/$N.json"
python3 - "$T/stdout" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["checks"]
assert r["verified"] is False and c["archive"]["status"] == "passed", r
assert c["packages"]["status"] == "failed" and "extra is version 2:1.0-1, the manifest says 2:1.0-2" in c["packages"]["detail"], c
PY
expect_exit 3 "$VZTMPL" verify "$T/version/$N.json"
expect_stderr "package extra is version 2:1.0-1, the manifest says 2:1.0-2"
echo "a manifest version the rpmdb does not have: refused (exit 3) by the packages check"

# A package in the rpmdb that the manifest does not list.
copy unlisted "$T/c-urpmi"
set_manifest unlisted 'm["packages"] = [p for p in m["packages"] if p["name"] != "extra"]'
expect_exit 3 "$VZTMPL" verify "$T/unlisted/$N.json"
expect_stderr "package extra (noarch) is in the package database"
echo "a package the manifest does not list: refused (exit 3)"

# A manifest from before the family was recorded: the rpmdb in the archive says.
copy old "$T/c-target"
set_manifest old 'del m["family"]'
expect_exit 0 "$VZTMPL" verify "$T/old/$N.json"
echo "a manifest without its family: verified by the database the archive holds"

# repack NAME PYTHON-ARGS...: $T/NAME/root (an unpacked template changed by
# the caller) packed again as the archive, with the manifest's hash and
# size to match: only the rpmdb's place differs.
repack() {
  (cd "$T/$1/root" && tar --zstd --numeric-owner -cf "$T/$1/$N.tar.zst" .)
  sum=$(sha256sum "$T/$1/$N.tar.zst" | cut -d' ' -f1)
  size=$(stat -c %s "$T/$1/$N.tar.zst")
  set_manifest "$1" "m['archive']['sha256'] = '$sum'; m['archive']['size'] = $size"
}

# The rpmdb elsewhere, reached through a /var/lib/rpm link (as Fedora has it).
copy linked "$T/c-host"
mkdir "$T/linked/root"
tar --zstd -xpf "$T/linked/$N.tar.zst" -C "$T/linked/root" --numeric-owner
mkdir -p "$T/linked/root/srv/db"
mv "$T/linked/root/var/lib/rpm" "$T/linked/root/srv/db/rpm"
ln -s ../../srv/db/rpm "$T/linked/root/var/lib/rpm"
repack linked
expect_exit 0 "$VZTMPL" verify "$T/linked/$N.json"
grep -q ", 2 packages as listed" "$T/stdout" || fail "through a link: $(cat "$T/stdout")"
echo "the rpmdb behind a relative /var/lib/rpm link: verified"
# A link with more ".." than the tree is deep resolves inside the template,
# as it would in the container; one to a place without a database is refused.
rm "$T/linked/root/var/lib/rpm"
ln -s ../../../../../../srv/db/rpm "$T/linked/root/var/lib/rpm"
repack linked
expect_exit 0 "$VZTMPL" verify "$T/linked/$N.json"
rm "$T/linked/root/var/lib/rpm"
ln -s /srv/nothing "$T/linked/root/var/lib/rpm"
repack linked
expect_exit 3 "$VZTMPL" verify "$T/linked/$N.json"
expect_stderr "has no rpmdb"
echo "a /var/lib/rpm link past the top resolves inside the template; one to no database: refused (exit 3)"
echo PASS
