/* Parallel HTTP(S)/file downloads with libcurl multi: retries, resume, mirror
 * failover, and digests computed while the bytes stream. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/digest.h"
#include "lib/error.h"

struct vzt_fetch_item {
  /* in */
  char **urls;             /* the same file on each mirror, tried in order (NULL-terminated) */
  const char *dest;        /* final path; data goes to "<dest>.part" and is renamed when complete and verified */
  enum vzt_digest_type digest_type;
  const char *digest;      /* expected hex digest, or NULL to only compute it */
  uint64_t size;           /* expected size, 0 when unknown (used for progress and checked when set) */
  uint64_t max_size;       /* size 0: a response larger than this is cut and removed; 0 = VZT_FETCH_UNSIZED_MAX */
  /* out */
  char computed[VZT_DIGEST_HEX_MAX]; /* digest of what was written to dest */
  uint64_t bytes;                    /* size of dest */
  const char *url_used;              /* which of urls served it (points into urls) */
  size_t mismatches;                 /* how many of urls served other bytes than digest and size say */
};

/* Whatever a server sends without a size that was signed or listed stops here. */
#define VZT_FETCH_UNSIZED_MAX ((uint64_t) 1 << 30)
/* A transfer averaging less than this over the timeout window is stalled. */
#define VZT_FETCH_LOW_SPEED 1024L

struct vzt_fetch_opts {
  int parallel;        /* transfers at once; 0 = default (8) */
  int retries;         /* attempts per mirror beyond the first; <0 = default (3) */
  long timeout;        /* seconds without progress (less than VZT_FETCH_LOW_SPEED bytes/s) before a transfer is abandoned; 0 = the process's (vzt_fetch_set_timeout) */
  const char *label;   /* progress bar label, e.g. "Downloading packages" */
};

/* Downloads every item. On failure nothing is left under any dest name
 * (partial data stays as "<dest>.part" for resumption), err names the URL,
 * and a digest or size mismatch on every mirror is a verification refusal
 * (VZT_EXIT_REFUSED). */
int vzt_fetch_all(struct vzt_fetch_item *items, size_t n, const struct vzt_fetch_opts *opts,
                  struct vzt_error **err);

/* Downloads one small file into memory (Release files). Not found on any
 * mirror: returns -1 with err->errnum == ENOENT. */
int vzt_fetch_to_memory(char *const *urls, char **data, size_t *len, struct vzt_error **err);

/* Global libcurl set-up (TLS's configuration read), once per process, before
 * its first handle: every entry point of fetch/ calls it, so that commands
 * which download nothing (exec, deploy, ...) start without it. */
void vzt_fetch_global_init(void);
/* Seconds without a byte before a transfer is abandoned, for every fetch of
 * the process that does not set opts->timeout (the global --timeout);
 * 0 restores the default, 30. */
void vzt_fetch_set_timeout(long seconds);

/* The CA certificates (a PEM file) https servers must chain to, for every
 * fetch of the process (the global --ca-file); NULL: $CURL_CA_BUNDLE, else
 * $SSL_CERT_FILE, else libcurl's own store. Verification is never off. */
void vzt_fetch_set_ca_file(const char *path);
/* The CA file fetches use, by that rule; NULL for libcurl's own store. */
const char *vzt_fetch_ca_file(void);

/* A test seam, NULL in the product: called with each pause before a retry
 * (the back-off), returns the pause to use. Tests count and check the pauses
 * there instead of against the clock. */
extern double (*vzt_fetch_backoff_hook)(double delay);

/* The seconds vzt_fetch_set_timeout gave, for transfers outside vzt_fetch_all (the registry client). */
long vzt_fetch_timeout(void);
