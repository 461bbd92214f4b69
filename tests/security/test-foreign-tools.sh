#!/bin/sh
# A foreign Debian 13 build takes the programs of its chrootless configure
# stage from the cached debian-13 native template: that template's archive
# is checked against its manifest before any of it runs, so a changed
# archive is a refusal (exit 3) that names it and leaves no template and no
# work directory behind; an intact one configures the root, the manifest
# naming it with its archive's hash, and its extracted tree goes with the
# build.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
[ "$(uname -m)" = x86_64 ] || skip "written for an x86_64 host"
[ -f /usr/share/binfmts/qemu-aarch64 ] || skip "qemu-user-static is not installed (.ci/setup installs it)"
SHARED=/var/tmp/vztmpl-test-cache
# A cache of this test's own (the archive is tampered with), its packages
# and indices copied from the shared one: nothing is downloaded twice.
C="$T/cache"
mkdir "$C"
for d in blobs releases solv; do
  [ ! -d "$SHARED/$d" ] || cp -a "$SHARED/$d" "$C/$d"
done
if rootless; then chown -R "$ROOTLESS_USER:" "$C"; fi
cd "$T"

expect_exit 0 "$VZTMPL" -C "$C" build debian:13 --variant minbase
native="$C/templates/debian-13-x86_64-minbase.tar.zst"
sha=$(sha256sum <"$native" | cut -d' ' -f1)
cp -p "$native" "$T/native.good"

# One byte of the native archive changed after its manifest was written.
corrupt_byte "$native" 4096
expect_exit 3 "$VZTMPL" -C "$C" build debian:13 --arch arm64 --variant minbase
expect_stderr "debian-13-x86_64-minbase.tar.zst: SHA-256"
expect_stderr "rebuild or download it again"
[ ! -e "$C/templates/debian-13-aarch64-minbase.json" ] || fail "a template was stored after the refusal"
[ -z "$(ls -A "$C/tmp")" ] || fail "the refused build left $(ls "$C/tmp") in the cache's tmp"
echo "tampered native template: refused with exit 3 before any of it ran; nothing left in the cache"

# Intact again: it configures the arm64 root chrootless, and says so.
cp -p "$T/native.good" "$native"
expect_exit 0 "$VZTMPL" -C "$C" build debian:13 --arch arm64 --variant minbase
expect_stderr "Configuring chrootless: the dpkg of debian-13-x86_64-minbase@sha256:$sha"
tools=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m.get("configure"), m.get("configure_tools"))' \
  "$C/templates/debian-13-aarch64-minbase.json")
[ "$tools" = "chrootless debian-13-x86_64-minbase@sha256:$sha" ] || fail "the manifest says: $tools"
[ -z "$(ls -A "$C/tmp")" ] || fail "the build left $(ls "$C/tmp") in the cache's tmp"
echo "intact native template: configured the arm64 root chrootless, recorded as $tools"
