#!/bin/sh
# Issue 5, acceptance 1, 2 and 5: archive formats; publish a real Debian 12
# minbase template signed with a test key, serve it on loopback, download it
# into an empty cache, verify and deploy it (same tree as the original);
# every refusal (exit 3, nothing cached); retention and last-good; pveam's
# aplinfo.dat parsed as pveam parses it; lxc-create -t download against the
# LXC layout over loopback https.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
ORIG="$CACHE/templates/$A.tar.zst"

# --- formats: -o's name or --format picks the compression; the tar inside is the same ---
zstd -dc "$ORIG" | sha256sum | cut -d' ' -f1 >"$T/tar.sha"
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/$A.tar.gz"
[ "$(gzip -dc "$T/$A.tar.gz" | sha256sum | cut -d' ' -f1)" = "$(cat "$T/tar.sha")" ] || fail "the tar.gz holds another tar"
[ "$(od -An -tu1 -j4 -N4 "$T/$A.tar.gz" | tr -s ' ')" = " 0 0 0 0" ] || fail "the gzip header has an mtime"
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/again.tar.gz"
cmp -s "$T/$A.tar.gz" "$T/again.tar.gz" || fail "two tar.gz of one template differ"
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/plain" --format tar.zst
cmp -s "$T/plain" "$ORIG" || fail "-o --format tar.zst is not the cached template"
expect_exit 2 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase --format tar.xz
expect_stderr "applies to -o"
expect_exit 2 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/x.tar.gz" --format xz
expect_exit 2 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase -o "$T/x" --format tar.lz4
echo "formats: tar.gz by name ($(stat -c %s "$T/$A.tar.gz") bytes) holds the same tar, reproducibly; bad combinations are usage errors"

