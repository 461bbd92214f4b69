/* Parsed package indices kept beside their blobs: solv/<key>.solv and its .meta. */
#pragma once
#include <stddef.h>
#include <stdio.h>
#include "cache/cache.h"
#include "lib/error.h"

/* The .meta file reads:
 *   <version>              the caller's format line, e.g. "vztmpl-deb-index 2"
 *   solv <sha256>          the .solv's own hash, checked again on every hit
 *   <extra lines>          whatever else the caller keeps about this index
 * key names the pair (the index blob's sha256): letters, digits, '-' and '_'. */

/* The cached parsed index for key, opened for reading from its start, when
 * its .meta begins with version and the .solv still hashes to what the .meta
 * records. *extra (when not NULL) receives the .meta's lines after the first
 * two ("" when none). A pair that fails the check, or a .solv that is not a
 * regular file, is removed: a hit is re-checked by hash, never trusted by
 * name, and a link planted at either name is never followed. NULL on a miss. */
FILE *vzt_solv_cache_lookup(const struct vzt_cache *c, const char *key, const char *version,
                            char **extra);

/* Stores solv_data as key's .solv,
 * then the .meta (version, the bytes' sha256, extra: text lines, each ending
 * in a newline, or NULL), each replaced atomically. solv/ is created where
 * missing. A failure leaves no partial pair behind; callers may ignore it, as
 * the cache only saves time. */
int vzt_solv_cache_store(const struct vzt_cache *c, const char *key, const char *version,
                         const void *solv_data, size_t solv_len, const char *extra,
                         struct vzt_error **err);
