/* What happens after each attempt: done, retried after a pause, restarted
 * from byte 0, or failed over to the next mirror; and stalls abandoned. */
#include "config.h"
#include "fetch/fetch-internal.h"

#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- the end of an attempt --------------------------------------------- */

void vzt_xfer_finish_ok(struct vzt_xfer *x, const char *computed)
{
  struct vzt_xfer_run *run = x->run;
  struct vzt_fetch_item *it = x->item;
  snprintf(it->computed, sizeof(it->computed), "%s", computed);
  it->bytes = x->have;
  it->url_used = it->urls[x->url] ? it->urls[x->url] : it->urls[0];
  if (!run->memory) {
    close(x->fd);
    x->fd = -1;
    if (rename(x->part, it->dest) < 0) {
      vzt_fail_errno(run->err, errno, "cannot rename %s to %s", x->part, it->dest);
      vzt_xfer_fatal(run);
      x->state = X_FAILED;
      return;
    }
  }
  x->state = X_DONE;
  run->remaining--;
}

/* Every URL failed: the call fails, with the reason for each. */
void vzt_xfer_item_failed(struct vzt_xfer *x)
{
  struct vzt_xfer_run *run = x->run;
  size_t nurls = vzt_strv_len(x->item->urls);
  _cleanup_free_ char *why = x->causes ? vzt_strv_join(x->causes, "; ") : vzt_strdup("no URL");
  x->state = X_FAILED;
  if (nurls && x->n_mismatch == nurls)
    vzt_refuse(run->err, "refusing the download: %s", why);
  else if (nurls && x->n_not_found == nurls)
    vzt_fail_errno(run->err, ENOENT, "cannot download %s", why);
  else
    vzt_fail(run->err, "cannot download %s", why);
  vzt_xfer_fatal(run);
}

static void next_url(struct vzt_xfer *x, char *cause)
{
  vzt_debug("%s", cause);
  vzt_strv_push_take(&x->causes, cause);
  x->url++;
  x->attempts = 0;
  x->restarted = false;
  x->mismatch_retried = false;
  x->state = X_READY;
  x->not_before = 0;
  if (!x->item->urls[x->url])
    vzt_xfer_item_failed(x);
}

static bool curl_transient(CURLcode res)
{
  switch (res) {
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_WEIRD_SERVER_REPLY:
    return true;
  default:
    return false;
  }
}

/* What to do about a certificate we cannot verify: trust its CA, never
 * skip the check. */
static const char *tls_hint(CURLcode res)
{
  if (res == CURLE_PEER_FAILED_VERIFICATION)
    return vzt_fetch_ca_file()
               ? " (the server's certificate does not chain to a CA in the CA file given by "
                 "--ca-file, CURL_CA_BUNDLE or SSL_CERT_FILE)"
               : " (if the server's certificate comes from a private CA, pass that CA with "
                 "--ca-file FILE or CURL_CA_BUNDLE)";
  if (res == CURLE_SSL_CACERT_BADFILE)
    return " (check the file given by --ca-file, CURL_CA_BUNDLE or SSL_CERT_FILE: a PEM file of CA certificates)";
  return "";
}

static enum vzt_xfer_outcome http_outcome(struct vzt_xfer *x, long code)
{
  if (code == 404 || code == 410)
    return O_NOT_FOUND;
  if (code == 408 || code == 429 || (code >= 500 && code <= 599))
    return O_TRANSIENT;
  if (code == 416 && x->range_from > 0)
    return O_RESTART;
  return O_PERMANENT;
}

double (*vzt_fetch_backoff_hook)(double delay);

