/* Packs a root tree into a reproducible pax tar compressed with zstd, hashing the output as it goes. */
#include "config.h"
#include "tmpl/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include "tmpl/archive-io.h"
#include "lib/locale.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#define PACK_NONE SIZE_MAX
#define PACK_CHUNK (1024 * 1024)
/* What the compressor hands us before we write it out: large, so that a
 * template is a few hundred write(2)s and digest updates, not thousands. */
#define PACK_ZOUT (4 * 1024 * 1024)
/* tar's classic 10 KiB records, but handed over 64 at a time. */
#define PACK_RECORD 10240
#define PACK_BLOCK (PACK_RECORD * 64)
#define PACK_CAP_XATTR "security.capability"

/* One file of the tree. Names live in one arena (offsets, so the arena may
 * grow), not in an allocation each. */
struct pack_entry {
  size_t path;   /* "./usr/bin/x", "." for the root */
  size_t target; /* symlink target, or PACK_NONE */
  size_t link;   /* index of the entry this is a hard link to, or PACK_NONE */
  uint64_t size;
  int64_t mtime;
  dev_t dev;
  ino_t ino;
  dev_t rdev;
  uid_t uid;
  gid_t gid;
  mode_t mode;
  nlink_t nlink;
};

struct pack_tree {
  char *names;
  size_t names_len, names_cap;
  struct pack_entry *v;
  size_t n, cap;
};

struct pack_out {
  ZSTD_CCtx *cctx;
  int fd;
  struct vzt_digest *digest;
  unsigned char *buf;
  size_t used;
  uint64_t size;
  struct vzt_error *err; /* the first failure in a callback */
};

static void pack_tree_free(struct pack_tree *t)
{
  free(t->names);
  free(t->v);
}

static void pack_cctx_freep(ZSTD_CCtx **c)
{
  if (*c)
    ZSTD_freeCCtx(*c);
}

/* A path of the tree as messages show it: "usr/bin" under the root, not "./usr/bin". */
static const char *pack_rel(const struct pack_tree *t, size_t off)
{
  const char *p = t->names + off;
  return p[0] == '.' && p[1] == '/' ? p + 2 : p;
}

static void pack_names_reserve(struct pack_tree *t, size_t need)
{
  if (t->names_len + need <= t->names_cap)
    return;
  size_t cap = t->names_cap ? t->names_cap : 1 << 16;
  while (cap < t->names_len + need)
    cap *= 2;
  char *p = vzt_realloc(t->names, cap);
  t->names = p;
  t->names_cap = cap;
}

/* Appends s (len bytes) to the arena; returns its offset. */
static size_t pack_name_add(struct pack_tree *t, const char *s, size_t len)
{
  pack_names_reserve(t, len + 1);
  size_t off = t->names_len;
  memcpy(t->names + off, s, len);
  t->names[off + len] = '\0';
  t->names_len += len + 1;
  return off;
}

/* Appends "<the name at dir>/<name>"; dir is an offset since the arena may move. */
static size_t pack_name_join(struct pack_tree *t, size_t dir, const char *name)
{
  size_t dlen = strlen(t->names + dir), nlen = strlen(name);
  pack_names_reserve(t, dlen + 1 + nlen + 1);
  size_t off = t->names_len;
  char *d = t->names + off;
  memcpy(d, t->names + dir, dlen);
  d[dlen] = '/';
  memcpy(d + dlen + 1, name, nlen + 1);
  t->names_len += dlen + 1 + nlen + 1;
  return off;
}

static int pack_readlink(struct pack_tree *t, struct pack_entry *e, const char *root, int dirfd,
                         const char *name, struct vzt_error **err)
{
  char buf[PATH_MAX + 1];
  ssize_t n = readlinkat(dirfd, name, buf, sizeof(buf));
  if (n < 0)
    return vzt_fail_errno(err, errno, "cannot read the symlink %s/%s", root, pack_rel(t, e->path));
  if ((size_t) n >= sizeof(buf))
    return vzt_fail(err, "the symlink %s/%s has a target longer than PATH_MAX", root,
                    pack_rel(t, e->path));
  e->target = pack_name_add(t, buf, (size_t) n);
  return 0;
}

