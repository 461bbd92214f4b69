# Shared helpers for the integration tests: temporary directory with trap
# cleanup, a loopback HTTP server, a throw-away signing key, a small signed
# Debian repository. Source it; $VZTMPL is the binary under test.
# shellcheck shell=sh
set -eu

: "${VZTMPL:?set VZTMPL to the vztmpl binary}"
# Sourced by tests in tests/integration/ and tests/security/ alike.
SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
TESTS_DIR=$SRC_DIR/tests/integration
T=$(mktemp -d /tmp/vztmpl-test.XXXXXX)
HTTPD_PID=
TLS_PID=
cleanup() {
  [ -n "$HTTPD_PID" ] && kill "$HTTPD_PID" 2>/dev/null || true
  [ -n "$TLS_PID" ] && kill "$TLS_PID" 2>/dev/null || true
  for p in ${FRONT_PIDS:-}; do kill "$p" 2>/dev/null || true; done
  [ -d "$T/gnupg" ] && gpgconf --homedir "$T/gnupg" --kill all 2>/dev/null || true
  # (an agent the rootless user's vztmpl started answers only to that user)
  [ -z "${ROOTLESS_USER:-}" ] || [ ! -d "$T/gnupg" ] || as_rootless gpgconf --homedir "$T/gnupg" --kill all 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# need_fixtures NAME: the outside conformance data set NAME (real
# repositories written by other projects, never committed here) in
# $FIXTURES/NAME, where FIXTURES is $VZTMPL_FIXTURES or ../shared/fixtures
# beside the source tree (the same rule as tests/unit/unit.h); skips,
# naming the set and where it was looked for, when it is absent.
need_fixtures() {
  FIXTURES=${VZTMPL_FIXTURES:-$SRC_DIR/../shared/fixtures}
  [ -e "$FIXTURES/$1" ] ||
    skip "the conformance data $1 is not at $FIXTURES/$1 (set VZTMPL_FIXTURES to the directory that holds it)"
}

# expect_exit CODE CMD...: runs CMD, keeps its stderr in $T/stderr, checks the code.
expect_exit() {
  want=$1; shift
  set +e
  "$@" >"$T/stdout" 2>"$T/stderr"
  got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$T/stderr" >&2; fail "$* exited $got, wanted $want"; }
}
# expect_exit_ending CODE CMD...: expect_exit for a command that must end by
# itself (give up, not wait for ever). A run still going after 10 minutes,
# which only a hang explains, is stopped and fails; no shorter time is
# asserted.
expect_exit_ending() {
  want=$1; shift
  set +e
  timeout 600 "$@" >"$T/stdout" 2>"$T/stderr"
  got=$?
  set -e
  [ "$got" != 124 ] || { cat "$T/stderr" >&2; fail "$* was still running after 10 minutes"; }
  [ "$got" = "$want" ] || { cat "$T/stderr" >&2; fail "$* exited $got, wanted $want"; }
}
# corrupt_byte FILE OFFSET: inverts the byte at OFFSET, so that the file
# always changes (writing a fixed byte leaves it as it was once in 256 runs).
corrupt_byte() {
  python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2]))
    b = f.read(1)
    f.seek(int(sys.argv[2]))
    f.write(bytes([b[0] ^ 0xFF]))
PY
}
# wait_until WHAT CMD...: runs CMD every 0.05 s until it succeeds. A wait for
# an event, never for an amount of time: the 60 s bound only ends a wait for
# something that will not happen, and fails naming WHAT.
wait_until() {
  _wu_what=$1; shift
  _wu_n=0
  until "$@"; do
    _wu_n=$((_wu_n + 1))
    [ "$_wu_n" -lt 1200 ] || fail "gave up after 60 s waiting for $_wu_what"
    sleep 0.05
  done
}
expect_stderr() { grep -q -- "$1" "$T/stderr" || { cat "$T/stderr" >&2; fail "stderr lacks \"$1\""; }; }

