#!/bin/sh
# A template's SBOM: `vztmpl sbom` on the Debian 12 minbase template is a valid
# SPDX 2.3 document naming every package of the manifest with its purl and
# SHA-256, the licenses of its machine-readable copyright files and its
# dependencies, the same bytes for the same SOURCE_DATE_EPOCH; a build writes
# it beside the template and beside -o's archive, with each package's URL;
# publish and download carry it under the signed SHA256SUMS.
. "$(dirname "$0")/testlib.sh"
need_root
command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null ||
  skip "needs python3-jsonschema to validate the SBOM"
SCHEMAS=${VZTMPL_SCHEMAS:-$SRC_DIR/../shared/schemas}
SCHEMA=$SCHEMAS/spdx-2.3.schema.json
[ -e "$SCHEMA" ] ||
  skip "the SPDX 2.3 JSON schema is not at $SCHEMA (set VZTMPL_SCHEMAS to the directory that holds it)"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
# Built only when missing: this test reads the template, and copies it to change it.
[ -f "$CACHE/templates/$TPL.json" ] || expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase

# A throw-away cache holding only this template: the shared one stays as it is.
C="$T/c"
mkdir -p "$C/templates"
cp -a "$CACHE/templates/$TPL.json" "$CACHE/templates/$TPL.tar.zst" "$C/templates/"
rm -f "$C/templates/$TPL.spdx.json"

# validate SBOM: against the SPDX 2.3 JSON schema.
validate() {
  python3 -c 'import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$1" "$SCHEMA" ||
    fail "$1 is not valid SPDX 2.3 JSON"
}

# --- the minbase template, made from its manifest and archive ---
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$C" sbom "$TPL"
mv "$T/stdout" "$T/one.json"
validate "$T/one.json"
echo "sbom $TPL: valid SPDX 2.3 ($(wc -c <"$T/one.json") bytes)"
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$C" sbom --format spdx "$TPL"
cmp -s "$T/one.json" "$T/stdout" || fail "two runs with the same SOURCE_DATE_EPOCH differ"
echo "two runs with SOURCE_DATE_EPOCH=1700000000: byte-identical"
[ ! -e "$C/templates/$TPL.spdx.json" ] || fail "sbom wrote into the cache"

# An archive that is not the one its manifest names is refused (exit 3).
mkdir -p "$T/bad/templates"
cp -a "$C/templates/$TPL.json" "$C/templates/$TPL.tar.zst" "$T/bad/templates/"
corrupt_byte "$T/bad/templates/$TPL.tar.zst" 100000
expect_exit 3 "$VZTMPL" -C "$T/bad" sbom "$TPL"
expect_stderr "its manifest says"
[ ! -s "$T/stdout" ] || fail "sbom printed something for a damaged archive"
echo "sbom of an archive its manifest does not vouch for: exit 3, nothing printed"

# The copyright files as dpkg installed them: which are machine-readable.
mkdir "$T/docs"
tar -C "$T/docs" --zstd -xf "$C/templates/$TPL.tar.zst" --wildcards './usr/share/doc/*/copyright'
python3 - "$T/one.json" "$C/templates/$TPL.json" "$T/docs/usr/share/doc" <<'PY'
import json, os, sys
doc, man, docs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
def fail(msg): sys.exit("FAIL: " + msg)
if doc["creationInfo"]["created"] != "2023-11-14T22:13:20Z":
    fail("created is %s, not SOURCE_DATE_EPOCH's time" % doc["creationInfo"]["created"])
if not doc["documentNamespace"].endswith(man["archive"]["sha256"]):
    fail("the namespace %s does not name the archive's sha256" % doc["documentNamespace"])
if doc["creationInfo"]["creators"][0].split("-")[0] != "Tool: vztmpl":
    fail("creators: %s" % doc["creationInfo"]["creators"])
