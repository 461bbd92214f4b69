#!/bin/sh
# A systemd template exported for LXD boots ready: the same bytes from two
# exports, metadata.yaml and the rootfs' first-boot files as the manifest's
# first_boot says; two containers come up with systemd running, their own
# names in /etc/hostname and /etc/hosts, their own ssh host keys and sshd
# active, eth0 left to networkd's DHCP; and a published directory served
# over https (a throw-away CA in the system store for the test's length) is
# an LXD simplestreams remote that launches the same image.
. "$(dirname "$0")/testlib.sh"
. "$TESTS_DIR/lxdlib.sh"
need_root
command -v lxd >/dev/null || skip "lxd missing (.ci/setup installs the lxd package)"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
# A Debian 12 minbase with systemd and openssh-server, under its own name:
# built once into the shared cache, a cache hit afterwards.
expect_exit 0 "$VZTMPL" -C "$CACHE" --json build "$TESTS_DIR/lxd-systemd.conf"
TPL=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("name") or d["template"]["name"])' "$T/stdout" 2>/dev/null) ||
  TPL=vztmpl-test-systemd-$(uname -m)
MANIFEST="$CACHE/templates/$TPL.json"
[ -f "$MANIFEST" ] || fail "no manifest $MANIFEST after the build"

# --- the manifest says what first boot does ---
python3 - "$MANIFEST" <<'PY' || fail "the manifest's first_boot is not what a systemd template with sshd gets"
import json, sys
fb = json.load(open(sys.argv[1]))["first_boot"]
want = ["ssh-host-keys systemd /etc/systemd/system/vztmpl-ssh-keygen.service",
        "network networkd /etc/systemd/network/eth0.network"]
assert fb == want, fb
PY
echo "manifest: first_boot lists the ssh key unit and networkd's eth0"

# --- export: deterministic, LXD's layout ---
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format lxd -o "$T/a.tar.zst" "$TPL"
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format incus -o "$T/b.tar.zst" "$TPL"
cmp -s "$T/a.tar.zst" "$T/b.tar.zst" || fail "two exports of one template differ"
tar --zstd -tf "$T/a.tar.zst" >"$T/names"
[ "$(head -n 2 "$T/names" | tr '\n' ' ')" = "metadata.yaml rootfs/ " ] || fail "the image does not start with metadata.yaml and rootfs/: $(head -n 3 "$T/names")"
grep -qx 'templates/hostname.tpl' "$T/names" || fail "the image has no hostname template"
grep -q '^rootfs/etc/ssh/ssh_host_' "$T/names" && fail "the image carries ssh host keys"
mkdir "$T/img"
tar --zstd -xf "$T/a.tar.zst" -C "$T/img" metadata.yaml templates rootfs/etc/systemd rootfs/etc/hostname
epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' "$MANIFEST")
grep -qx 'architecture: "x86_64"' "$T/img/metadata.yaml" || [ "$(uname -m)" != x86_64 ] || fail "metadata.yaml: no architecture"
grep -qx "creation_date: $epoch" "$T/img/metadata.yaml" || fail "metadata.yaml: creation_date is not the build's time $epoch"
grep -qx '  os: "debian"' "$T/img/metadata.yaml" || fail "metadata.yaml: no os"
[ "$(cat "$T/img/templates/hostname.tpl")" = "{{ container.name }}" ] || fail "hostname.tpl is not the container's name"
grep -qx 'DHCP=yes' "$T/img/rootfs/etc/systemd/network/eth0.network" || fail "eth0.network does not ask for DHCP"
grep -qx 'ExecStart=/usr/bin/ssh-keygen -A' "$T/img/rootfs/etc/systemd/system/vztmpl-ssh-keygen.service" || fail "no ssh-keygen unit"
[ -L "$T/img/rootfs/etc/systemd/system/multi-user.target.wants/vztmpl-ssh-keygen.service" ] || fail "the ssh-keygen unit is not enabled"
[ -L "$T/img/rootfs/etc/systemd/system/multi-user.target.wants/systemd-networkd.service" ] || fail "networkd is not enabled"
echo "export: lxd and incus give the same $(wc -c <"$T/a.tar.zst") bytes; metadata.yaml, templates/ and the first-boot files in rootfs/"

# --- the simplestreams remote: published, served over https ---
# LXD trusts the system's store only, read once when the daemon starts: a
# throw-away CA goes into it before, and out again when the test ends.
[ -f /usr/lib/lighttpd/mod_openssl.so ] && command -v update-ca-certificates >/dev/null ||
  skip "lighttpd's mod_openssl or update-ca-certificates missing (.ci/setup installs them)"
