/* Files publish writes into the directories it stages. */
#pragma once
#include <stdint.h>
#include "lib/error.h"

/* A new file, dirfd/name, opened for writing: O_EXCL and O_NOFOLLOW, so a
 * name planted by someone else is never followed. -1 and errno on failure. */
int vzt_staged_create(int dirfd, const char *name);

/* Copies src (relative to srcdir, not through a final link) to dst
 * (created in dstdir), with its sha256 and, when asked, md5 and sha512;
 * with dst NULL only the digests. */
int vzt_staged_copy(int srcdir, const char *src, int dstdir, const char *dst, char *sha256, char *md5,
                    char *sha512, uint64_t *size, struct vzt_error **err);
