/* Comparing two templates: package lists from the manifests, paths from the archives. */
#include "config.h"
#include "tmpl/lifecycle/diff.h"
#include "tmpl/family.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include "lib/locale.h"
#include "lib/alloc.h"
#include <solv/evr.h>
#include <solv/pool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

/* --- packages --- */

static int evrcmp(Pool *pool, const char *a, const char *b)
{
  return pool_evrcmp_str(pool, a ? a : "", b ? b : "", EVRCMP_COMPARE);
}

int vzt_diff_vercmp(const char *a, const char *b)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_DEB);
  int r = evrcmp(pool, a, b);
  pool_free(pool);
  return r;
}

static const char *nz(const char *s) { return s ? s : ""; }

static int pkg_cmp(const void *x, const void *y)
{
  const struct vzt_manifest_package *a = *(const struct vzt_manifest_package *const *) x;
  const struct vzt_manifest_package *b = *(const struct vzt_manifest_package *const *) y;
  int r = strcmp(nz(a->name), nz(b->name));
  return r ? r : strcmp(nz(a->architecture), nz(b->architecture));
}

static const struct vzt_manifest_package **sorted_packages(const struct vzt_manifest *m)
{
  const struct vzt_manifest_package **v = vzt_calloc(m->npackages + 1, sizeof(*v));
  for (size_t i = 0; i < m->npackages; i++)
    v[i] = &m->packages[i];
  qsort(v, m->npackages, sizeof(*v), pkg_cmp);
  return v;
}

static void push_package(struct vzt_diff *d, size_t *cap, enum vzt_diff_kind kind,
                         const struct vzt_manifest_package *old, const struct vzt_manifest_package *new)
{
  if (d->npackages == *cap) {
    *cap = *cap ? 2 * *cap : 32;
    d->packages = vzt_realloc(d->packages, *cap * sizeof(*d->packages));
    if (!d->packages)
      vzt_out_of_memory();
  }
  const struct vzt_manifest_package *any = old ? old : new;
  d->packages[d->npackages++] = (struct vzt_diff_package){
      .kind = kind,
      .name = vzt_strdup(nz(any->name)),
      .old_version = old ? vzt_strdup(nz(old->version)) : NULL,
      .new_version = new ? vzt_strdup(nz(new->version)) : NULL,
      .old_arch = old ? vzt_strdup(nz(old->architecture)) : NULL,
      .new_arch = new ? vzt_strdup(nz(new->architecture)) : NULL,
  };
}

static void compare_pair(Pool *pool, struct vzt_diff *d, size_t *cap,
                         const struct vzt_manifest_package *old, const struct vzt_manifest_package *new)
{
  int r = evrcmp(pool, old->version, new->version);
  if (r < 0)
    push_package(d, cap, VZT_DIFF_UPGRADED, old, new);
  else if (r > 0)
    push_package(d, cap, VZT_DIFF_DOWNGRADED, old, new);
  else if (strcmp(nz(old->architecture), nz(new->architecture)) ||
           (old->sha256 && new->sha256 && strcasecmp(old->sha256, new->sha256)))
    push_package(d, cap, VZT_DIFF_CHANGED, old, new); /* a rebuild under the same version */
}

