/* What the files of one download run share (transfer.c: the libcurl loop and
 * its handles; transfer-sink.c: .part files, resumption and digests while
 * streaming; transfer-retry.c: retries, back-off, restarts and failover). */
#pragma once
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fetch/fetch.h"
#include "lib/buf.h"

#define DEFAULT_PARALLEL 8
#define DEFAULT_RETRIES 3
#define DEFAULT_TIMEOUT 30L
#define CONNECT_TIMEOUT 15L
#define MAX_REDIRECTS 5L
#define BACKOFF_FIRST 0.5
#define BACKOFF_MAX 30.0
/* Error pages are read to their end (the connection stays usable) up to this. */
#define ERROR_BODY_MAX (64u << 10)
/* vzt_fetch_to_memory is for index and Release files, not for payloads. */
#define MEMORY_MAX (256u << 20)

enum vzt_xfer_state { X_READY, X_RUNNING, X_DONE, X_FAILED };

/* What one attempt came to, and so what happens next. */
enum vzt_xfer_outcome {
  O_OK,
  O_NOT_FOUND, /* 404, 410, a missing file: next URL at once */
  O_TRANSIENT, /* connection trouble, timeouts, 408/429/5xx: retry after a pause */
  O_PERMANENT, /* anything else about this URL: next URL at once */
  O_MISMATCH,  /* wrong size or digest: drop the data, next URL */
  O_RESTART,   /* the resumed data cannot be continued: once more from byte 0 */
  O_LOCAL,     /* our own disk failed: stop everything */
};

struct vzt_xfer_run;

struct vzt_xfer {
  struct vzt_xfer_run *run;
  struct vzt_fetch_item *item;
  enum vzt_xfer_state state;
  double not_before; /* backoff: vzt_now() before which it may not start again */

  /* The sink: "<dest>.part", or a buffer for vzt_fetch_to_memory. */
  char *part;
  int fd;
  struct vzt_buf buf; /* its len follows have, which a restart resets */
  struct vzt_digest *dg;
  uint64_t have; /* bytes in the sink, every one of them hashed */

  /* The URL being tried and the attempt on it. */
  size_t url;
  int attempts;   /* started on the current URL */
  bool restarted; /* the one restart from byte 0 on this URL is used up */
  CURL *curl;
  char errbuf[CURL_ERROR_SIZE];
  uint64_t range_from; /* what this attempt asked for */
  bool body_begun, discard;
  uint64_t discarded;
  int64_t cr_start, cr_total; /* Content-Range of the current response, -1 when absent */
  int write_errno;
  bool overflow;  /* more bytes than item->size (or MEMORY_MAX) */
  bool bad_range; /* a 206 that does not start where we asked */
  double last_activity;

  /* Why each URL failed, "<url>: <cause>", for the final message. */
  char **causes;
  size_t n_mismatch, n_not_found;
  bool mismatch_retried; /* the current URL already served wrong bytes once */
  bool found_done;       /* another process had already put dest in place */

  /* Another item has the same dest: that one downloads, this one copies. */
  struct vzt_xfer *alias_of;
};

struct vzt_xfer_run {
  CURLM *multi;
  bool shared_multi;
  struct vzt_xfer *x;
  size_t n;
  bool memory;
  int parallel, retries;
  long timeout;
  size_t running, remaining;
  struct vzt_progress *progress;
  uint64_t done_bytes;
  CURL **idle; /* easy handles to reuse */
  size_t n_idle;
  struct vzt_error **err;
  bool fatal;
};

/* Another process holds "<dest>.part" (two builds want the same blob):
 * this one waits its turn, then finds dest there or downloads itself. */
#define SINK_BUSY 1
#define BUSY_POLL 0.1

static inline const char *vzt_xfer_url(const struct vzt_xfer *x) { return x->item->urls[x->url]; }
static inline void vzt_xfer_fatal(struct vzt_xfer_run *run) { run->fatal = true; }

/* transfer.c */
void vzt_xfer_handle_put(struct vzt_xfer_run *run, CURL *c);

/* transfer-sink.c */
/* Open "<dest>.part" (or reset the buffer) and hash what is already there.
 * SINK_BUSY: another process is writing it. */
int vzt_xfer_sink_open(struct vzt_xfer *x);
/* Drop what the sink holds and start hashing afresh; -errno on failure. */
int vzt_xfer_sink_truncate(struct vzt_xfer *x);
/* Close the sink; remove deletes "<dest>.part" as well (data known bad). */
void vzt_xfer_sink_close(struct vzt_xfer *x, bool remove);
/* dest complete and right already (put there by another process meanwhile). */
bool vzt_xfer_dest_already_there(struct vzt_xfer *x);
/* A complete "<dest>.part" of the expected size and digest: finished without
 * the network (true), or it ended the run on a local error (true, fatal). */
bool vzt_xfer_part_already_complete(struct vzt_xfer *x);
/* The first bytes of a response body (or its end, when empty). */
void vzt_xfer_body_begin(struct vzt_xfer *x);
/* The most a response may bring. */
uint64_t vzt_xfer_size_limit(const struct vzt_xfer *x);
size_t vzt_xfer_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata);
size_t vzt_xfer_header_cb(char *buf, size_t size, size_t nitems, void *userdata);
/* The bytes are all there: check them against the item (got: the digest). */
enum vzt_xfer_outcome vzt_xfer_verify(struct vzt_xfer *x, char **cause, char *got);

/* transfer-retry.c */
/* dest in place (renamed from its .part): the item is done. */
void vzt_xfer_finish_ok(struct vzt_xfer *x, const char *computed);
/* Every URL failed: the call fails, with the reason for each. */
void vzt_xfer_item_failed(struct vzt_xfer *x);
/* One attempt ended with res: decide what happens next. */
void vzt_xfer_attempt_done(struct vzt_xfer *x, CURLcode res);
/* Ends attempts that received nothing for the run's timeout. */
void vzt_xfer_abandon_stalled(struct vzt_xfer_run *run);