# serve DIR: a real HTTP server (lighttpd) on a free loopback port; sets $URL.
# Every request it answers is logged to $T/access.log as "METHOD PATH STATUS".
serve() {
  dir=$1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$T/lighttpd.conf" <<CONF
server.document-root = "$dir"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$T/lighttpd.log"
server.modules += ("mod_accesslog")
accesslog.filename = "$T/access.log"
accesslog.format = "%m %U %s"
mimetype.assign = ("" => "application/octet-stream")
# Tests rewrite files between requests: never serve a cached size.
server.stat-cache-engine = "disable"
CONF
  lighttpd -D -f "$T/lighttpd.conf" &
  HTTPD_PID=$!
  wait_until "lighttpd on port $port" curl -s -o /dev/null "http://127.0.0.1:$port/"
  URL="http://127.0.0.1:$port"
}

# make_ca DIR NAME...: throw-away CAs, DIR/NAME.pem with its key DIR/NAME.key
# (subject "vztmpl test CA NAME"), and a certificate for 127.0.0.1 that the
# first one signed, DIR/cert.pem with its key DIR/key.pem; two days valid.
make_ca() {
  _mc_dir=$1; shift
  mkdir -p "$_mc_dir"
  for _mc_name in "$@"; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$_mc_dir/$_mc_name.key" \
      -out "$_mc_dir/$_mc_name.pem" -days 2 -subj "/CN=vztmpl test CA $_mc_name" 2>/dev/null ||
      fail "openssl could not make the CA $_mc_name"
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$_mc_dir/key.pem" \
    -out "$_mc_dir/server.csr" -subj /CN=127.0.0.1 2>/dev/null || fail "openssl could not make a key for 127.0.0.1"
  printf 'subjectAltName=IP:127.0.0.1\n' >"$_mc_dir/ext"
  openssl x509 -req -in "$_mc_dir/server.csr" -CA "$_mc_dir/$1.pem" -CAkey "$_mc_dir/$1.key" -CAcreateserial \
    -out "$_mc_dir/cert.pem" -days 2 -extfile "$_mc_dir/ext" 2>/dev/null || fail "openssl could not sign with $1"
}

# serve_tls DIR TLSDIR: DIR over https on loopback (lighttpd's mod_openssl)
# with TLSDIR's cert.pem and key.pem, as make_ca writes them; sets TLS_PID,
# TLS_PORT and TLS_URL. Its access log, in lighttpd's default format, is
# $T/tls-access.log (complete once stop_server "$TLS_PID" returned).
serve_tls() {
  TLS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$T/tls.conf" <<CONF
server.modules += ("mod_openssl", "mod_accesslog")
server.document-root = "$1"
server.bind = "127.0.0.1"
server.port = $TLS_PORT
server.errorlog = "$T/tls-error.log"
accesslog.filename = "$T/tls-access.log"
ssl.engine = "enable"
ssl.pemfile = "$2/cert.pem"
ssl.privkey = "$2/key.pem"
mimetype.assign = (".json" => "application/json", "" => "application/octet-stream")
server.stat-cache-engine = "disable"
CONF
  lighttpd -D -f "$T/tls.conf" &
  TLS_PID=$!
  TLS_URL="https://127.0.0.1:$TLS_PORT"
  # Up is all this asks (-k); whom the certificate convinces is the test's question.
  wait_until "lighttpd with TLS on port $TLS_PORT" curl -sk -o /dev/null "$TLS_URL/"
}

# stop_server [PID]: stops a server this test started (serve's by default)
# and waits until it has exited. lighttpd buffers its access log and writes
# it out on a timer or on exit: a test reads a server's log only after this,
# or through served while the server must go on.
stop_server() {
  _ss_pid=${1:-$HTTPD_PID}
  [ -n "$_ss_pid" ] || return 0
  kill "$_ss_pid" 2>/dev/null || true
  # wait reaps a child of this shell; from a subshell it returns at once,
  # so the end is also polled for.
  wait "$_ss_pid" 2>/dev/null || true
  wait_until "server $_ss_pid to exit" server_gone "$_ss_pid"
  [ "$_ss_pid" != "$HTTPD_PID" ] || HTTPD_PID=
}
server_gone() { ! kill -0 "$1" 2>/dev/null; }

