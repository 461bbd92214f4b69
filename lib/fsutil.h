/* File-system helpers: directories, whole-file reads, atomic writes, removal. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

int vzt_mkdir_p(const char *path, mode_t mode, struct vzt_error **err);
/* Create path and its parents below an open directory fd (path relative to it). */
int vzt_mkdirat_p(int dirfd, const char *path, mode_t mode, struct vzt_error **err);
int vzt_read_file(const char *path, char **data, size_t *len, struct vzt_error **err);
int vzt_read_fileat(int dirfd, const char *path, char **data, size_t *len, struct vzt_error **err);
/* Write to "<name>.tmp.<pid>" in dirfd, fsync, rename over name. */
int vzt_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          struct vzt_error **err);
int vzt_write_all(int fd, const void *data, size_t len);
/* Remove a tree without following symlinks and without crossing mount points. */
int vzt_rm_rf(const char *path, struct vzt_error **err);
int vzt_rm_rf_at(int dirfd, const char *name, struct vzt_error **err);
