#!/bin/sh
# A device node inside a container root opens no device from inside the
# sandbox: a 0666 node with the numbers of the host's disk (as a crafted or
# old template, or a user with write access to the root, could leave it) is
# refused, while the sandbox's own /dev keeps working.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
R="$T/root"
minbase_root "$R"

# The host's root file system's disk, or /dev/null's numbers where it has none.
disk=$(findmnt -n -o SOURCE / | head -1)
if [ -b "$disk" ]; then
  # shellcheck disable=SC2046 # split into the major and minor numbers
  set -- $(stat -c '%t %T' "$disk")
  mknod -m 0666 "$R/hostdisk" b "$((0x$1))" "$((0x$2))"
  node=$disk
else
  mknod -m 0666 "$R/hostdisk" c 1 3
  node=/dev/null
fi
set +e
"$VZTMPL" exec "$R" -- dd if=/hostdisk of=/dev/null bs=512 count=1 >"$T/stdout" 2>"$T/stderr"
rc=$?
set -e
echo "a 0666 node for $node in the root, read from inside: exit $rc, $(head -1 "$T/stderr")"
[ "$rc" != 0 ] || fail "the sandbox opened the host's $node through a node in the root"
grep -q "Permission denied" "$T/stderr" || fail "the refusal was not the nodev one: $(cat "$T/stderr")"
expect_exit 0 "$VZTMPL" exec "$R" -- dd if=/dev/zero of=/dev/null bs=512 count=1
echo "the sandbox's own /dev/zero and /dev/null: usable"
echo "sandbox-nodev: ok"