# served: the paths the server was asked for since the previous call (or
# since it started), one "METHOD PATH STATUS" a line. lighttpd buffers its
# log, so a marker request is sent and awaited: every earlier line is in.
served() {
  mark="/.vztmpl-mark-$(date +%s%N)"
  curl -s -o /dev/null "$URL$mark" || true
  wait_until "the server to log $mark" grep -qsF " $mark " "$T/access.log"
  awk -v mark=" $mark " '
    index($0, mark) { for (i = 0; i < n; i++) print buf[i]; exit }
    / \/\.vztmpl-mark-/ { n = 0; next }
    { buf[n++] = $0 }' "$T/access.log"
}

# make_key NAME: a signing key in $T/gnupg; its public keyring in $T/NAME.gpg.
make_key() {
  export GNUPGHOME="$T/gnupg"
  [ -d "$GNUPGHOME" ] || mkdir -m 700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key "vztmpl test $1 <$1@test.invalid>" ed25519 sign never
  gpg --batch --quiet --export "$1@test.invalid" >"$T/$1.gpg"
}

# make_deb DIR NAME VERSION [DEPENDS]: a tiny package built with dpkg-deb.
make_deb() {
  out=$1 name=$2 version=$3 depends=${4:-}
  pkg="$T/build-$name"
  mkdir -p "$pkg/DEBIAN" "$pkg/usr/share/$name"
  echo "$name $version" >"$pkg/usr/share/$name/version"
  {
    echo "Package: $name"; echo "Version: $version"; echo "Architecture: all"
    echo "Maintainer: vztmpl tests <tests@test.invalid>"; echo "Priority: optional"
    [ -n "$depends" ] && echo "Depends: $depends"
    echo "Description: vztmpl test package $name"
  } >"$pkg/DEBIAN/control"
  mkdir -p "$out"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out/${name}_${version}_all.deb" >/dev/null
}

# make_repo ROOT SUITE KEY [VALID_UNTIL_DAYS]: Packages.xz, a signed InRelease.
make_repo() {
  root=$1 suite=$2 key=$3 valid=${4:-}
  comp="$root/dists/$suite/main/binary-amd64"
  mkdir -p "$comp"
  (cd "$root" && dpkg-scanpackages --multiversion pool /dev/null 2>/dev/null) >"$comp/Packages"
  xz -k -f "$comp/Packages"
  {
    echo "Origin: vztmpl-test"; echo "Suite: $suite"; echo "Codename: $suite"
    echo "Date: $(LC_ALL=C date -u -R)"
    [ -n "$valid" ] && echo "Valid-Until: $(LC_ALL=C date -u -R -d "$valid days")"
    echo "Architectures: amd64"; echo "Components: main"
    echo "SHA256:"
    for f in main/binary-amd64/Packages main/binary-amd64/Packages.xz; do
      echo " $(sha256sum "$root/dists/$suite/$f" | cut -d' ' -f1) $(stat -c %s "$root/dists/$suite/$f") $f"
    done
  } >"$root/dists/$suite/Release"
  gpg --batch --yes --quiet --local-user "$key@test.invalid" --clearsign \
    -o "$root/dists/$suite/InRelease" "$root/dists/$suite/Release"
}

# write_recipe FILE MIRROR KEYRING INSTALL: a recipe for a local repository.
write_recipe() {
  cat >"$1" <<RECIPE
[template]
distribution = testdist
release = 1
codename = testing
architectures = amd64
variants = base
[repository main]
family = deb
mirror = $2
suites = testing
components = main
keyring = $3
[packages]
base = none
[variant base]
install = $4
RECIPE
}

