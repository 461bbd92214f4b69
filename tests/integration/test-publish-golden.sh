#!/bin/sh
# Golden images keep their own identity when published: two golden images
# built on Debian 12 minbase and the plain template have three different
# keys in LXC's index (a golden image is its own distribution there), in
# aplinfo.dat (Location's file name carries the image and a per-build
# version, as Proxmox names its own) and in index.json; aplinfo's Infopage is
# an absolute URL under --base-url and Maintainer an address (the signing
# key's user id, or --maintainer); bad values for both are usage errors.
. "$(dirname "$0")/testlib.sh"
CACHE="$T/cache"
mkdir -p "$CACHE"

# tiny NAME EPOCH: a small template with a Debian 12 minbase manifest named NAME.
tiny() {
  d="$T/$1-$2"
  mkdir -p "$d/root/var/lib/dpkg"
  : >"$d/root/var/lib/dpkg/status"
  echo "$1 $2" >"$d/root/build"
  tar --zstd --sort=name --mtime="@$2" --owner=0 --group=0 --numeric-owner -cf "$d/$1.tar.zst" -C "$d/root" .
  python3 - "$d" "$1" "$2" <<'PY'
import hashlib, json, os, sys
d, name, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = os.path.join(d, name + ".tar.zst")
json.dump({"format": 1, "name": name, "distribution": "debian", "release": "12", "codename": "bookworm",
           "variant": "minbase", "architecture": "x86_64", "source_date_epoch": epoch, "packages": [],
           "archive": {"file": name + ".tar.zst", "size": os.path.getsize(a),
                       "sha256": hashlib.sha256(open(a, "rb").read()).hexdigest()}},
          open(os.path.join(d, name + ".json"), "w"))
PY
  TINY="$d/$1.json"
}

make_key pub
SITE="$T/site"
BASE=https://tmpl.example/pub
tiny debian-12-x86_64-minbase 1790000000; PLAIN=$TINY
tiny acme-web-x86_64 1790000100; WEB=$TINY
tiny acme-db-x86_64 1790000200; DB=$TINY
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$SITE" --sign pub@test.invalid --base-url "$BASE/" "$PLAIN" "$WEB" "$DB"

python3 - "$SITE" "$BASE" <<'PY' || fail "the published indices mix golden and plain templates up"
import json, os, re, sys
site, base = sys.argv[1:]
lxc = [l.split(";") for l in open(os.path.join(site, "meta/1.0/index-system")).read().splitlines()]
keys = sorted(";".join(l[:4]) for l in lxc)
assert keys == ["acme-db;bookworm;amd64;minbase", "acme-web;bookworm;amd64;minbase",
                "debian;bookworm;amd64;minbase"], keys
for l in lxc:
    assert l[5].startswith("/images/" + l[0] + "/bookworm/amd64/minbase/"), l
    assert os.path.isfile(os.path.join(site, l[5].strip("/"), "rootfs.tar.xz")), l
print("lxc: three keys:", ", ".join(keys))

stanzas = [dict(re.findall(r"^([A-Za-z0-9]+): (.*)$", s, re.M)) for s in open(os.path.join(site, "aplinfo.dat")).read().split("\n\n")]
names = sorted(os.path.basename(s["Location"]) for s in stanzas)
assert len(set(names)) == 3, names
want = {"debian-12-minbase": "debian-12-x86_64-minbase", "acme-web": "acme-web-x86_64", "acme-db": "acme-db-x86_64"}
for s in stanzas:
    f = os.path.basename(s["Location"])
    m = re.match(r"^([a-z0-9.-]+)_(\d[A-Za-z0-9.+:~]*)-1_amd64\.tar\.zst$", f)
    assert m and want[m.group(1)] == s["Package"], (f, s["Package"])
    assert s["Version"] == m.group(2) + "-1", (s["Version"], f)
    assert os.path.isfile(os.path.join(site, s["Location"])), s["Location"]
    assert s["Infopage"].startswith(base + "/templates/" + s["Package"] + "/") and s["Infopage"].endswith(".json"), s["Infopage"]
    assert os.path.isfile(os.path.join(site, s["Infopage"][len(base) + 1:])), s["Infopage"]
    assert s["Maintainer"] == "vztmpl test pub <pub@test.invalid>", s["Maintainer"]
print("aplinfo: three Locations:", ", ".join(names) + "; Infopage absolute, Maintainer from the key")

idx = json.load(open(os.path.join(site, "index.json")))
tn = sorted(t["name"] for t in idx["templates"])
assert tn == ["acme-db-x86_64", "acme-web-x86_64", "debian-12-x86_64-minbase"], tn
print("index.json: three templates:", ", ".join(tn))
PY
(cd "$SITE" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the published files"
gpgv --keyring "$T/pub.gpg" "$SITE/aplinfo.dat.asc" "$SITE/aplinfo.dat" 2>/dev/null || fail "aplinfo.dat.asc does not verify"

# A new build of a golden image has its own Proxmox file name; the base URL
# and a --maintainer given now are kept for later runs.
first=$(grep '^Location: .*acme-web_' "$SITE/aplinfo.dat")
tiny acme-web-x86_64 1790000900
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$SITE" --sign pub@test.invalid --maintainer 'ACME Ops <ops@acme.example>' "$TINY"
second=$(grep '^Location: .*acme-web_' "$SITE/aplinfo.dat")
[ -n "$second" ] && [ "$first" != "$second" ] || fail "two builds of acme-web share the Location $second"
grep -q "^Infopage: $BASE/templates/acme-web-x86_64/" "$SITE/aplinfo.dat" || fail "the base URL was not kept"
[ "$(grep -c '^Maintainer: ACME Ops <ops@acme.example>$' "$SITE/aplinfo.dat")" = 3 ] || fail "--maintainer not used"
echo "rebuild: ${first#*/acme-web-x86_64/} -> ${second#*/acme-web-x86_64/}; base URL kept, --maintainer used"

# Without --base-url ever, no relative Infopage (a broken link in the GUI).
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$T/nobase" "$PLAIN"
grep -q '^Infopage:' "$T/nobase/aplinfo.dat" && fail "an Infopage without a base URL: $(grep '^Infopage:' "$T/nobase/aplinfo.dat")"
expect_stderr "base-url"
echo "no base URL: no Infopage, and publish says to give --base-url"

expect_exit 2 "$VZTMPL" -C "$CACHE" publish "$T/bad" --base-url "tmpl.example/x" "$PLAIN"
expect_stderr "http:// or https://"
expect_exit 2 "$VZTMPL" -C "$CACHE" publish "$T/bad" --base-url "$(printf 'https://a/\nInfopage: x')" "$PLAIN"
expect_exit 2 "$VZTMPL" -C "$CACHE" publish "$T/bad" --maintainer "ACME Ops" "$PLAIN"
expect_stderr "Name <user@host>"
[ ! -e "$T/bad" ] || fail "a usage error created the directory"
echo "usage: a base URL without scheme or with a newline, a maintainer without address: exit 2, nothing written"
