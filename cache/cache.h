/* On-disk state: content-addressed blobs, parsed indices, templates, locks. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/error.h"

/* Layout under the cache directory:
 *   blobs/sha256/<2 hex>/<64 hex>   packages and indices, by content
 *   solv/<key>.solv                 libsolv pools parsed from an index
 *   templates/<name>.tar.zst|.json  built templates and manifests
 *   templates/<name>.spdx.json      their SBOMs
 *   tmp/                            work in progress (same file system: rename is atomic)
 *   lock                            flock: shared by builds, exclusive by gc/clean
 */
struct vzt_cache;

/* Opens (creating where missing) the cache at dir. */
int vzt_cache_open(const char *dir, struct vzt_cache **out, struct vzt_error **err);
void vzt_cache_close(struct vzt_cache *c);
const char *vzt_cache_dir(const struct vzt_cache *c);
int vzt_cache_dirfd(const struct vzt_cache *c);

/* Default: /var/cache/vztmpl for root, else $XDG_CACHE_HOME/vztmpl or ~/.cache/vztmpl. */
char *vzt_cache_default_dir(void);

/* Takes the cache lock (blocking). Shared for builds, exclusive for gc and clean.
 * Held until vzt_cache_close. */
int vzt_cache_lock(struct vzt_cache *c, bool exclusive, struct vzt_error **err);

/* Absolute path of the blob with this sha256 (which may not exist yet);
 * NULL when sha256 is not 64 hex digits (it comes from repository metadata). */
char *vzt_cache_blob_path(const struct vzt_cache *c, const char *sha256);
/* True when the blob exists and its content hashes to sha256 (and has size,
 * when size != 0). A blob that fails the check is removed: a cache hit is
 * re-checked by hash, never trusted by name. */
bool vzt_cache_blob_valid(const struct vzt_cache *c, const char *sha256, uint64_t size);
/* Moves a file (already verified by the caller to hash to sha256) into the
 * blob store atomically. The source must be on the cache's file system. */
int vzt_cache_blob_commit(const struct vzt_cache *c, const char *src_path, const char *sha256,
                          struct vzt_error **err);

/* A fresh private directory under tmp/ for one build; caller removes it. */
int vzt_cache_mkdtemp(const struct vzt_cache *c, const char *prefix, char **path, struct vzt_error **err);
/* templates/ (created where missing): its path and an open descriptor. */
int vzt_cache_templates_open(const struct vzt_cache *c, char **path, int *fd, struct vzt_error **err);
/* The signed list kept beside a downloaded template, and its signature:
 * "<name>.SHA256SUMS" and "<name>.SHA256SUMS.gpg" in templates/. */
char *vzt_cache_sums_name(const char *template_name, bool signature);
/* Whether a file name in templates/ is a manifest ("<name>.json"), not the
 * SBOM beside it ("<name>.spdx.json") or a hidden file. */
bool vzt_cache_is_manifest(const char *file_name);
/* Path of any file under the cache: vzt_cache_path(c, "solv/abc.solv"). */
char *vzt_cache_path(const struct vzt_cache *c, const char *relative);
/* Removes leftovers in tmp/ from builds that died (their pid is gone). */
void vzt_cache_clean_stale(const struct vzt_cache *c);