pk = {p["SPDXID"]: p for p in doc["packages"]}
tpl = pk["SPDXRef-Template"]
if tpl["checksums"] != [{"algorithm": "SHA256", "checksumValue": man["archive"]["sha256"]}]:
    fail("the template's checksum is not its archive's")
by_name = {p["name"]: p for p in doc["packages"] if p["SPDXID"] != "SPDXRef-Template"}
for m in man["packages"]:
    p = by_name.get(m["name"])
    if not p:
        fail("package %s of the manifest is missing" % m["name"])
    purls = [r["referenceLocator"] for r in p.get("externalRefs", []) if r["referenceType"] == "purl"]
    if not purls or not purls[0].startswith("pkg:deb/debian/%s@" % m["name"].replace("+", "%2B")) \
            or "distro=debian-12" not in purls[0] or "arch=" + m["architecture"] not in purls[0]:
        fail("package %s: purl %s" % (m["name"], purls))
    if p["checksums"] != [{"algorithm": "SHA256", "checksumValue": m["sha256"]}]:
        fail("package %s: checksums %s, the manifest says %s" % (m["name"], p["checksums"], m["sha256"]))
    if p["versionInfo"] != m["version"] or not p["supplier"].startswith("Organization: "):
        fail("package %s: version %s, supplier %s" % (m["name"], p["versionInfo"], p["supplier"]))
if len(by_name) != len(man["packages"]):
    fail("%d packages in the SBOM, %d in the manifest" % (len(by_name), len(man["packages"])))
print("all %d packages of the manifest: purl, SHA-256, version, supplier" % len(man["packages"]))
bash = by_name["bash"]["externalRefs"][0]["referenceLocator"]
ver = by_name["bash"]["versionInfo"].replace("+", "%2B")
if bash != "pkg:deb/debian/bash@%s?arch=amd64&distro=debian-12" % ver:
    fail("bash's purl is %s" % bash)

# Licenses: every package whose copyright file is copyright-format 1.0
# declares some; the others NOASSERTION.
dep5 = []
for name, p in sorted(by_name.items()):
    path = os.path.join(docs, name, "copyright")
    if not os.path.exists(path):  # a doc directory that is a link to another package's
        link = os.path.join(docs, name)
        path = os.path.join(docs, os.path.basename(os.readlink(link)), "copyright") if os.path.islink(link) else None
    first = open(path, errors="replace").readline() if path and os.path.exists(path) else ""
    machine = first.startswith("Format:") and "copyright-format/1.0" in first
    declared = p["licenseDeclared"]
    if machine != (declared != "NOASSERTION"):
        fail("package %s: copyright %s machine-readable, licenseDeclared %s" % (name, "is" if machine else "is not", declared))
    if machine:
        dep5.append(name)
want = {"bash": "GPL-3.0-or-later", "dpkg": "GPL-2.0-or-later", "zlib1g": "Zlib", "tar": "GPL-3.0-or-later"}
for name, lic in want.items():
    if lic not in by_name[name]["licenseDeclared"].split(" "):
        fail("%s declares %s, without %s" % (name, by_name[name]["licenseDeclared"], lic))
refs = {e["licenseId"] for e in doc.get("hasExtractedLicensingInfos", [])}
for p in by_name.values():
    for w in p["licenseDeclared"].replace("(", " ").replace(")", " ").split():
        if w.startswith("LicenseRef-") and w not in refs:
            fail("%s uses %s, which hasExtractedLicensingInfos lacks" % (p["name"], w))
print("licenses: %d of %d packages have machine-readable copyright files and declare "
      "their licenses (zlib1g %s), the rest NOASSERTION" % (len(dep5), len(by_name), by_name["zlib1g"]["licenseDeclared"]))

# Relationships: the document describes the template, which contains every
# package; bash depends on what its Depends and Pre-Depends name.
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
if ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Template") not in rel:
    fail("the document does not describe the template")
for p in by_name.values():
    if ("SPDXRef-Template", "CONTAINS", p["SPDXID"]) not in rel:
        fail("the template does not contain %s" % p["name"])
