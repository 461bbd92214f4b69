/* Cache sizes, garbage collection and clean-up: one walk over the layout,
 * counting or removing by kind. */
#include "config.h"
#include "cache/gc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEX 64

enum scan_mode { SCAN_USAGE, SCAN_GC, SCAN_CLEAN };

/* The newest mtime of the index data under one sha256: blob, .solv, .meta. */
struct index_rec {
  char hex[HEX + 1];
  time_t newest;
};

struct scan {
  const struct vzt_cache *c;
  enum scan_mode mode;
  bool dry_run, all;
  char **refs; /* sorted, lowercase */
  size_t nrefs;
  struct index_rec *idx;
  size_t nidx, capidx;
  time_t now, keep; /* seconds */
  struct vzt_cache_usage *u; /* usage, or what was freed */
  struct vzt_cache_area *kept;
  struct vzt_error **err;
};

static bool is_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char) s[i]))
      return false;
  return true;
}

static bool is_sha256(const char *s) { return strlen(s) == HEX && is_hex(s, HEX); }

static int str_cmp(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool referenced(const struct scan *s, const char *hex)
{
  return s->nrefs && bsearch(&hex, s->refs, s->nrefs, sizeof(char *), str_cmp);
}

static int idx_cmp(const void *a, const void *b)
{
  return strcmp(((const struct index_rec *) a)->hex, ((const struct index_rec *) b)->hex);
}

static struct index_rec *idx_find(const struct scan *s, const char *hex)
{
  struct index_rec key;
  memcpy(key.hex, hex, HEX);
  key.hex[HEX] = 0;
  return s->nidx ? bsearch(&key, s->idx, s->nidx, sizeof(key), idx_cmp) : NULL;
}

static bool pid_gone(long pid)
{
  return pid > 0 && pid != getpid() && kill((pid_t) pid, 0) < 0 && errno == ESRCH;
}

/* "<prefix>.<pid>.XXXXXX" (vzt_cache_mkdtemp) whose process is gone. */
static bool stale_workdir(const char *name)
{
  const char *last = strrchr(name, '.');
  if (!last || last == name || strlen(last + 1) != 6)
    return false;
  const char *p = last;
  while (p > name && p[-1] != '.')
    p--;
  if (p == name || p == last)
    return false;
  long pid = 0;
  for (const char *q = p; q < last; q++) {
    if (!isdigit((unsigned char) *q) || pid > INT_MAX / 10)
      return false;
    pid = pid * 10 + (*q - '0');
  }
  return pid_gone(pid);
}

/* "<name>.tmp.<pid>" (vzt_write_file_atomic and friends); *pid set. */
static bool tmp_leftover(const char *name, long *pid)
{
  const char *t = strstr(name, ".tmp.");
  if (!t)
    return false;
  const char *d = t + 5;
  if (!*d)
    return false;
  long v = 0;
  for (; *d; d++) {
    if (!isdigit((unsigned char) *d) || v > INT_MAX / 10)
      return false;
    v = v * 10 + (*d - '0');
  }
  *pid = v;
  return true;
}

static void add(struct vzt_cache_area *a, uint64_t bytes, uint64_t files)
{
  a->bytes += bytes;
  a->files += files;
}

/* Regular-file bytes and count of a tree, without following links or
 * leaving the file system. */
static void tree_size(int dfd, const char *name, dev_t dev, struct vzt_cache_area *a)
{
  struct stat st;
  if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  if (S_ISREG(st.st_mode)) {
    add(a, (uint64_t) st.st_size, 1);
    return;
  }
  if (!S_ISDIR(st.st_mode) || st.st_dev != dev)
    return;
  _cleanup_closedir_ DIR *d = vzt_opendirat(dfd, name);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      tree_size(dirfd(d), de->d_name, dev, a);
}

/* Counts name into area; in the removing modes also removes it (unless a dry run). */
static int take(struct scan *s, int dfd, const char *name, const struct stat *st,
                struct vzt_cache_area *area)
{
  struct vzt_cache_area here = {0};
  tree_size(dfd, name, st->st_dev, &here);
  if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode))
    here.files = 1; /* a stray link or socket: counted, zero bytes */
  if (s->mode != SCAN_USAGE && !s->dry_run) {
    _cleanup_error_ struct vzt_error *e = NULL;
    int r = S_ISDIR(st->st_mode) ? vzt_rm_rf_at(dfd, name, &e) : unlinkat(dfd, name, 0);
    if (r < 0 && !(!S_ISDIR(st->st_mode) && errno == ENOENT)) {
      _cleanup_free_ char *what = vzt_strdup(e ? e->msg : strerror(errno));
      return vzt_fail(s->err, "cannot remove %s from the cache %s: %s", name,
                      vzt_cache_dir(s->c), what);
    }
  }
  add(area, here.bytes, here.files);
  return 0;
}