# --- publish ---
make_key pub
make_key other
SITE="$T/srv/good"
mkdir -p "$T/srv"
start=$(date +%s)
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid --base-url https://tmpl.example/good "$A"
echo "publish: $(grep '^Published' "$T/stderr") in $(($(date +%s) - start)) s"
(cd "$SITE" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the published files"
gpgv --keyring "$T/pub.gpg" "$SITE/SHA256SUMS.gpg" "$SITE/SHA256SUMS" 2>/dev/null || fail "SHA256SUMS.gpg does not verify with gpgv"
gpgv --keyring "$T/other.gpg" "$SITE/SHA256SUMS.gpg" "$SITE/SHA256SUMS" 2>/dev/null && fail "SHA256SUMS.gpg verifies with the other key"
BUILD=$(readlink "$SITE/templates/$A/last-good")
cmp -s "$SITE/templates/$A/$BUILD/$A.tar.zst" "$ORIG" || fail "the published archive is not the template"
python3 - "$SITE" "$A" "$BUILD" <<'PY'
import json, os, sys
site, name, build = sys.argv[1:]
idx = json.load(open(os.path.join(site, "index.json")))
t = [t for t in idx["templates"] if t["name"] == name][0]
assert t["last_good"] == build, t
b = t["builds"][0]
assert b["build"] == build, b
assert t["architecture"] == "x86_64" and t["deb_architecture"] == "amd64", t
assert b["archive"] == f"templates/{name}/{build}/{name}.tar.zst", b
assert b["manifest"] == f"templates/{name}/{build}/{name}.json", b
assert b["size"] == os.path.getsize(os.path.join(site, b["archive"])), b
assert b["date"].endswith("Z") and b["packages"] == 88, b
for f in ("index.json", "aplinfo.dat", "aplinfo.dat.gz", "meta/1.0/index-system", b["archive"], b["manifest"],
          b["lxc"]["dir"] + "/rootfs.tar.xz", b["lxc"]["dir"] + "/meta.tar.xz"):
    assert f in open(os.path.join(site, "SHA256SUMS")).read(), f
PY
# The published tree verifies with its signature, and the LXC rootfs is the same tar.
expect_exit 0 "$VZTMPL" -C "$CACHE" verify --json --keyring "$T/pub.gpg" "$SITE/templates/$A/last-good/$A.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["checks"]["signature"]["status"] == "passed", r' "$T/stdout"
LXCDIR=$(cut -d';' -f6 "$SITE/meta/1.0/index-system")
# LXC's rootfs: the template's entries, in its order, with the same owners,
# modes and times; only /etc/hostname and /etc/hosts name LXC_NAME, which
# lxc-create replaces with the container's name.
xz -dc "$SITE/$LXCDIR/rootfs.tar.xz" | tar -tvf - | grep -Ev ' \./etc/host(name|s)$' >"$T/lxc-rootfs.list"
zstd -dc "$ORIG" | tar -tvf - | grep -Ev ' \./etc/host(name|s)$' >"$T/template.list"
cmp -s "$T/lxc-rootfs.list" "$T/template.list" || { diff "$T/template.list" "$T/lxc-rootfs.list" | head >&2; fail "rootfs.tar.xz holds other entries than the template"; }
[ "$(xz -dc "$SITE/$LXCDIR/rootfs.tar.xz" | tar -xOf - ./etc/hostname)" = LXC_NAME ] || fail "rootfs.tar.xz: /etc/hostname is not LXC_NAME"
tar -tJf "$SITE/$LXCDIR/meta.tar.xz" | sort | tr '\n' ' ' | grep -q '^config config-user create-message excludes-user expiry templates $' ||
  fail "meta.tar.xz has: $(tar -tJf "$SITE/$LXCDIR/meta.tar.xz" | tr '\n' ' ')"
echo "publish: SHA256SUMS checks out and is signed by the test key only; index.json, last-good -> $BUILD"

# Publishing the same template again changes no build and keeps it last-good.
cp "$SITE/index.json" "$T/index.before"
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid "$A"
expect_stderr "already published"
[ "$(readlink "$SITE/templates/$A/last-good")" = "$BUILD" ] || fail "last-good moved on a re-publish"

# A template that fails verification is refused and the directory is left as it was.
mkdir "$T/bad"
cp "$ORIG" "$CACHE/templates/$A.json" "$T/bad/"
corrupt_byte "$T/bad/$A.tar.zst" 1000000
(cd "$SITE" && find . -type f -o -type l | sort | xargs sha256sum) >"$T/site.before" 2>/dev/null || true
(cd "$SITE" && find . -type l -printf '%p -> %l\n' | sort) >>"$T/site.before"
expect_exit 3 "$VZTMPL" -C "$CACHE" publish "$SITE" --sign pub@test.invalid "$T/bad/$A.json"
expect_stderr "not publishing $A"
expect_stderr "verification refused"
(cd "$SITE" && find . -type f -o -type l | sort | xargs sha256sum) >"$T/site.after" 2>/dev/null || true
(cd "$SITE" && find . -type l -printf '%p -> %l\n' | sort) >>"$T/site.after"
cmp -s "$T/site.before" "$T/site.after" || { diff "$T/site.before" "$T/site.after" >&2; fail "a refused publish changed the directory"; }
expect_exit 2 "$VZTMPL" -C "$CACHE" publish "$SITE" --keep 0 "$A"
echo "publish: a tampered template is refused (exit 3) and the directory is unchanged"

# --- acceptance 1: download into an empty cache, verify, deploy ---
serve "$T/srv"
C="$T/dl"
expect_exit 2 "$VZTMPL" -C "$C" download "$A" --from "$URL/good"
expect_stderr "keyring FILE is required"
assert_no_template "$C"
start=$(date +%s)
expect_exit 0 "$VZTMPL" -C "$C" download "$A" --from "$URL/good" --keyring "$T/pub.gpg"
expect_stderr "good signature by"
echo "download: $(grep '^Downloaded' "$T/stderr") in $(($(date +%s) - start)) s"
# Against what was published (itself checked against the cache above): the
# shared cache may be rebuilt meanwhile by another run on the same machine.
cmp -s "$C/templates/$A.tar.zst" "$SITE/templates/$A/$BUILD/$A.tar.zst" || fail "the downloaded archive differs"
cmp -s "$C/templates/$A.json" "$SITE/templates/$A/$BUILD/$A.json" || fail "the downloaded manifest differs"
expect_exit 0 "$VZTMPL" -C "$C" verify --keyring "$T/pub.gpg" "$A"
grep -q "^$A: verified .*signature passed" "$T/stdout" || fail "verify said: $(cat "$T/stdout")"
expect_exit 0 "$VZTMPL" -C "$C" verify "$A"
grep -q "signature skipped" "$T/stdout" || fail "verify without a keyring said: $(cat "$T/stdout")"
expect_exit 3 "$VZTMPL" -C "$C" verify --keyring "$T/other.gpg" "$A"
expect_stderr "no good signature"
expect_exit 0 "$VZTMPL" -C "$C" deploy "$A" "$T/root-dl"
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy "$A" "$T/root-orig"
tree_list() { (cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | sort); }
tree_list "$T/root-dl" >"$T/list-dl"
tree_list "$T/root-orig" >"$T/list-orig"
cmp -s "$T/list-dl" "$T/list-orig" || { diff "$T/list-orig" "$T/list-dl" | head >&2; fail "the deployed trees differ in names, types, modes or owners"; }
diff -r --no-dereference "$T/root-orig" "$T/root-dl" >/dev/null || fail "the deployed trees differ in content"
echo "round trip: downloaded into an empty cache, verified with its signature, deployed: $(wc -l <"$T/list-dl") paths identical to the original's"
rm -rf "$T/root-dl" "$T/root-orig"

# A download broken off half way resumes from its .part.
C2="$T/dl-resume"
SUM=$(sha256sum "$ORIG" | cut -d' ' -f1)
mkdir -p "$C2/tmp/downloads"
head -c $(($(stat -c %s "$ORIG") / 2)) "$ORIG" >"$C2/tmp/downloads/$SUM.tar.zst.part"
expect_exit 0 "$VZTMPL" -v -C "$C2" download "$A" --from "$URL/good" --keyring "$T/pub.gpg"
expect_stderr "resuming after"
cmp -s "$C2/templates/$A.tar.zst" "$ORIG" || fail "the resumed download differs"
echo "download: resumes a partial download"

# --- acceptance 2: refusals, each exit 3 with a message, nothing in templates/ ---
case_dir() { rm -rf "$T/srv/$1"; cp -al "$SITE" "$T/srv/$1"; }
own() { cp --remove-destination "$1" "$1.own" && mv "$1.own" "$1"; } # break the hard link before editing
refused() {
  name=$1 msg=$2
  rm -rf "$T/c-$name"
  expect_exit 3 "$VZTMPL" -C "$T/c-$name" download "$A" --from "$URL/$name" --keyring "$T/pub.gpg"
  expect_stderr "verification refused"
  expect_stderr "$msg"
  assert_no_template "$T/c-$name"
  echo "refused ($name): $(grep -o 'verification refused.*' "$T/stderr" | cut -c1-150)"
}
SIGN() { gpg --batch --yes --quiet --local-user "$1@test.invalid" --armor --detach-sign -o "$2.gpg" "$2"; }

case_dir other-key
own "$T/srv/other-key/SHA256SUMS.gpg"
SIGN other "$T/srv/other-key/SHA256SUMS"
refused other-key "no good signature by a trusted key"

case_dir unsigned
rm "$T/srv/unsigned/SHA256SUMS.gpg"
refused unsigned "is not signed"

case_dir sums-changed
own "$T/srv/sums-changed/SHA256SUMS"
sed -i "s/^[0-9a-f]*  index.json$/$(printf '%064d' 0)  index.json/" "$T/srv/sums-changed/SHA256SUMS"
refused sums-changed "no good signature"

case_dir index-changed
own "$T/srv/index-changed/index.json"
sed -i 's/"generator": "vztmpl [^"]*"/"generator": "someone else"/' "$T/srv/index-changed/index.json"
refused index-changed "index.json has sha256 .* (changed after signing)"

case_dir archive-changed
F="$T/srv/archive-changed/templates/$A/$BUILD/$A.tar.zst"
own "$F"
corrupt_byte "$F" 2000000
refused archive-changed "$A.tar.zst"

case_dir manifest-changed
F="$T/srv/manifest-changed/templates/$A/$BUILD/$A.json"
own "$F"
sed -i '0,/"version": "[^"]*"/s//"version": "0:0-evil"/' "$F"
refused manifest-changed "$A.json"

case_dir truncated
F="$T/srv/truncated/templates/$A/$BUILD/$A.tar.zst"
own "$F"
truncate -s $(($(stat -c %s "$F") / 3)) "$F"
refused truncated "$A.tar.zst"

# Signed by the right key but the manifest does not vouch for the archive:
# a publisher's mistake is refused too.
case_dir manifest-mismatch
F="$T/srv/manifest-mismatch/templates/$A/$BUILD/$A.json"
own "$F"
sed -i "s/\"sha256\": \"$SUM\"/\"sha256\": \"$(printf '%064d' 1)\"/" "$F"
own "$T/srv/manifest-mismatch/SHA256SUMS"
own "$T/srv/manifest-mismatch/SHA256SUMS.gpg"
sed -i "s|^[0-9a-f]*  templates/$A/$BUILD/$A.json\$|$(sha256sum "$F" | cut -d' ' -f1)  templates/$A/$BUILD/$A.json|" \
  "$T/srv/manifest-mismatch/SHA256SUMS"
SIGN pub "$T/srv/manifest-mismatch/SHA256SUMS"
refused manifest-mismatch "the manifest does not vouch for the archive"

expect_exit 2 "$VZTMPL" -C "$T/c-none" download no-such-template --from "$URL/good" --keyring "$T/pub.gpg"
expect_stderr "publishes no template no-such-template (it has: $A)"
assert_no_template "$T/c-none"

# --- retention and last-good, on small templates of one name ---
# make_tiny N: a template "tiny-1-x86_64" whose build differs by its epoch.
make_tiny() {
  d="$T/tiny$1"
  mkdir -p "$d/root/var/lib/dpkg"
  : >"$d/root/var/lib/dpkg/status"
  echo "build $1" >"$d/root/build"
  tar --zstd --sort=name --mtime="@$((1700000000 + $1))" --owner=0 --group=0 --numeric-owner \
    -cf "$d/tiny-1-x86_64.tar.zst" -C "$d/root" .
  python3 - "$d" "$1" <<'PY'
import hashlib, json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
a = os.path.join(d, "tiny-1-x86_64.tar.zst")
json.dump({"format": 1, "name": "tiny-1-x86_64", "distribution": "tiny", "release": "1", "codename": None,
           "variant": None, "architecture": "x86_64", "source_date_epoch": 1700000000 + n, "packages": [],
           "archive": {"file": "tiny-1-x86_64.tar.zst", "size": os.path.getsize(a),
                       "sha256": hashlib.sha256(open(a, "rb").read()).hexdigest()}},
          open(os.path.join(d, "tiny-1-x86_64.json"), "w"))
PY
}
S2="$T/srv/tiny"
for n in 1 2 3; do
  make_tiny $n
  expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$S2" --keep 2 --sign pub@test.invalid "$T/tiny$n/tiny-1-x86_64.json"
done
B1=20231114-221321-$(sha256sum "$T/tiny1/tiny-1-x86_64.tar.zst" | cut -c1-12)
B2=20231114-221322-$(sha256sum "$T/tiny2/tiny-1-x86_64.tar.zst" | cut -c1-12)
B3=20231114-221323-$(sha256sum "$T/tiny3/tiny-1-x86_64.tar.zst" | cut -c1-12)
[ "$(readlink "$S2/templates/tiny-1-x86_64/last-good")" = "$B3" ] || fail "last-good is not the newest verified build"
[ ! -e "$S2/templates/tiny-1-x86_64/$B1" ] || fail "--keep 2 kept the oldest of three builds"
[ ! -e "$S2/images/tiny/1/amd64/default/$B1" ] || fail "--keep 2 kept the oldest LXC build"
grep -q "$B1" "$S2/SHA256SUMS" "$S2/index.json" && fail "the dropped build is still listed"
python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["templates"][0]
assert [b["build"] for b in t["builds"]] == [sys.argv[2], sys.argv[3]], t
assert t["last_good"] == sys.argv[2], t' "$S2/index.json" "$B3" "$B2"
[ "$(grep -c tiny-1-x86_64.tar.zst "$S2/SHA256SUMS")" = 2 ] || fail "SHA256SUMS lists $(grep -c tiny-1-x86_64.tar.zst "$S2/SHA256SUMS") tiny archives, wanted 2"
# A fourth build that fails verification: refused, last-good stays.
make_tiny 4
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); m["packages"]=[{"name":"ghost","version":"1","architecture":"all"}]; json.dump(m, open(sys.argv[1],"w"))' "$T/tiny4/tiny-1-x86_64.json"
expect_exit 3 "$VZTMPL" -C "$CACHE" publish "$S2" --keep 2 --sign pub@test.invalid "$T/tiny4/tiny-1-x86_64.json"
expect_stderr "ghost"
[ "$(readlink "$S2/templates/tiny-1-x86_64/last-good")" = "$B3" ] || fail "last-good moved to a build that failed verification"
expect_exit 0 "$VZTMPL" -C "$T/c-tiny" download tiny-1-x86_64 --from "$URL/tiny" --keyring "$T/pub.gpg"
# Published with high compression: the same tar, recompressed.
zstd -qdc "$T/c-tiny/templates/tiny-1-x86_64.tar.zst" >"$T/tiny-dl.tar"
zstd -qdc "$T/tiny3/tiny-1-x86_64.tar.zst" >"$T/tiny3.tar"
cmp -s "$T/tiny-dl.tar" "$T/tiny3.tar" || fail "download did not fetch last-good"
echo "retention: --keep 2 of 3 builds, last-good -> $B3, a build failing verification never becomes last-good"

