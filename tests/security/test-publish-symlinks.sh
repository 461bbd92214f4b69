#!/bin/sh
# publish into a directory another user owns, who has planted symbolic links
# at every name publish may create (the lock, every index, their temporary
# names "<name>.tmp.<pid>" for the next pids, meta/1.0/...) and a directory
# link: none of them is followed, and a root-only 0600 file elsewhere keeps
# its bytes and its mode (rootless: a file of the publishing user's own, in
# a directory the user shares with nobody). A link at the lock's name or at index.json (which
# publish reads) is refused (exit 3).
# (The temporary SHA256SUMS.tmp.<pid> used to be opened with O_TRUNC and no
# O_NOFOLLOW: such a link made root overwrite the file it pointed at.)
. "$(dirname "$0")/../integration/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
[ -e "$CACHE/templates/$A.tar.zst" ] || expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
make_key pub

chmod 0711 "$T" # the other user must reach the publish directory
mkdir -m 0700 "$T/private"
VICTIM="$T/private/root-only"
echo "root's secret" >"$VICTIM"
chmod 0600 "$VICTIM"
mkdir -m 0700 "$T/private/dir"
echo "root's other secret" >"$T/private/dir/index-system"
chmod 0600 "$T/private/dir/index-system"
# Rootless, the publisher is the ordinary user: the victims are that user's
# own files (which it could overwrite, were a link followed), and the site is
# a directory nobody and the user's group share.
user_owns "$T/private" "$VICTIM" "$T/private/dir" "$T/private/dir/index-system"
if rootless; then
  gpgconf --homedir "$GNUPGHOME" --kill all # root's agent; the user's vztmpl signs
  chown -R "$ROOTLESS_USER:" "$GNUPGHOME"
  umask 002 # what nobody plants stays writable for the group
fi
victims() { for v in "$VICTIM" "$T/private/dir/index-system"; do stat -c '%a %s %Y' "$v"; sha256sum <"$v"; done; }
victims >"$T/victims.before"

SITE="$T/site"
mkdir -m 0755 "$SITE"
chown nobody:nogroup "$SITE"
if rootless; then chown nobody:"$ROOTLESS_GID" "$SITE" && chmod 2775 "$SITE"; fi
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# plant NAMES...: links at each name and at "<name>.tmp.<pid>" for the next
# 400 pids (the writer's old temporary names), all pointing at the victim.
plant() {
  next=$(sh -c 'echo $$')
  as_nobody /usr/bin/python3 - "$SITE" "$VICTIM" "$next" "$@" <<'PY'
import os, sys
site, victim, nxt, names = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
n = 0
for name in names:
    os.makedirs(os.path.join(site, os.path.dirname(name)), exist_ok=True)
    for p in [None] + list(range(nxt, nxt + 400)):
        link = os.path.join(site, name if p is None else "%s.tmp.%d" % (name, p))
        if not os.path.lexists(link):
            os.symlink(victim, link); n += 1
print(n)
PY
}
# (--compression fast: the archive as cached; recompressing it is no part of
# what is tried here and took minutes.)
NAMES="SHA256SUMS SHA256SUMS.gpg aplinfo.dat aplinfo.dat.gz aplinfo.dat.asc meta/1.0/index-system meta/1.0/index-user"
# shellcheck disable=SC2086 # NAMES is a list of names without blanks
count=$(plant .vztmpl-publish.lock index.json $NAMES)
echo "planted $count links (as nobody) at the lock, every index and their temporary names"

expect_exit 3 "$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid "$A"
expect_stderr ".vztmpl-publish.lock"
echo "publish with a link at the lock: exit 3: $(grep -o 'is a symbolic link[^(]*' "$T/stderr" | head -1)"
victims | cmp -s - "$T/victims.before" || fail "the root-only file changed (lock)"

as_nobody rm "$SITE/.vztmpl-publish.lock"
expect_exit 3 "$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid "$A"
expect_stderr "index.json is not a regular file"
echo "publish with a link at index.json: exit 3: $(grep -o 'is not a regular file[^(]*' "$T/stderr" | head -1)"
victims | cmp -s - "$T/victims.before" || fail "the root-only file changed (index.json)"

