/* SHA256SUMS files as sha256sum(1) writes them: the signed list that vouches for a published tree. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/error.h"

struct vzt_sums_entry {
  char sha256[65];
  char *path; /* relative to the directory the SHA256SUMS is in */
};

struct vzt_sums {
  struct vzt_sums_entry *v;
  size_t n;
};

/* Parses "<64 hex>  <path>" lines (also "<hex> *<path>"). A malformed line
 * is a refusal naming `what`: the list is read only after its signature
 * verified, so a bad line means the signer wrote something we do not know. */
int vzt_sums_parse(const char *text, size_t len, const char *what, struct vzt_sums *out,
                   struct vzt_error **err);
/* The entry for exactly this path, or NULL. */
const struct vzt_sums_entry *vzt_sums_find(const struct vzt_sums *s, const char *path);
/* True when some entry whose file name (last path component) is basename
 * has this sha256. */
bool vzt_sums_lists(const struct vzt_sums *s, const char *basename, const char *sha256);
void vzt_sums_clear(struct vzt_sums *s);

/* Verifies the detached signature over a SHA256SUMS with the keys in
 * keyring, then parses it. *fingerprint (may be NULL) gets the signer's. */
int vzt_sums_verify(const char *keyring, const char *text, size_t len, const char *sig, size_t siglen,
                    const char *what, struct vzt_sums *out, char **fingerprint, struct vzt_error **err);