static DIR *open_dir(const struct scan *s, int parent, const char *rel)
{
  return vzt_opendirat(parent >= 0 ? parent : vzt_cache_dirfd(s->c), rel);
}

#define EACH_ENTRY(d, de, st)                                                                     \
  for (struct dirent *de; (de = readdir(d));)                                                     \
    if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)

static bool is_old(const struct scan *s, time_t newest) { return s->now - newest >= s->keep; }

/* solv/<hex>.solv|.meta: which sha256s are index data, and their newest mtime. */
static void collect_indices(struct scan *s)
{
  _cleanup_closedir_ DIR *d = open_dir(s, -1, "solv");
  if (!d)
    return;
  struct stat st;
  EACH_ENTRY(d, de, st)
  {
    const char *n = de->d_name;
    if (strlen(n) != HEX + 5 || !is_hex(n, HEX) || (strcmp(n + HEX, ".solv") && strcmp(n + HEX, ".meta")))
      continue;
    if (s->nidx == s->capidx) {
      s->capidx = s->capidx ? 2 * s->capidx : 64;
      s->idx = vzt_realloc(s->idx, s->capidx * sizeof(*s->idx));
      if (!s->idx)
        vzt_out_of_memory();
    }
    struct index_rec *r = &s->idx[s->nidx++];
    for (size_t i = 0; i < HEX; i++)
      r->hex[i] = (char) tolower((unsigned char) n[i]);
    r->hex[HEX] = 0;
    r->newest = st.st_mtime;
  }
  if (s->nidx) /* idx is NULL while empty */
    qsort(s->idx, s->nidx, sizeof(*s->idx), idx_cmp);
  size_t out = 0; /* one record per sha256: the .solv and .meta merge */
  for (size_t i = 0; i < s->nidx; i++) {
    if (out && !strcmp(s->idx[out - 1].hex, s->idx[i].hex)) {
      if (s->idx[i].newest > s->idx[out - 1].newest)
        s->idx[out - 1].newest = s->idx[i].newest;
      continue;
    }
    s->idx[out++] = s->idx[i];
  }
  s->nidx = out;
}

static int scan_blob(struct scan *s, int dfd, const char *name, const struct stat *st)
{
  long pid;
  if (!S_ISREG(st->st_mode) || !is_sha256(name)) {
    /* *.part downloads: no build runs under the exclusive lock to resume them. */
    if (s->mode == SCAN_USAGE || !tmp_leftover(name, &pid) || pid_gone(pid))
      return take(s, dfd, name, st, &s->u->partial);
    return 0;
  }
  char hex[HEX + 1];
  for (size_t i = 0; i <= HEX; i++)
    hex[i] = (char) tolower((unsigned char) name[i]);
  if (referenced(s, hex)) {
    if (s->mode == SCAN_GC) {
      add(s->kept, (uint64_t) st->st_size, 1);
      return 0;
    }
    return take(s, dfd, name, st, &s->u->referenced);
  }
  struct index_rec *r = idx_find(s, hex);
  if (r) {
    if (st->st_mtime > r->newest)
      r->newest = st->st_mtime;
    if (s->mode == SCAN_GC && !is_old(s, r->newest))
      return 0;
    return take(s, dfd, name, st, &s->u->indices);
  }
  return take(s, dfd, name, st, &s->u->unreferenced);
}