static struct pack_entry *pack_entry_add(struct pack_tree *t, const struct stat *st, size_t path)
{
  if (t->n == t->cap) {
    t->cap = t->cap ? t->cap * 2 : 4096;
    struct pack_entry *p = vzt_realloc(t->v, t->cap * sizeof(*p));
    t->v = p;
  }
  struct pack_entry *e = &t->v[t->n++];
  *e = (struct pack_entry){
      .path = path,
      .target = PACK_NONE,
      .link = PACK_NONE,
      .size = S_ISREG(st->st_mode) ? (uint64_t) st->st_size : 0,
      .mtime = st->st_mtim.tv_sec,
      .dev = st->st_dev,
      .ino = st->st_ino,
      .rdev = st->st_rdev,
      .uid = st->st_uid,
      .gid = st->st_gid,
      .mode = st->st_mode,
      .nlink = st->st_nlink,
  };
  return e;
}

/* Collects everything below dirfd, whose own path in the archive is at
 * offset dir in the arena. Never follows a symlink. */
static int pack_walk(struct pack_tree *t, const char *root, int dirfd, size_t dir, struct vzt_error **err)
{
  int fd = dup(dirfd);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot read the directory %s/%s", root, pack_rel(t, dir));
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return vzt_fail_errno(err, errno, "cannot read the directory %s/%s", root, pack_rel(t, dir));
  }
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno)
        return vzt_fail_errno(err, errno, "cannot read the directory %s/%s", root, pack_rel(t, dir));
      break;
    }
    const char *name = de->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
      continue;
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return vzt_fail_errno(err, errno, "cannot stat %s/%s/%s", root, pack_rel(t, dir), name);
    if (S_ISSOCK(st.st_mode))
      continue; /* a socket is a leftover of a running process, not content */
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISCHR(st.st_mode) &&
        !S_ISBLK(st.st_mode) && !S_ISFIFO(st.st_mode))
      continue;

    size_t path = pack_name_join(t, dir, name);
    struct pack_entry *e = pack_entry_add(t, &st, path);

    if (S_ISLNK(st.st_mode)) {
      if (pack_readlink(t, e, root, dirfd, name, err) < 0)
        return -1;
    } else if (S_ISDIR(st.st_mode)) {
      _cleanup_close_ int sub =
          openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
      if (sub < 0)
        return vzt_fail_errno(err, errno, "cannot open the directory %s/%s", root, pack_rel(t, path));
      if (pack_walk(t, root, sub, path, err) < 0)
        return -1;
    }
  }
  return 0;
}

static int pack_cmp_path(const void *a, const void *b, void *names)
{
  const struct pack_entry *x = a, *y = b;
  /* strcmp compares as unsigned char: bytewise, and a directory's path is a
   * prefix of its children's, so it always comes first. */
  return strcmp((const char *) names + x->path, (const char *) names + y->path);
}

static int pack_cmp_inode(const void *a, const void *b, void *tree)
{
  const struct pack_tree *t = tree;
  const struct pack_entry *x = &t->v[*(const size_t *) a], *y = &t->v[*(const size_t *) b];
  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino)
    return x->ino < y->ino ? -1 : 1;
  /* Indices are in path order: the first path of an inode carries the data. */
  size_t i = *(const size_t *) a, j = *(const size_t *) b;
  return i < j ? -1 : i > j;
}

/* After sorting: every later path of a multiply linked inode becomes a hard
 * link to its first path. */
static void pack_link_hardlinks(struct pack_tree *t)
{
  _cleanup_free_ size_t *idx = NULL;
  size_t m = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].nlink > 1 && !S_ISDIR(t->v[i].mode))
      m++;
  if (m < 2)
    return;
  idx = vzt_malloc(m * sizeof(*idx));
  m = 0;
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].nlink > 1 && !S_ISDIR(t->v[i].mode))
      idx[m++] = i;
  qsort_r(idx, m, sizeof(*idx), pack_cmp_inode, t);
  for (size_t i = 1; i < m; i++) {
    const struct pack_entry *first = &t->v[idx[i - 1]];
    struct pack_entry *e = &t->v[idx[i]];
    if (e->dev == first->dev && e->ino == first->ino)
      e->link = first->link != PACK_NONE ? first->link : idx[i - 1];
  }
}

static int pack_flush(struct pack_out *o)
{
  if (o->used == 0)
    return 0;
  if (vzt_write_all(o->fd, o->buf, o->used) < 0)
    return vzt_fail_errno(&o->err, errno, "cannot write the template archive");
  vzt_digest_update(o->digest, o->buf, o->used);
  o->size += o->used;
  o->used = 0;
  return 0;
}

