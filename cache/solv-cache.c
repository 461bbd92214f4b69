/* Parsed package indices kept beside their blobs: solv/<key>.solv and its .meta. */
#include "config.h"
#include "cache/solv-cache.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SOLV_DIR "solv"
/* A .meta holds names of a base set: a few KiB. More is not ours. */
#define META_MAX (4u << 20)

/* key becomes a file name: nothing that could leave solv/ or hide as a dot file. */
static bool key_ok(const char *key)
{
  if (!key || !*key || strlen(key) > 128)
    return false;
  for (const char *p = key; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          *p == '-' || *p == '_'))
      return false;
  return true;
}

/* solv/ itself, never through a link. */
static int open_solv_dir(const struct vzt_cache *c)
{
  return openat(vzt_cache_dirfd(c), SOLV_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A regular file under dfd, not through a link; O_NONBLOCK so a FIFO cannot hang us. */
static int open_regular(int dfd, const char *name)
{
  _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return -1;
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return steal_fd(&fd);
}

/* The .meta's text, or NULL when it is missing, too large or not text. */
static char *read_meta(int dfd, const char *name)
{
  _cleanup_close_ int fd = open_regular(dfd, name);
  if (fd < 0)
    return NULL;
  char *buf = NULL;
  size_t len = 0;
  struct vzt_error *e = NULL;
  if (vzt_read_fd_max(fd, name, META_MAX, &buf, &len, &e) < 0) {
    vzt_error_free(&e);
    return NULL;
  }
  if (memchr(buf, 0, len)) {
    free(buf);
    return NULL;
  }
  return buf;
}

static void remove_pair(int dfd, const char *solv, const char *meta)
{
  /* The .meta first: a .solv without one is never read. */
  unlinkat(dfd, meta, 0);
  unlinkat(dfd, solv, 0);
}

FILE *vzt_solv_cache_lookup(const struct vzt_cache *c, const char *key, const char *version,
                            char **extra)
{
  if (extra)
    *extra = NULL;
  if (!key_ok(key))
    return NULL;
  _cleanup_close_ int dfd = open_solv_dir(c);
  if (dfd < 0)
    return NULL;
  _cleanup_free_ char *solv = vzt_strdupf("%s.solv", key);
  _cleanup_free_ char *metan = vzt_strdupf("%s.meta", key);
  _cleanup_free_ char *meta = read_meta(dfd, metan);
  if (!meta)
    return NULL;
  /* Another format (an older or newer vztmpl): not ours to read or remove. */
  size_t vlen = strlen(version);
  if (strncmp(meta, version, vlen) || meta[vlen] != '\n')
    return NULL;
  const char *line = meta + vlen + 1;
  const char *nl = strchr(line, '\n');
  char want[VZT_DIGEST_HEX_MAX] = "", got[VZT_DIGEST_HEX_MAX];
  size_t hl = nl ? (size_t) (nl - line) : 0;
  if (!nl || strncmp(line, "solv ", 5) || hl - 5 >= sizeof(want) || hl <= 5) {
    vzt_warn("cached parsed index %s/%s is damaged: parsing again", SOLV_DIR, metan);
    remove_pair(dfd, solv, metan);
    return NULL;
  }
  memcpy(want, line + 5, hl - 5);
  want[hl - 5] = 0;
  _cleanup_close_ int fd = open_regular(dfd, solv);
  struct vzt_error *e = NULL;
  if (fd < 0 || vzt_digest_fd(fd, VZT_DIGEST_SHA256, got, NULL, &e) < 0 || strcmp(want, got)) {
    vzt_error_free(&e);
    vzt_warn("cached parsed index %s/%s does not match its recorded hash: parsing again",
             SOLV_DIR, solv);
    remove_pair(dfd, solv, metan);
    return NULL;
  }
  if (lseek(fd, 0, SEEK_SET) < 0)
    return NULL;
  FILE *f = fdopen(fd, "r");
  if (!f)
    return NULL;
  fd = -1;
  if (extra)
    *extra = vzt_strdup(nl + 1);
  return f;
}

int vzt_solv_cache_store(const struct vzt_cache *c, const char *key, const char *version,
                         const void *solv_data, size_t solv_len, const char *extra,
                         struct vzt_error **err)
{
  if (!key_ok(key))
    return vzt_fail(err, "cannot cache a parsed index under the name \"%s\"", key ? key : "");
  if (mkdirat(vzt_cache_dirfd(c), SOLV_DIR, 0755) < 0 && errno != EEXIST)
    return vzt_fail_errno(err, errno, "cannot create %s in the cache", SOLV_DIR);
  _cleanup_close_ int dfd = open_solv_dir(c);
  if (dfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s in the cache", SOLV_DIR);
  _cleanup_free_ char *solv = vzt_strdupf("%s.solv", key);
  _cleanup_free_ char *metan = vzt_strdupf("%s.meta", key);
  /* The old .meta goes first: between the two renames no .meta vouches for
   * a .solv it does not describe. */
  unlinkat(dfd, metan, 0);
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, solv_data, solv_len);
  vzt_digest_finish(d, hex); /* frees d */
  if (vzt_atomic_write_file(dfd, solv, solv_data, solv_len, 0644, err) < 0)
    return -1;
  _cleanup_free_ char *meta = vzt_strdupf("%s\nsolv %s\n%s", version, hex, extra ? extra : "");
  if (vzt_atomic_write_file(dfd, metan, meta, strlen(meta), 0644, err) < 0) {
    unlinkat(dfd, solv, 0);
    return -1;
  }
  return 0;
}
