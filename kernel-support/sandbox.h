/* Running target code: new namespaces, pivot_root into a root, /proc, a
 * minimal /dev, no network. The configure stage of a build runs here. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>
#include "lib/error.h"

/* A resource limit the command starts with (setrlimit before exec). */
struct vzt_sandbox_rlimit {
  int resource; /* RLIMIT_NOFILE, ... */
  rlim_t soft, hard;
};

struct vzt_sandbox_opts {
  const char *root;        /* directory that becomes / (or is mounted at root_at) */
  /* NULL: root becomes /. Set (an absolute path of one component, such as
   * "/target"): no program of the root runs, the host's own programs work on
   * it instead. / is then an empty read-only tmpfs with the host's /usr and
   * /etc bound read-only, its merged-/usr links, a fresh /tmp, and root
   * mounted read-write (idmapped as ever) at root_at. */
  const char *root_at;
  /* With root_at: the directory whose /usr, /etc and merged-/usr links the
   * stage binds (a native tree of the target's release, when the host's
   * programs are of another); NULL: the host's /. */
  const char *tools;
  char *const *argv;       /* argv[0] is looked up in the root's PATH from envp, or absolute */
  char *const *envp;       /* complete environment for the command */
  const char *hostname;    /* NULL: "localhost" */
  bool network;            /* false: a new network namespace with only loopback down */
  int stdout_fd;           /* -1: inherit */
  int stderr_fd;           /* -1: inherit */
  /* Called in the parent with the sandbox's init, which makes its mounts
   * meanwhile and waits for it before starting the command (cgroups: every
   * process of the run starts inside).
   * Returning -1 kills the sandbox and fails the run. NULL: none. */
  int (*attach)(pid_t init_pid, void *arg, struct vzt_error **err);
  void *attach_arg;
  const struct vzt_sandbox_rlimit *rlimits;
  size_t nrlimits;
  bool cgroup_ns;          /* a new cgroup namespace too (after attach: its group is its root) */
  bool forward_signals;    /* SIGINT, SIGTERM, SIGHUP, SIGQUIT sent to us reach the command */
  bool tty;                /* stdin is a terminal: the command gets a pty of its own, relayed to
                            * ours (raw mode meanwhile); without, stdin/out/err pass as they are */
};

/* Runs argv in new mount, pid, uts, ipc and network namespaces with the root
 * pivoted to opts->root, /proc mounted (its kernel-wide knobs read-only, its
 * views of kernel memory, keys and timers masked), /dev populated with null,
 * zero, full, random, urandom, tty and a pts instance, /sys read-only, /tmp
 * and /run as they are in the root; a cgroup namespace too with
 * opts->cgroup_ns. Waits for it. The command starts in a session of its own
 * with only the capabilities below, no_new_privs set, the system call filter
 * of seccomp.h, and no descriptor of ours but 0, 1 and 2. Run by real root,
 * the command is root of a user namespace, never the host's: over vztmpl's
 * id range (see idmap.h) with the root idmapped when it is owned by 0, over
 * the root's own ids when it was shifted (deploy --uid-shift N, N >= 65536);
 * any other root, or one the kernel cannot idmap, is refused
 * (VZT_EXIT_REFUSED). *exit_status gets its exit code (128+signal when
 * killed). Returns -1 only when the sandbox could not be set up. */
int vzt_sandbox_run(const struct vzt_sandbox_opts *opts, int *exit_status, struct vzt_error **err);
/* The only capabilities a sandboxed command may hold (its bounding set), as
 * capsh names them. */
extern const char *const vzt_sandbox_kept_cap_names;
