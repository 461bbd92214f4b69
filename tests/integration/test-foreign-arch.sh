#!/bin/sh
# Foreign architectures on this host: an arm64 Debian 12 minbase template,
# unpacked natively, configured under qemu-user through binfmt_misc (which
# vztmpl registers itself from qemu-user-static when it is missing) with
# --emulate, and chrootless by the host's dpkg without it, the two templates
# byte-identical; the per-architecture package check naming the package and
# architecture. (test-foreign-matrix.sh compares more architectures and
# releases with mmdebstrap's emulated trees.)
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
[ "$(uname -m)" = x86_64 ] || skip "written for an x86_64 host"
[ -f /usr/share/binfmts/qemu-aarch64 ] || fail "qemu-user-static is not installed (.ci/setup installs it)"

# Start without a handler: vztmpl must register one (with the F flag) itself.
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64

# Either spelling of the architecture names the same template.
expect_exit 0 "$VZTMPL" -C "$CACHE" --json build debian:12 --arch aarch64 --variant minbase --dry-run
grep -q '"name": "debian-12-aarch64-minbase"' "$T/stdout" || fail "aarch64 spelling"
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --arch arm64 --variant minbase --emulate
expect_stderr "binfmt_misc handler qemu-aarch64"
grep -q F /proc/sys/fs/binfmt_misc/qemu-aarch64 || fail "no F flag on the registered handler"
tpl="$CACHE/templates/debian-12-aarch64-minbase.tar.zst"
configure_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("configure"))' "$1"; }
[ "$(configure_of "$CACHE/templates/debian-12-aarch64-minbase.json")" = emulated ] || fail "--emulate: manifest's configure"
emulated=$(sha256sum <"$tpl")
# Without --emulate the host's dpkg configures it (none of the target's
# programs but ldconfig run), and the template is the same, byte for byte.
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --arch arm64 --variant minbase
expect_stderr "Configuring chrootless"
[ "$(configure_of "$CACHE/templates/debian-12-aarch64-minbase.json")" = chrootless ] || fail "manifest's configure"
[ "$(sha256sum <"$tpl")" = "$emulated" ] || fail "the chrootless template differs from the emulated one"
echo "debian:12 arm64 minbase: chrootless and emulated templates byte-identical ($(echo "$emulated" | cut -c1-16))"
mkdir "$T/root"
tar -C "$T/root" --zstd -xf "$tpl"
# e_machine of /usr/bin/dpkg: 0xb7 is AArch64.
[ "$(od -An -tx1 -j18 -N2 "$T/root/usr/bin/dpkg" | tr -d ' ')" = b700 ] || fail "dpkg is not an AArch64 ELF"
[ "$(cat "$T/root/var/lib/dpkg/arch")" = arm64 ] || fail "dpkg's architecture"
[ -z "$(dpkg --root="$T/root" --audit)" ] || fail "dpkg --audit reports problems"
grep -q '"architecture": "aarch64"' "$CACHE/templates/debian-12-aarch64-minbase.json" || fail "manifest arch"
grep -q '"family_architecture": "arm64"' "$CACHE/templates/debian-12-aarch64-minbase.json" || fail "manifest deb arch"

# exec --arch in the deployed root: the handler is registered again when it
# is gone, uname -m is the target's, and dpkg --audit runs under qemu.
echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64
expect_exit 0 "$VZTMPL" -C "$CACHE" deploy debian-12-aarch64-minbase "$T/ct"
expect_exit 0 "$VZTMPL" exec --arch aarch64 "$T/ct" -- sh -c 'uname -m; dpkg --print-architecture; dpkg --audit; echo audit=$?'
[ "$(cat "$T/stdout")" = "$(printf 'aarch64\narm64\naudit=0')" ] || fail "exec --arch: $(cat "$T/stdout")"
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || fail "exec --arch did not register the handler"
expect_exit 2 "$VZTMPL" exec --arch sparc "$T/ct" -- true
expect_stderr "unknown architecture"

# A package named for an architecture whose index lacks it fails the check.
cat >"$T/arch.conf" <<RECIPE
[template]
base = debian:12
variant = minbase
name = archcheck
[packages]
install.arm64 = powerpc-ibm-utils
RECIPE
expect_exit 1 "$VZTMPL" -C "$CACHE" build "$T/arch.conf" --arch arm64 --dry-run
expect_stderr "powerpc-ibm-utils"
expect_stderr "arm64"
echo "arm64 template configured under qemu-user; per-architecture check names package and architecture"
