/* Reproducible template archives: a root tree to tar.zst and back, and the
 * other compressions OpenVZ (tar.gz, tar.xz), Proxmox and LXC expect. */
#pragma once
#include <stdbool.h>
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

/* Compressions of a template archive; tar.zst is what the cache keeps. */
enum vzt_pack_format { VZT_PACK_ZST, VZT_PACK_GZ, VZT_PACK_XZ, VZT_PACK_BZ2, VZT_PACK_TAR };
/* For messages: every format -o and --format accept. */
#define VZT_PACK_FORMATS "tar.zst, tar.gz, tar.xz, tar.bz2 or tar"

/* "tar.zst", "zst", "tar.gz", "gz", "tar.xz", "xz", "tar.bz2", "bz2", "tar";
 * -1 for anything else. */
int vzt_pack_format_parse(const char *s, enum vzt_pack_format *fmt);
/* By a file name's ending (.tar.zst, .tar.gz, .tgz, .tar.xz, .txz, .tar.bz2,
 * .tbz2, .tbz, .tar); false when it names none. */
bool vzt_pack_format_from_path(const char *path, enum vzt_pack_format *fmt);
const char *vzt_pack_format_ext(enum vzt_pack_format fmt); /* "tar.zst" */
/* The length of the archive ending vzt_pack_format_from_path knows in path
 * (".tar.gz": 7), 0 when none: what the manifest beside it replaces. */
size_t vzt_pack_suffix_len(const char *path);

/* Writes the template archive src (any compression libarchive reads) to
 * out_fd compressed as fmt. The tar stream inside is copied byte for byte,
 * so every entry is unchanged. Reproducible: gzip without a name or mtime;
 * xz from liblzma's multi-threaded encoder, whose output depends on the
 * preset and block size but not on the thread count (threads: 0 = CPUs);
 * zstd from a zstd source is copied as it is. res->unpacked_size is the tar
 * stream's size here, res->entries 0. */
int vzt_pack_recompress(const char *src, int out_fd, enum vzt_pack_format fmt, int threads,
                        struct vzt_pack_result *res, struct vzt_error **err);
/* The same into the file dest, written to "<dest>.tmp.<pid>" and renamed. */
int vzt_pack_export(const char *src, const char *dest, enum vzt_pack_format fmt, int threads,
                    struct vzt_pack_result *res, struct vzt_error **err);
