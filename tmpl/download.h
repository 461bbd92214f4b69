/* Downloading a published template into the cache, verified before anything lands there. */
#pragma once
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
 * verify can check the signature again. */
int vzt_download(struct vzt_cache *cache, const struct vzt_download_opts *o, struct vzt_download_result *r,
                 struct vzt_error **err);
void vzt_download_result_clear(struct vzt_download_result *r);
