/* Downloading a published template into the cache, verified before anything lands there. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "cache/cache.h"
#include "lib/error.h"

struct vzt_download_opts {
  const char *name;    /* template name in the published index.json */
  const char *url;     /* the published directory (http, https or file URL) */
  const char *keyring; /* keys SHA256SUMS.gpg must be signed with; required */
  const char *build;   /* NULL: the template's last-good build */
};

struct vzt_download_result {
  char *manifest;    /* the cached manifest's path */
  char *build;
  char *fingerprint; /* of the key that signed SHA256SUMS */
  uint64_t size;     /* of the archive */
};

/* SHA256SUMS must carry a good signature by a key in keyring; index.json,
 * the archive and the manifest must hash as it lists them, and the
 * manifest's archive_sha256 must be the archive's. Any mismatch is a
 * refusal (VZT_EXIT_REFUSED) and adds nothing to templates/. Partial
 * downloads stay in tmp/downloads/ and are resumed by the next run. The
 * signed SHA256SUMS is kept as templates/<name>.SHA256SUMS[.gpg] so that
 * verify can check the signature again. The build's SBOM comes too, checked
 * the same way, where the index names one. */
int vzt_download(struct vzt_cache *cache, const struct vzt_download_opts *o, struct vzt_download_result *r,
                 struct vzt_error **err);
/* The publish index's entry for one build of name, as vzt_download reads it
 * from index.json (text NUL-terminated; base names the directory in errors):
 * build NULL asks for the template's last_good. Archive and manifest must be
 * relative paths inside the directory named after the template, else a
 * refusal. */
struct vzt_index_build {
  char *build, *archive, *manifest;
  char *sbom;    /* <name>.spdx.json beside them; NULL when the build has none */
  uint64_t size; /* of the archive as the index declares it; 0 when absent */
};
int vzt_download_index_find(const char *index, const char *base, const char *name, const char *build,
                            struct vzt_index_build *out, struct vzt_error **err);
void vzt_index_build_clear(struct vzt_index_build *b);

/* The import step: a checked archive and manifest (adest, mdest on the cache's file system)
 * renamed into templates/ as <name>.tar.zst and <name>.json, the archive first, with its SBOM
 * (sdest NULL: none, and an old one is removed) and the signed list (sums NULL: none, and an
 * old one is removed) beside them; *manifest gets its path. */
int vzt_download_install(struct vzt_cache *cache, const char *name, const char *adest, const char *mdest,
                         const char *sdest, const char *sums, size_t sums_len, const char *sig, size_t sig_len,
                         char **manifest, struct vzt_error **err);
/* Its counterpart on failure: removes what was staged for it (each path
 * that is not NULL), so a refused download leaves nothing behind. */
void vzt_download_discard(const char *adest, const char *mdest, const char *sdest);

void vzt_download_result_clear(struct vzt_download_result *r);
