#!/bin/sh
# Hostile input: packages in a correctly signed repository whose data.tar
# tries to escape the root (".." paths, absolute paths, writing through its
# own symlink, hard links out, device nodes, a set-id program anyone may
# rewrite), declares enormous sizes or is
# a decompression bomb; an index that lies about a package's size or lists
# one package twice, the later time as Essential; recipes
# that are malformed. Each is refused with its exact exit status and a clear
# message, nothing lands in the cache's templates/, and the host paths aimed
# at stay untouched.
. "$(dirname "$0")/testlib.sh"
need_root

OUT="$T/outside"
mkdir "$OUT"
echo original >"$OUT/victim"
POOL="$T/repo/pool/main"
mkdir -p "$POOL"
make_key good

# evil_deb NAME KIND: a .deb whose data.tar is crafted by KIND.
evil_deb() {
  python3 - "$POOL" "$1" "$2" "$OUT" <<'PY'
import io, lzma, os, sys, tarfile, time
pool, name, kind, outside = sys.argv[1:5]

def tar_xz(add):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        add(t)
    return lzma.compress(buf.getvalue())

def entry(t, n, kind=tarfile.REGTYPE, data=b"pwned\n", link="", size=None, mode=0o644):
    i = tarfile.TarInfo(n); i.type = kind; i.linkname = link; i.mode = mode; i.mtime = 1700000000
    if kind == tarfile.REGTYPE:
        i.size = len(data) if size is None else size
        t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)

def data(t):
    entry(t, "./", tarfile.DIRTYPE, mode=0o755)
    entry(t, "./usr/", tarfile.DIRTYPE, mode=0o755)
    if kind == "dotdot":
        entry(t, "./../../../../../.." + outside + "/pwned")
    elif kind == "absolute":
        entry(t, outside + "/pwned")
    elif kind == "symlink":
        entry(t, "./usr/escape", tarfile.SYMTYPE, link=outside)
        entry(t, "./usr/escape/pwned")
    elif kind == "hardlink":
        entry(t, "./usr/hl", tarfile.LNKTYPE, link=outside + "/victim")
    elif kind == "device":
        i = tarfile.TarInfo("./usr/sda"); i.type = tarfile.BLKTYPE; i.devmajor, i.devminor = 8, 0
        t.addfile(i)
    elif kind == "setuid":
        entry(t, "./usr/suid-shell", data=b"#!/bin/sh\n", mode=0o4777)
    elif kind == "bomb":
        entry(t, "./usr/zeros", data=bytes(64 << 20))

def raw_data():
    if kind != "huge":
        return tar_xz(data)
    # A header declaring 1 TiB, followed by a few bytes only.
    i = tarfile.TarInfo("./usr/huge"); i.size = 1 << 40; i.mode = 0o644
    return lzma.compress(i.tobuf(format=tarfile.GNU_FORMAT) + b"x" * 1024)

control = (f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@test.invalid>\n"
           f"Installed-Size: 4\nDescription: hostile {kind}\n").encode()
def ctrl(t):
    i = tarfile.TarInfo("./control"); i.size = len(control); i.mode = 0o644
    t.addfile(i, io.BytesIO(control))
members = [(b"debian-binary", b"2.0\n"), (b"control.tar.xz", tar_xz(ctrl)), (b"data.tar.xz", raw_data())]
out = b"!<arch>\n"
for n, d in members:
    out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (n, 1700000000, 0, 0, b"100644", len(d)) + d
    if len(d) % 2:
        out += b"\n"
open(os.path.join(pool, f"{name}_1.0_all.deb"), "wb").write(out)
PY
}

for kind in dotdot absolute symlink hardlink device setuid bomb huge; do
  evil_deb "evil-$kind" "$kind"
done
make_deb "$POOL" liar 1.0
make_deb "$POOL" dupe 1.0
make_deb "$POOL" twin 1.0
make_deb "$POOL" loop-a 1.0 loop-b
make_deb "$POOL" loop-b 1.0 loop-a
make_repo "$T/repo" testing good 7
make_repo "$T/repo" lies good 7
make_repo "$T/repo" repeats good 7

# edit_index SUITE PYTHON: changes SUITE's Packages with PYTHON (on s), then
# hashes and signs its Release again, as a repository that lies would.
edit_index() {
  python3 - "$T/repo/dists/$1" "$2" <<'PY'
import hashlib, os, re, sys
d, code = sys.argv[1:3]
p = os.path.join(d, "main/binary-amd64/Packages")
s = open(p).read()
exec(code)
open(p, "w").write(s)
PY
  xz -k -f "$T/repo/dists/$1/main/binary-amd64/Packages"
  python3 - "$T/repo/dists/$1" <<'PY'
import hashlib, os, re, sys
d = sys.argv[1]
r = open(os.path.join(d, "Release")).read()
for f in ("main/binary-amd64/Packages", "main/binary-amd64/Packages.xz"):
    b = open(os.path.join(d, f), "rb").read()
    r = re.sub(r" \w{64} \d+ " + re.escape(f) + "\n", f" {hashlib.sha256(b).hexdigest()} {len(b)} {f}\n", r)
open(os.path.join(d, "Release"), "w").write(r)
PY
  gpg --batch --yes --quiet --local-user "good@test.invalid" --clearsign \
    -o "$T/repo/dists/$1/InRelease" "$T/repo/dists/$1/Release"
}
# testing: the index lies about one package's size.
edit_index testing 's = re.sub(r"(Package: liar\n(?:.+\n)*?Size: )(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 7), s)'
# lies: dupe is listed again, the later stanza claiming to be Essential.
edit_index lies 's += "\n" + re.search(r"^Package: dupe\n(?:.+\n)*", s, re.M).group(0).replace(
    "Priority: optional", "Essential: yes\nPriority: required")'
