/* The one way to replace a file: a fresh temporary sibling, fsync, rename over the name. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

/* A file being written under a temporary name next to its final one. */
struct vzt_atomic_file {
  int fd;      /* write the contents here */
  int dirfd;   /* owned: the directory that holds both names */
  char *tmp;   /* temporary name, relative to dirfd */
  char *name;  /* final name, relative to dirfd */
  char *shown; /* the name as given, for messages */
};

/* Creates a temporary sibling of name (relative to dirfd; AT_FDCWD takes any
 * path) with O_CREAT|O_EXCL|O_NOFOLLOW and a random suffix, so a link planted
 * at either name is never followed. When dirfd is a directory fd, the parent
 * directories of name are resolved as if dirfd were the root: a symlink among
 * them cannot lead outside it. */
int vzt_atomic_open(int dirfd, const char *name, mode_t mode, struct vzt_atomic_file *f, struct vzt_error **err);
/* fsync, rename over the final name (replacing a link there, never following
 * it), fsync the directory. The temporary is removed on failure. */
int vzt_atomic_commit(struct vzt_atomic_file *f, struct vzt_error **err);
/* Removes the temporary and releases f; harmless after commit, after a failed
 * open, or on {.fd = -1, .dirfd = -1}. */
void vzt_atomic_abort(struct vzt_atomic_file *f);
/* All three in one for contents already in memory. */
int vzt_atomic_write_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          struct vzt_error **err);

static inline void vzt_atomic_abortp(struct vzt_atomic_file *f) { vzt_atomic_abort(f); }
#define _cleanup_atomic_ __attribute__((cleanup(vzt_atomic_abortp)))