# --- acceptance 5: aplinfo.dat as pveam reads it (PVE::APLInfo's rules) ---
gpgv --keyring "$T/pub.gpg" "$SITE/aplinfo.dat.asc" "$SITE/aplinfo.dat" 2>/dev/null || fail "aplinfo.dat.asc does not verify"
gzip -dc "$SITE/aplinfo.dat.gz" | cmp -s - "$SITE/aplinfo.dat" || fail "aplinfo.dat.gz is not aplinfo.dat"
python3 - "$SITE/aplinfo.dat" "$URL/good" "$T/apl.download" <<'PY'
import hashlib, re, sys, urllib.request
path, source, tmp = sys.argv[1:]
text = open(path).read()
records = [r for r in re.split(r"\n\n+", text) if r.strip()]
assert records, "no records"
for rec in records:
    rec = rec.rstrip("\n") + "\n"
    res = {}
    while rec:
        m = re.match(r"Description:\s*([^\n]*)((?:\n\s+.*)*)$", rec, re.S | re.I)
        if m:
            res["headline"], rec = m.group(1), ""
            continue
        m = re.match(r"Version:\s*(.*\S)\s*\n", rec, re.I)
        if m:
            assert re.match(r"^(\d[a-zA-Z0-9\.\+\-\:\~]*)(-(\d+))?$", m.group(1)), "version " + m.group(1)
            res["version"], rec = m.group(1), rec[m.end():]
            continue
        m = re.match(r"Type:\s*(.*\S)\s*\n", rec, re.I)
        if m:
            assert m.group(1) in ("openvz", "lxc"), m.group(1)
            res["type"], rec = m.group(1), rec[m.end():]
            continue
        m = re.match(r"([^:]+):\s*(.*\S)\s*\n", rec)
        assert m, "unable to parse appliance record: " + rec
        res[m.group(1).lower()], rec = m.group(2), rec[m.end():]
    for k in ("package", "type", "os", "version", "infopage", "location", "md5sum", "sha512sum", "headline"):
        assert res.get(k), "missing " + k
    assert res["type"] == "lxc" and res["section"] == "system", res
    assert res["infopage"].startswith("https://tmpl.example/good/templates/"), res["infopage"]
    assert re.match(r"^[^<>]+ <[^@<>]+@[^@<>]+>$", res["maintainer"]), res["maintainer"]
    template = re.sub(r".*/([^/]+\.tar\.(gz|xz|zst))$", r"\1", res["location"])
    assert template.endswith(".tar.zst") and "/" not in template, template
    # Proxmox's own naming: the version in the file name, so builds differ.
    assert template == f"{res['os']}-minbase_{res['version']}_amd64.tar.zst", template
    assert not re.match(r"^[a-zA-Z]+://", res["location"])
    data = urllib.request.urlopen(source + "/" + res["location"]).read()
    assert hashlib.md5(data).hexdigest() == res["md5sum"], "md5sum"
    assert hashlib.sha512(data).hexdigest() == res["sha512sum"], "sha512sum"
    print(f"aplinfo: {res['package']} {res['version']} ({res['os']}, {res['architecture']}): "
          f"{len(data)} bytes, md5sum and sha512sum match")