void vzt_xfer_attempt_done(struct vzt_xfer *x, CURLcode res)
{
  struct vzt_xfer_run *run = x->run;
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  if (res == CURLE_OK && !x->body_begun)
    vzt_xfer_body_begin(x); /* an empty body */
  if (res == CURLE_FILESIZE_EXCEEDED)
    x->overflow = true;
  curl_multi_remove_handle(run->multi, x->curl);
  vzt_xfer_handle_put(run, x->curl);
  x->curl = NULL;
  run->running--;
  x->state = X_READY;

  enum vzt_xfer_outcome o;
  char *cause = NULL;
  char got[VZT_DIGEST_HEX_MAX] = "";
  if (x->write_errno) {
    vzt_fail_errno(run->err, x->write_errno, "cannot write %s", x->part);
    o = O_LOCAL;
  } else if (x->discard) {
    o = http_outcome(x, code);
    if (o == O_RESTART && x->cr_total >= 0 && (uint64_t) x->cr_total == x->range_from) {
      /* 416 with the length we already have: the .part is the whole file */
      o = vzt_xfer_verify(x, &cause, got);
    } else {
      cause = vzt_strdupf("%s: HTTP %ld", vzt_xfer_url(x), code);
    }
  } else if (x->overflow) {
    if (run->memory) {
      cause = vzt_strdupf("%s: larger than %u MiB", vzt_xfer_url(x), MEMORY_MAX >> 20);
      o = O_PERMANENT;
    } else if (x->item->size) {
      cause = vzt_strdupf("%s: size mismatch: more than the expected %" PRIu64 " bytes",
                          vzt_xfer_url(x), x->item->size);
      o = O_MISMATCH;
    } else {
      /* The data is removed (it cannot be what was asked for), like a mismatch. */
      cause = vzt_strdupf("%s: larger than the limit of %" PRIu64 " bytes for a file of unsigned size",
                          vzt_xfer_url(x), vzt_xfer_size_limit(x));
      o = O_MISMATCH;
    }
  } else if (x->bad_range) {
    cause = vzt_strdupf("%s: the server sent a different byte range than asked for", vzt_xfer_url(x));
    o = O_RESTART;
  } else if (res == CURLE_OK) {
    o = vzt_xfer_verify(x, &cause, got);
  } else {
    cause = res == CURLE_OPERATION_TIMEDOUT && strstr(x->errbuf, "too slow")
                ? vzt_strdupf("%s: stalled: less than %ld bytes/s for %ld seconds (--timeout)", vzt_xfer_url(x),
                              VZT_FETCH_LOW_SPEED, run->timeout)
                : vzt_strdupf("%s: %s%s", vzt_xfer_url(x), x->errbuf[0] ? x->errbuf : curl_easy_strerror(res),
                              tls_hint(res));
    if (res == CURLE_FILE_COULDNT_READ_FILE || res == CURLE_REMOTE_FILE_NOT_FOUND)
      o = O_NOT_FOUND;
    else if ((res == CURLE_BAD_DOWNLOAD_RESUME || res == CURLE_RANGE_ERROR) && x->range_from)
      o = O_RESTART;
    else if (curl_transient(res))
      o = O_TRANSIENT;
    else
      o = O_PERMANENT;
  }

  /* Data that failed verification after a resume may just be a stale .part:
   * try the same URL once more from the start before blaming the mirror. */
  if (o == O_MISMATCH && x->range_from > 0 && !x->restarted)
    o = O_RESTART;

  switch (o) {
  case O_OK:
    free(cause);
    vzt_xfer_finish_ok(x, got);
    return;
  case O_LOCAL:
    free(cause);
    vzt_xfer_fatal(run);
    return;
  case O_RESTART:
    if (!x->restarted) {
      vzt_debug("%s: starting over from byte 0", cause);
      free(cause);
      x->restarted = true;
      x->attempts--;
      vzt_xfer_sink_close(x, true);
      return;
    }
    vzt_xfer_sink_close(x, true);
    next_url(x, cause);
    return;
  case O_TRANSIENT:
    if (x->attempts <= run->retries) {
      double delay = BACKOFF_FIRST;
      for (int i = 1; i < x->attempts && delay < BACKOFF_MAX; i++)
        delay *= 2;
      if (delay > BACKOFF_MAX)
        delay = BACKOFF_MAX;
      if (vzt_fetch_backoff_hook)
        delay = vzt_fetch_backoff_hook(delay);
      vzt_debug("%s: retrying in %.1f s", cause, delay);
      free(cause);
      x->not_before = vzt_now() + delay;
      return;
    }
    next_url(x, vzt_strdupf("%s (%d attempts)", cause, x->attempts));
    free(cause);
    return;
  case O_MISMATCH:
    vzt_xfer_sink_close(x, true);
    if (!x->mismatch_retried) {
      /* One bad response can be a proxy's or a link's fault: the same
       * mirror once more, from byte 0, before it counts as serving wrong
       * bytes (and every mirror doing so is a refusal). */
      vzt_debug("%s: downloading it again from byte 0", cause);
      free(cause);
      x->mismatch_retried = true;
      return;
    }
    x->item->mismatches = ++x->n_mismatch;
    next_url(x, cause);
    return;
  case O_NOT_FOUND:
    x->n_not_found++;
    next_url(x, cause);
    return;
  case O_PERMANENT:
    next_url(x, cause);
    return;
  }
}

/* ---- stalls ------------------------------------------------------------ */

/* curl's low-speed check averages over several seconds; this one abandons a
 * transfer exactly timeout seconds after its last byte. */
void vzt_xfer_abandon_stalled(struct vzt_xfer_run *run)
{
  double now = vzt_now();
  for (size_t i = 0; i < run->n && !run->fatal; i++) {
    struct vzt_xfer *x = &run->x[i];
    if (x->state != X_RUNNING || now - x->last_activity < run->timeout)
      continue;
    snprintf(x->errbuf, sizeof(x->errbuf), "no data received for %ld seconds", run->timeout);
    vzt_xfer_attempt_done(x, CURLE_OPERATION_TIMEDOUT);
  }
}
