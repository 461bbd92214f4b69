/* Worker processes confined to a directory, for handling untrusted data
 * (package payloads): whatever a crafted archive says, the worker cannot
 * write outside its root. */
#pragma once
#include <sys/types.h>
#include "lib/error.h"

/* The function runs in the child, after chroot(root) and chdir("/") in a
 * private mount namespace; it returns 0 or -1 with err set. */
typedef int (*vzt_confined_fn)(void *arg, struct vzt_error **err);

struct vzt_confined {
  pid_t pid;
  int errfd; /* read end: the child's error, if any */
};

/* Forks a confined worker. File descriptors the function needs must be
 * opened before the call (the child inherits them). */
int vzt_confine_spawn(const char *root, vzt_confined_fn fn, void *arg, struct vzt_confined *out,
                      struct vzt_error **err);
/* Waits for the worker; its error (message and exit class) becomes ours. */
int vzt_confine_wait(struct vzt_confined *c, struct vzt_error **err);
/* Spawn and wait in one. */
int vzt_confine_run(const char *root, vzt_confined_fn fn, void *arg, struct vzt_error **err);
