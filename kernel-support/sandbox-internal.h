/* What the sandbox's files share: the child's plan, its error report, and
 * the user-namespace steps sandbox-userns.c takes for it. */
#pragma once
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/types.h>
#include "kernel-support/sandbox.h"
#include "lib/error.h"

struct vzt_seccomp;

/* What the child sends back when set-up fails: one write, below PIPE_BUF, so
 * it arrives whole. */
struct vzt_sandbox_report {
  int errnum;
  int refused; /* a refusal (exit 3), not a failure: the root cannot be run safely */
  char msg[1016];
};

/* Everything the sandbox's pid 1 and command need, made before the clone
 * (the child must not allocate). */
struct vzt_sandbox_child {
  const struct vzt_sandbox_opts *opts;
  int go_fd; /* read end: the parent's go-ahead after attach, -1 when there is none */
  const char *root; /* canonical */
  const char *hostname;
  char *const *envp;
  int report_fd;
  int stdout_fd, stderr_fd; /* from opts, -1: inherit */
  int tty_sock; /* where pid 1 sends the master of the command's pty, -1: no pty */
  int tty_fd;   /* its slave, in pid 1 once made */
  cap_t caps; /* our sets with only the kept capabilities, made before the clone */
  const struct vzt_seccomp *filter; /* compiled before the clone */
  /* Real root only: the user namespace the command joins (-1: none, the
   * caller is rootless and already in one), where its root is on the host,
   * and whether the root's mount maps on-disk 0.. there. */
  int userns_fd;
  uid_t host_uid;
  gid_t host_gid;
  bool idmap_root;
};

/* A raw clone runs no atfork handler: another thread of ours may have held
 * malloc's lock, so the child formats on the stack and allocates nothing. */
void vzt_sandbox_report(int fd, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, for a root that cannot be run without giving up the boundary. */
void vzt_sandbox_refuse(int fd, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Pid 1, as real root: the root's bind mount, idmapped to the command's
 * user namespace; a kernel or file system that cannot idmap it is a
 * refusal, never a fallback to the host's root. */
int vzt_sandbox_idmap_root(const struct vzt_sandbox_child *c);
/* Pid 1, for a run of the host's programs (opts->root_at): an empty file
 * system of type fstype over the root's path, with the root (a clone of its
 * mounts, idmapped as vzt_sandbox_idmap_root would) moved under it to
 * root_at. */
int vzt_sandbox_stage_root(const struct vzt_sandbox_child *c, const char *fstype, unsigned long flags,
                           const char *data);
/* The command, before it drops anything: root of the sandbox's user
 * namespace (nothing to do for a rootless caller). */
int vzt_sandbox_join_userns(const struct vzt_sandbox_child *c);
/* The parent, before the clone: which user namespace the command joins and
 * whether the root is idmapped; refuses a root that cannot be run safely. */
int vzt_sandbox_plan_userns(struct vzt_sandbox_child *c, struct vzt_error **err);
