/* The sink of one download: "<dest>.part" (locked, resumed, hashed as the
 * bytes stream) or a buffer, fed by libcurl's write and header callbacks. */
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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the sink ---------------------------------------------------------- */

static void progress_adjust(struct vzt_xfer_run *run, int64_t delta)
{
  run->done_bytes += delta;
  vzt_progress_set(run->progress, run->done_bytes);
}


/* Open and lock "<dest>.part": the lock says one process writes it. A
 * .part renamed to dest by its holder after we opened it is not ours to
 * write: open the name again. */
static int sink_lock_part(struct vzt_xfer *x)
{
  for (;;) {
    x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x->fd < 0)
      return vzt_fail_errno(x->run->err, errno, "cannot create %s", x->part);
    if (flock(x->fd, LOCK_EX | LOCK_NB) < 0) {
      int e = errno;
      close(x->fd);
      x->fd = -1;
      if (e == EWOULDBLOCK)
        return SINK_BUSY;
      return vzt_fail_errno(x->run->err, e, "cannot lock %s", x->part);
    }
    struct stat held, named;
    if (fstat(x->fd, &held) == 0 && stat(x->part, &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      return 0;
    close(x->fd);
    x->fd = -1;
  }
}

/* dest complete and right already (put there by another process while we
 * waited): nothing to download. */
bool vzt_xfer_dest_already_there(struct vzt_xfer *x)
{
  const struct vzt_fetch_item *it = x->item;
  if (!it->digest)
    return false;
  _cleanup_close_ int fd = open(it->dest, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char got[VZT_DIGEST_HEX_MAX];
  uint64_t size = 0;
  struct vzt_error *e = NULL;
  if (vzt_digest_fd(fd, it->digest_type, got, &size, &e) < 0) {
    vzt_error_free(&e);
    return false;
  }
  if (strcasecmp(got, it->digest) || (it->size && size != it->size))
    return false;
  snprintf(x->item->computed, sizeof(x->item->computed), "%s", got);
  x->item->bytes = size;
  return true;
}

/* Open "<dest>.part" (or reset the buffer) and hash what is already there.
 * SINK_BUSY: another process is writing it. */
int vzt_xfer_sink_open(struct vzt_xfer *x)
{
  struct vzt_xfer_run *run = x->run;
  vzt_digest_free(x->dg);
  x->dg = vzt_digest_new(x->item->digest_type);
  if (run->memory) {
    x->have = 0;
    return 0;
  }
  if (x->fd >= 0)
    return 0;
  int locked = sink_lock_part(x);
  if (locked != 0)
    return locked;
  x->have = 0;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = pread(x->fd, buf, sizeof(buf), x->have);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return vzt_fail_errno(run->err, errno, "cannot read %s", x->part);
    if (r == 0)
      break;
    vzt_digest_update(x->dg, buf, r);
    x->have += r;
  }
  if (x->have)
    vzt_debug("%s: resuming after %" PRIu64 " bytes", x->part, x->have);
  progress_adjust(run, x->have);
  return 0;
}

/* Drop what the sink holds and start hashing afresh. */
int vzt_xfer_sink_truncate(struct vzt_xfer *x)
{
  if (x->fd >= 0 && ftruncate(x->fd, 0) < 0)
    return -errno;
  progress_adjust(x->run, -(int64_t) x->have);
  x->have = 0;
  vzt_digest_free(x->dg);
  x->dg = vzt_digest_new(x->item->digest_type);
  return 0;
}

/* Close the sink; remove deletes "<dest>.part" as well (data known bad). */
void vzt_xfer_sink_close(struct vzt_xfer *x, bool remove)
{
  if (x->fd >= 0) {
    close(x->fd);
    x->fd = -1;
  }
  if (remove && x->part && unlink(x->part) < 0 && errno != ENOENT)
    vzt_debug("cannot remove %s: %s", x->part, strerror(errno));
  if (remove)
    progress_adjust(x->run, -(int64_t) x->have);
  x->have = 0;
  vzt_digest_free(x->dg);
  x->dg = NULL;
}

/* ---- curl callbacks ---------------------------------------------------- */

/* The first bytes of a response body (or its end, when empty): decide whether
 * they continue what the sink holds, replace it, or are an error page. */
void vzt_xfer_body_begin(struct vzt_xfer *x)
{
  x->body_begun = true;
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 0 && (code < 200 || code > 299)) {
    x->discard = true;
    return;
  }
  if (x->range_from == 0 || code == 0) /* file:// honours the range itself */
    return;
  if (code != 206) {
    /* The server ignored the Range request and sends the whole file. */
    vzt_debug("%s: no partial content, downloading it whole", vzt_xfer_url(x));
    int r = vzt_xfer_sink_truncate(x);
    if (r < 0)
      x->write_errno = -r;
    x->range_from = 0;
  } else if (x->cr_start >= 0 && (uint64_t) x->cr_start != x->range_from) {
    x->bad_range = true;
  }
}

