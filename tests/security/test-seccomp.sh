#!/bin/sh
# The sandbox's system call filter: a key host root put in its keyring
# cannot be read, nor a key added, and bpf, perf_event_open, userfaultfd,
# open_by_handle_at, kexec and module loading fail with EPERM, for a 64-bit
# and through the 32-bit entry alike.
. "$(dirname "$0")/../integration/testlib.sh"
need_root
command -v keyctl >/dev/null || skip "needs keyctl (Debian package keyutils)"
command -v cc >/dev/null || skip "needs cc"
R="$T/root"
minbase_root "$R"

KEY=$(keyctl add user vzt-secret s3cret @u)
trap 'keyctl unlink "$KEY" @u >/dev/null 2>&1 || true
  P=$(keyctl search @u user vzt-planted 2>/dev/null) && keyctl unlink "$P" @u >/dev/null 2>&1
  cleanup' EXIT

# One line per system call: NAME=ok or NAME=ERRNO-NAME.
cat >"$T/sc.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void show(const char *name, long r)
{
  printf("%s=%s\n", name, r >= 0 ? "ok" : errno == EPERM ? "EPERM" : strerrorname_np(errno));
}
int main(int argc, char **argv)
{
  long key = strtol(argv[1], NULL, 10);
  char buf[64];
  show("keyctl_read", syscall(SYS_keyctl, 11 /* KEYCTL_READ */, key, buf, sizeof(buf)));
  show("keyctl_search", syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -4 /* @u */, "user", "vzt-secret", 0));
  show("add_key", syscall(SYS_add_key, "user", "vzt-planted", "x", 1, -4));
  show("request_key", syscall(SYS_request_key, "user", "vzt-secret", NULL, 0));
  int zero[32] = {0};
  show("bpf", syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, zero, sizeof(zero)));
  show("perf_event_open", syscall(SYS_perf_event_open, zero, 0, -1, -1, 0));
  show("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = {8, 1, {0}};
  show("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
  show("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0));
  show("init_module", syscall(SYS_init_module, NULL, 0, ""));
  show("delete_module", syscall(SYS_delete_module, "vzt-none", 0));
#ifdef __x86_64__
  /* The i386 entry (keyctl is 288 there), which 64-bit code can use too. */
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(288L), "b"(11L), "c"(key), "d"(0L), "S"(0L) : "memory");
  errno = r < 0 ? (int) -r : 0;
  show("keyctl_read_i386", r);
#endif
  return 0;
}
C
cc -static -O1 -o "$R/sc" "$T/sc.c" || fail "cannot compile the helper"
# The key is there and readable outside: what the sandbox must refuse.
"$R/sc" "$KEY" >"$T/host.out"
grep -qx 'keyctl_read=ok' "$T/host.out" || fail "the helper cannot read the key on the host: $(cat "$T/host.out")"
echo "host: $(tr '\n' ' ' <"$T/host.out")"
# The key the helper added on the host goes: the sandbox must not add one.
keyctl unlink "$(keyctl search @u user vzt-planted)" @u >/dev/null

N=$(grep -c . "$T/host.out")
check_all_eperm() { # check_all_eperm FILE WHAT
  [ "$(grep -c . "$1")" = "$N" ] || fail "$2: the helper did not finish: $(cat "$1")"
  if grep -v '=EPERM$' "$1" >&2; then fail "$2: the calls above were not refused with EPERM"; fi
  echo "$2: all $N calls refused with EPERM: $(tr '\n' ' ' <"$1")"
}
expect_exit 0 "$VZTMPL" exec "$R" -- /sc "$KEY"
check_all_eperm "$T/stdout" "sandbox, 64-bit"
expect_exit 0 "$VZTMPL" exec "$R" -- grep -E '^Seccomp(_filters)?:' /proc/self/status
grep -qx 'Seccomp:	2' "$T/stdout" || fail "no seccomp filter: $(cat "$T/stdout")"
echo "status: $(tr '\n' ' ' <"$T/stdout")"

# A 32-bit program enters the kernel through the compat table, which the
# filter must cover too.
if [ "$(uname -m)" = x86_64 ] && cc -m32 -static -O1 -o "$R/sc32" "$T/sc.c" 2>/dev/null; then
  expect_exit 0 "$VZTMPL" exec "$R" -- /sc32 "$KEY"
  check_all_eperm "$T/stdout" "sandbox, 32-bit"
else
  echo "32-bit: no multilib compiler here, not tried"
fi
! keyctl search @u user vzt-planted >/dev/null 2>&1 || fail "the sandbox added a key to root's keyring"
echo "seccomp: ok"
