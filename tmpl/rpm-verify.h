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
/* The keys of path (armored or binary, one or more certificates) whose
 * primary fingerprint is among pinned (all of them when pinned is empty),
 * with their subkeys. None left is an error naming the file. */
int vzt_rpm_keyring_load(const char *path, char *const *pinned, struct vzt_rpm_keyring **out,
                         struct vzt_error **err);
void vzt_rpm_keyring_free(struct vzt_rpm_keyring *k);

/* The package's build time (RPMTAG_BUILDTIME) without checking anything
 * (call it on a checked file); 0 when unreadable. */
time_t vzt_rpm_build_time(const char *path);

/* Checks one package file: header and payload digests always, and the
 * signature as policy says. Anything short is a refusal (VZT_EXIT_REFUSED)
 * naming `what` and saying which check failed. k may be NULL only with
 * VZT_RPM_SIG_NONE. *sigkind (may be NULL) gets "v4", "v3" or "unsigned". */
int vzt_rpm_verify_file(const struct vzt_rpm_keyring *k, enum vzt_rpm_sigpolicy policy,
                        const char *path, const char *what, const char **sigkind,
                        struct vzt_error **err);
