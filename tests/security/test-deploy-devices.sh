#!/bin/sh
# deploy creates no device node from a template but the harmless character
# devices (null, zero, full, random, urandom, tty at their own numbers): a
# 0666 copy of a host disk's block device, or of /dev/mem, is skipped with a
# note, so no host user can read the disk through the template's node.
. "$(dirname "$0")/../integration/testlib.sh"
. "$(dirname "$0")/deploylib.sh"
need_root

# The numbers of a real disk of this host (the root file system's).
disk=$(findmnt -n -o SOURCE / | sed 's/\[.*//')
[ -b "$disk" ] || disk=$(ls /dev/vda /dev/sda /dev/nvme0n1 /dev/loop0 2>/dev/null | head -1)
[ -b "$disk" ] || skip "no block device on this host to copy"
maj=$((0x$(stat -L -c %t "$disk"))) min=$((0x$(stat -L -c %T "$disk")))
echo "host disk $disk is block $maj:$min"

# An ordinary user's vztmpl can make no device node at all (the kernel
# forbids mknod in a user namespace): rootless, the template holds only the
# nodes deploy must skip, and the fifo.
harmless=1
if rootless; then
  harmless=
  rootless_skip "dev/null and dev/urandom" "no ordinary user can make a device node; the hostile ones must still be skipped"
fi
python3 - "$T/dev.tar" "$maj" "$min" "$harmless" <<'PY'
import sys, tarfile
maj, mn = int(sys.argv[2]), int(sys.argv[3])
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    def node(name, kind, a, b, mode=0o666):
        i = tarfile.TarInfo(name); i.type = kind; i.devmajor, i.devminor = a, b; i.mode = mode
        t.addfile(i)
    for d in ("./", "./dev/"):
        i = tarfile.TarInfo(d); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
    if sys.argv[4]:
        node("./dev/null", tarfile.CHRTYPE, 1, 3)
        node("./dev/urandom", tarfile.CHRTYPE, 1, 9)
    node("./dev/disk", tarfile.BLKTYPE, maj, mn)
    node("./dev/mem", tarfile.CHRTYPE, 1, 1)
    node("./dev/zero", tarfile.CHRTYPE, maj, mn)    # a harmless name with a disk's numbers
    node("./etc-null", tarfile.CHRTYPE, 1, 3)       # a harmless device elsewhere
    node("./dev/fifo", tarfile.FIFOTYPE, 0, 0, 0o644)
PY
seal "$T/dev.tar" evil-dev
R="$T/ct/root"
expect_exit 0 "$VZTMPL" deploy "$T/tpl/evil-dev.json" "$R"
for n in dev/disk dev/mem dev/zero etc-null; do
  [ ! -e "$R/$n" ] && [ ! -L "$R/$n" ] || fail "deploy created $n: $(ls -l "$R/$n")"
done
expect_stderr "skipped the block device ./dev/disk ($maj:$min)"
expect_stderr "skipped the character device ./dev/mem (1:1)"
echo "a 0666 block node of $disk, /dev/mem, a disk under dev/zero's name, null outside /dev: all skipped, with a note each"
if [ -n "$harmless" ]; then
  [ "$(stat -c '%F %t:%T' "$R/dev/null")" = "character special file 1:3" ] || fail "dev/null is $(stat -c '%F %t:%T' "$R/dev/null")"
  [ "$(stat -c '%F %t:%T' "$R/dev/urandom")" = "character special file 1:9" ] || fail "dev/urandom missing"
fi
[ -p "$R/dev/fifo" ] || fail "the fifo is missing"
echo "created: ${harmless:+dev/null, dev/urandom and }the fifo"

# Whatever the host path, nobody reads the disk through the template.
set +e
chmod 755 "$T" "$T/ct"  # the path open to all: only the missing node stands in the way
su nobody -s /bin/sh -c "head -c 1 $R/dev/disk" >/dev/null 2>&1
rc=$?
set -e
chmod 700 "$T" "$T/ct"
[ "$rc" != 0 ] || fail "nobody read the host disk through the template's node"
echo "nobody reading $R/dev/disk: refused (exit $rc)"

# The reflink and overlay trees come from the same extraction: no node there either.
if "$VZTMPL" -C "$T/cache" deploy --mode overlay "$T/tpl/evil-dev.json" "$T/ov/root" >/dev/null 2>&1; then
  [ ! -e "$T/ov/root/dev/disk" ] || { umount "$T/ov/root"; fail "the overlay shows the disk node"; }
  umount "$T/ov/root"
  echo "overlay: no disk node either"
fi