as_nobody rm "$SITE/index.json"
# shellcheck disable=SC2086 # as above
count=$(plant $NAMES)
echo "planted $count more links for the next pids; the lock and index.json links removed"
expect_exit 0 "$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid "$A"
echo "publish with links at every index name: exit 0"
victims | cmp -s - "$T/victims.before" || { victims; fail "the root-only file changed"; }
for f in index.json SHA256SUMS SHA256SUMS.gpg aplinfo.dat meta/1.0/index-system; do
  [ -f "$SITE/$f" ] && [ ! -L "$SITE/$f" ] || fail "$f is not a regular file of publish's"
done
(cd "$SITE" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match the published files"
echo "every index is publish's own file, the links beside them untouched, SHA256SUMS checks"

# A directory link: meta -> a root-only directory holding a file of the same name.
as_nobody rm -rf "$SITE/meta"
as_nobody ln -s "$T/private/dir" "$SITE/meta"
set +e
"$VZTMPL" -C "$CACHE" publish "$SITE" --compression fast --sign pub@test.invalid "$A" >"$T/stdout" 2>"$T/stderr"
got=$?
set -e
echo "publish with meta -> a root-only directory: exit $got: $(tail -n1 "$T/stderr")"
victims | cmp -s - "$T/victims.before" || { victims; fail "a file behind the meta link changed"; }
[ "$got" = 3 ] || fail "publish with a meta link exited $got, wanted 3"
[ "$(ls -A "$T/private/dir")" = index-system ] || fail "publish created $(ls -A "$T/private/dir") through the meta link"
# A swap race: in a site whose build directories' parents the other user
# owns, each staged directory publish makes (".<build>.tmp.<pid>") is
# renamed away the moment it appears and a link to the root-only directory
# put in its place. publish writes every file through the descriptor of the
# directory it made, so nothing lands behind the link, and it refuses
# (exit 3) to rename a swapped name into place.
SITE2="$T/site2"
mkdir -m 0755 "$SITE2"
chown nobody:nogroup "$SITE2"
if rootless; then chown nobody:"$ROOTLESS_GID" "$SITE2" && chmod 2775 "$SITE2"; fi
lxcparent=$(cd "$SITE" && find images -mindepth 4 -maxdepth 4 -type d | head -n1)
[ -n "$lxcparent" ] || fail "the first publish made no images/ tree"
as_nobody mkdir -p "$SITE2/templates/$A" "$SITE2/$lxcparent"
as_nobody /usr/bin/python3 - "$SITE2" "$T/private/dir" "$T/swapper.stop" >"$T/swapper.out" <<'PY' &
import os, re, sys, time
site, target, stop = sys.argv[1:4]
staged = re.compile(r"^\..*\.tmp\.[0-9]+$")
swaps, end = 0, time.time() + 900
while not os.path.exists(stop) and time.time() < end:
    for d, dirs, _ in os.walk(site):
        for name in dirs:
            p = os.path.join(d, name)
            if staged.match(name) and not os.path.islink(p):
                try:
                    os.rename(p, p + ".moved")
                    os.symlink(target, p)
                    swaps += 1
                except OSError:
                    pass
print(swaps)
PY
swapper=$!
set +e
"$VZTMPL" -C "$CACHE" publish "$SITE2" --compression fast "$A" >"$T/stdout" 2>"$T/stderr"
got=$?
set -e
touch "$T/swapper.stop"
wait "$swapper"
swaps=$(cat "$T/swapper.out")
echo "publish while nobody swapped staged directories for links ($swaps swaps): exit $got: $(tail -n1 "$T/stderr")"
[ "$swaps" -gt 0 ] || fail "no staged directory was ever swapped: the race was not run"
[ "$got" = 3 ] || fail "publish exited $got after its staged directories were swapped, wanted 3"
grep -q "was replaced while it was being" "$T/stderr" || fail "the refusal does not say the directory was replaced"
victims | cmp -s - "$T/victims.before" || { victims; fail "a root-only file changed in the swap race"; }
[ "$(ls -A "$T/private/dir")" = index-system ] ||
  fail "publish wrote $(ls -A "$T/private/dir" | tr '\n' ' ')through a swapped-in link"
echo "publish symlinks: no planted link was followed, the root-only files are as they were"
