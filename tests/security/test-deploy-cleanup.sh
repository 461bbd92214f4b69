#!/bin/sh
# A failed deploy leaves nothing: an archive cut half way (with a manifest
# that matches the cut archive) fails after files were written, and ROOT is
# gone afterwards, also when the archive asks for immutable and append-only
# files (deploy never sets inode flags from an archive). A symbolic link at
# ROOT is refused, neither followed nor replaced: its target stays as it was.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root

# flagged.tar: a directory and files marked immutable and append-only
# (libarchive's SCHILY.fflags), then enough data to cut in the middle.
python3 - "$T/flagged.tar" <<'PY'
import io, os, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, body=None, flags=None, kind=tarfile.REGTYPE):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
        if flags: i.pax_headers = {"SCHILY.fflags": flags}
        if body is not None: i.size = len(body)
        t.addfile(i, io.BytesIO(body) if body is not None else None)
    add("./", kind=tarfile.DIRTYPE)
    add("./locked/", kind=tarfile.DIRTYPE, flags="sappnd")
    add("./locked/immutable", b"x" * 100, flags="schg")
    add("./locked/appendonly", b"y" * 100, flags="sappnd")
    for n in range(40):
        add("./data%02d" % n, os.urandom(100000))
PY
seal "$T/flagged.tar" flagged

# Whole, the flagged template deploys without any flag set.
expect_exit 0 "$VZTMPL" deploy "$T/tpl/flagged.json" "$T/ct/whole"
if lsattr -d "$T/ct/whole/locked" >/dev/null 2>&1; then
  flags=$(lsattr -a "$T/ct/whole/locked" "$T/ct/whole/locked/immutable" "$T/ct/whole/locked/appendonly" 2>/dev/null | cut -d' ' -f1 | tr -d '\n-e')
  [ -z "$flags" ] || fail "the archive set inode flags: $(lsattr -d "$T/ct/whole/locked" "$T/ct/whole/locked/"*)"
  echo "archive with immutable and append-only entries: deployed, no inode flag set"
fi
rm -rf "$T/ct/whole" || fail "the deployed root cannot be removed"

# Cut half way: the manifest is the cut archive's, so only extraction fails.
size=$(stat -c %s "$T/tpl/flagged.tar.zst")
head -c $((size / 2)) "$T/tpl/flagged.tar.zst" >"$T/cut.tar.zst"
mv "$T/cut.tar.zst" "$T/tpl/flagged.tar.zst"
python3 - "$T/tpl/flagged.json" "$T/tpl/flagged.tar.zst" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1])); data = open(sys.argv[2], "rb").read()
m["archive"]["sha256"] = hashlib.sha256(data).hexdigest(); m["archive"]["size"] = len(data)
json.dump(m, open(sys.argv[1], "w"))
PY
set +e
"$VZTMPL" deploy "$T/tpl/flagged.json" "$T/ct/root" >/dev/null 2>"$T/stderr"
rc=$?
set -e
[ $rc != 0 ] || fail "a cut archive deployed"
[ ! -e "$T/ct/root" ] || fail "a failed deploy left $(find "$T/ct/root" | wc -l) paths in the root"
echo "archive cut half way: exit $rc ($(head -c 120 "$T/stderr")), the root is gone"

# An empty root that existed before stays, empty.
mkdir "$T/ct/mine"
user_owns "$T/ct/mine" # rootless: the user's own, so only the cut archive fails
expect_exit $rc "$VZTMPL" deploy "$T/tpl/flagged.json" "$T/ct/mine"
[ -d "$T/ct/mine" ] && [ -z "$(ls -A "$T/ct/mine")" ] || fail "a failed deploy into an existing root left it as: $(ls -A "$T/ct/mine" | head -3)"
echo "the same into an existing empty root: it stays, empty"

# A link at ROOT: refused; the link and its target stay as they were.
mkdir -m 700 "$T/target" && echo keep >"$T/target/keep"
user_owns "$T/target" "$T/target/keep" # rootless: a target the user could write
ln -s "$T/target" "$T/ct/link"
expect_exit 3 "$VZTMPL" deploy "$T/tpl/flagged.json" "$T/ct/link"
expect_stderr "symbolic link"
[ -L "$T/ct/link" ] || fail "the link at the root was replaced"
[ "$(ls -A "$T/target")" = keep ] || fail "deploy wrote into the link's target: $(ls -A "$T/target" | head -3)"
echo "ROOT a symbolic link: refused ($(grep -o 'is a symbolic link[^:]*' "$T/stderr")); link and target untouched"
