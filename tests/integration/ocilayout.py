#!/usr/bin/env python3
"""An OCI image layout of one vztmpl template, as vztmpl's oci export writes it.

The template archive's bytes are the image's one layer (zstd, so its digest
is the manifest's archive_sha256); the vztmpl manifest is a blob the image
manifest names in the org.vztmpl.manifest.digest annotation. With --index
the image sits under an image index, as several platforms would.

With --lie the vztmpl manifest names another archive hash than the layer's,
as a tampered image would.

Usage: ocilayout.py OUT TEMPLATE-DIR NAME [--index] [--lie]
"""
import hashlib, json, os, sys
out, tdir, name = sys.argv[1:4]
index = "--index" in sys.argv
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{h}", "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
def canon(o): return json.dumps(o, sort_keys=True, separators=(",", ":")).encode()
archive = open(f"{tdir}/{name}.tar.zst", "rb").read()
layer = blob(archive); layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd"
manifest = open(f"{tdir}/{name}.json", "rb").read()
if "--lie" in sys.argv:
    m = json.loads(manifest)
    m["archive"]["sha256"] = "0" * 64
    manifest = json.dumps(m, indent=2).encode()
vzt = blob(manifest)
cfg = blob(canon({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}))
cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
man = canon({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": cfg,
             "layers": [layer], "annotations": {"org.vztmpl.manifest.digest": vzt["digest"]}})
md = blob(man); md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
md["platform"] = {"architecture": "amd64", "os": "linux"}
top = md
if index:
    ix = blob(canon({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [md]}))
    ix["mediaType"] = "application/vnd.oci.image.index.v1+json"
    top = ix
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(out + "/index.json", "wb").write(canon({"schemaVersion": 2, "manifests": [top]}))