ids = {p["name"]: p["SPDXID"] for p in by_name.values()}
for dep in ["libc6", "libtinfo6", "base-files", "debianutils"]:
    if (ids["bash"], "DEPENDS_ON", ids[dep]) not in rel:
        fail("bash does not depend on %s" % dep)
deps = sum(1 for r in rel if r[1] == "DEPENDS_ON")
print("relationships: DESCRIBES, %d CONTAINS, %d DEPENDS_ON (bash on libc6, libtinfo6, base-files, debianutils)" % (len(by_name), deps))
PY

# The same SBOM as CycloneDX 1.5 JSON: the same packages, hashes, purls, licenses.
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$C" sbom --format cyclonedx "$TPL"
mv "$T/stdout" "$T/one.cdx.json"
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$C" sbom --format cyclonedx "$TPL"
cmp -s "$T/one.cdx.json" "$T/stdout" || fail "two CycloneDX runs differ"
python3 - "$T/one.cdx.json" "$T/one.json" <<'PY'
import json, re, sys
bom, spdx = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def fail(msg): sys.exit("FAIL: " + msg)
if bom["bomFormat"] != "CycloneDX" or bom["specVersion"] != "1.5" or \
        not re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", bom["serialNumber"]):
    fail("CycloneDX header: %s %s %s" % (bom["bomFormat"], bom["specVersion"], bom["serialNumber"]))
pk = [p for p in spdx["packages"] if p["SPDXID"] != "SPDXRef-Template"]
comps = {c["name"]: c for c in bom["components"]}
if len(comps) != len(pk):
    fail("%d components, %d SPDX packages" % (len(comps), len(pk)))
for p in pk:
    c = comps[p["name"]]
    if c["purl"] != p["externalRefs"][0]["referenceLocator"] or \
            c["hashes"] != [{"alg": "SHA-256", "content": p["checksums"][0]["checksumValue"]}] or \
            (p["licenseDeclared"] != "NOASSERTION") != ("licenses" in c):
        fail("component %s differs from its SPDX package" % p["name"])
deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
if comps["libc6"]["bom-ref"] not in deps[comps["bash"]["bom-ref"]]:
    fail("bash's dependencies lack libc6")
print("cyclonedx: %d components with the SPDX document's purls, hashes and licenses; the same bytes twice" % len(comps))
PY

# --- a build writes it, beside the template and beside -o ---
buildable_repo
write_recipe "$T/test.conf" "$URL" "$T/good.gpg" hello-vzt
B="$T/b"
NAME=testdist-1-x86_64
mkdir "$T/out"
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$B" build "$T/test.conf" -o "$T/out/t.tar.gz"
SBOM="$B/templates/$NAME.spdx.json"
[ -s "$SBOM" ] || fail "the build wrote no $SBOM"
[ -s "$T/out/t.spdx.json" ] || fail "the build wrote no SBOM beside -o's archive"
validate "$SBOM"
validate "$T/out/t.spdx.json"
python3 - "$SBOM" "$T/out/t.spdx.json" "$T/out/t.tar.gz" "$URL" <<'PY'
import hashlib, json, sys
doc, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def fail(msg): sys.exit("FAIL: " + msg)
pk = {p["name"]: p for p in doc["packages"]}
hello = pk["hello-vzt"]
if hello["downloadLocation"] != sys.argv[4] + "/pool/main/hello-vzt_1.0_all.deb":
    fail("hello-vzt's downloadLocation is %s" % hello["downloadLocation"])
if hello["supplier"] != "Organization: vztmpl tests (tests@test.invalid)":
    fail("hello-vzt's supplier is %s" % hello["supplier"])
if hello["licenseDeclared"] != "NOASSERTION":
    fail("hello-vzt has no copyright file but declares %s" % hello["licenseDeclared"])
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
for dep in ["base-vzt", "hostbase-vzt"]:
    if (hello["SPDXID"], "DEPENDS_ON", pk[dep]["SPDXID"]) not in rel:
        fail("hello-vzt does not depend on %s" % dep)
