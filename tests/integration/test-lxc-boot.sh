#!/bin/sh
# LXC containers made with lxc-create -t download from a publish directory
# boot under systemd with their own identity: a systemd template with sshd
# is published and served over loopback https, two containers are created
# from it (a private LXC path, no network interface but loopback) and
# started; each has its name as hostname, in /etc/hostname and /etc/hosts,
# its own ssh host keys made at first boot, sshd active, and networkd's eth0
# DHCP file though it has no eth0. Both are stopped and destroyed, leaving no
# cgroup or mount behind.
. "$(dirname "$0")/testlib.sh"
need_root
for tool in lxc-create lxc-start lxc-attach lxc-stop lxc-destroy lighttpd wget; do
  command -v "$tool" >/dev/null || skip "$tool missing (.ci/setup installs lxc, lighttpd and wget)"
done
[ -f /usr/lib/lighttpd/mod_openssl.so ] || skip "lighttpd's mod_openssl missing (.ci/setup installs lighttpd-mod-openssl)"
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}

# The template test-lxd.sh boots: Debian 12 minbase with systemd and sshd.
expect_exit 0 "$VZTMPL" -C "$CACHE" --json build "$TESTS_DIR/lxd-systemd.conf"
TPL=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("name") or d["template"]["name"])' "$T/stdout" 2>/dev/null) ||
  TPL=vztmpl-test-systemd-$(uname -m)
# fast: the cached archive as it is, LXC's rootfs.tar.xz at xz's quickest preset.
start=$(date +%s)
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$T/site" --compression fast "$TPL"
echo "publish: $TPL into $T/site in $(($(date +%s) - start)) s"
# LXC's index line for it: dist;release;arch;variant;build;path
IFS=';' read -r DIST REL ARCH VARIANT BUILD LXCDIR <"$T/site/meta/1.0/index-system" || fail "no meta/1.0/index-system"
xz -dc "$T/site/$LXCDIR/rootfs.tar.xz" | tar -tf - >"$T/rootfs.list"
grep -q '^\./etc/ssh/ssh_host_.*_key$' "$T/rootfs.list" && fail "rootfs.tar.xz carries ssh host keys: every container would share them"

# lxc-download (LXC 5) fetches https://SERVER/ only: lighttpd with TLS and a
# certificate for 127.0.0.1 from a throw-away CA, which wget trusts through
# WGETRC; lxc-create hands its environment to the template.
make_ca "$T/tls" ca
serve_tls "$T/site" "$T/tls"
tport=$TLS_PORT
echo "ca_certificate = $T/tls/ca.pem" >"$T/wgetrc"

# Unique names: LXC names its cgroups after the container, and LXD (another
# test) runs containers through the same library.
C1=vzt-boot-$$-a
C2=vzt-boot-$$-b
LXCPATH="$T/lxc"
# Stopped (clean shutdown, else killed) and destroyed whatever happens; then
# nothing may stay mounted under $T before it is removed.
lxc_cleanup() {
  for c in "$C1" "$C2"; do
    [ -d "$LXCPATH/$c" ] || continue
    lxc-stop -P "$LXCPATH" -n "$c" -k >/dev/null 2>&1 || true
    lxc-destroy -P "$LXCPATH" -n "$c" >/dev/null 2>&1 || true
  done
  kill "$TLS_PID" 2>/dev/null || true
  awk -v d="$T/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
trap 'lxc_cleanup; cleanup' EXIT
wait_until "lighttpd with TLS on port $tport" env WGETRC="$T/wgetrc" wget -q -O /dev/null "https://127.0.0.1:$tport/index.json"

# The containers' own config, in place of /etc/lxc/default.conf (whose veth
# on lxcbr0 would reach the host's network): loopback only.
echo 'lxc.net.0.type = empty' >"$T/container.conf"
mkdir -p "$LXCPATH" "$T/lxc-cache"
for c in "$C1" "$C2"; do
  expect_exit 0 env WGETRC="$T/wgetrc" LXC_CACHE_PATH="$T/lxc-cache" lxc-create -P "$LXCPATH" -n "$c" \
    -f "$T/container.conf" -t download -- --server "127.0.0.1:$tport" -d "$DIST" -r "$REL" -a "$ARCH" --variant "$VARIANT"
  grep -q "vztmpl template $TPL, build $BUILD" "$T/stdout" || fail "lxc-create $c did not print our create-message: $(cat "$T/stdout")"
  grep -q '^lxc.net.0.type = empty$' "$LXCPATH/$c/config" || fail "$c's config has a network interface: $(grep lxc.net "$LXCPATH/$c/config")"
  grep -q '^lxc.net.0.link' "$LXCPATH/$c/config" && fail "$c's config links to a bridge"
done
echo "lxc-create: $C1 and $C2 from https://127.0.0.1:$tport ($DIST $REL $ARCH $VARIANT, build $BUILD), loopback only"

for c in "$C1" "$C2"; do
  expect_exit 0 lxc-start -P "$LXCPATH" -n "$c" -d -l DEBUG -o "$T/$c.log"
done

in_c() { _ic_c=$1; shift; lxc-attach -P "$LXCPATH" -n "$_ic_c" -- "$@"; }
# booted: systemd finished starting, "running", or "degraded" by network
# units only (there is no eth0 to configure).
booted() {
  state=$(in_c "$1" systemctl is-system-running 2>/dev/null) || true
  case $state in
  running) return 0 ;;
  degraded)
    in_c "$1" systemctl --failed --plain --no-legend >"$T/failed.$1" 2>&1
    if grep -Ev '^(systemd-networkd|systemd-networkd-wait-online|networking|ifup@)' "$T/failed.$1" | grep -q .; then
      cat "$T/failed.$1" >&2
      fail "$1: systemd is degraded by more than network units"
    fi
    return 0 ;;
  *) return 1 ;;
  esac
}
start=$(date +%s)
for c in "$C1" "$C2"; do
  if ! lxc-info -P "$LXCPATH" -n "$c" -s | grep -q RUNNING; then
    tail -n 30 "$T/$c.log" >&2
    fail "$c is not running after lxc-start"
  fi
  wait_until "systemd in $c to finish starting" booted "$c"