# Publishing compresses LXC's rootfs.tar.xz too, the longest step: it runs
# while the containers boot, and is waited for before the remote is used.
"$VZTMPL" -C "$CACHE" publish "$T/site" "$TPL" >"$T/publish.out" 2>&1 &
PUBLISH_PID=$!
CA_NAME=vztmpl-test-$$-$(basename "$T")
TLS_PID=
tls_stop() {
  kill "$PUBLISH_PID" 2>/dev/null || true
  [ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null || true
  if [ -f "/usr/local/share/ca-certificates/$CA_NAME.crt" ]; then
    rm -f "/usr/local/share/ca-certificates/$CA_NAME.crt"
    update-ca-certificates --fresh >/dev/null 2>&1 || true
  fi
}
trap 'tls_stop; cleanup' EXIT
make_ca "$T/tls" "$CA_NAME"
cp "$T/tls/$CA_NAME.pem" "/usr/local/share/ca-certificates/$CA_NAME.crt"
update-ca-certificates >/dev/null 2>&1 || fail "update-ca-certificates failed"
mkdir -p "$T/site"
serve_tls "$T/site" "$T/tls"
tport=$TLS_PORT
wait_until "lighttpd with TLS on port $tport" curl -s -o /dev/null "https://127.0.0.1:$tport/"
echo "simplestreams: https://127.0.0.1:$tport serves the publish directory, its CA in the system store"

# --- LXD: import, launch two containers ---
lxd_start
trap 'lxd_stop; tls_stop; cleanup' EXIT
expect_exit 0 lxc image import "$T/a.tar.zst" --alias vzt
lxc image show vzt >"$T/image.yaml"
grep -q "name: $TPL" "$T/image.yaml" || fail "LXD's image lacks the template's name: $(cat "$T/image.yaml")"
echo "lxd: image imported with its properties"
if ! lxc launch vzt c1 >"$T/launch.out" 2>&1; then
  cat "$T/launch.out" >&2
  tail -n 20 "$T/lxd.log" >&2
  skip "LXD cannot start containers here: $(tail -n 1 "$T/launch.out")"
fi
expect_exit 0 lxc launch vzt c2

# booted: "running", or "degraded" by network units only (there is no nic)
booted() {
  state=$(lxc exec "$1" -- systemctl is-system-running 2>/dev/null) || true
  case $state in
  running) return 0 ;;
  degraded)
    lxc exec "$1" -- systemctl --failed --plain --no-legend >"$T/failed.$1" 2>&1
    if grep -Ev '^(systemd-networkd|systemd-networkd-wait-online|networking|ifup@)' "$T/failed.$1" | grep -q .; then
      cat "$T/failed.$1" >&2
      fail "$1: systemd is degraded by more than network units"
    fi
    return 0 ;;
  *) return 1 ;;
  esac
}
for c in c1 c2; do
  wait_until "systemd in $c to finish starting" booted "$c"
  [ "$(lxc exec "$c" -- cat /etc/hostname)" = "$c" ] || fail "$c: /etc/hostname is not its name"
  [ "$(lxc exec "$c" -- hostname)" = "$c" ] || fail "$c: hostname is not its name"
  lxc exec "$c" -- grep -q "^127.0.1.1.$c\$" /etc/hosts || fail "$c: /etc/hosts does not name it"
  wait_until "sshd in $c" lxc exec "$c" -- systemctl is-active -q ssh.service
  lxc exec "$c" -- ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub >"$T/key.$c" || fail "$c: no ed25519 host key"
  lxc exec "$c" -- grep -qx 'DHCP=yes' /etc/systemd/network/eth0.network || fail "$c: eth0.network lost DHCP"
  lxc exec "$c" -- systemctl is-enabled -q systemd-networkd.service || fail "$c: networkd is not enabled"
  echo "lxd: $c booted ($(lxc exec "$c" -- systemctl is-system-running || true)), hostname $c, sshd active, eth0 by DHCP"
done
cmp -s "$T/key.c1" "$T/key.c2" && fail "c1 and c2 have the same ssh host key"
echo "lxd: c1 and c2 have different ssh host keys"

# --- the simplestreams remote ---
wait "$PUBLISH_PID" || { cat "$T/publish.out" >&2; fail "publish failed"; }
[ -f "$T/site/streams/v1/index.json" ] && [ -f "$T/site/streams/v1/images.json" ] || fail "publish wrote no streams/v1"
grep -q ' streams/v1/images.json$' "$T/site/SHA256SUMS" || fail "SHA256SUMS does not cover images.json"
expect_exit 0 lxc remote add vzt "https://127.0.0.1:$tport" --protocol simplestreams --public
expect_exit 0 lxc image alias list vzt: --format csv
for a in "$TPL" debian/12/minbase debian/bookworm/minbase; do
  grep -q "^$a," "$T/stdout" || fail "the remote has no alias $a: $(cat "$T/stdout")"
done
expect_exit 0 lxc launch vzt:debian/12/minbase c3
wait_until "systemd in c3 to finish starting" booted c3
[ "$(lxc exec c3 -- cat /etc/hostname)" = c3 ] || fail "c3: /etc/hostname is not its name"
echo "simplestreams: lxc launch vzt:debian/12/minbase started c3 from the remote, hostname c3"
