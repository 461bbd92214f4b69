/* The system call filter every sandboxed command runs under: made in the
 * parent, where allocating is safe, and loaded in the command without it. */
#pragma once
#include <linux/filter.h>
#include "lib/error.h"

/* A compiled filter (classic BPF), ready for the kernel. */
struct vzt_seccomp {
  struct sock_fprog prog;
};

/* Builds the filter for the host's native and compat architectures: the
 * system calls a container never needs and that reach the host's kernel
 * state (keyrings, modules, kexec, BPF, perf, userfaultfd, file handles,
 * terminal input injection) fail with EPERM; everything else is allowed. */
int vzt_seccomp_prepare(struct vzt_seccomp *f, struct vzt_error **err);
void vzt_seccomp_release(struct vzt_seccomp *f);
/* Installs it in the calling process: no allocation, so safe after a raw
 * clone. no_new_privs must be set already. -1 with errno on failure. */
int vzt_seccomp_load(const struct vzt_seccomp *f);
