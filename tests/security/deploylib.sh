# Helpers for the deploy tests: hand-made templates (a tar made by Python's
# tarfile, compressed with zstd, beside a manifest with its true hash).
# shellcheck shell=sh

# seal TAR NAME [UNPACKED_SIZE [ENTRIES]]: TAR becomes $T/tpl/NAME.tar.zst and
# $T/tpl/NAME.json; the sizes are the tar's own unless given.
seal() {
  mkdir -p "$T/tpl"
  zstd -q -f -o "$T/tpl/$2.tar.zst" "$1"
  python3 - "$1" "$T/tpl/$2.tar.zst" "$2" "${3:-}" "${4:-}" <<'PY'
import hashlib, json, sys, tarfile
tar, zst, name, unpacked, entries = sys.argv[1:]
size = count = 0
with tarfile.open(tar, "r|") as t:
    for m in t:
        count += 1
        if m.isreg():
            size += m.size
data = open(zst, "rb").read()
json.dump({"format": 1, "name": name,
           "archive": {"file": name + ".tar.zst", "sha256": hashlib.sha256(data).hexdigest(),
                       "size": len(data), "unpacked_size": int(unpacked) if unpacked else size,
                       "entries": int(entries) if entries else count}},
          open(zst[:-len(".tar.zst")] + ".json", "w"), indent=1)
PY
}

# small_tar TAR N: a tar of a root-owned tree with N small files under ./etc.
small_tar() {
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for d in ("./", "./etc/"):
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    for n in range(int(sys.argv[2])):
        body = ("file %d\n" % n).encode() * 20
        i = tarfile.TarInfo("./etc/f%05d" % n); i.size = len(body); i.mode = 0o644
        t.addfile(i, io.BytesIO(body))
PY
}
