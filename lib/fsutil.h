/* File-system helpers: directories, whole-file reads, atomic writes, removal. */
#pragma once
#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

int vzt_mkdir_p(const char *path, mode_t mode, struct vzt_error **err);
/* Create path and its parents below an open directory fd (path relative to it). */
int vzt_mkdirat_p(int dirfd, const char *path, mode_t mode, struct vzt_error **err);
/* The same where others may write below dirfd: a symbolic link (or anything
 * but a directory) among the components is refused (exit 3), never followed. */
int vzt_mkdirat_p_nofollow(int dirfd, const char *path, mode_t mode, struct vzt_error **err);

/* Upper bounds on files a user or a server names; a larger one is refused. */
#define VZT_LIMIT_RECIPE ((size_t) 1 << 20)
#define VZT_LIMIT_KEYRING ((size_t) 16 << 20)
#define VZT_LIMIT_MANIFEST ((size_t) 16 << 20) /* a full desktop lists ~3000 packages: ~2 MiB */
#define VZT_LIMIT_SUMS ((size_t) 16 << 20)
#define VZT_LIMIT_SUBID ((size_t) 16 << 20) /* /etc/subuid: half a million users */
#define VZT_LIMIT_INDEX ((size_t) 64 << 20)
#define VZT_LIMIT_DEFAULT ((size_t) 1 << 30) /* anything else: package indices are the largest */

/* Whole-file reads, NUL-terminated. Only regular files are read (a device,
 * FIFO or socket is refused, exit 3, without reading a byte), and never more
 * than max bytes: a larger file is refused naming the file and the limit.
 * vzt_read_file and vzt_read_fileat use VZT_LIMIT_DEFAULT. */
int vzt_read_file_max(const char *path, size_t max, char **data, size_t *len, struct vzt_error **err);
int vzt_read_fileat_max(int dirfd, const char *path, size_t max, char **data, size_t *len,
                        struct vzt_error **err);
/* The same from an open descriptor, read from where it stands; path names it in messages. */
int vzt_read_fd_max(int fd, const char *path, size_t max, char **data, size_t *len, struct vzt_error **err);
int vzt_read_file(const char *path, char **data, size_t *len, struct vzt_error **err);
int vzt_read_fileat(int dirfd, const char *path, char **data, size_t *len, struct vzt_error **err);
/* vzt_atomic_write_file (lib/atomic-file.h): a fresh temporary, fsync, rename over name. */
int vzt_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          struct vzt_error **err);
int vzt_write_all(int fd, const void *data, size_t len);
/* The directory name below dirfd, never through a link, open to be listed;
 * NULL with errno set when it cannot be. */
DIR *vzt_opendirat(int dirfd, const char *name);
/* Copies the file src to a new file name below dirfd (O_EXCL, never through
 * a link), for where a hard link cannot reach (another file system). */
int vzt_copy_file_at(const char *src, int dirfd, const char *name, mode_t mode, struct vzt_error **err);
/* Remove a tree without following symlinks and without crossing mount points. */
int vzt_rm_rf(const char *path, struct vzt_error **err);
int vzt_rm_rf_at(int dirfd, const char *name, struct vzt_error **err);