sha = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
tpl = [p for p in out["packages"] if p["SPDXID"] == "SPDXRef-Template"][0]
if tpl["checksums"][0]["checksumValue"] != sha or not out["documentNamespace"].endswith(sha):
    fail("the SBOM beside -o does not describe -o's archive")
print("build: %s written, hello-vzt from %s, depending on base-vzt and hostbase-vzt; "
      "the one beside -o names its .tar.gz" % (sys.argv[1].split("/")[-1], hello["downloadLocation"]))
PY
expect_exit 0 "$VZTMPL" -C "$B" sbom "$NAME"
cmp -s "$T/stdout" "$SBOM" || fail "sbom does not print the SBOM the build wrote"
mv "$SBOM" "$T/written.json"
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$B" sbom "$NAME"
cmp -s "$T/stdout" "$T/written.json" || fail "the SBOM made again differs from the build's"
echo "sbom prints the build's SBOM; made again from manifest and archive: the same bytes"
# One describing another archive (a rebuild by a vztmpl that wrote none) is made again.
cp "$T/one.json" "$SBOM"
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$B" sbom "$NAME"
cmp -s "$T/stdout" "$T/written.json" || fail "sbom printed an SBOM of another archive"
echo "an SBOM of another archive beside the template: made again, not printed"
expect_exit 0 "$VZTMPL" -C "$B" --json list templates
python3 -c 'import json, sys; n = [t["name"] for t in json.load(open(sys.argv[1]))]; sys.exit(0 if n == ["testdist-1-x86_64"] else "FAIL: list shows %s" % n)' "$T/stdout"
echo "list templates: the template only, its SBOM is no manifest"

# --- publish carries it, download fetches it, both checked by the signed list ---
# (the stale SBOM is still beside the template: publish makes the right one)
expect_exit 0 "$VZTMPL" -C "$B" publish "$T/site" --sign good@test.invalid "$NAME"
BUILD=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["templates"][0]["last_good"])' "$T/site/index.json")
PUB="templates/$NAME/$BUILD/$NAME.spdx.json"
[ -f "$T/site/$PUB" ] || fail "publish wrote no SBOM at $PUB"
# Publishing recompresses the archive: the SBOM served describes those bytes
# (its namespace and the template's checksum), the packages as the build's.
ARCHIVE_SHA=$(sha256sum "$T/site/templates/$NAME/$BUILD/$NAME.tar.zst" | cut -d' ' -f1)
python3 - "$T/site/$PUB" "$T/written.json" "$ARCHIVE_SHA" <<'PY'
import json, sys
pub, built, sha = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
if sha not in pub["documentNamespace"]:
    sys.exit("FAIL: the published SBOM's namespace names another archive: %s" % pub["documentNamespace"])
tpl = [p for p in pub["packages"] if p["SPDXID"] == "SPDXRef-Template"][0]
if [c["checksumValue"] for c in tpl.get("checksums", [])] != [sha]:
    sys.exit("FAIL: the published SBOM's template checksum is not the published archive's")
rest = lambda d: [p for p in d["packages"] if p["SPDXID"] != "SPDXRef-Template"]
if rest(pub) != rest(built) or pub["relationships"] != built["relationships"]:
    sys.exit("FAIL: the published SBOM's packages differ from the build's")
PY
grep -q "^$(sha256sum "$T/site/$PUB" | cut -d' ' -f1)  $PUB\$" "$T/site/SHA256SUMS" ||
  fail "SHA256SUMS does not list $PUB"
python3 - "$T/site/index.json" "$PUB" "$(sha256sum "$T/site/$PUB" | cut -d' ' -f1)" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["templates"][0]["builds"][0]
if b.get("sbom") != sys.argv[2] or b.get("sbom_sha256") != sys.argv[3]:
    sys.exit("FAIL: index.json's build says sbom %s, sbom_sha256 %s" % (b.get("sbom"), b.get("sbom_sha256")))