# make_host_base DIR: hostbase-vzt_1.0_all.deb in DIR. The target root needs
# a shell and dpkg for the configure stage: the host's
# busybox and dpkg with the libraries they link. dpkg only checks
# that ldconfig, start-stop-daemon and dpkg-deb exist; --configure of these
# packages runs none of them.
make_host_base() {
  BUSYBOX=$(command -v busybox) || skip "needs busybox (Debian package busybox-static)"
  pkg="$T/build-hostbase"
  mkdir -p "$pkg/DEBIAN" "$pkg/bin" "$pkg/sbin" "$pkg/usr/bin"
  cp "$BUSYBOX" "$pkg/bin/busybox"
  for a in sh mkdir cp rm cat ls tar diff; do ln -s busybox "$pkg/bin/$a"; done
  cp /usr/bin/dpkg "$pkg/usr/bin/dpkg"
  # ldd fails on a static busybox: it needs nothing then.
  for lib in $( (ldd /usr/bin/dpkg; ldd "$BUSYBOX" 2>/dev/null || true) |
                awk '/=>/ { print $3 } /ld-linux/ { print $1 }' | sort -u); do
    mkdir -p "$pkg$(dirname "$lib")"
    cp -L "$lib" "$pkg$lib"
  done
  for stub in sbin/ldconfig sbin/start-stop-daemon usr/bin/dpkg-deb; do
    printf '#!/bin/sh\nexit 0\n' >"$pkg/$stub"
    chmod 755 "$pkg/$stub"
  done
  {
    echo "Package: hostbase-vzt"; echo "Version: 1.0"; echo "Architecture: all"
    echo "Maintainer: vztmpl tests <tests@test.invalid>"; echo "Priority: required"
    echo "Description: a shell and dpkg from the test host"
  } >"$pkg/DEBIAN/control"
  mkdir -p "$1"
  dpkg-deb --root-owner-group -Zxz --build "$pkg" "$1/hostbase-vzt_1.0_all.deb" >/dev/null
}

# buildable_repo: a signed repository in $T/repo (suite testing, key "good",
# pool $POOL) whose hello-vzt (depending on base-vzt and hostbase-vzt) can
# be built and configured, served on $URL; host apt sources kept out.
buildable_repo() {
  POOL="$T/repo/pool/main"
  make_key good
  make_host_base "$POOL"
  make_deb "$POOL" hello-vzt 1.0 "base-vzt, hostbase-vzt"
  make_deb "$POOL" base-vzt 1.0
  make_repo "$T/repo" testing good 7
  serve "$T/repo"
  export VZTMPL_APT_DIR="$T/no-apt" # no host sources may leak in
}

# front NAME UPSTREAM [ADDRESS]: a fault-injecting HTTP front (faultfront.py)
# on loopback before UPSTREAM, with its rules in $T/NAME.rules (none yet:
# everything passes) and its log in $T/NAME.log; sets FRONT_URL.
front() {
  : >"$T/$1.rules"
  python3 "$TESTS_DIR/faultfront.py" "$2" "$T/$1.rules" "$T/$1.port" "$T/$1.log" "${3:-127.0.0.1}" &
  FRONT_PIDS="${FRONT_PIDS:-} $!"
  wait_until "the fault front $1 to start" test -s "$T/$1.port"
  # shellcheck disable=SC2034 # read by the tests that call front
  FRONT_URL="http://${3:-127.0.0.1}:$(cat "$T/$1.port")"
}

