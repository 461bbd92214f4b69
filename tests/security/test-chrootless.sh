#!/bin/sh
# A foreign (arm64) root configured chrootless by the host's dpkg: the
# maintainer scripts (target text, read by the host's shell) still run in the
# sandbox, as root of its user namespace, with the root at /target, the
# host's /usr and /etc read-only and none of the host's /run, /var, /home,
# /root or /tmp; a set with a package not known to allow chrootless, or
# --emulate, is configured under emulation, and the manifest says which.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
[ "$(uname -m)" = x86_64 ] || skip "written for an x86_64 host"
[ -x /usr/bin/dpkg ] || skip "the host has no dpkg to configure chrootless"
[ -f /usr/share/binfmts/qemu-aarch64 ] || skip "qemu-user-static is not installed (.ci/setup installs it)"
CACHE="$T/cache"
POOL="$T/repo/pool/main"
make_key good

# A package named as one of the Essential set, whose postinst reports what
# it sees and what it can change.
pkg="$T/build-bash"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/bash"
echo probe >"$pkg/usr/share/bash/probe"
cat >"$pkg/DEBIAN/control" <<EOF
Package: bash
Version: 99
Architecture: all
Maintainer: vztmpl tests <tests@test.invalid>
Priority: optional
Description: a postinst that looks around
EOF
cat >"$pkg/DEBIAN/postinst" <<'EOF'
#!/bin/sh
out="$DPKG_ROOT/probe"
echo "DPKG_ROOT=$DPKG_ROOT uid=$(id -u)" >"$out"
for f in /usr/vzt-probe /etc/vzt-probe /vzt-probe; do
  if touch "$f" 2>/dev/null; then echo "wrote $f" >>"$out"; fi
done
for d in /run /var /home /root /srv /tmp/.X11-unix; do
  if [ -e "$d" ]; then echo "sees $d: $(ls "$d" 2>/dev/null | head -3 | tr '\n' ' ')" >>"$out"; fi
done
if [ -e /proc/1/root/etc/shadow ] && cat /proc/1/root/etc/shadow >/dev/null 2>&1; then
  echo "reads the host's /etc/shadow" >>"$out"
fi
exit 0
EOF
chmod 755 "$pkg/DEBIAN/postinst"
mkdir -p "$POOL"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$POOL/bash_99_all.deb" >/dev/null
make_host_base "$POOL"

# An arm64 repository (make_repo's, for another architecture).
comp="$T/repo/dists/testing/main/binary-arm64"
mkdir -p "$comp"
(cd "$T/repo" && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null) >"$comp/Packages"
xz -k -f "$comp/Packages"
{
  echo "Origin: vztmpl-test"; echo "Suite: testing"; echo "Codename: testing"
  echo "Date: $(LC_ALL=C date -u -R)"; echo "Architectures: arm64"; echo "Components: main"
  echo "SHA256:"
  for f in main/binary-arm64/Packages main/binary-arm64/Packages.xz; do
    echo " $(sha256sum "$T/repo/dists/testing/$f" | cut -d' ' -f1) $(stat -c %s "$T/repo/dists/testing/$f") $f"
  done
} >"$T/repo/dists/testing/Release"
gpg --batch --yes --quiet --local-user "good@test.invalid" --clearsign \
  -o "$T/repo/dists/testing/InRelease" "$T/repo/dists/testing/Release"
serve "$T/repo"
export VZTMPL_APT_DIR="$T/no-apt"

# recipe NAME INSTALL: an arm64 recipe over the repository.
recipe() {
  cat >"$T/$1.conf" <<RECIPE
[template]
distribution = testdist
release = 1
codename = testing
name = $1
architectures = arm64
variants = base
[repository main]
family = deb
mirror = $URL
suites = testing
components = main
keyring = $T/good.gpg
[packages]
base = none
[variant base]
install = $2
RECIPE
}
manifest_configure() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("configure"))' "$1"; }

recipe probe bash
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$T/probe.conf" --arch arm64
expect_stderr "Configuring chrootless"
[ "$(manifest_configure "$CACHE/templates/probe-aarch64.json")" = chrootless ] ||
  fail "manifest: configure is not chrootless"
mkdir "$T/probe"
tar -C "$T/probe" --zstd -xf "$CACHE/templates/probe-aarch64.tar.zst"
[ -f "$T/probe/probe" ] || fail "the postinst left no report in the root"
echo "chrootless postinst reported: $(tr '\n' ';' <"$T/probe/probe")"
grep -qx "DPKG_ROOT=/target uid=0" "$T/probe/probe" || fail "not root of the namespace at /target: $(head -1 "$T/probe/probe")"
! grep -q "^wrote" "$T/probe/probe" || fail "the postinst wrote outside the root: $(grep '^wrote' "$T/probe/probe")"
! grep -q "^sees" "$T/probe/probe" || fail "the postinst sees host directories: $(grep '^sees' "$T/probe/probe")"
! grep -q "^reads" "$T/probe/probe" || fail "the postinst reads the host's /etc/shadow"
for f in /usr/vzt-probe /etc/vzt-probe /vzt-probe; do [ ! -e "$f" ] || fail "$f appeared on the host"; done
echo "chrootless: the script ran as the namespace's root on /target, changed nothing of the host, saw no /run, /var, /home, /root"

# Forced emulation: the same set under qemu's path (the host base's shell
# and dpkg are the host's own machine, so no qemu actually runs here).
recipe probe2 "bash hostbase-vzt"
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$T/probe2.conf" --arch arm64 --emulate
[ "$(manifest_configure "$CACHE/templates/probe2-aarch64.json")" = emulated ] ||
  fail "--emulate: manifest's configure is not emulated"
echo "--emulate: configured by the root's own dpkg, manifest says emulated"

# A package not known to allow chrootless (hostbase-vzt) sends the set to emulation.
recipe probe3 "bash hostbase-vzt"
expect_exit 0 "$VZTMPL" -C "$CACHE" build "$T/probe3.conf" --arch arm64
expect_stderr "hostbase-vzt is not known to configure chrootless"
[ "$(manifest_configure "$CACHE/templates/probe3-aarch64.json")" = emulated ] ||
  fail "fallback: manifest's configure is not emulated"
echo "a package outside the known set: emulated, and the build says which package"
echo "chrootless: ok"
