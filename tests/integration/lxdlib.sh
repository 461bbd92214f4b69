# A private LXD daemon for the tests: its own LXD_DIR and client config under
# $T, a dir storage pool, no network (no bridge; the default profile has no
# nic), stopped and unmounted when the test exits. Source it after
# testlib.sh, then call lxd_start.
# shellcheck shell=sh
LXD_PID=

lxd_stop() {
  [ -n "$LXD_PID" ] || return 0
  for _ls_c in $(lxc list --format csv -c n 2>/dev/null); do lxc delete --force "$_ls_c" >/dev/null 2>&1 || true; done
  timeout 60 lxd shutdown >/dev/null 2>&1 || kill "$LXD_PID" 2>/dev/null || true
  wait "$LXD_PID" 2>/dev/null || true
  # What the daemon mounted under its directory (shmounts, devlxd, the
  # pool's), deepest first, so removing $T never walks into a mount.
  awk -v d="$LXD_DIR" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r _ls_m; do umount -l "$_ls_m" 2>/dev/null || true; done
  LXD_PID=
}

lxd_ready() { lxd waitready --timeout 1 >/dev/null 2>&1; }

# lxd_start: skips (77) when LXD is not installed or this is not root.
lxd_start() {
  need_root
  command -v lxd >/dev/null && command -v lxc >/dev/null || skip "lxd and lxc missing (.ci/setup installs the lxd package)"
  export LXD_DIR="$T/lxd" LXD_CONF="$T/lxc-conf"
  mkdir -p "$LXD_DIR" "$LXD_CONF"
  # The containers' ids (root mapped to 1000000) must reach their trees.
  chmod 711 "$T"
  lxd --group root --logfile "$T/lxd.log" >"$T/lxd.out" 2>&1 &
  LXD_PID=$!
  trap 'lxd_stop; cleanup' EXIT
  _ls_n=0
  until lxd_ready; do
    kill -0 "$LXD_PID" 2>/dev/null || { cat "$T/lxd.out" >&2; fail "lxd exited while starting"; }
    _ls_n=$((_ls_n + 1))
    [ "$_ls_n" -lt 120 ] || fail "lxd not ready after 120 s: $(tail -n 5 "$T/lxd.log")"
  done
  lxd init --preseed <<PRESEED >"$T/lxd-init.out" 2>&1 || { cat "$T/lxd-init.out" >&2; fail "lxd init --preseed failed"; }
config: {}
networks: []
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
PRESEED
}
