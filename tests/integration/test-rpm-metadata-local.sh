#!/bin/sh
# RPM repository metadata trust on repositories this test makes, so that a
# clone alone checks every refusal. rpm-md (createrepo_c, repomd.xml.asc by
# a throw-away key): a good signature by the pinned key is accepted and
# resolves, and checked again from the cache with --offline; a signature by
# another key, a repomd.xml the signature does not cover, another pinned
# fingerprint, a missing signature where one is required and a primary that
# does not match repomd's checksum are refused with exit 3; metalink mirrors
# are taken only with a digest the metalink lists. urpmi (two media, gzip
# and zstd synthesis): both load and resolve across media; a synthesis that
# fails its MD5SUM is refused naming it and leaves nothing behind; an MD5SUM
# that does not list the synthesis is refused, a missing one is an error.
# (The same cases on real repositories: test-rpmmd-signed.sh,
# test-urpmi-fixtures.sh.)
. "$(dirname "$0")/testlib.sh"
. "$(dirname "$0")/rpmlib.sh"
# said CODE CMD...: expect_exit, then the outcome and stderr's last line.
said() {
  expect_exit "$@"
  echo "  exit $1, as wanted: $(tail -1 "$T/stderr" | cut -c1-150)"
}
command -v createrepo_c >/dev/null || skip "needs createrepo_c (Debian package createrepo-c)"

make_key good
make_key other
fpr() { gpg --batch --with-colons --fingerprint "$1@test.invalid" | awk -F: '$1 == "fpr" { print $10; exit }'; }
FPR=$(fpr good)

# --- rpm-md: a signed repomd.xml ---
rpm_build_hello "$T/root/signed"
createrepo_c --quiet "$T/root/signed" || fail "createrepo_c"
R="$T/root/signed/repodata"
sign_repomd() { # KEY
  gpg --batch --yes --quiet --local-user "$1@test.invalid" --armor --detach-sign -o "$R/repomd.xml.asc" "$R/repomd.xml"
}
sign_repomd good
cp "$R/repomd.xml" "$T/repomd.good"
cp "$R/repomd.xml.asc" "$T/asc.good"
serve "$T/root"
restore() { cp "$T/repomd.good" "$R/repomd.xml"; cp "$T/asc.good" "$R/repomd.xml.asc"; rm -rf "$T/cache"; }

