/* Reproducible template archives: a root tree to tar.zst and back. */
#pragma once
#include <stdint.h>
#include <time.h>
#include "lib/error.h"

struct vzt_pack_result {
  char sha256[65];          /* of the compressed archive */
  uint64_t size;            /* compressed bytes */
  uint64_t unpacked_size;   /* sum of regular file sizes */
  uint64_t entries;
};

/* Writes root as a pax tar, compressed with zstd (level, threads), to out_fd.
 * Reproducible: entries sorted by path (bytewise), directories' mtimes set to
 * epoch and others clamped to it, numeric owners with no names, no atime or
 * ctime, hard links as links, security.capability xattrs kept, sockets skipped. */
int vzt_pack_tree(const char *root, int out_fd, time_t epoch, int level, int threads,
                  struct vzt_pack_result *res, struct vzt_error **err);