/* Feeds the compressor; mode ZSTD_e_end finishes the frame. */
static int pack_compress(struct pack_out *o, const void *data, size_t len, ZSTD_EndDirective mode)
{
  ZSTD_inBuffer in = {data, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {o->buf, PACK_ZOUT, o->used};
    size_t left = ZSTD_compressStream2(o->cctx, &out, &in, mode);
    if (ZSTD_isError(left))
      return vzt_fail(&o->err, "zstd compression failed: %s", ZSTD_getErrorName(left));
    o->used = out.pos;
    if (o->used == PACK_ZOUT && pack_flush(o) < 0)
      return -1;
    if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
      return 0;
  }
}

static la_ssize_t pack_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
  struct pack_out *o = data;
  if (pack_compress(o, buf, len, ZSTD_e_continue) < 0) {
    archive_set_error(a, EIO, "%s", o->err->msg);
    return -1;
  }
  return (la_ssize_t) len;
}

static int pack_archive_error(struct archive *a, struct pack_out *o, struct vzt_error **err,
                              const char *what, const char *path)
{
  if (o->err) {
    *err = steal_pointer(&o->err);
    return -1;
  }
  return vzt_fail(err, "cannot write %s%s to the template archive: %s", what, path,
                  archive_error_string(a) ? archive_error_string(a) : "unknown libarchive error");
}

