/* A client of OCI distribution registries: references, authentication, blobs and manifests over HTTP(S). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/error.h"

/* host[:port]/repository:tag or host[:port]/repository@sha256:<hex>. */
struct vzt_reg_ref {
  char *host;   /* with its port, as given */
  char *repo;   /* lowercase path components */
  char *tag;    /* NULL when a digest names the manifest */
  char *digest; /* "sha256:<64 hex>", or NULL */
};

int vzt_reg_ref_parse(const char *s, struct vzt_reg_ref *r, struct vzt_error **err);
char *vzt_reg_ref_format(const struct vzt_reg_ref *r);
/* The tag, else the digest: what a manifest URL names. */
const char *vzt_reg_ref_reference(const struct vzt_reg_ref *r);
void vzt_reg_ref_clear(struct vzt_reg_ref *r);
/* A host that is this machine (localhost, 127.0.0.0/8, ::1): the only ones spoken to without TLS. */
bool vzt_reg_host_is_loopback(const char *host);

#define VZT_REG_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define VZT_REG_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define VZT_REG_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define VZT_REG_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
/* "sha256:" and 64 hex digits, and the NUL. */
#define VZT_REG_DIGEST_MAX 72

struct vzt_reg_opts {
  bool plain_http;     /* http://, refused unless the host is loopback */
  const char *ca_file; /* trust these CAs for the registry's TLS */
  bool push;           /* tokens are asked for pull and push at once */
};

struct vzt_reg;
/* A session with ref's registry and repository; credentials are looked up
 * in $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json and
 * ~/.docker/config.json and used only when the registry asks. */
int vzt_reg_open(const struct vzt_reg_ref *ref, const struct vzt_reg_opts *o, struct vzt_reg **reg,
                 struct vzt_error **err);
void vzt_reg_close(struct vzt_reg *reg);
static inline void vzt_reg_closep(struct vzt_reg **r)
{
  if (*r)
    vzt_reg_close(*r);
}
#define _cleanup_reg_ __attribute__((cleanup(vzt_reg_closep)))

/* Blobs of the session's repository. */
int vzt_reg_blob_exists(struct vzt_reg *reg, const char *digest, bool *exists, struct vzt_error **err);
/* Asks the registry to link a blob it holds in another repository; *mounted false when it would not. */
int vzt_reg_blob_mount(struct vzt_reg *reg, const char *digest, const char *from_repo, bool *mounted,
                       struct vzt_error **err);
/* Uploads a file (in chunks of VZT_REG_CHUNK when larger) or bytes in memory. */
#define VZT_REG_CHUNK ((uint64_t) 32 << 20)
int vzt_reg_blob_put_file(struct vzt_reg *reg, const char *digest, const char *path, struct vzt_error **err);
int vzt_reg_blob_put_mem(struct vzt_reg *reg, const char *digest, const void *data, size_t len,
                         struct vzt_error **err);
/* Streams a blob into "<dest>.part" (resuming what an earlier run left there), checks its
 * sha256 and size as it comes, and renames it to dest. A mismatch removes the .part and is a
 * refusal (VZT_EXIT_REFUSED). size 0: unknown, at most max. */
int vzt_reg_blob_get_file(struct vzt_reg *reg, const char *digest, uint64_t size, uint64_t max,
                          const char *dest, struct vzt_error **err);
/* A small blob (a config, a vztmpl manifest) into memory, digest checked. */
int vzt_reg_blob_get_mem(struct vzt_reg *reg, const char *digest, size_t max, char **data, size_t *len,
                         struct vzt_error **err);

/* PUTs a manifest under reference (a tag or its digest); the registry's digest in digest_out when given. */
int vzt_reg_manifest_put(struct vzt_reg *reg, const char *reference, const char *media_type, const char *data,
                         size_t len, char digest_out[VZT_REG_DIGEST_MAX], struct vzt_error **err);
/* GETs a manifest or index (OCI or Docker v2). When reference is a digest the bytes must hash to
 * it (else a refusal); digest_out gets their sha256 either way, media_type_out the type. *missing
 * (when given) is set instead of failing when there is none. */
int vzt_reg_manifest_get(struct vzt_reg *reg, const char *reference, char **data, size_t *len,
                         char **media_type_out, char digest_out[VZT_REG_DIGEST_MAX], bool *missing,
                         struct vzt_error **err);
/* The OCI 1.1 referrers of digest (an image index), *supported false when the registry lacks the API. */
int vzt_reg_referrers(struct vzt_reg *reg, const char *digest, char **data, size_t *len, bool *supported,
                      struct vzt_error **err);

/* "sha256:<hex>" of bytes in memory. */
void vzt_reg_digest_of(const void *data, size_t len, char out[VZT_REG_DIGEST_MAX]);
/* A digest as the spec writes it, sha256 only: what vztmpl pulls, pushes and names files by. */
bool vzt_reg_digest_valid(const char *d);
