/* RPM package trust with librpm: header signatures against pinned keys,
 * header and payload digests, V3 (header+payload only) signatures. */
#pragma once
#include <stdbool.h>
#include <time.h>
#include "lib/error.h"

enum vzt_rpm_sigpolicy {
  VZT_RPM_SIG_REQUIRED, /* a V4 header signature by a pinned key (the default) */
  VZT_RPM_SIG_ALLOW_V3, /* or, failing that, a good V3 header+payload signature */
  VZT_RPM_SIG_NONE,     /* digests only: for unsigned (local, test) repositories */
};

/* Reads "required", "allow-v3" or "none"; -1 for anything else. */
int vzt_rpm_sigpolicy_parse(const char *s);

struct vzt_rpm_keyring;
/* The keys of path (armored, or binary as `gpg --export` writes it; one or
 * more certificates) of which the primary or a subkey fingerprint is among
 * pinned (all of them when pinned is empty), with their subkeys. None left
 * is a refusal naming the file and the fingerprints it has. */
int vzt_rpm_keyring_load(const char *path, char *const *pinned, struct vzt_rpm_keyring **out,
                         struct vzt_error **err);
void vzt_rpm_keyring_free(struct vzt_rpm_keyring *k);

/* What the check read from a package that passed it. */
struct vzt_rpm_checked {
  const char *sigkind; /* "v4", "v3" or "unsigned" */
  time_t build_time;   /* RPMTAG_BUILDTIME */
};

/* Checks one package file: header and payload digests always, and the
 * signature as policy says. Anything short is a refusal (VZT_EXIT_REFUSED)
 * naming `what` and saying which check failed. k may be NULL only with
 * VZT_RPM_SIG_NONE. *checked (may be NULL) is filled when it passes. */
int vzt_rpm_verify_file(const struct vzt_rpm_keyring *k, enum vzt_rpm_sigpolicy policy,
                        const char *path, const char *what, struct vzt_rpm_checked *checked,
                        struct vzt_error **err);

/* Reads librpm's configuration, once per process. */
int vzt_rpm_init(struct vzt_error **err);