static int scan_blobs(struct scan *s)
{
  _cleanup_closedir_ DIR *top = open_dir(s, -1, "blobs/sha256");
  if (!top)
    return 0;
  struct stat st;
  EACH_ENTRY(top, fan, st)
  {
    if (!S_ISDIR(st.st_mode))
      continue;
    _cleanup_closedir_ DIR *d = open_dir(s, dirfd(top), fan->d_name);
    if (!d)
      continue;
    struct stat bst;
    EACH_ENTRY(d, de, bst)
    if (scan_blob(s, dirfd(d), de->d_name, &bst) < 0)
      return -1;
    if (s->mode != SCAN_USAGE && !s->dry_run)
      unlinkat(dirfd(top), fan->d_name, AT_REMOVEDIR); /* only when empty */
  }
  return 0;
}

static int scan_solv(struct scan *s)
{
  _cleanup_closedir_ DIR *d = open_dir(s, -1, "solv");
  if (!d)
    return 0;
  struct stat st;
  long pid;
  EACH_ENTRY(d, de, st)
  {
    const char *n = de->d_name;
    struct index_rec *r = strlen(n) > HEX && is_hex(n, HEX) && n[HEX] == '.' ? idx_find(s, n) : NULL;
    int ret = 0;
    if (tmp_leftover(n, &pid)) {
      if (s->mode == SCAN_USAGE || pid_gone(pid))
        ret = take(s, dirfd(d), n, &st, &s->u->partial);
    } else if (s->mode != SCAN_GC || !r || is_old(s, r->newest))
      ret = take(s, dirfd(d), n, &st, &s->u->parsed);
    if (ret < 0)
      return -1;
  }
  return 0;
}

/* releases/ and templates/: files kept by gc; leftovers of dead writers go. */
static int scan_flat(struct scan *s, const char *rel, struct vzt_cache_area *area, bool clean_it)
{
  _cleanup_closedir_ DIR *d = open_dir(s, -1, rel);
  if (!d)
    return 0;
  struct stat st;
  long pid;
  EACH_ENTRY(d, de, st)
  {
    int ret = 0;
    if (tmp_leftover(de->d_name, &pid)) {
      if (s->mode == SCAN_USAGE || pid_gone(pid))
        ret = take(s, dirfd(d), de->d_name, &st, &s->u->partial);
    } else if (s->mode == SCAN_USAGE || (s->mode == SCAN_CLEAN && clean_it))
      ret = take(s, dirfd(d), de->d_name, &st, area);
    if (ret < 0)
      return -1;
  }
  return 0;
}

static int scan_tmp(struct scan *s)
{
  _cleanup_closedir_ DIR *d = open_dir(s, -1, "tmp");
  if (!d)
    return 0;
  struct stat st;
  EACH_ENTRY(d, de, st)
  {
    /* gc: only what vzt_cache_clean_stale would remove; clean: everything,
     * as the exclusive lock means no build is running. */
    if (s->mode == SCAN_GC && !stale_workdir(de->d_name))
      continue;
    if (take(s, dirfd(d), de->d_name, &st, &s->u->tmp) < 0)
      return -1;
  }
  return 0;
}

static int scan(struct scan *s)
{
  collect_indices(s);
  if (scan_blobs(s) < 0 || scan_solv(s) < 0 || scan_flat(s, "releases", &s->u->releases, true) < 0 ||
      scan_flat(s, "templates", &s->u->templates, s->all) < 0 || scan_tmp(s) < 0)
    return -1;
  if (s->mode == SCAN_USAGE) {
    struct stat st;
    if (fstatat(vzt_cache_dirfd(s->c), "unpacked", &st, AT_SYMLINK_NOFOLLOW) == 0)
      tree_size(vzt_cache_dirfd(s->c), "unpacked", st.st_dev, &s->u->unpacked);
  }
  return 0;
}