PY
expect_exit 0 "$VZTMPL" -C "$T/d" download "$NAME" --from "file://$T/site" --keyring "$T/good.gpg"
cmp -s "$T/d/templates/$NAME.spdx.json" "$T/site/$PUB" || fail "download did not bring the SBOM"
echo "publish: $PUB, in SHA256SUMS and index.json; download: the same bytes into the cache"
# An SBOM changed after signing is refused, and nothing lands in the cache.
echo ' ' >>"$T/site/$PUB"
expect_exit 3 "$VZTMPL" -C "$T/d2" download "$NAME" --from "file://$T/site" --keyring "$T/good.gpg"
[ ! -e "$T/d2/templates/$NAME.json" ] || fail "a download with a changed SBOM left a template"
echo "download with an SBOM changed after signing: exit 3, cache unchanged"

# --- an RPM template: purls, License tags and Requires from its rpmdb ---
if ! command -v rpmbuild >/dev/null || ! command -v createrepo_c >/dev/null; then
  echo "rpm: skipped (needs rpmbuild and createrepo_c, Debian packages rpm and createrepo-c)"
  exit 0
fi
. "$TESTS_DIR/rpmlib.sh"
stop_server
rpm_test_packages
mkdir -p "$T/rpmrepo/main"
cp "$T"/rpms/*/*.rpm "$T/rpmrepo/main/"
createrepo_c --quiet "$T/rpmrepo/main" || fail "createrepo_c"
gpg --batch --yes --quiet --local-user "good@test.invalid" --armor --detach-sign \
  -o "$T/rpmrepo/main/repodata/repomd.xml.asc" "$T/rpmrepo/main/repodata/repomd.xml"
FPR=$(gpg --batch --with-colons --fingerprint "good@test.invalid" | awk -F: '$1 == "fpr" { print $10; exit }')
serve "$T/rpmrepo"
cat >"$T/rpmtest.conf" <<RECIPE
[template]
distribution = rpmtest
release = 1
architectures = x86_64
variants = base
[repository main]
family = rpm-md
mirror = $URL
suites = main
keyring = $T/good.gpg
keys = $FPR
package-signature = none
[packages]
base = none
[variant base]
install = app
RECIPE
expect_exit 0 env SOURCE_DATE_EPOCH=1700000000 "$VZTMPL" -C "$T/r" build "$T/rpmtest.conf"
RSBOM="$T/r/templates/rpmtest-1-x86_64.spdx.json"
validate "$RSBOM"
python3 - "$RSBOM" "$T/r/templates/rpmtest-1-x86_64.json" "$URL" <<'PY'
import json, sys
doc, man = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def fail(msg): sys.exit("FAIL: " + msg)
pk = {p["name"]: p for p in doc["packages"]}
for m in man["packages"]:
    p = pk.get(m["name"])
    purl = "pkg:rpm/rpmtest/%s@%s?arch=%s&distro=rpmtest-1" % (m["name"], m["version"], m["architecture"])
    if not p or p["externalRefs"][0]["referenceLocator"] != purl:
        fail("package %s: %s, wanted purl %s" % (m["name"], p and p["externalRefs"], purl))
    if p["checksums"][0]["checksumValue"] != m["sha256"] or p["licenseDeclared"] != "MIT":
        fail("package %s: checksums %s, license %s" % (m["name"], p["checksums"], p["licenseDeclared"]))
    if not p["downloadLocation"].startswith(sys.argv[3] + "/"):
        fail("package %s comes from %s" % (m["name"], p["downloadLocation"]))
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in doc["relationships"]}
if (pk["app"]["SPDXID"], "DEPENDS_ON", pk["basesys"]["SPDXID"]) not in rel:
    fail("app does not depend on basesys")
print("rpm: %d packages with rpm purls, License MIT from the rpmdb, app DEPENDS_ON basesys" % len(man["packages"]))
PY
