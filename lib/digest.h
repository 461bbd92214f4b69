/* Message digests (SHA-256 and the older ones repositories still name), via libcrypto. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum vzt_digest_type { VZT_DIGEST_SHA256, VZT_DIGEST_SHA512, VZT_DIGEST_SHA1, VZT_DIGEST_MD5 };
#define VZT_DIGEST_HEX_MAX 129

struct vzt_digest;
struct vzt_digest *vzt_digest_new(enum vzt_digest_type type);
void vzt_digest_update(struct vzt_digest *d, const void *buf, size_t len);
/* Writes lowercase hex into out (VZT_DIGEST_HEX_MAX bytes) and frees d. */
void vzt_digest_finish(struct vzt_digest *d, char *out);
void vzt_digest_free(struct vzt_digest *d);
/* Hash a whole file from its start. */
int vzt_digest_fd(int fd, enum vzt_digest_type type, char *out, uint64_t *size, struct vzt_error **err);
int vzt_digest_type_from_name(const char *name, enum vzt_digest_type *type);
const char *vzt_digest_name(enum vzt_digest_type type);