int vzt_diff_packages(const struct vzt_manifest *a, const struct vzt_manifest *b, struct vzt_diff *d,
                      struct vzt_error **err)
{
  (void) err;
  _cleanup_free_ const struct vzt_manifest_package **pa = sorted_packages(a);
  _cleanup_free_ const struct vzt_manifest_package **pb = sorted_packages(b);
  /* Versions are ordered by the family's rules (rpm's are not dpkg's);
   * manifests that name no family were compared as Debian's. */
  const struct vzt_family_ops *ops = vzt_family_of_manifest(b);
  if (!ops)
    ops = vzt_family_of_manifest(a);
  Pool *pool = pool_create();
  pool_setdisttype(pool, ops ? ops->disttype : DISTTYPE_DEB);
  size_t cap = d->npackages, i = 0, j = 0;
  while (i < a->npackages || j < b->npackages) {
    int r = i == a->npackages   ? 1
            : j == b->npackages ? -1
                                : strcmp(nz(pa[i]->name), nz(pb[j]->name));
    if (r < 0) {
      push_package(d, &cap, VZT_DIFF_REMOVED, pa[i++], NULL);
      continue;
    }
    if (r > 0) {
      push_package(d, &cap, VZT_DIFF_ADDED, NULL, pb[j++]);
      continue;
    }
    /* One name, usually one architecture on each side; Multi-Arch: same
     * packages pair by architecture, and a lone pair whatever its arch
     * (a package that became "all" is an upgrade, not a swap). */
    const char *name = nz(pa[i]->name);
    size_t ie = i, je = j;
    while (ie < a->npackages && !strcmp(nz(pa[ie]->name), name))
      ie++;
    while (je < b->npackages && !strcmp(nz(pb[je]->name), name))
      je++;
    _cleanup_free_ bool *used_b = vzt_calloc(je - j + 1, sizeof(bool));
    _cleanup_free_ bool *used_a = vzt_calloc(ie - i + 1, sizeof(bool));
    size_t left_a = ie - i, left_b = je - j;
    for (size_t x = i; x < ie; x++)
      for (size_t y = j; y < je; y++)
        if (!used_b[y - j] && !strcmp(nz(pa[x]->architecture), nz(pb[y]->architecture))) {
          compare_pair(pool, d, &cap, pa[x], pb[y]);
          used_a[x - i] = used_b[y - j] = true;
          left_a--, left_b--;
          break;
        }
    const struct vzt_manifest_package *lone_a = NULL, *lone_b = NULL;
    for (size_t x = i; x < ie; x++)
      if (!used_a[x - i])
        lone_a = pa[x];
    for (size_t y = j; y < je; y++)
      if (!used_b[y - j])
        lone_b = pb[y];
    if (left_a == 1 && left_b == 1)
      compare_pair(pool, d, &cap, lone_a, lone_b);
    else {
      for (size_t x = i; x < ie; x++)
        if (!used_a[x - i])
          push_package(d, &cap, VZT_DIFF_REMOVED, pa[x], NULL);
      for (size_t y = j; y < je; y++)
        if (!used_b[y - j])
          push_package(d, &cap, VZT_DIFF_ADDED, NULL, pb[y]);
    }
    i = ie;
    j = je;
  }
  pool_free(pool);
  return 0;
}

/* --- archives --- */

#define TYPE_HARDLINK 0170000u /* not a real S_IFMT value: a tar hard-link entry */

struct entry {
  char *path;   /* "/etc/passwd" */
  char *target; /* symlink or hard-link target */
  unsigned type, perm;
  int64_t uid, gid, size;
  size_t seq;   /* order in the archive: a later duplicate wins */
  char sha256[65];
};

struct entries {
  struct entry *v;
  size_t n, cap;
};

static void entries_clear(struct entries *es)
{
  for (size_t i = 0; i < es->n; i++) {
    free(es->v[i].path);
    free(es->v[i].target);
  }
  free(es->v);
  memset(es, 0, sizeof(*es));
}

/* "./usr/bin/", "usr/bin", "/usr/bin" -> "/usr/bin"; "." and "./" -> "/". */
static char *normalize(const char *p)
{
  p = vzt_path_skip_root(p);
  if (!strcmp(p, "."))
    p = "";
  size_t n = strlen(p);
  while (n && p[n - 1] == '/')
    n--;
  return vzt_strdupf("/%.*s", (int) n, p);
}

/* Reads the archive's file through a digest, so the hash of exactly the
 * bytes that were compared is known at the end. */
struct tee {
  int fd;
  struct vzt_digest *digest;
  uint64_t bytes;
  unsigned char buf[1 << 16];
};

