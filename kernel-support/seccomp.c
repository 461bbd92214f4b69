/* The sandbox's system call filter, compiled with libseccomp. */
#include "config.h"
#include "kernel-support/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/alloc.h"

/* What fails with EPERM, as Docker's default profile refuses it: the
 * keyrings are not namespaced (root's keys would be readable); modules and
 * kexec change the host's kernel; BPF, perf and userfaultfd are large attack
 * surfaces no package script needs; open_by_handle_at opens any inode of a
 * mounted file system by number, past the root; the rest are process
 * accounting, the kernel log and relics. Names unknown to libseccomp or to
 * every architecture of the filter are skipped. */
static const char *const sc_denied[] = {
    "keyctl", "add_key", "request_key",
    "kexec_load", "kexec_file_load",
    "init_module", "finit_module", "delete_module",
    "open_by_handle_at",
    "bpf", "perf_event_open", "userfaultfd",
    "acct", "syslog", "lookup_dcookie", "uselib",
};

/* The architectures whose system calls this kernel accepts besides its
 * native one: a 32-bit program in the root must meet the same filter. A
 * foreign root runs through qemu-user, which makes host system calls, so the
 * host's filter covers it too. */
static const uint32_t sc_compat_arches[] = {
#if defined(__x86_64__)
    SCMP_ARCH_X86, SCMP_ARCH_X32,
#elif defined(__aarch64__)
    SCMP_ARCH_ARM,
#elif defined(__s390x__)
    SCMP_ARCH_S390,
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    SCMP_ARCH_PPC,
#endif
    0,
};

static void sc_releasep(scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release(*ctx);
}

static int sc_build(scmp_filter_ctx ctx, struct vzt_error **err)
{
  int r;
  for (size_t i = 0; sc_compat_arches[i]; i++) {
    r = seccomp_arch_add(ctx, sc_compat_arches[i]);
    if (r < 0 && r != -EEXIST)
      return vzt_fail_errno(err, -r, "seccomp: cannot add architecture 0x%x to the filter",
                            sc_compat_arches[i]);
  }
  for (size_t i = 0; i < VZT_ARRAY_SIZE(sc_denied); i++) {
    int nr = seccomp_syscall_resolve_name(sc_denied[i]);
    if (nr == __NR_SCMP_ERROR)
      continue;
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (r < 0 && r != -EDOM)
      return vzt_fail_errno(err, -r, "seccomp: cannot add a rule for %s", sc_denied[i]);
  }
  /* TIOCSTI pushes bytes into a terminal's input: a command sharing the
   * caller's terminal would have the caller's shell run them after it
   * exits. TIOCLINUX can do the same through the console's selection. The
   * kernel reads the request as 32 bits, so only those are compared: a
   * value with high bits set must not slip past. */
  static const unsigned long tty_requests[] = {TIOCSTI, TIOCLINUX};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(tty_requests); i++) {
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                         SCMP_A1_32(SCMP_CMP_EQ, tty_requests[i]));
    if (r < 0)
      return vzt_fail_errno(err, -r, "seccomp: cannot add a rule for ioctl 0x%lx", tty_requests[i]);
  }
  return 0;
}

int vzt_seccomp_prepare(struct vzt_seccomp *f, struct vzt_error **err)
{
  memset(f, 0, sizeof(*f));
  __attribute__((cleanup(sc_releasep))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx)
    return vzt_fail(err, "seccomp: cannot create a filter");
  if (sc_build(ctx, err) < 0)
    return -1;

  /* libseccomp 2.5 exports only to a descriptor. */
  _cleanup_close_ int fd = memfd_create("vztmpl-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "seccomp: cannot create a memfd for the filter");
  int r = seccomp_export_bpf(ctx, fd);
  if (r < 0)
    return vzt_fail_errno(err, -r, "seccomp: cannot compile the filter");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vzt_fail_errno(err, errno, "seccomp: cannot read the compiled filter");
  size_t n = (size_t) st.st_size / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS || (size_t) st.st_size % sizeof(struct sock_filter))
    return vzt_fail(err, "seccomp: the compiled filter has an unexpected size (%lld bytes)",
                    (long long) st.st_size);
  _cleanup_free_ struct sock_filter *insns = vzt_calloc(n, sizeof(*insns));
  if (pread(fd, insns, (size_t) st.st_size, 0) != st.st_size)
    return vzt_fail_errno(err, errno, "seccomp: cannot read the compiled filter");
  f->prog.len = (unsigned short) n;
  f->prog.filter = steal_pointer(&insns);
  return 0;
}

void vzt_seccomp_release(struct vzt_seccomp *f)
{
  free(f->prog.filter);
  f->prog.filter = NULL;
  f->prog.len = 0;
}

int vzt_seccomp_load(const struct vzt_seccomp *f)
{
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0, 0);
}
