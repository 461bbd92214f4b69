#!/bin/sh
# rpm-md metadata trust on a real Fedora repository with librepo's test key
# (the rpm-md-signed conformance data): the good repomd.xml.asc is
# accepted; a signature by another key, a repomd.xml the signature does not
# cover, a wrong pinned fingerprint, a missing signature where it is required
# and a primary that does not match repomd's sha1 are all refused with exit 3;
# metalink mirrors are taken only with a listed digest. The same cases on a
# repository the test suite makes: test-rpm-trust-local.sh.
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"

need_fixtures rpm-md-signed/repo_yum_01
FIX="$FIXTURES/rpm-md-signed/repo_yum_01"
KEY="$FIX/repodata/repomd.xml.key"
FPR=F4FC5B6AC58696023B9DBFB197BDB7906441EDF5

# The served root: a copy of the fixture (tests change it) and a small
# unsigned repository with the "setup" package filesystem needs.
cp -r "$FIX" "$T/root"
chmod -R u+w "$T/root"
mv "$T/root" "$T/srv"; mkdir "$T/root"; mv "$T/srv" "$T/root/signed"
rpmmd_repo "$T/root/extra" setup:2.8.36-1.fc16:noarch
serve "$T/root"
R="$T/root/signed/repodata"
cp "$R/repomd.xml" "$T/repomd.good"
cp "$R/repomd.xml.asc" "$T/asc.good"
restore() { cp "$T/repomd.good" "$R/repomd.xml"; cp "$T/asc.good" "$R/repomd.xml.asc"; rm -rf "$T/cache"; }

recipe() { # PINNED [POLICY]
  cat >"$T/test.conf" <<RECIPE
[template]
distribution = mdtest
release = 16
architectures = i686
variants = base
[repository signed]
family = rpm-md
mirror = $URL/signed
suites = .
keyring = $KEY
keys = $1
${2:+metadata-signature = $2}
[repository extra]
family = rpm-md
mirror = $URL/extra
suites = .
metadata-signature = if-published
[packages]
base = none
[variant base]
install = filesystem
RECIPE
}
run() { expect_exit "$1" "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run -a i686; }

echo "good signature by the pinned key: accepted, resolves"
recipe $FPR
run 0
awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "filesystem 2.4.44-1.fc16 i686" || fail "no filesystem"
awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "setup 2.8.36-1.fc16 noarch" || fail "no setup"

echo "--offline: the cached repomd.xml is verified again; a changed copy is refused"
run_offline() { expect_exit "$1" "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run -a i686 --offline; }
run_offline 0
grep -q "^filesystem " "$T/stdout" || fail "offline: no filesystem"
copy=$(ls "$T/cache/releases/"rpm_*signed_repodata_repomd.xml)
sed -i 's/<revision>1347459931</<revision>1347459932</' "$copy"
run_offline 3; expect_stderr "repomd.xml"

echo "signature by another key (repomd.xml_bad.sig)"
restore; cp "$R/repomd.xml_bad.sig" "$R/repomd.xml.asc"
run 3; expect_stderr "repomd.xml"; expect_stderr "not in keyring"

echo "a repomd.xml the signature does not cover (repomd.xml_bad)"
restore; cp "$R/repomd.xml_bad" "$R/repomd.xml"
run 3; expect_stderr "signed/repodata/repomd.xml"; expect_stderr "bad signature"

echo "good signature, but another fingerprint pinned"
restore; recipe BC8D780DE3308581B2E0708533DE8FB7C8DA93D2
run 3; expect_stderr "repomd.xml"

echo "no repomd.xml.asc where the recipe requires one (the default, and said)"
restore; rm "$R/repomd.xml.asc"
recipe $FPR; run 3; expect_stderr "repomd.xml.asc is not published"
recipe $FPR required; run 3; expect_stderr "repomd.xml.asc is not published"
echo "no repomd.xml.asc, metadata-signature = if-published: loaded with a warning"
recipe $FPR if-published; run 0; expect_stderr "no repomd.xml.asc"

echo "primary.xml.gz changed by one byte: refused by repomd's sha1"
restore; recipe $FPR
primary=$(ls "$R"/*-primary.xml.gz)
corrupt_byte "$primary" 100
run 3; expect_stderr "primary.xml.gz"; expect_stderr "sha1 mismatch"
assert_no_template "$T/cache"

# The fixture's metalink (librepo's, for this repository) with its URL moved
# to the loopback server: the mirrors come from it and repomd.xml must have
# one of its digests. A stale mirror preferred over the good one is passed
# over; with only the stale one, the repository is refused.
restore
cp "$FIX/repodata/$(basename "$primary")" "$primary"
cp -r "$T/root/signed" "$T/root/stale"
cp "$T/root/stale/repodata/repomd.xml_bad" "$T/root/stale/repodata/repomd.xml"
old='http://127.0.0.1:5000/yum/static/01/repodata/repomd.xml'
metalink() { # MIRROR...: a copy of the fixture's metalink listing these, most preferred first
  urls='' pref=100
  for m in "$@"; do
    urls="$urls<url protocol=\"http\" type=\"http\" preference=\"$pref\">$URL/$m/repodata/repomd.xml</url>"
    pref=$((pref - 1))
  done
  sed "s#<url [^>]*>$old</url>#$urls#" "$FIX/metalink.xml" >"$T/root/metalink.xml"
  grep -q "$URL/$1/" "$T/root/metalink.xml" || fail "the fixture's metalink changed"
}
metalink_recipe() {
  recipe $FPR
  sed -i "s#^mirror = $URL/signed\$#metalink = $URL/metalink.xml#" "$T/test.conf"
  grep -q "^metalink = " "$T/test.conf" || fail "recipe edit"
}
echo "metalink: repomd.xml with the listed digest, signature good"
metalink signed; metalink_recipe; run 0
grep -q "^filesystem " "$T/stdout" || fail "metalink: no filesystem"
echo "metalink: a stale mirror first is passed over"
metalink stale signed; run 0; expect_stderr "matches no digest"
echo "metalink: only the stale mirror: refused"
metalink stale; run 3; expect_stderr "digest the metalink lists"
echo "metalink: no mirror reachable: a network failure (exit 1), not a refusal"
metalink gone; run 1; expect_stderr "could be reached"; expect_stderr "$URL/gone/repodata/repomd.xml"
echo PASS