done
echo "lxc-start: $C1 and $C2 booted to systemd $(in_c "$C1" systemctl is-system-running || true) in $(($(date +%s) - start)) s"

for c in "$C1" "$C2"; do
  [ "$(in_c "$c" hostname)" = "$c" ] || fail "$c: hostname is $(in_c "$c" hostname), not its name"
  [ "$(in_c "$c" cat /etc/hostname)" = "$c" ] || fail "$c: /etc/hostname is $(in_c "$c" cat /etc/hostname)"
  in_c "$c" cat /etc/hosts >"$T/hosts.$c" 2>&1 || fail "$c: no /etc/hosts"
  grep -q "^127\.0\.1\.1[[:space:]]$c\$" "$T/hosts.$c" || fail "$c: /etc/hosts does not name it: $(cat "$T/hosts.$c")"
  grep -q '^127\.0\.0\.1[[:space:]]localhost$' "$T/hosts.$c" || fail "$c: /etc/hosts has no localhost"
  for k in rsa ecdsa ed25519; do
    in_c "$c" test -s "/etc/ssh/ssh_host_${k}_key" || fail "$c: no /etc/ssh/ssh_host_${k}_key"
  done
  in_c "$c" systemctl is-active -q vztmpl-ssh-keygen.service || fail "$c: the ssh-keygen unit did not run"
  wait_until "sshd in $c" in_c "$c" systemctl is-active -q ssh.service
  in_c "$c" ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub >"$T/key.$c" || fail "$c: cannot read its ed25519 host key"
  in_c "$c" grep -qx 'DHCP=yes' /etc/systemd/network/eth0.network || fail "$c: /etc/systemd/network/eth0.network does not ask for DHCP"
  in_c "$c" systemctl is-enabled -q systemd-networkd.service || fail "$c: networkd is not enabled"
  in_c "$c" ls /sys/class/net >"$T/net.$c"
  [ "$(tr '\n' ' ' <"$T/net.$c")" = "lo " ] || fail "$c has interfaces besides lo: $(tr '\n' ' ' <"$T/net.$c")"
  echo "$c: hostname, /etc/hostname and /etc/hosts name it; ssh host keys made at first boot, sshd active; eth0.network asks for DHCP, only lo present"
done
cmp -s "$T/key.$C1" "$T/key.$C2" && fail "$C1 and $C2 have the same ssh host key: $(cat "$T/key.$C1")"
echo "ssh: $C1 $(cut -d' ' -f2 "$T/key.$C1"), $C2 $(cut -d' ' -f2 "$T/key.$C2"): different host keys"

# LXC's cgroups for each (lxc.payload.NAME, lxc.monitor.NAME), to be gone after.
lxc_groups() { find /sys/fs/cgroup -maxdepth 4 -type d \( -name "*.$C1" -o -name "*.$C2" \) 2>/dev/null || true; }
[ -n "$(lxc_groups)" ] || echo "lxc: no cgroup named after the containers found while they run" >&2
start=$(date +%s)
for c in "$C1" "$C2"; do
  expect_exit 0 lxc-stop -P "$LXCPATH" -n "$c" -t 60
  expect_exit 0 lxc-destroy -P "$LXCPATH" -n "$c"
  [ ! -e "$LXCPATH/$c" ] || fail "lxc-destroy left $LXCPATH/$c"
done
left=$(lxc_groups)
[ -z "$left" ] || fail "cgroups left behind: $left"
mounts=$(awk -v d="$T/" 'index($2, d) == 1 { print $2 }' /proc/mounts)
[ -z "$mounts" ] || fail "mounts left behind: $mounts"
echo "lxc-stop and lxc-destroy: both shut down cleanly in $(($(date +%s) - start)) s, no cgroup or mount left"
