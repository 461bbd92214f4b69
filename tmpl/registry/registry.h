/* Templates to and from OCI registries: an image layout pushed blob by blob, an image pulled into the cache verified. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cache/cache.h"
#include "fetch/registry/registry.h"
#include "lib/error.h"

#define VZT_REG_MEDIA_VZTMPL "application/vnd.vztmpl.manifest.v1+json"
#define VZT_REG_ANNOT_VZTMPL "org.vztmpl.manifest.digest"
#define VZT_REG_ARTIFACT_SIGNATURE "application/vnd.vztmpl.signature.v1"
#define VZT_REG_ARTIFACT_SBOM "application/spdx+json"

struct vzt_push_opts {
  const char *layout;     /* an OCI image layout directory */
  const char *mount_from; /* a repository of the same registry to mount missing blobs from, or NULL */
  const char *sign_key;   /* a secret key to sign each image's SHA256SUMS with, or NULL */
  const char *gpg_homedir; /* where that key is; NULL: $GNUPGHOME or ~/.gnupg */
  struct vzt_cache *sboms; /* attach each template's SBOM from this cache; NULL: none */
};

/* What happened to each blob and manifest, in order. */
struct vzt_push_item {
  char digest[VZT_REG_DIGEST_MAX];
  uint64_t size;
  const char *kind;   /* "blob", "manifest", "index", "signature", "sbom" */
  const char *action; /* "uploaded", "skipped" (already there), "mounted", "put" */
};

struct vzt_push_result {
  char digest[VZT_REG_DIGEST_MAX]; /* of what the tag names */
  char *reference;                 /* host/repo:tag@digest */
  struct vzt_push_item *items;
  size_t n;
};

int vzt_push_layout(struct vzt_reg *reg, const struct vzt_reg_ref *ref, const struct vzt_push_opts *o,
                    struct vzt_push_result *r, struct vzt_error **err);
void vzt_push_result_clear(struct vzt_push_result *r);

struct vzt_pull_opts {
  const char *arch;    /* of an index, the platform to take; NULL: this host's */
  const char *keyring; /* when set, a good signature by one of its keys must list the archive */
};

struct vzt_pull_result {
  char *name;                      /* the template's */
  char *manifest;                  /* the cached manifest's path */
  char digest[VZT_REG_DIGEST_MAX]; /* of the image manifest pulled */
  uint64_t size;                   /* of the archive */
  char *fingerprint;               /* of the signer, when a keyring was given */
  char *sbom;                      /* the installed SBOM's path; NULL: the image has none */
};

/* The image's vztmpl manifest must name the layer's sha256 and size; every blob is checked as
 * it streams. A mismatch is a refusal (VZT_EXIT_REFUSED) that leaves templates/ as it was; a
 * transfer that breaks off leaves a .part the next pull resumes. */
int vzt_pull(struct vzt_cache *cache, struct vzt_reg *reg, const struct vzt_reg_ref *ref,
             const struct vzt_pull_opts *o, struct vzt_pull_result *r, struct vzt_error **err);
void vzt_pull_result_clear(struct vzt_pull_result *r);
