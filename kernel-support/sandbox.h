/* Running target code: new namespaces, pivot_root into a root, /proc, a
 * minimal /dev, no network. The configure stage of a build runs here. */
#pragma once
#include <stdbool.h>
#include "lib/error.h"

struct vzt_sandbox_opts {
  const char *root;        /* directory that becomes / */
  char *const *argv;       /* argv[0] is looked up in the root's PATH from envp, or absolute */
  char *const *envp;       /* complete environment for the command */
  const char *hostname;    /* NULL: "localhost" */
  bool network;            /* false: a new network namespace with only loopback down */
  int stdout_fd;           /* -1: inherit */
  int stderr_fd;           /* -1: inherit */
};

/* Runs argv in new mount, pid, uts, ipc and network namespaces with the root
 * pivoted to opts->root, /proc mounted, /dev populated with null, zero, full,
 * random, urandom, tty and a pts instance, /sys read-only, /tmp and /run as
 * they are in the root. Waits for it; *exit_status gets its exit code
 * (128+signal when killed). Returns -1 only when the sandbox could not be set up. */
int vzt_sandbox_run(const struct vzt_sandbox_opts *opts, int *exit_status, struct vzt_error **err);
