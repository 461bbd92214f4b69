#!/bin/sh
# `vztmpl build debian`, the README's first command: Debian 13 minimal from
# the host's mirror, a template that boots with systemd, ssh and networking.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian
tpl="$CACHE/templates/debian-13-x86_64.tar.zst"
[ "$(cat "$T/stdout")" = "$tpl" ] || fail "build did not print the template path"
[ -f "$CACHE/templates/debian-13-x86_64.json" ] || fail "no manifest"
expect_exit 0 "$VZTMPL" -C "$CACHE" --json info debian-13-x86_64
python3 - "$T/stdout" "$tpl" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
assert m["name"] == "debian-13-x86_64" and m["variant"] == "minimal", m["name"]
assert m["architecture"] == "x86_64" and m["codename"] == "trixie"
assert m["archive"]["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
names = {p["name"] for p in m["packages"]}
for want in ("systemd-sysv", "openssh-server", "ifupdown", "iproute2", "apt"):
    assert want in names, want
assert all(len(p["sha256"]) == 64 for p in m["packages"])
assert {v["suite"] for v in m["verified_indices"]} == {"trixie", "trixie-updates", "trixie-security"}
assert m["container_requirements"]["init"] == "systemd"
PY
mkdir "$T/root"
tar -C "$T/root" --zstd -xf "$tpl"
[ -z "$(dpkg --root="$T/root" --audit)" ] || fail "dpkg --audit reports problems"
[ -x "$T/root/usr/sbin/sshd" ] || fail "no sshd"
# shellcheck disable=SC2010,SC2143 # names of the template's own files; any line is a finding
[ -z "$(ls "$T/root/etc/ssh/" | grep host_)" ] || fail "ssh host keys left in the template"
[ -f "$T/root/etc/machine-id" ] && [ ! -s "$T/root/etc/machine-id" ] || fail "machine-id not empty"
# shellcheck disable=SC2010,SC2143 # as above
[ -z "$(ls -A "$T/root/var/lib/apt/lists" | grep -v -e partial -e lock)" ] || fail "apt lists left"
[ ! -e "$T/root/usr/sbin/policy-rc.d" ] || fail "the build's policy-rc.d was left behind"
[ -z "$(ls -A "$T/root/tmp")" ] || fail "/tmp not empty"
expect_exit 0 "$VZTMPL" -C "$CACHE" list templates
grep -q '^debian-13-x86_64 ' "$T/stdout" || fail "list templates lacks it"
echo "debian-13-x86_64: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$CACHE/templates/debian-13-x86_64.json") packages"

# verify: the archive and its dpkg database against the manifest.
expect_exit 0 "$VZTMPL" -C "$CACHE" verify debian-13-x86_64
grep -q 'verified' "$T/stdout" || fail "verify said nothing"
mkdir "$T/copy"
cp "$tpl" "$CACHE/templates/debian-13-x86_64.json" "$T/copy/"
size=$(stat -c %s "$T/copy/debian-13-x86_64.tar.zst")
corrupt_byte "$T/copy/debian-13-x86_64.tar.zst" $((size / 2))
expect_exit 3 "$VZTMPL" -C "$CACHE" verify "$T/copy/debian-13-x86_64.tar.zst"
expect_stderr "debian-13-x86_64.tar.zst: sha256"
cp "$tpl" "$T/copy/"
sed -i '0,/"version": "[^"]*"/s//"version": "0.0-forged"/' "$T/copy/debian-13-x86_64.json"
expect_exit 3 "$VZTMPL" -C "$CACHE" verify "$T/copy/debian-13-x86_64.tar.zst"
expect_stderr "the manifest says 0.0-forged"
echo "verify: passes, and refuses a flipped byte and a forged version"