static void scan_init(struct scan *s, const struct vzt_cache *c, char *const *refs,
                      struct vzt_error **err)
{
  memset(s, 0, sizeof(*s));
  s->c = c;
  s->err = err;
  s->now = time(NULL);
  size_t n = refs ? vzt_strv_len(refs) : 0;
  s->refs = vzt_calloc(n + 1, sizeof(char *));
  if (!s->refs)
    vzt_out_of_memory();
  for (size_t i = 0; i < n; i++)
    if (is_sha256(refs[i])) {
      char *h = vzt_strdup(refs[i]);
      for (char *p = h; *p; p++)
        *p = (char) tolower((unsigned char) *p);
      s->refs[s->nrefs++] = h;
    }
  qsort(s->refs, s->nrefs, sizeof(char *), str_cmp);
}

static void scan_free(struct scan *s)
{
  vzt_strv_free(s->refs);
  free(s->idx);
}

int vzt_cache_usage(const struct vzt_cache *c, char *const *referenced, struct vzt_cache_usage *u,
                    struct vzt_error **err)
{
  memset(u, 0, sizeof(*u));
  struct scan s;
  scan_init(&s, c, referenced, err);
  s.mode = SCAN_USAGE;
  s.u = u;
  int r = scan(&s);
  scan_free(&s);
  return r;
}

int vzt_cache_gc(struct vzt_cache *c, const struct vzt_gc_opts *o, struct vzt_gc_result *r,
                 struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (vzt_cache_lock(c, true, err) < 0)
    return -1;
  struct scan s;
  scan_init(&s, c, o->referenced, err);
  s.mode = SCAN_GC;
  s.dry_run = o->dry_run;
  if (o->now)
    s.now = o->now;
  s.keep = (time_t) o->keep_days * 86400;
  s.u = &r->freed;
  s.kept = &r->kept;
  int ret = scan(&s);
  scan_free(&s);
  return ret;
}

int vzt_cache_clean(struct vzt_cache *c, bool all, bool dry_run, struct vzt_gc_result *r,
                    struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (vzt_cache_lock(c, true, err) < 0)
    return -1;
  struct scan s;
  scan_init(&s, c, NULL, err);
  s.mode = SCAN_CLEAN;
  s.dry_run = dry_run;
  s.all = all;
  s.u = &r->freed;
  int ret = scan(&s);
  scan_free(&s);
  return ret;
}

struct vzt_cache_area vzt_cache_usage_total(const struct vzt_cache_usage *u)
{
  const struct vzt_cache_area *v[] = {&u->referenced, &u->unreferenced, &u->indices,
                                      &u->parsed,     &u->releases,     &u->templates,
                                      &u->tmp,        &u->partial,      &u->unpacked};
  struct vzt_cache_area t = {0};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(v); i++)
    add(&t, v[i]->bytes, v[i]->files);
  return t;
}

/* One file of a template: counted, and unlinked unless dry_run; a missing one is no error. */
static int remove_template_file(int dfd, const char *dir, const char *file, bool dry_run,
                                struct vzt_cache_area *freed, struct vzt_error **err)
{
  struct stat st;
  if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : vzt_fail_errno(err, errno, "cannot stat %s/%s", dir, file);
  if (!dry_run && unlinkat(dfd, file, 0) < 0 && errno != ENOENT)
    return vzt_fail_errno(err, errno, "cannot remove %s/%s", dir, file);
  add(freed, (uint64_t) st.st_size, 1);
  return 0;
}

int vzt_cache_template_remove(struct vzt_cache *c, const char *name, const char *archive_file, bool dry_run,
                              struct vzt_cache_area *freed, struct vzt_error **err)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_close_ int dfd = -1;
  if (vzt_cache_templates_open(c, &dir, &dfd, err) < 0)
    return -1;
  _cleanup_free_ char *manifest = vzt_strdupf("%s.json", name);
  _cleanup_free_ char *archive = archive_file && *archive_file && !strchr(archive_file, '/') && archive_file[0] != '.'
                                     ? vzt_strdup(archive_file)
                                     : vzt_strdupf("%s.tar.zst", name);
  _cleanup_free_ char *sums = vzt_cache_sums_name(name, false);
  _cleanup_free_ char *sig = vzt_cache_sums_name(name, true);
  const char *files[] = {manifest, archive, sums, sig};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(files); i++)
    if (remove_template_file(dfd, dir, files[i], dry_run, freed, err) < 0)
      return -1;
  return 0;
}