recipe() { # PINNED [POLICY]
  rpm_recipe "$T/test.conf" mdtest 1 x86_64 hello signed "family = rpm-md" "mirror = $URL/signed" "suites = ." \
    "keyring = $T/good.gpg" "keys = $1" "package-signature = none" "${2:+metadata-signature = $2}"
}
run() { said "$1" "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run -a x86_64; }
resolves() { awk '{print $1, $2, $3}' "$T/stdout" | grep -qx "hello 2.0-1 x86_64" || { cat "$T/stdout" >&2; fail "$1: hello not resolved"; }; }

echo "rpm-md: a good signature by the pinned key: accepted, resolves"
recipe "$FPR"; run 0; resolves "good signature"

echo "rpm-md: --offline checks the cached repomd.xml again; a changed copy is refused"
said 0 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run -a x86_64 --offline
resolves "offline"
copy=$(ls "$T/cache/releases/"rpm_*signed_repodata_repomd.xml) || fail "no cached repomd.xml"
sed -i 's/<revision>/<revision>1/' "$copy"
said 3 "$VZTMPL" -C "$T/cache" build "$T/test.conf" --dry-run -a x86_64 --offline
expect_stderr "repomd.xml"

echo "rpm-md: a signature by another key"
restore; sign_repomd other
run 3; expect_stderr "repomd.xml"; expect_stderr "not in keyring"

echo "rpm-md: a repomd.xml the signature does not cover"
restore; sed -i 's/<revision>/<revision>1/' "$R/repomd.xml"
run 3; expect_stderr "signed/repodata/repomd.xml"; expect_stderr "bad signature"

echo "rpm-md: a good signature, but another fingerprint pinned"
restore; recipe "$(fpr other)"
run 3; expect_stderr "repomd.xml"

echo "rpm-md: no repomd.xml.asc where the recipe requires one (the default, and said)"
restore; rm "$R/repomd.xml.asc"
recipe "$FPR"; run 3; expect_stderr "repomd.xml.asc is not published"
recipe "$FPR" required; run 3; expect_stderr "repomd.xml.asc is not published"
echo "rpm-md: no repomd.xml.asc, metadata-signature = if-published: loaded with a warning"
recipe "$FPR" if-published; run 0; expect_stderr "no repomd.xml.asc"; resolves "if-published"

echo "rpm-md: primary.xml.gz changed by one byte: refused by repomd's checksum"
restore; recipe "$FPR"
primary=$(ls "$R"/*-primary.xml.gz)
cp "$primary" "$T/primary.good"
corrupt_byte "$primary" 100
run 3; expect_stderr "primary.xml.gz"; expect_stderr "mismatch"
assert_no_template "$T/cache"
cp "$T/primary.good" "$primary"

# A metalink listing repomd.xml's digests and the mirrors, most preferred
# first; a stale mirror serves another repomd.xml.
restore
cp -r "$T/root/signed" "$T/root/stale"
sed -i 's/<revision>/<revision>1/' "$T/root/stale/repodata/repomd.xml"
metalink() { # MIRROR...
  {
    echo '<?xml version="1.0" encoding="utf-8"?>'
    echo '<metalink version="3.0" xmlns="http://www.metalinker.org/" type="dynamic"><files><file name="repomd.xml">'
    echo "<size>$(stat -c %s "$R/repomd.xml")</size><verification>"
    echo "<hash type=\"sha256\">$(sha256sum "$R/repomd.xml" | cut -c1-64)</hash>"
    echo "<hash type=\"sha512\">$(sha512sum "$R/repomd.xml" | cut -c1-128)</hash>"
    echo '</verification><resources maxconnections="1">'
    pref=100
    for m in "$@"; do
      echo "<url protocol=\"http\" type=\"http\" preference=\"$pref\">$URL/$m/repodata/repomd.xml</url>"
      pref=$((pref - 1))
    done
    echo '</resources></file></files></metalink>'
  } >"$T/root/metalink.xml"
}
recipe "$FPR"
sed -i "s#^mirror = $URL/signed\$#metalink = $URL/metalink.xml#" "$T/test.conf"
grep -q "^metalink = " "$T/test.conf" || fail "recipe edit"
echo "metalink: repomd.xml with the listed digest, signature good"
metalink signed; run 0; resolves "metalink"
echo "metalink: a stale mirror first is passed over"
metalink stale signed; run 0; expect_stderr "matches no digest"; resolves "metalink, stale first"
echo "metalink: only the stale mirror: refused"
metalink stale; run 3; expect_stderr "digest the metalink lists"
echo "metalink: no mirror reachable: a network failure (exit 1), not a refusal"
metalink gone; run 1; expect_stderr "could be reached"; expect_stderr "$URL/gone/repodata/repomd.xml"

# --- urpmi: two media and their MD5SUM ---
# b (only in mAiN) needs a; t1 is in both, newer in mAiN; c needs what
# neither media has.
M="$T/root/media"
urpmi_media "$M/mAiN/release" gzip a:2.1-72:i586 b:1.0-1:i586:a t1:5.1.2-13:i586
urpmi_media "$M/k0ntr1b/release" zstd t1:5.1.2-9:i586 c:1.0-1:noarch:missing-dep
urecipe() { # FILE MIRROR INSTALL
  rpm_recipe "$1" mdvtest 1 i586 "$3" media "family = urpmi" "mirror = $2" "suites = mAiN/release k0ntr1b/release"
}
for mirror in "file://$M" "$URL/media"; do
  echo "urpmi media at $mirror: both load, resolved across media"
  rm -rf "$T/cache"
  urecipe "$T/mdv.conf" "$mirror" "b t1"
  said 0 "$VZTMPL" -C "$T/cache" build "$T/mdv.conf" --dry-run -a i586
  awk '{print $1, $3}' "$T/stdout" | sort | tr '\n' ' ' >"$T/got"
  [ "$(cat "$T/got")" = "a i586 b i586 t1 i586 " ] || { cat "$T/stdout" >&2; fail "resolved: $(cat "$T/got")"; }
  grep -q "^t1 .*5.1.2-13" "$T/stdout" || { cat "$T/stdout" >&2; fail "t1 is not mAiN's newer one"; }
done
echo "urpmi: a package whose dependency neither media has: the message names it"
urecipe "$T/mdv2.conf" "$URL/media" c
said 1 "$VZTMPL" -C "$T/cache" build "$T/mdv2.conf" --dry-run -a i586
expect_stderr "missing-dep"

echo "urpmi: a synthesis changed by one byte: refused, naming it; nothing of it cached"
cp -r "$M" "$T/bad"
syn="$T/bad/k0ntr1b/release/media_info/synthesis.hdlist.cz"
corrupt_byte "$syn" 20
urecipe "$T/bad.conf" "file://$T/bad" b
said 3 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "k0ntr1b/release/media_info/synthesis.hdlist.cz"
expect_stderr "md5"
if find "$T/cache3" -name '*.part' | grep -q . ||
   find "$T/cache3" -type f -exec cmp -s "$syn" {} \; -print | grep -q .; then
  find "$T/cache3" -type f >&2; fail "the corrupted synthesis stayed in the cache"
fi
assert_no_template "$T/cache3"
echo "urpmi: an MD5SUM that does not list the synthesis: refused"
cp "$M/k0ntr1b/release/media_info/synthesis.hdlist.cz" "$syn"
sed -i '/ synthesis.hdlist.cz$/d' "$T/bad/k0ntr1b/release/media_info/MD5SUM"
said 3 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "does not list synthesis.hdlist.cz"
echo "urpmi: no MD5SUM: an error naming it"
rm "$T/bad/k0ntr1b/release/media_info/MD5SUM"
said 1 "$VZTMPL" -C "$T/cache3" build "$T/bad.conf" --dry-run -a i586
expect_stderr "k0ntr1b/release/media_info/MD5SUM"
echo PASS