/* Streams one regular file's data, exactly the size its header says. */
static int pack_file_data(struct archive *a, struct pack_out *o, int fd, const char *root,
                          const char *path, uint64_t size, unsigned char *buf, struct vzt_error **err)
{
  uint64_t left = size;
  while (left > 0) {
    size_t want = left < PACK_CHUNK ? (size_t) left : PACK_CHUNK;
    ssize_t n = read(fd, buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read %s/%s", root, path);
    if (n == 0)
      return vzt_fail(err, "%s/%s shrank while it was being packed", root, path);
    if (archive_write_data(a, buf, (size_t) n) != n)
      return pack_archive_error(a, o, err, "the data of ", path);
    left -= (uint64_t) n;
  }
  return 0;
}

struct pack_count {
  uint64_t unpacked;
  uint64_t entries;
};

static int pack_write_entry(struct archive *a, struct archive_entry *ae, struct pack_out *o, int rootfd,
                            const char *root, const struct pack_tree *t, size_t i, time_t epoch,
                            unsigned char *buf, struct pack_count *acc, struct vzt_error **err)
{
  const struct pack_entry *e = &t->v[i];
  const char *path = t->names + e->path;
  _cleanup_close_ int fd = -1;
  bool data = S_ISREG(e->mode) && e->link == PACK_NONE && e->size > 0;

  archive_entry_clear(ae);
  archive_entry_copy_pathname(ae, i == 0 ? "./" : path);
  archive_entry_set_mode(ae, e->mode);
  archive_entry_set_uid(ae, e->uid);
  archive_entry_set_gid(ae, e->gid);
  /* Whole seconds: a sub-second part would cost a pax header per file. */
  archive_entry_set_mtime(ae, S_ISDIR(e->mode) || e->mtime > epoch ? epoch : e->mtime, 0);
  if (e->link != PACK_NONE) {
    archive_entry_copy_hardlink(ae, t->names + t->v[e->link].path);
    archive_entry_set_size(ae, 0);
  } else if (S_ISREG(e->mode)) {
    archive_entry_set_size(ae, (la_int64_t) e->size);
  } else if (S_ISLNK(e->mode)) {
    archive_entry_copy_symlink(ae, t->names + e->target);
  } else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
    archive_entry_set_rdevmajor(ae, major(e->rdev));
    archive_entry_set_rdevminor(ae, minor(e->rdev));
  }

  if (S_ISREG(e->mode) && e->link == PACK_NONE) {
    fd = openat(rootfd, path + 2, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
      return vzt_fail_errno(err, errno, "cannot open %s/%s", root, path + 2);
    /* File capabilities (ping's cap_net_raw) are part of the package. */
    char cap[256];
    ssize_t n = fgetxattr(fd, PACK_CAP_XATTR, cap, sizeof(cap));
    if (n > 0)
      archive_entry_xattr_add_entry(ae, PACK_CAP_XATTR, cap, (size_t) n);
    else if (n < 0 && errno != ENODATA && errno != ENOTSUP)
      return vzt_fail_errno(err, errno, "cannot read the capabilities of %s/%s", root, path + 2);
  }

  int r = archive_write_header(a, ae);
  if (r < ARCHIVE_WARN)
    return pack_archive_error(a, o, err, "", path);
  acc->entries++;
  if (data) {
    if (pack_file_data(a, o, fd, root, path + 2, e->size, buf, err) < 0)
      return -1;
    acc->unpacked += e->size;
  }
  if (archive_write_finish_entry(a) < ARCHIVE_WARN)
    return pack_archive_error(a, o, err, "", path);
  return 0;
}

int vzt_pack_tree(const char *root, int out_fd, time_t epoch, int level, int threads,
                  struct vzt_pack_result *res, struct vzt_error **err)
{
  __attribute__((cleanup(pack_tree_free))) struct pack_tree t = {0};
  _cleanup_archive_write_ struct archive *a = NULL;
  _cleanup_archive_entry_ struct archive_entry *ae = NULL;
  __attribute__((cleanup(pack_cctx_freep))) ZSTD_CCtx *cctx = NULL;
  _cleanup_free_ unsigned char *zbuf = NULL, *buf = NULL;
  _cleanup_close_ int rootfd = -1;
  struct pack_out o = {.fd = out_fd};
  struct pack_count acc = {0, 0};
  struct vzt_progress *bar = NULL;
  int ret = -1;

  memset(res, 0, sizeof(*res));
  if (threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (int) n : 1;
  }

  rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
  if (rootfd < 0)
    return vzt_fail_errno(err, errno, "cannot open the root %s", root);
  struct stat st;
  if (fstat(rootfd, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot stat the root %s", root);

  double t0 = vzt_now();
  pack_entry_add(&t, &st, pack_name_add(&t, ".", 1));
  if (pack_walk(&t, root, rootfd, 0, err) < 0)
    return -1;
  /* The root "." sorts before every "./x", so it stays first. */
  qsort_r(t.v, t.n, sizeof(*t.v), pack_cmp_path, t.names);
  pack_link_hardlinks(&t);
  vzt_debug("pack: %zu entries in %s collected in %.2f s", t.n, root, vzt_now() - t0);

  cctx = ZSTD_createCCtx();
  if (!cctx)
    return vzt_fail(err, "cannot create a zstd compression context");
  size_t zr = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(zr))
    zr = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  if (ZSTD_isError(zr))
    return vzt_fail(err, "zstd: cannot use level %d: %s", level, ZSTD_getErrorName(zr));
  /* Output is the same for every worker count >= 1, but differs from the
   * single-threaded mode (0): always use workers. */
  zr = ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, threads);
  if (ZSTD_isError(zr))
    return vzt_fail(err, "zstd: cannot use %d worker threads (is libzstd built without threads?): %s",
                    threads, ZSTD_getErrorName(zr));

  zbuf = vzt_malloc(PACK_ZOUT);
  buf = vzt_malloc(PACK_CHUNK);
  if (!zbuf || !buf)
    vzt_out_of_memory();
  o.cctx = cctx;
  o.buf = zbuf;
  o.digest = vzt_digest_new(VZT_DIGEST_SHA256);

  /* Names are stored the same from one host to the next, whatever its locale. */
  VZT_UTF8_SCOPE(utf8);

  a = archive_write_new();
  ae = archive_entry_new();
  if (!a || !ae)
    vzt_out_of_memory();
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
      archive_write_add_filter_none(a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, PACK_BLOCK) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, PACK_RECORD) != ARCHIVE_OK) {
    vzt_fail(err, "cannot set up the tar writer: %s", archive_error_string(a));
    goto out;
  }
  if (archive_write_open(a, &o, NULL, pack_write_cb, NULL) != ARCHIVE_OK) {
    pack_archive_error(a, &o, err, "the header", "");
    goto out;
  }

  uint64_t data_bytes = 0;
  for (size_t i = 0; i < t.n; i++)
    if (S_ISREG(t.v[i].mode) && t.v[i].link == PACK_NONE)
      data_bytes += t.v[i].size;
  bar = vzt_progress_begin("Packing", data_bytes, true);
  for (size_t i = 0; i < t.n; i++) {
    if (pack_write_entry(a, ae, &o, rootfd, root, &t, i, epoch, buf, &acc, err) < 0)
      goto out;
    vzt_progress_set(bar, acc.unpacked);
  }
  if (archive_write_close(a) != ARCHIVE_OK) {
    pack_archive_error(a, &o, err, "the end", "");
    goto out;
  }
  if (pack_compress(&o, NULL, 0, ZSTD_e_end) < 0 || pack_flush(&o) < 0) {
    *err = steal_pointer(&o.err);
    goto out;
  }

  vzt_digest_finish(o.digest, res->sha256);
  o.digest = NULL;
  res->size = o.size;
  res->unpacked_size = acc.unpacked;
  res->entries = acc.entries;
  ret = 0;

out:
  vzt_progress_end(bar);
  if (o.digest)
    vzt_digest_free(o.digest);
  vzt_error_free(&o.err);
  return ret;
}