/* The most a response may bring: the expected size, the item's cap, or the cap for unsized ones. */
uint64_t vzt_xfer_size_limit(const struct vzt_xfer *x)
{
  if (x->run->memory)
    return MEMORY_MAX;
  if (x->item->size)
    return x->item->size;
  return x->item->max_size ? x->item->max_size : VZT_FETCH_UNSIZED_MAX;
}

size_t vzt_xfer_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct vzt_xfer *x = userdata;
  size_t n = size * nmemb;
  x->last_activity = vzt_now();
  if (!x->body_begun)
    vzt_xfer_body_begin(x);
  if (x->discard) {
    x->discarded += n;
    return x->discarded > ERROR_BODY_MAX ? 0 : n;
  }
  if (x->write_errno || x->bad_range)
    return 0;
  if (x->run->memory) {
    if (x->have + n > MEMORY_MAX) {
      x->overflow = true;
      return 0;
    }
    x->buf.len = x->have; /* a restart from byte 0 set have back to 0 */
    vzt_buf_append(&x->buf, ptr, n);
  } else {
    if (x->have + n > vzt_xfer_size_limit(x)) {
      x->overflow = true;
      return 0;
    }
    for (size_t off = 0; off < n;) {
      ssize_t w = pwrite(x->fd, ptr + off, n - off, x->have + off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0) {
        x->write_errno = errno;
        return 0;
      }
      off += w;
    }
  }
  vzt_digest_update(x->dg, ptr, n);
  x->have += n;
  progress_adjust(x->run, n);
  return n;
}

size_t vzt_xfer_header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
  struct vzt_xfer *x = userdata;
  size_t n = size * nitems;
  x->last_activity = vzt_now();
  char line[160];
  size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
  memcpy(line, buf, len);
  line[len] = 0;
  if (vzt_startswith(line, "HTTP/")) {
    /* a new response (after a redirect or a 100): forget the last one's */
    x->cr_start = x->cr_total = -1;
  } else if (strncasecmp(line, "Content-Range:", 14) == 0) {
    const char *p = line + 14;
    p += strspn(p, " \t");
    if (strncasecmp(p, "bytes", 5) == 0)
      p += 5;
    p += strspn(p, " \t");
    unsigned long long start, end, total;
    if (sscanf(p, "%llu-%llu/%llu", &start, &end, &total) == 3) {
      x->cr_start = start;
      x->cr_total = total;
    } else if (sscanf(p, "%llu-%llu/*", &start, &end) == 2) {
      x->cr_start = start;
    } else if (sscanf(p, "*/%llu", &total) == 1) {
      x->cr_total = total;
    }
  }
  return n;
}

/* A complete "<dest>.part" of the expected size and digest needs no network:
 * an earlier run got that far before it stopped. */
bool vzt_xfer_part_already_complete(struct vzt_xfer *x)
{
  const struct vzt_fetch_item *it = x->item;
  if (x->run->memory || !it->size || !it->digest || x->have != it->size)
    return false;
  char got[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(x->dg, got);
  x->dg = NULL;
  if (strcasecmp(got, it->digest) == 0) {
    vzt_xfer_finish_ok(x, got);
    return true;
  }
  vzt_debug("%s: complete but wrong digest, downloading it again", x->part);
  if (vzt_xfer_sink_truncate(x) < 0) {
    vzt_fail_errno(x->run->err, errno, "cannot truncate %s", x->part);
    vzt_xfer_fatal(x->run);
    return true;
  }
  return false;
}

/* The bytes are all there: check them against the item. */
enum vzt_xfer_outcome vzt_xfer_verify(struct vzt_xfer *x, char **cause, char *got)
{
  const struct vzt_fetch_item *it = x->item;
  vzt_digest_finish(x->dg, got);
  x->dg = NULL;
  if (it->size && x->have != it->size) {
    *cause = vzt_strdupf("%s: size mismatch: expected %" PRIu64 " bytes, got %" PRIu64,
                         vzt_xfer_url(x), it->size, x->have);
    return O_MISMATCH;
  }
  if (it->digest && strcasecmp(got, it->digest) != 0) {
    *cause = vzt_strdupf("%s: %s mismatch: expected %s, got %s", vzt_xfer_url(x),
                         vzt_digest_name(it->digest_type), it->digest, got);
    return O_MISMATCH;
  }
  return O_OK;
}