# vztmpl_cgroups: the cgroups of vztmpl runs ("vztmpl-<pid>",
# "vztmpl-build-<pid>") where runs started from here make them: below this
# shell's own group in each hierarchy, or below a hierarchy's root. A group
# in a sibling subtree belongs to another session on the same kernel (one
# whose processes were killed) and is none of this test's business.
vztmpl_cgroups() {
  awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts | while read -r m; do
    cut -d: -f3- /proc/self/cgroup | sort -u | while read -r own; do
      for parent in "$m" "$m$own"; do
        # (an if, not &&: under set -e a false test ending the loop's body
        # would end the loop, and with it the search)
        if [ -d "$parent" ]; then find "$parent" -mindepth 1 -maxdepth 1 -type d -name 'vztmpl-*'; fi
      done
    done
  done 2>/dev/null | sort -u
}
# leftover_cgroups: those whose process is gone (a run still going elsewhere
# on the machine is not a leftover).
leftover_cgroups() {
  vztmpl_cgroups | while read -r g; do
    pid=${g##*-}
    kill -0 "$pid" 2>/dev/null || echo "$g"
  done
}

# cgroups_snapshot: the leftovers there already, for assert_no_new_cgroups.
# (One test's leftover must fail that test, not every test after it.)
cgroups_snapshot() {
  leftover_cgroups >"$T/cgroups.before"
}
# assert_no_new_cgroups: fails naming each leftover group that was not in
# the snapshot, with the processes still in it.
assert_no_new_cgroups() {
  touch "$T/cgroups.before"
  new=$(leftover_cgroups | grep -vxF -f "$T/cgroups.before" || true)
  [ -z "$new" ] && return 0
  for g in $new; do
    echo "left behind: $g, processes: $(tr '\n' ' ' <"$g/cgroup.procs" 2>/dev/null)" >&2
  done
  grep "cgroup" "$T/stderr" >&2 2>/dev/null || true
  fail "cgroups left behind${1:+ by $1}"
}

# No file may be left in the cache's templates/ after a refused build.
assert_no_template() {
  if [ -d "$1/templates" ] && [ -n "$(ls -A "$1/templates")" ]; then
    ls -la "$1/templates" >&2
    fail "a template was written to $1/templates"
  fi
}

# minbase_root DIR: a deployed Debian 12 minbase root in DIR, built into the
# shared test cache $CACHE when it is not there yet.
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
minbase_root() {
  expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
  expect_exit 0 "$VZTMPL" -C "$CACHE" deploy debian-12-x86_64-minbase "$1"
}

# arm64_minbase: the real arm64 Debian 12 minbase in $CACHE, the one
# test-foreign-arch.sh leaves there, else built (about 30 s of qemu-user);
# false when neither is possible (no qemu-user-static).
arm64_minbase() {
  "$VZTMPL" -C "$CACHE" list templates 2>/dev/null | grep -q '^debian-12-aarch64-minbase ' && return 0
  [ -f /usr/share/binfmts/qemu-aarch64 ] || return 1
  expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --arch arm64 --variant minbase
}

# --- Rootless runs ---
# With VZTMPL_TEST_ROOTLESS=1 a test runs vztmpl as the ordinary user
# $ROOTLESS_USER (with subordinate id ranges) while the test itself stays
# root, to plant hostile input and read the results: $VZTMPL becomes a
# wrapper that runs the binary as that user (arguments, working directory and
# environment kept; HOME the user's, its default cache in $T), $T belongs to
# the user, and $CACHE is a Debian 12 minbase cache of the user's own, shared
# by the tests of a run. The same tests must pass both ways; a case that
# cannot apply to an ordinary user says so with rootless_skip.
ROOTLESS_USER=
rootless() { [ -n "$ROOTLESS_USER" ]; }
# rootless_skip CASE WHY: the one case of a rootless run that does not apply.
rootless_skip() { echo "rootless: skipped $1: $2"; }
# user_owns PATH...: PATH (made as a directory when missing) becomes the
# rootless user's, where vztmpl writes as that user; nothing as root.
user_owns() {
  for _uo in "$@"; do
    [ -e "$_uo" ] || [ -L "$_uo" ] || mkdir -p "$_uo"
    if rootless; then chown -h "$ROOTLESS_USER:" "$_uo"; fi
  done
}
# as_rootless CMD...: CMD as the rootless user.
as_rootless() {
  setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups -- \
    env HOME="$ROOTLESS_HOME" USER="$ROOTLESS_USER" LOGNAME="$ROOTLESS_USER" "$@"
}
if [ -n "${VZTMPL_TEST_ROOTLESS:-}" ] && [ "${VZTMPL_TEST_ROOTLESS:-}" != 0 ]; then
  [ "$(id -u)" = 0 ] || skip "a rootless run is started by root (it creates the user and plants as root)"
  command -v newuidmap >/dev/null || skip "newuidmap is not installed (Debian package uidmap)"
  command -v setpriv >/dev/null || skip "setpriv is not installed (Debian package util-linux)"
  ROOTLESS_USER=vztmpl-rootless # the user of test-rootless.sh
  id "$ROOTLESS_USER" >/dev/null 2>&1 || useradd -m -s /bin/sh "$ROOTLESS_USER"
  grep -q "^$ROOTLESS_USER:" /etc/subuid || usermod --add-subuids 300000-365535 "$ROOTLESS_USER"
  grep -q "^$ROOTLESS_USER:" /etc/subgid || usermod --add-subgids 300000-365535 "$ROOTLESS_USER"
  ROOTLESS_HOME=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  ROOTLESS_UID=$(id -u "$ROOTLESS_USER")
  ROOTLESS_GID=$(id -g "$ROOTLESS_USER")
  # The binary must be the user's to run: the source tree may sit under
  # root's home, so a copy in $T (a sanitizer build stays usable).
  user_owns "$T"
  chmod 700 "$T"
  mkdir "$T/.rootless" "$T/.rootless/cache-home"
  cp "$VZTMPL" "$T/.rootless/vztmpl"
  chmod 755 "$T/.rootless" "$T/.rootless/vztmpl"
  chown "$ROOTLESS_USER:" "$T/.rootless/cache-home"
  # The recipes likewise: the user may not reach into the source tree (a
  # clone under a 0700 directory).
  if [ -z "${VZTMPL_RECIPES:-}" ]; then
    cp -R "$SRC_DIR/recipes" "$T/.rootless/recipes"
    chmod -R a+rX "$T/.rootless/recipes"
    export VZTMPL_RECIPES="$T/.rootless/recipes"
  fi
  # VZTMPL_BIN: the binary itself (for ldd and the like), VZTMPL the wrapper.
  VZTMPL_BIN=$T/.rootless/vztmpl
  cat >"$T/.rootless/run" <<WRAP
#!/bin/sh
# vztmpl as $ROOTLESS_USER: the same arguments, directory and environment.
exec setpriv --reuid=$ROOTLESS_UID --regid=$ROOTLESS_GID --init-groups -- \\
  env HOME=$ROOTLESS_HOME USER=$ROOTLESS_USER LOGNAME=$ROOTLESS_USER \\
  XDG_CACHE_HOME=$T/.rootless/cache-home $VZTMPL_BIN "\$@"
WRAP
  chmod 755 "$T/.rootless/run"
  VZTMPL=$T/.rootless/run
  export VZTMPL VZTMPL_BIN
  # The user's cache: its packages copied from root's (no download), its
  # Debian 12 minbase built once, as the user, for every test of the run.
  export VZTMPL_TEST_CACHE="${VZTMPL_TEST_CACHE_ROOTLESS:-/var/tmp/vztmpl-test-cache-rootless}"
  CACHE=$VZTMPL_TEST_CACHE
  ROOT_CACHE=/var/tmp/vztmpl-test-cache
  (
    flock 9
    if [ ! -e "$CACHE/templates/debian-12-x86_64-minbase.tar.zst" ]; then
      mkdir -p "$CACHE"
      for d in blobs releases solv; do
        [ ! -d "$ROOT_CACHE/$d" ] || [ -e "$CACHE/$d" ] || cp -a "$ROOT_CACHE/$d" "$CACHE/$d"
      done
      chown -R "$ROOTLESS_USER:" "$CACHE"
      echo "rootless: building Debian 12 minbase into $CACHE as $ROOTLESS_USER (once)"
      (cd "$T" && "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase) >"$T/rootless-build.log" 2>&1 ||
        { cat "$T/rootless-build.log" >&2; echo "FAIL: the rootless Debian 12 minbase build failed" >&2; exit 1; }
    fi
  ) 9>>"/var/tmp/vztmpl-test-cache-rootless.lock" || exit 1
  [ "$(stat -c %u "$CACHE/templates/debian-12-x86_64-minbase.tar.zst")" = "$ROOTLESS_UID" ] ||
    fail "the rootless cache's template is not $ROOTLESS_USER's: is vztmpl run as the user?"
  echo "rootless: vztmpl runs as $ROOTLESS_USER (uid $ROOTLESS_UID) through $VZTMPL, cache $CACHE"
else
  VZTMPL_BIN=$VZTMPL
fi