# repeats: twin is listed twice, identically (harmless).
edit_index repeats 's += "\n" + re.search(r"^Package: twin\n(?:.+\n)*", s, re.M).group(0)'
serve "$T/repo"
export VZTMPL_APT_DIR="$T/no-apt"

untouched() {
  [ "$(ls -A "$OUT")" = victim ] || fail "$1: wrote into $OUT: $(ls -A "$OUT")"
  [ "$(cat "$OUT/victim")" = original ] || fail "$1: changed $OUT/victim"
  [ ! -e /pwned ] && [ ! -e "$T/pwned" ] || fail "$1: wrote a file outside the root"
}

# refused KIND MESSAGE: the build of evil-KIND is refused (exit 3) naming why.
refused() {
  write_recipe "$T/$1.conf" "$URL" "$T/good.gpg" "evil-$1"
  expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/$1.conf"
  expect_stderr "verification refused"
  expect_stderr "$2"
  untouched "$1"
  assert_no_template "$T/cache"
  echo "$1: $(grep -o 'refused: .*' "$T/stderr" | head -c 180)"
}
refused dotdot "leaves the tree it is extracted into"
refused absolute "unexpected path"
refused symlink "through the package's own symlink"
refused hardlink "points outside the"
refused device "is a device, fifo or socket"
refused setuid "is set-id (mode 4777) and others may rewrite it"
refused bomb "decompression bomb"
refused huge "decompression bomb"
[ "$(du -sm "$T/cache" | cut -f1)" -lt 32 ] || fail "the bomb was written out before it was refused"

# An index lying about a size: the download is refused.
write_recipe "$T/liar.conf" "$URL" "$T/good.gpg" liar
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/liar.conf"
expect_stderr "size mismatch"
assert_no_template "$T/cache"
[ -z "$(find "$T/cache/blobs" -type f ! -name '*.part' 2>/dev/null | while read -r b; do
  [ "$(sha256sum <"$b" | cut -d' ' -f1)" = "$(basename "$b")" ] || echo "$b"; done)" ] ||
  fail "a blob in the cache does not hash to its name"
echo "liar: $(grep -o 'refused: .*' "$T/stderr" | head -c 160)"

# An index listing one package twice, the later stanza Essential: refused,
# naming it. An identical repeat and a dependency loop are not lies: the
# resolution goes through and takes both sides of the loop.
sed -e 's/^suites = testing/suites = lies/' -e 's/^install = .*/install = dupe/' "$T/liar.conf" >"$T/dupe.conf"
expect_exit 3 "$VZTMPL" -C "$T/cache" build "$T/dupe.conf" --dry-run
expect_stderr "Packages lists dupe 1.0 all twice with different contents"
assert_no_template "$T/cache"
echo "dupe: $(grep -o 'refused: .*' "$T/stderr" | head -c 160)"
sed -e 's/^suites = testing/suites = repeats/' -e 's/^install = .*/install = twin loop-a/' "$T/liar.conf" >"$T/twin.conf"
expect_exit 0 "$VZTMPL" -C "$T/cache" build "$T/twin.conf" --dry-run
for p in twin loop-a loop-b; do
  grep -q "$p" "$T/stdout" || { cat "$T/stdout" >&2; fail "the dry run does not list $p"; }
done
echo "an identical repeat and a dependency loop: resolved ($(grep -c . "$T/stdout") lines)"

# Malformed recipes: a failure naming the file and what is wrong; bad architecture: usage.
printf '[template]\ndistribution = x\nrelease = 1\nfoo = bar\n' >"$T/unknown-key.conf"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/unknown-key.conf" --dry-run
expect_stderr "unknown-key.conf: unknown key \"foo\" in \[template\]"
printf '[template]\ndistribution = x\nrelease = 1\narchitectures = amd64\nvariants = base\n[packages]\ninstall = a\n' >"$T/no-repo.conf"
expect_exit 1 "$VZTMPL" -C "$T/cache" build "$T/no-repo.conf" --dry-run
expect_stderr "no-repo.conf: no \[repository NAME\] section"
expect_exit 2 "$VZTMPL" -C "$T/cache" build "$T/liar.conf" --arch sparc64 --dry-run
expect_stderr "unknown architecture sparc64"
assert_no_template "$T/cache"
echo "hostile: ok"