PY

# --- acceptance 5: lxc-create -t download against the LXC layout ---
if ! command -v lxc-create >/dev/null || [ ! -f /usr/lib/lighttpd/mod_openssl.so ] || ! command -v wget >/dev/null; then
  echo "lxc: lxc-create, wget or lighttpd's mod_openssl missing (.ci/setup installs them): LXC check not run" >&2
  exit 1
fi
# lxc-download (LXC 5) fetches https://SERVER/ only: a second lighttpd with
# TLS and a certificate for 127.0.0.1 from a throw-away CA, which wget trusts through
# WGETRC; lxc-create hands its environment to the template.
make_ca "$T/tls" ca
serve_tls "$SITE" "$T/tls"
tport=$TLS_PORT
echo "ca_certificate = $T/tls/ca.pem" >"$T/wgetrc"
wait_until "lighttpd with TLS on port $tport" env WGETRC="$T/wgetrc" wget -q -O /dev/null "https://127.0.0.1:$tport/index.json"
mkdir -p "$T/lxc" "$T/lxc-cache"
expect_exit 0 env WGETRC="$T/wgetrc" LXC_CACHE_PATH="$T/lxc-cache" lxc-create -P "$T/lxc" -n vzt -t download -- \
  --server "127.0.0.1:$tport" -d debian -r bookworm -a amd64 --variant minbase
