#!/bin/sh
# deploy holds a template to its manifest's unpacked_size and entry count:
# a few KB of archive with 200 MB of zeros in it, or 5000 empty files where
# the manifest counts 10, is refused (exit 3) and leaves no root behind.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root

# 200 MB of zeros, streamed into a tar and compressed, never on disk whole.
python3 - <<'PY' | zstd -q -19 -o "$T/zeros.tar.zst"
import sys, tarfile
class Zeros:
    def __init__(self, n): self.n = n
    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n); self.n -= k; return b"\0" * k
with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("./"); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    i = tarfile.TarInfo("./small"); i.size = 1000; t.addfile(i, Zeros(1000))
    i = tarfile.TarInfo("./zeros"); i.size = 200 << 20; t.addfile(i, Zeros(200 << 20))
PY
zstd -q -d -o "$T/zeros.tar" "$T/zeros.tar.zst"
seal "$T/zeros.tar" bomb 1000 3
rm -f "$T/zeros.tar"
echo "archive: $(stat -c %s "$T/tpl/bomb.tar.zst") bytes, 200 MB unpacked, manifest says 1000 bytes"
expect_exit 3 "$VZTMPL" deploy "$T/tpl/bomb.json" "$T/ct/root"
expect_stderr "unpacks to more than"
[ ! -e "$T/ct/root" ] || fail "a refused bomb left the root ($(du -sh "$T/ct/root" | cut -f1))"
echo "200 MB of zeros against an unpacked_size of 1000: refused (exit 3), no root left"
if rootless; then
  rootless_skip "overlay mode" "an ordinary user's vztmpl refuses --mode overlay before it reads the template"
  expect_exit 1 "$VZTMPL" -C "$T/cache" deploy --mode overlay "$T/tpl/bomb.json" "$T/ov/root"
  expect_stderr "overlay needs root"
  [ ! -e "$T/ov/root" ] || fail "a refused overlay deploy left a root"
else
  expect_exit 3 "$VZTMPL" -C "$T/cache" deploy --mode overlay "$T/tpl/bomb.json" "$T/ov/root"
  [ ! -e "$T/ov/root" ] && [ -z "$(ls -A "$T/cache/unpacked" 2>/dev/null)" ] || fail "a refused bomb left an overlay root or unpacked tree"
  echo "the same in overlay mode: refused, nothing in the cache"
fi

# Entries: 5000 empty files, the manifest counts 10.
python3 - "$T/many.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for n in range(5000):
        t.addfile(tarfile.TarInfo("./e%05d" % n))
PY
seal "$T/many.tar" many 0 10
expect_exit 3 "$VZTMPL" deploy "$T/tpl/many.json" "$T/ct/root"
expect_stderr "more than 74 entries"
[ ! -e "$T/ct/root" ] || fail "a refused entry bomb left the root"
echo "5000 entries against a count of 10 (bound 74): refused (exit 3), no root left"

# Within the counts, the same kind of template deploys.
seal "$T/many.tar" many
expect_exit 0 "$VZTMPL" deploy "$T/tpl/many.json" "$T/ct/root"
[ "$(ls "$T/ct/root" | wc -l)" = 5000 ] || fail "the honest template lost files"
echo "the same 5000 entries with a true manifest: deployed"
