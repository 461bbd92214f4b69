#!/bin/sh
# A template's setuid programs are no way to root for host users: the root
# deploy makes is 0755 and root's whatever the archive's "./" entry says
# (0777 and uid 1000 here), and root refuses to deploy where every directory
# above ROOT lets other host users through (as LXC keeps a 0700 directory
# around a container's rootfs); a missing parent is made 0700. Rootless, the
# container's root is the deploying user: its setuid programs would run as
# that user, and the same rule holds for that user's directories.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root
PUB=
trap 'rm -rf "$PUB"; cleanup' EXIT

python3 - "$T/suid.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("./"); i.type = tarfile.DIRTYPE; i.mode = 0o777; i.uid = i.gid = 1000; t.addfile(i)
    i = tarfile.TarInfo("./bin/"); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    data = open("/usr/bin/id", "rb").read()
    i = tarfile.TarInfo("./bin/rootid"); i.size = len(data); i.mode = 0o4755
    import io; t.addfile(i, io.BytesIO(data))
PY
seal "$T/suid.tar" evil-suid

# A parent that does not exist is made 0700; the root is 0755 root:root.
R="$T/ct/root"
owner=0:0 # the container's root on the host
if rootless; then owner=$ROOTLESS_UID:$ROOTLESS_GID; fi
expect_exit 0 "$VZTMPL" deploy "$T/tpl/evil-suid.json" "$R"
[ "$(stat -c '%a %u:%g' "$R")" = "755 $owner" ] || fail "the root is $(stat -c '%a %u:%g' "$R"), not 755 $owner"
[ "$(stat -c '%a' "$T/ct")" = 700 ] || fail "the parent made for the root is $(stat -c %a "$T/ct")"
[ "$(stat -c '%a %u' "$R/bin/rootid")" = "4755 ${owner%:*}" ] || fail "the template's own setuid file changed: $(stat -c '%a %u' "$R/bin/rootid")"
echo "archive's ./ is 0777 uid 1000: the root is $(stat -c '%a %u:%g' "$R"), its new parent $(stat -c %a "$T/ct")"

# A host user cannot reach the setuid program through the host path.
chmod 755 "$T" # only the parent made by deploy stands in the way now
set +e
# (su, not setpriv: setpriv looks the program up before it gives up root's rights)
out=$(su nobody -s /bin/sh -c "$R/bin/rootid -u" 2>&1)
rc=$?
set -e
chmod 700 "$T"
[ "$rc" != 0 ] || fail "nobody ran the template's setuid program and got uid $out"
echo "nobody running $R/bin/rootid: refused ($out)"

# Root will not deploy where other users can walk in: every directory
# above is traversable (/var/tmp is 1777, /var and / 0755).
PUB=$(mktemp -d /var/tmp/vztmpl-pub.XXXXXX)
chmod 755 "$PUB"
user_owns "$PUB"
expect_exit 3 "$VZTMPL" deploy "$T/tpl/evil-suid.json" "$PUB/root"
expect_stderr "chmod 700"
[ ! -e "$PUB/root" ] || fail "a refused deploy created $PUB/root"
echo "deploy under $PUB (0755, all above traversable): refused: $(head -c 160 "$T/stderr")"
chmod 700 "$PUB"
expect_exit 0 "$VZTMPL" deploy "$T/tpl/evil-suid.json" "$PUB/root"
echo "after chmod 700 $PUB: deployed"