grep -q "vztmpl template $A, build $BUILD" "$T/stdout" || fail "lxc-create did not print our create-message: $(cat "$T/stdout")"
# lxc-download joins "https://SERVER/", the index's "/images/.../" and "/rootfs.tar.xz".
# The server writes its buffered access log out when it exits.
stop_server "$TLS_PID"
grep -Eq "\"GET /+images/debian/bookworm/amd64/minbase/$BUILD/+rootfs.tar.xz HTTP/[0-9.]+\" 200 " "$T/tls-access.log" ||
  { cat "$T/tls-access.log" >&2; fail "lxc-download fetched no rootfs.tar.xz"; }
grep -q '^lxc.include = /usr/share/lxc/config/common.conf$' "$T/lxc/vzt/config" || fail "the container config lacks common.conf"
grep -q '^lxc.arch = x86_64$' "$T/lxc/vzt/config" || fail "the container config lacks lxc.arch"
xz -dc "$SITE/$LXCDIR/rootfs.tar.xz" | tar -xOf - ./var/lib/dpkg/status | cmp -s - "$T/lxc/vzt/rootfs/var/lib/dpkg/status" ||
  fail "the LXC container's dpkg status is not the template's"
# A minbase has no init to start: what lxc-create applied is what the
# container boots with, its name in /etc/hostname and /etc/hosts.
[ "$(cat "$T/lxc/vzt/rootfs/etc/hostname")" = vzt ] || fail "lxc-create left /etc/hostname as: $(cat "$T/lxc/vzt/rootfs/etc/hostname")"
# (Debian's minbase has no /etc/hosts: netbase is not in it.)
[ ! -e "$T/lxc/vzt/rootfs/etc/hosts" ] || grep -q '^127.0.1.1.vzt$' "$T/lxc/vzt/rootfs/etc/hosts" ||
  fail "lxc-create left /etc/hosts without the container's name"
grep -q '^lxc.uts.name = vzt$' "$T/lxc/vzt/config" || fail "the container config does not name it"
n=$(cd "$T/lxc/vzt/rootfs" && find . | wc -l)
echo "lxc: lxc-create -t download made a container from the loopback server over https: $n paths, config with common.conf and lxc.arch, hostname and hosts naming it"