static la_ssize_t tee_read(struct archive *a, void *data, const void **buf)
{
  struct tee *t = data;
  ssize_t n;
  do
    n = read(t->fd, t->buf, sizeof(t->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read error");
    return -1;
  }
  vzt_digest_update(t->digest, t->buf, (size_t) n);
  t->bytes += (uint64_t) n;
  *buf = t->buf;
  return n;
}

static int read_entries(const char *path, const char *want_sha256, struct entries *es,
                        struct vzt_error **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  _cleanup_free_ struct tee *t = vzt_calloc(1, sizeof(*t));
  t->fd = fd;
  t->digest = vzt_digest_new(VZT_DIGEST_SHA256);
  VZT_UTF8_SCOPE(utf8);
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  int ret = -1, r;
  struct archive_entry *e;
  unsigned char buf[1 << 16];
  if (archive_read_open(a, t, NULL, tee_read, NULL) != ARCHIVE_OK) {
    vzt_fail(err, "cannot read %s: %s", path, archive_error_string(a));
    goto out;
  }
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    if (es->n == es->cap) {
      es->cap = es->cap ? 2 * es->cap : 1024;
      es->v = vzt_realloc(es->v, es->cap * sizeof(*es->v));
      if (!es->v)
        vzt_out_of_memory();
    }
    struct entry *x = &es->v[es->n];
    memset(x, 0, sizeof(*x));
    x->seq = es->n++;
    x->path = normalize(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
    const char *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
    x->type = hl ? TYPE_HARDLINK : (unsigned) archive_entry_filetype(e);
    x->perm = (unsigned) archive_entry_perm(e) & 07777;
    x->uid = archive_entry_uid(e);
    x->gid = archive_entry_gid(e);
    x->size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (hl)
      x->target = normalize(hl);
    else if (sl)
      x->target = vzt_strdup(sl);
    if (x->type != AE_IFREG)
      continue;
    struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
      vzt_digest_update(d, buf, (size_t) n);
    vzt_digest_finish(d, x->sha256);
    if (n < 0) {
      vzt_refuse(err, "%s is damaged at %s: %s", path, x->path, archive_error_string(a));
      goto out;
    }
  }
  if (r != ARCHIVE_EOF) {
    vzt_refuse(err, "%s is damaged: %s", path, archive_error_string(a));
    goto out;
  }
  /* The end of the tar stream is not the end of the file: hash the rest too. */
  const void *rest;
  la_ssize_t n;
  while ((n = tee_read(a, t, &rest)) > 0)
    ;
  if (n < 0) {
    vzt_fail_errno(err, errno, "cannot read %s", path);
    goto out;
  }
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(steal_pointer(&t->digest), hex);
  if (want_sha256 && strcasecmp(hex, want_sha256)) {
    vzt_refuse(err, "%s: sha256 %s but the manifest says %s", path, hex, want_sha256);
    goto out;
  }
  ret = 0;
out:
  if (t->digest)
    vzt_digest_free(t->digest);
  archive_read_free(a);
  return ret;
}

static int entry_cmp(const void *x, const void *y)
{
  const struct entry *a = x, *b = y;
  int r = strcmp(a->path, b->path);
  return r ? r : (a->seq > b->seq) - (a->seq < b->seq);
}

/* Sorts by path and keeps the last of duplicates, as extraction would. */
static void entries_sort(struct entries *es)
{
  if (es->n) /* v is NULL while empty */
    qsort(es->v, es->n, sizeof(*es->v), entry_cmp);
  size_t out = 0;
  for (size_t i = 0; i < es->n; i++) {
    if (i + 1 < es->n && !strcmp(es->v[i].path, es->v[i + 1].path)) {
      free(es->v[i].path);
      free(es->v[i].target);
      continue;
    }
    es->v[out++] = es->v[i];
  }
  es->n = out;
}

static unsigned entry_diff(const struct entry *a, const struct entry *b)
{
  unsigned what = 0;
  if (a->type != b->type)
    what |= VZT_DIFF_TYPE;
  if (a->perm != b->perm)
    what |= VZT_DIFF_MODE;
  if (a->uid != b->uid || a->gid != b->gid)
    what |= VZT_DIFF_OWNER;
  if (a->type == AE_IFREG && b->type == AE_IFREG) {
    if (a->size != b->size)
      what |= VZT_DIFF_SIZE;
    if (strcmp(a->sha256, b->sha256))
      what |= VZT_DIFF_CONTENT;
  }
  if (strcmp(nz(a->target), nz(b->target)))
    what |= VZT_DIFF_TARGET;
  return what;
}

static void push_path(struct vzt_diff *d, size_t *cap, enum vzt_diff_kind kind, const char *path,
                      unsigned what)
{
  if (d->npaths == *cap) {
    *cap = *cap ? 2 * *cap : 64;
    d->paths = vzt_realloc(d->paths, *cap * sizeof(*d->paths));
    if (!d->paths)
      vzt_out_of_memory();
  }
  d->paths[d->npaths++] = (struct vzt_diff_path){.kind = kind, .path = vzt_strdup(path), .what = what};
}

int vzt_diff_archives(const char *archive_a, const char *sha256_a, const char *archive_b,
                      const char *sha256_b, struct vzt_diff *d, struct vzt_error **err)
{
  struct entries ea = {0}, eb = {0};
  int ret = -1;
  if (read_entries(archive_a, sha256_a, &ea, err) < 0 || read_entries(archive_b, sha256_b, &eb, err) < 0)
    goto out;
  entries_sort(&ea);
  entries_sort(&eb);
  size_t cap = d->npaths, i = 0, j = 0;
  while (i < ea.n || j < eb.n) {
    int r = i == ea.n ? 1 : j == eb.n ? -1 : strcmp(ea.v[i].path, eb.v[j].path);
    if (r < 0)
      push_path(d, &cap, VZT_DIFF_REMOVED, ea.v[i++].path, 0);
    else if (r > 0)
      push_path(d, &cap, VZT_DIFF_ADDED, eb.v[j++].path, 0);
    else {
      unsigned what = entry_diff(&ea.v[i], &eb.v[j]);
      if (what)
        push_path(d, &cap, VZT_DIFF_CHANGED, ea.v[i].path, what);
      i++, j++;
    }
  }
  d->paths_compared = true;
  ret = 0;
out:
  entries_clear(&ea);
  entries_clear(&eb);
  return ret;
}

const char *vzt_diff_kind_name(enum vzt_diff_kind kind)
{
  switch (kind) {
  case VZT_DIFF_ADDED: return "added";
  case VZT_DIFF_REMOVED: return "removed";
  case VZT_DIFF_UPGRADED: return "upgraded";
  case VZT_DIFF_DOWNGRADED: return "downgraded";
  case VZT_DIFF_CHANGED: return "changed";
  }
  return "?";
}

char *vzt_diff_what_string(unsigned what)
{
  static const char *const names[] = {"type", "mode", "owner", "size", "target", "content"};
  _cleanup_strv_ char **v = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; i < VZT_ARRAY_SIZE(names); i++)
    if (what & (1u << i))
      vzt_strv_push(&v, names[i]);
  return vzt_strv_join(v, ",");
}

bool vzt_diff_empty(const struct vzt_diff *d) { return !d->npackages && !d->npaths; }

void vzt_diff_clear(struct vzt_diff *d)
{
  for (size_t i = 0; i < d->npackages; i++) {
    free(d->packages[i].name);
    free(d->packages[i].old_version);
    free(d->packages[i].new_version);
    free(d->packages[i].old_arch);
    free(d->packages[i].new_arch);
  }
  free(d->packages);
  for (size_t i = 0; i < d->npaths; i++)
    free(d->paths[i].path);
  free(d->paths);
  memset(d, 0, sizeof(*d));
}
