/* vztmpl publish: verified templates into a static directory, with a signed SHA256SUMS, retention and last-good. */
#include "config.h"
#include "tmpl/publish/publish.h"
#include "tmpl/arch.h"
#include "tmpl/pack.h"
#include "tmpl/lifecycle/verify.h"
#include "tmpl/sbom/spdx.h"
#include "fetch/gpg.h"
#include "tmpl/publish/index.h"
#include "tmpl/publish/simplestreams.h"
#include "tmpl/publish/staged-file.h"
#include "tmpl/export/formats.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"
#include "lib/alloc.h"
#include "lib/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_NAME "index.json"
#define SUMS_NAME "SHA256SUMS"
#define LOCK_NAME ".vztmpl-publish.lock"

/* json-c before 0.17 has no json_object_array_insert_idx. */
static void array_insert(json_object *arr, size_t at, json_object *v)
{
  size_t n = json_object_array_length(arr);
  json_object_array_add(arr, NULL);
  for (size_t i = n; i > at; i--)
    json_object_array_put_idx(arr, i, json_object_get(json_object_array_get_idx(arr, i - 1)));
  json_object_array_put_idx(arr, at, v);
}

/* A directory written under a hidden temporary name, renamed when everything is ready. */
struct staged {
  char *tmp, *final; /* relative to the publish directory */
  int fd;            /* tmp, opened once: every file in it is written through this */
};

struct publish_run {
  const struct vzt_publish_opts *o;
  int dirfd;
  json_object *index;
  struct staged *staged;
  size_t nstaged;
  char **retired; /* directories of builds dropped by --keep, removed last */
};

static void hash_buf(const char *data, size_t len, char *out);

static int64_t jint(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static json_object *jarr(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v : NULL;
}

static void jset(json_object *o, const char *key, const char *s)
{
  json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

static char *iso_date(time_t t)
{
  struct tm tm;
  char buf[32];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return vzt_strdup(buf);
}

char *vzt_publish_build_id(time_t epoch, const char *sha256)
{
  struct tm tm;
  char date[32];
  gmtime_r(&epoch, &tm);
  strftime(date, sizeof(date), "%Y%m%d-%H%M%S", &tm);
  return vzt_strdupf("%s-%.12s", date, sha256);
}

static int load_index(struct publish_run *run, struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  _cleanup_error_ struct vzt_error *e = NULL;
  /* The directory may be writable by others: the index is publish's own
   * file, never the target of a link someone planted. */
  struct stat st;
  if (fstatat(run->dirfd, INDEX_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode))
    return vzt_refuse(err, "%s/%s is not a regular file (a link?): refusing to read or replace it (remove it)",
                      run->o->dir, INDEX_NAME);
  if (vzt_read_fileat_max(run->dirfd, INDEX_NAME, VZT_LIMIT_INDEX, &data, &len, &e) < 0) {
    if (e->errnum != ENOENT)
      return vzt_fail(err, "%s/%s: %s", run->o->dir, INDEX_NAME, e->msg);
    run->index = json_object_new_object();
    json_object_object_add(run->index, "format", json_object_new_int(1));
    json_object_object_add(run->index, "templates", json_object_new_array());
    return 0;
  }
  run->index = json_tokener_parse(data);
  if (!run->index || !json_object_is_type(run->index, json_type_object) || !jarr(run->index, "templates"))
    return vzt_fail(err, "%s/%s is not a vztmpl publish index: refusing to overwrite it", run->o->dir,
                    INDEX_NAME);
  return 0;
}

/* The index's entry for a template name, created (sorted by name) when new. */
static json_object *template_entry(json_object *index, const struct vzt_manifest *m)
{
  json_object *arr = jarr(index, "templates");
  json_object *t = vzt_index_find(arr, "name", m->name);
  if (t)
    return t;
  const struct vzt_arch *arch = vzt_arch_lookup(m->architecture ? m->architecture : "");
  t = json_object_new_object();
  jset(t, "name", m->name);
  jset(t, "distribution", m->distribution);
  jset(t, "release", m->release);
  jset(t, "codename", m->codename);
  jset(t, "variant", m->variant);
  jset(t, "architecture", m->architecture);
  jset(t, "deb_architecture", arch && arch->deb ? arch->deb : m->architecture);
  jset(t, "last_good", NULL);
  json_object_object_add(t, "builds", json_object_new_array());
  size_t n = json_object_array_length(arr), at = n;
  for (size_t i = 0; i < n; i++) {
    const char *name = vzt_index_str(json_object_array_get_idx(arr, i), "name");
    if (name && strcmp(name, m->name) > 0) {
      at = i;
      break;
    }
  }
  array_insert(arr, at, t);
  return t;
}

/* What the formats need, from an index entry and one of its builds; *image
 * (e->image) is the caller's to free. */
static void entry_view(json_object *index, json_object *t, json_object *b, struct vzt_publish_entry *e,
                       char **image)
{
  *e = (struct vzt_publish_entry){
      .name = vzt_index_str(t, "name"),
      .build = vzt_index_str(b, "build"),
      .distribution = vzt_index_str(t, "distribution") ? vzt_index_str(t, "distribution") : "unknown",
      .release = vzt_index_str(t, "release") ? vzt_index_str(t, "release") : "0",
      .codename = vzt_index_str(t, "codename"),
      .variant = vzt_index_str(t, "variant"),
      .architecture = vzt_index_str(t, "architecture") ? vzt_index_str(t, "architecture") : "unknown",
      .deb_architecture = vzt_index_str(t, "deb_architecture") ? vzt_index_str(t, "deb_architecture") : "unknown",
      .archive = vzt_index_str(b, "archive"),
      .sha256 = vzt_index_str(b, "sha256"),
      .size = (uint64_t) jint(b, "size"),
      .md5 = vzt_index_str(b, "md5"),
      .sha512 = vzt_index_str(b, "sha512"),
      .pve_archive = vzt_index_str(b, "pve_archive"),
      .base_url = vzt_index_str(index, "base_url"),
      .maintainer = vzt_index_str(index, "maintainer"),
      .epoch = (time_t) jint(b, "source_date_epoch"),
  };
  /* Worked out from the name, so builds published before it was recorded
   * get their own LXC key too. */
  *image = vzt_publish_image_name(e->name ? e->name : "", e->distribution, e->release, e->architecture,
                                  e->variant);
  e->image = *image;
}

static struct staged *stage_dir(struct publish_run *run, const char *final, struct vzt_error **err)
{
  _cleanup_free_ char *copy = vzt_strdup(final);
  char *slash = strrchr(copy, '/');
  *slash = 0;
  _cleanup_free_ char *tmp = vzt_strdupf("%s/.%s.tmp.%d", copy, slash + 1, (int) getpid());
  if (vzt_mkdirat_p_nofollow(run->dirfd, copy, 0755, err) < 0)
    return NULL;
  /* A leftover of a killed run with our pid: start afresh. */
  _cleanup_error_ struct vzt_error *e = NULL;
  vzt_rm_rf_at(run->dirfd, tmp, &e);
  if (mkdirat(run->dirfd, tmp, 0755) < 0) {
    vzt_fail_errno(err, errno, "cannot create %s/%s", run->o->dir, tmp);
    return NULL;
  }
  /* Opened once and checked to be the one just made: a directory swapped in
   * by someone who can write the publish directory is refused. */
  _cleanup_close_ int fd = openat(run->dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if ((fd < 0 && errno != ELOOP && errno != ENOTDIR) || (fd >= 0 && fstat(fd, &st) < 0)) {
    vzt_fail_errno(err, errno, "cannot open %s/%s", run->o->dir, tmp);
    return NULL;
  }
  if (fd < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
    vzt_refuse(err, "%s/%s was replaced while it was being made: is someone else writing %s?", run->o->dir, tmp,
               run->o->dir);
    return NULL;
  }
  run->staged = vzt_realloc(run->staged, (run->nstaged + 1) * sizeof(*run->staged));
  if (!run->staged)
    vzt_out_of_memory();
  struct staged *s = &run->staged[run->nstaged++];
  s->tmp = steal_pointer(&tmp);
  s->final = vzt_strdup(final);
  s->fd = steal_fd(&fd);
  return s;
}

/* The template's SBOM into the staged build at dst: the one beside its
 * manifest, or, for a template built before SBOMs (or rebuilt by a vztmpl
 * that wrote none), one made from the staged archive. */
static int stage_sbom(const char *manifest_path, const struct vzt_manifest *m, const char *archive,
                      int dirfd, const char *dst, char *sha256, struct vzt_error **err)
{
  _cleanup_free_ char *src = vzt_sbom_path(manifest_path);
  _cleanup_free_ char *json = NULL;
  if (!vzt_sbom_read_current(src, m, &json) && vzt_sbom_spdx(m, archive, &json, err) < 0)
    return -1;
  if (vzt_write_file_atomic(dirfd, dst, json, strlen(json), 0644, err) < 0)
    return -1;
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, json, strlen(json));
  vzt_digest_finish(d, sha256);
  return 0;
}

/* The template's tar at the high setting into dst (created), with the time and sizes it took. */
static int recompress(const char *src, int dirfd, const char *dst, const struct vzt_manifest *m, char *src_sha,
                      struct vzt_error **err)
{
  _cleanup_close_ int out = vzt_staged_create(dirfd, dst);
  if (out < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", dst);
  struct vzt_pack_result pr;
  double t0 = vzt_now();
  if (vzt_publish_compress_high(src, out, src_sha, &pr, err) < 0)
    return vzt_error_prefix(err, "compressing %s", m->name);
  if (fsync(out) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", dst);
  vzt_info("Compressed %s (zstd -19 --long): %.1f MiB tar, %.1f MiB -> %.1f MiB (%.1f%%) in %.1f s", m->name,
           pr.unpacked_size / 1048576.0, m->archive_size / 1048576.0, pr.size / 1048576.0,
           m->archive_size ? 100.0 * (double) pr.size / (double) m->archive_size : 0.0, vzt_now() - t0);
  return 0;
}

/* The manifest as it is but for the archive's sha256 and size, which name the
 * recompressed bytes: download and verify check the archive against it. */
static int write_manifest(const char *src, int dirfd, const char *dst, const char *template_sha256,
                          const char *sha256, uint64_t size, char *msha, struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (vzt_read_file_max(src, VZT_LIMIT_MANIFEST, &data, &len, err) < 0)
    return -1;
  json_object *o = json_tokener_parse(data), *a = NULL;
  if (!o || !json_object_object_get_ex(o, "archive", &a) || !json_object_is_type(a, json_type_object)) {
    if (o)
      json_object_put(o);
    return vzt_fail(err, "%s names no archive: cannot publish it recompressed", src);
  }
  /* Read again: it must still be the manifest of the archive just recompressed. */
  json_object *h = NULL;
  if (!json_object_object_get_ex(a, "sha256", &h) || !json_object_get_string(h) ||
      strcmp(json_object_get_string(h), template_sha256)) {
    json_object_put(o);
    return vzt_refuse(err, "%s changed while it was being published (try again)", src);
  }
  json_object_object_add(a, "sha256", json_object_new_string(sha256));
  json_object_object_add(a, "size", json_object_new_int64((int64_t) size));
  /* As vzt_manifest_to_json writes it, so only the two values differ. */
  _cleanup_free_ char *text = vzt_strdup(vzt_json_text(o));
  json_object_put(o);
  _cleanup_close_ int fd = vzt_staged_create(dirfd, dst);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", dst);
  if (vzt_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", dst);
  hash_buf(text, strlen(text), msha);
  return 0;
}

/* Copies one verified template into a staged build directory and makes its LXC pair. */
static int stage_build(struct publish_run *run, const char *manifest_path, const struct vzt_manifest *m,
                       json_object *t, const char *build, json_object **out, struct vzt_error **err)
{
  const char *dir = run->o->dir;
  _cleanup_free_ char *final = vzt_strdupf("templates/%s/%s", m->name, build);
  struct staged *s = stage_dir(run, final, err);
  if (!s)
    return -1;
  _cleanup_free_ char *mdir = vzt_strdup(manifest_path);
  _cleanup_free_ char *src = vzt_path_join(dirname(mdir), m->archive_file);
  _cleanup_free_ char *manifest_name = vzt_strdupf("%s.json", m->name);
  const char *dst = m->archive_file;
  /* Readers that take a path reach the staged copy through our descriptor. */
  _cleanup_free_ char *dst_path = vzt_strdupf("/proc/self/fd/%d/%s", s->fd, dst);
  char sha256[VZT_DIGEST_HEX_MAX], md5[VZT_DIGEST_HEX_MAX], sha512[VZT_DIGEST_HEX_MAX];
  char msha[VZT_DIGEST_HEX_MAX];
  uint64_t size, msize;
  bool high = run->o->compression == VZT_PUBLISH_HIGH;
  if (high) {
    char src_sha[VZT_DIGEST_HEX_MAX];
    if (recompress(src, s->fd, dst, m, src_sha, err) < 0 ||
        vzt_staged_copy(s->fd, dst, -1, NULL, sha256, md5, sha512, &size, err) < 0)
      return -1;
    /* What was recompressed must be the bytes just verified. */
    if (strcmp(src_sha, m->archive_sha256))
      return vzt_refuse(err, "%s changed while it was being published (sha256 %s, the manifest says %s)",
                        src, src_sha, m->archive_sha256);
    if (write_manifest(manifest_path, s->fd, manifest_name, m->archive_sha256, sha256, size, msha, err) < 0)
      return -1;
  } else {
    if (vzt_staged_copy(AT_FDCWD, src, s->fd, dst, sha256, md5, sha512, &size, err) < 0)
      return -1;
    /* The copy is what gets served: it must be the bytes just verified. */
    if (strcmp(sha256, m->archive_sha256))
      return vzt_refuse(err, "%s changed while it was being published (sha256 %s, the manifest says %s)",
                        src, sha256, m->archive_sha256);
    if (vzt_staged_copy(AT_FDCWD, manifest_path, s->fd, manifest_name, msha, NULL, NULL, &msize, err) < 0)
      return -1;
  }
  _cleanup_free_ char *sbom_name = vzt_sbom_path(manifest_name);
  char ssha[VZT_DIGEST_HEX_MAX];
  /* The SBOM describes the archive served: under high compression, bytes
   * other than the cache's, so its checksum and namespace are made anew. */
  struct vzt_manifest served = *m;
  served.archive_sha256 = sha256;
  served.archive_size = size;
  if (stage_sbom(manifest_path, &served, dst_path, s->fd, sbom_name, ssha, err) < 0)
    return -1;

  json_object *b = json_object_new_object();
  *out = b;
  _cleanup_free_ char *date = iso_date(m->source_date_epoch);
  _cleanup_free_ char *now = iso_date(time(NULL));
  _cleanup_free_ char *archive = vzt_strdupf("%s/%s", final, m->archive_file);
  _cleanup_free_ char *manifest = vzt_strdupf("%s/%s", final, manifest_name);
  jset(b, "build", build);
  jset(b, "version", build);
  jset(b, "date", date);
  json_object_object_add(b, "source_date_epoch", json_object_new_int64(m->source_date_epoch));
  jset(b, "published", now);
  jset(b, "archive", archive);
  jset(b, "sha256", sha256);
  json_object_object_add(b, "size", json_object_new_int64((int64_t) size));
  jset(b, "compression", high ? "high" : "fast");
  /* The build id names the template as built; with high compression the
   * served bytes differ from the cache's, whose hash is kept here. */
  jset(b, "template_sha256", m->archive_sha256);
  jset(b, "md5", md5);
  jset(b, "sha512", sha512);
  jset(b, "manifest", manifest);
  jset(b, "manifest_sha256", msha);
  _cleanup_free_ char *sbom = vzt_strdupf("%s/%s", final, sbom_name);
  jset(b, "sbom", sbom);
  jset(b, "sbom_sha256", ssha);
  json_object_object_add(b, "packages", json_object_new_int64((int64_t) m->npackages));

  /* LXC's pair: the template's tree as rootfs.tar.xz, and its meta.tar.xz. */
  struct vzt_publish_entry e;
  _cleanup_free_ char *image = NULL;
  entry_view(run->index, t, b, &e, &image);
  /* pveam names the downloaded file after Location's last part: a second
   * name of the same bytes that carries the version (a hard link). */
  _cleanup_free_ char *pve_name = vzt_publish_pve_name(&e);
  /* A file system without hard links gets a link by name, beside the archive. */
  if (linkat(s->fd, dst, s->fd, pve_name, 0) < 0 && symlinkat(dst, s->fd, pve_name) < 0)
    return vzt_fail_errno(err, errno, "cannot link %s/%s/%s to %s", dir, s->tmp, dst, pve_name);
  _cleanup_free_ char *pve_archive = vzt_strdupf("%s/%s", final, pve_name);
  jset(b, "pve_archive", pve_archive);
  e.pve_archive = vzt_index_str(b, "pve_archive");
  _cleanup_free_ char *lxc_final = vzt_publish_lxc_dir(&e);
  struct staged *ls = stage_dir(run, lxc_final, err);
  if (!ls)
    return -1;
  const char *rootfs = "rootfs.tar.xz", *meta = "meta.tar.xz";
  char rootfs_sha[VZT_DIGEST_HEX_MAX];
  uint64_t rootfs_size = 0;
  double t0 = vzt_now();
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  /* Under fast compression this, not the archive, is publish's long step:
   * xz's lowest preset is about eight times quicker than 6, a third bigger. */
  int threads = run->o->threads > 0 ? run->o->threads : (int) (cpus > 0 ? cpus : 1);
  if (vzt_publish_lxc_rootfs(dst_path, ls->fd, rootfs, threads, high ? 6 : 0, rootfs_sha, &rootfs_size, err) < 0)
    return -1;
  vzt_info("Wrote %s/rootfs.tar.xz: %.1f MiB in %.1f s", lxc_final, rootfs_size / 1048576.0, vzt_now() - t0);
  if (vzt_publish_lxc_meta(&e, ls->fd, meta, err) < 0)
    return -1;
  _cleanup_close_ int mfd = openat(ls->fd, meta, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char meta_sha[VZT_DIGEST_HEX_MAX];
  if (mfd < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", meta);
  if (vzt_digest_fd(mfd, VZT_DIGEST_SHA256, meta_sha, NULL, err) < 0)
    return -1;
  json_object *lxc = json_object_new_object();
  jset(lxc, "dir", lxc_final);
  jset(lxc, "rootfs_sha256", rootfs_sha);
  json_object_object_add(lxc, "rootfs_size", json_object_new_int64((int64_t) rootfs_size));
  jset(lxc, "meta_sha256", meta_sha);
  json_object_object_add(b, "lxc", lxc);

  /* LXD's and Incus's unified image beside it, for the simplestreams tree. */
  const char *lxd_image = "lxd.tar.zst";
  t0 = vzt_now();
  if (vzt_export_lxd_file(manifest_path, ls->fd, lxd_image, err) < 0)
    return -1;
  _cleanup_close_ int ifd = openat(ls->fd, lxd_image, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char image_sha[VZT_DIGEST_HEX_MAX];
  struct stat ist;
  if (ifd < 0 || fstat(ifd, &ist) < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", lxd_image);
  if (vzt_digest_fd(ifd, VZT_DIGEST_SHA256, image_sha, NULL, err) < 0)
    return -1;
  vzt_info("Wrote %s/lxd.tar.zst: %.1f MiB in %.1f s", lxc_final, ist.st_size / 1048576.0, vzt_now() - t0);
  json_object *lxd = json_object_new_object();
  _cleanup_free_ char *image_path = vzt_strdupf("%s/lxd.tar.zst", lxc_final);
  jset(lxd, "path", image_path);
  jset(lxd, "sha256", image_sha);
  json_object_object_add(lxd, "size", json_object_new_int64((int64_t) ist.st_size));
  json_object_object_add(b, "lxd", lxd);
  return 0;
}

/* Keeps the newest `keep` builds (and last-good, wherever it is); the rest
 * leave the index now and the disk after the new index is in place. */
static void retire(struct publish_run *run, json_object *t, size_t *removed)
{
  json_object *builds = jarr(t, "builds");
  const char *good = vzt_index_str(t, "last_good");
  size_t keep = (size_t) run->o->keep;
  for (size_t i = json_object_array_length(builds); i-- > keep;) {
    json_object *b = json_object_array_get_idx(builds, i);
    const char *id = vzt_index_str(b, "build");
    if (good && id && !strcmp(id, good))
      continue;
    if (id) {
      vzt_strv_push_take(&run->retired, vzt_strdupf("templates/%s/%s", vzt_index_str(t, "name"), id));
      json_object *lxc;
      if (json_object_object_get_ex(b, "lxc", &lxc) && vzt_index_str(lxc, "dir"))
        vzt_strv_push(&run->retired, vzt_index_str(lxc, "dir"));
      vzt_info("Dropping %s build %s (--keep %d)", vzt_index_str(t, "name"), id, run->o->keep);
    }
    json_object_array_del_idx(builds, i, 1);
    (*removed)++;
  }
}

struct sums_line {
  char *path;
  char sha[VZT_DIGEST_HEX_MAX];
};

static int sums_cmp(const void *a, const void *b)
{
  return strcmp(((const struct sums_line *) a)->path, ((const struct sums_line *) b)->path);
}

static void hash_buf(const char *data, size_t len, char *out)
{
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, out);
}

struct generated {
  char *name;
  char *data;
  size_t len;
};

static void generated_add(struct generated *g, size_t *n, const char *name, char *data, size_t len)
{
  g[*n] = (struct generated){vzt_strdup(name), data, len};
  (*n)++;
}

/* templates/<name>/last-good -> <build>, replaced atomically. */
static int point_last_good(struct publish_run *run, const char *name, const char *good, struct vzt_error **err)
{
  _cleanup_free_ char *tmp = vzt_strdupf("templates/%s/.last-good.tmp.%d", name, (int) getpid());
  _cleanup_free_ char *link = vzt_strdupf("templates/%s/last-good", name);
  unlinkat(run->dirfd, tmp, 0);
  if (symlinkat(good, run->dirfd, tmp) < 0 || renameat(run->dirfd, tmp, run->dirfd, link) < 0)
    return vzt_fail_errno(err, errno, "cannot point %s/%s at %s", run->o->dir, link, good);
  return 0;
}

/* Writes every index from run->index; the SHA256SUMS and its signature last. */
static int write_indices(struct publish_run *run, struct vzt_publish_result *r, struct vzt_error **err)
{
  json_object *templates = jarr(run->index, "templates");
  size_t nt = json_object_array_length(templates);
  struct generated g[8];
  size_t ng = 0;
  int ret = -1;
  _cleanup_free_ struct sums_line *lines = NULL;
  _cleanup_free_ char *sig = NULL, *apl_sig = NULL;
  _cleanup_buf_ struct vzt_buf sums = {0};
  size_t siglen = 0, apl_siglen = 0;
  size_t nl = 0, capl = 8;
  lines = vzt_calloc(capl, sizeof(*lines));
  char *aplinfo = vzt_strdup(""), *lxc_index = vzt_strdup("");
  _cleanup_free_ char *now = iso_date(time(NULL));

  for (size_t i = 0; i < nt; i++) {
    json_object *t = json_object_array_get_idx(templates, i);
    json_object *builds = jarr(t, "builds");
    const char *good = vzt_index_str(t, "last_good");
    for (size_t j = 0; builds && j < json_object_array_length(builds); j++) {
      json_object *b = json_object_array_get_idx(builds, j), *lxc = NULL, *lxd = NULL;
      json_object_object_get_ex(b, "lxc", &lxc);
      json_object_object_get_ex(b, "lxd", &lxd);
      const char *paths[6] = {vzt_index_str(b, "archive"), vzt_index_str(b, "manifest"), NULL, NULL,
                              vzt_index_str(b, "sbom"), vzt_index_str(lxd, "path")};
      const char *shas[6] = {vzt_index_str(b, "sha256"), vzt_index_str(b, "manifest_sha256"), NULL, NULL,
                             vzt_index_str(b, "sbom_sha256"), vzt_index_str(lxd, "sha256")};
      _cleanup_free_ char *rootfs = lxc && vzt_index_str(lxc, "dir") ? vzt_strdupf("%s/rootfs.tar.xz", vzt_index_str(lxc, "dir")) : NULL;
      _cleanup_free_ char *meta = lxc && vzt_index_str(lxc, "dir") ? vzt_strdupf("%s/meta.tar.xz", vzt_index_str(lxc, "dir")) : NULL;
      paths[2] = rootfs, shas[2] = lxc ? vzt_index_str(lxc, "rootfs_sha256") : NULL;
      paths[3] = meta, shas[3] = lxc ? vzt_index_str(lxc, "meta_sha256") : NULL;
      for (int k = 0; k < 6; k++) {
        if (!paths[k] || !shas[k])
          continue;
        if (nl + 8 >= capl) {
          capl *= 2;
          lines = vzt_realloc(lines, capl * sizeof(*lines));
        }
        lines[nl].path = vzt_strdup(paths[k]);
        snprintf(lines[nl].sha, sizeof(lines[nl].sha), "%s", shas[k]);
        nl++;
      }
      if (good && vzt_index_str(b, "build") && !strcmp(good, vzt_index_str(b, "build")) && vzt_index_str(b, "md5")) {
        struct vzt_publish_entry e;
        _cleanup_free_ char *image = NULL;
        entry_view(run->index, t, b, &e, &image);
        _cleanup_free_ char *stanza = vzt_publish_aplinfo_stanza(&e);
        _cleanup_free_ char *line = vzt_publish_lxc_line(&e);
        char *na = vzt_strdupf("%s%s%s", aplinfo, *aplinfo ? "\n" : "", stanza);
        free(aplinfo);
        aplinfo = na;
        char *nx = vzt_strdupf("%s%s", lxc_index, line);
        free(lxc_index);
        lxc_index = nx;
      }
    }
  }
  json_object_object_add(run->index, "updated", json_object_new_string(now));
  json_object_object_add(run->index, "generator", json_object_new_string("vztmpl " PACKAGE_VERSION));

  char *apl_gz = NULL;
  size_t apl_gz_len = 0;
  if (vzt_publish_gzip(aplinfo, strlen(aplinfo), &apl_gz, &apl_gz_len, err) < 0)
    goto out;
  generated_add(g, &ng, "aplinfo.dat", steal_pointer(&aplinfo), 0);
  g[ng - 1].len = strlen(g[ng - 1].data);
  generated_add(g, &ng, "aplinfo.dat.gz", apl_gz, apl_gz_len);
  generated_add(g, &ng, "meta/1.0/index-system", vzt_strdup(lxc_index), strlen(lxc_index));
  generated_add(g, &ng, "meta/1.0/index-user", steal_pointer(&lxc_index), 0);
  g[ng - 1].len = strlen(g[ng - 1].data);

  char *ss_index = NULL, *ss_images = NULL;
  vzt_simplestreams_render(templates, &ss_index, &ss_images);
  generated_add(g, &ng, VZT_SIMPLESTREAMS_INDEX, ss_index, strlen(ss_index));
  generated_add(g, &ng, VZT_SIMPLESTREAMS_IMAGES, ss_images, strlen(ss_images));

  const char *json = vzt_json_text(run->index);
  generated_add(g, &ng, INDEX_NAME, vzt_strdupf("%s\n", json), 0);
  g[ng - 1].len = strlen(g[ng - 1].data);

  lines = vzt_realloc(lines, (nl + ng + 1) * sizeof(*lines));
  for (size_t i = 0; i < ng; i++) {
    lines[nl].path = vzt_strdup(g[i].name);
    hash_buf(g[i].data, g[i].len, lines[nl].sha);
    nl++;
  }
  qsort(lines, nl, sizeof(*lines), sums_cmp);
  vzt_buf_reserve(&sums, nl * 160);
  for (size_t i = 0; i < nl; i++)
    vzt_buf_printf(&sums, "%s  %s\n", lines[i].sha, lines[i].path);

  if (run->o->sign_key) {
    if (vzt_gpg_sign_detached(run->o->gpg_homedir, run->o->sign_key, sums.data, sums.len, &sig, &siglen,
                              &r->fingerprint, err) < 0 ||
        vzt_gpg_sign_detached(run->o->gpg_homedir, run->o->sign_key, g[0].data, g[0].len, &apl_sig,
                              &apl_siglen, NULL, err) < 0)
      goto out;
  }

  /* Each staged name must still be the directory written through its
   * descriptor: one swapped for a link or another directory is refused
   * before anything is renamed. */
  for (size_t i = 0; i < run->nstaged; i++) {
    struct stat named, opened;
    if (fstatat(run->dirfd, run->staged[i].tmp, &named, AT_SYMLINK_NOFOLLOW) < 0 ||
        fstat(run->staged[i].fd, &opened) < 0 || named.st_dev != opened.st_dev || named.st_ino != opened.st_ino) {
      vzt_refuse(err, "%s/%s was replaced while it was being written: is someone else writing %s?", run->o->dir,
                 run->staged[i].tmp, run->o->dir);
      goto out;
    }
  }
  /* From here on the directory changes. Build directories first, then the
   * indices that name them, the list of hashes, and its signature last. */
  for (size_t i = 0; i < run->nstaged; i++) {
    _cleanup_error_ struct vzt_error *e = NULL;
    vzt_rm_rf_at(run->dirfd, run->staged[i].final, &e);
    if (renameat(run->dirfd, run->staged[i].tmp, run->dirfd, run->staged[i].final) < 0) {
      vzt_fail_errno(err, errno, "cannot rename %s/%s into place", run->o->dir, run->staged[i].final);
      goto out;
    }
    free(run->staged[i].tmp);
    run->staged[i].tmp = NULL;
  }
  for (size_t i = 0; i < nt; i++) {
    json_object *t = json_object_array_get_idx(templates, i);
    const char *good = vzt_index_str(t, "last_good");
    if (!good)
      continue;
    if (point_last_good(run, vzt_index_str(t, "name"), good, err) < 0)
      goto out;
  }
  if (vzt_mkdirat_p_nofollow(run->dirfd, "meta/1.0", 0755, err) < 0 ||
      vzt_mkdirat_p_nofollow(run->dirfd, "streams/v1", 0755, err) < 0)
    goto out;
  for (size_t i = 0; i < ng; i++)
    if (vzt_write_file_atomic(run->dirfd, g[i].name, g[i].data, g[i].len, 0644, err) < 0)
      goto out;
  if (sig) {
    if (vzt_write_file_atomic(run->dirfd, "aplinfo.dat.asc", apl_sig, apl_siglen, 0644, err) < 0 ||
        vzt_write_file_atomic(run->dirfd, SUMS_NAME, sums.data, sums.len, 0644, err) < 0 ||
        vzt_write_file_atomic(run->dirfd, SUMS_NAME ".gpg", sig, siglen, 0644, err) < 0)
      goto out;
  } else {
    /* An old signature would not match: unsigned means no signature at all. */
    unlinkat(run->dirfd, SUMS_NAME ".gpg", 0);
    unlinkat(run->dirfd, "aplinfo.dat.asc", 0);
    if (vzt_write_file_atomic(run->dirfd, SUMS_NAME, sums.data, sums.len, 0644, err) < 0)
      goto out;
  }
  ret = 0;
out:
  free(aplinfo);
  free(lxc_index);
  for (size_t i = 0; i < nl; i++)
    free(lines[i].path);
  for (size_t i = 0; i < ng; i++) {
    free(g[i].name);
    free(g[i].data);
  }
  return ret;
}

static void run_clear(struct publish_run *run)
{
  for (size_t i = 0; i < run->nstaged; i++) {
    if (run->staged[i].tmp) {
      _cleanup_error_ struct vzt_error *e = NULL;
      vzt_rm_rf_at(run->dirfd, run->staged[i].tmp, &e);
    }
    free(run->staged[i].tmp);
    free(run->staged[i].final);
    close(run->staged[i].fd);
  }
  free(run->staged);
  vzt_strv_free(run->retired);
  if (run->index)
    json_object_put(run->index);
  if (run->dirfd >= 0)
    close(run->dirfd);
}

/* One publisher at a time per directory; the lock is held until exit. The
 * directory may be writable by others: a link or device planted at the lock's
 * name is refused, never followed. */
static int lock_dir(struct publish_run *run, struct vzt_error **err)
{
  int lock = openat(run->dirfd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
  if (lock < 0 && errno == ELOOP)
    return vzt_refuse(err, "%s/%s is a symbolic link: refusing to follow it (remove it)", run->o->dir, LOCK_NAME);
  struct stat st;
  if (lock < 0 || fstat(lock, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot lock %s/%s", run->o->dir, LOCK_NAME);
  if (!S_ISREG(st.st_mode)) {
    close(lock);
    return vzt_refuse(err, "%s/%s is not a regular file: refusing to use it as the lock (remove it)", run->o->dir,
                      LOCK_NAME);
  }
  if (flock(lock, LOCK_EX) < 0) {
    int e = errno;
    close(lock);
    return vzt_fail_errno(err, e, "cannot lock %s/%s", run->o->dir, LOCK_NAME);
  }
  return 0;
}

/* Where DIR is served and who maintains it: given once, kept in index.json
 * for later runs; the maintainer defaults to the signing key's user id. */
static int remember_aplinfo_fields(struct publish_run *run, struct vzt_error **err)
{
  const struct vzt_publish_opts *o = run->o;
  if (o->base_url)
    jset(run->index, "base_url", o->base_url);
  if (o->maintainer)
    jset(run->index, "maintainer", o->maintainer);
  else if (o->sign_key && !vzt_index_str(run->index, "maintainer")) {
    _cleanup_free_ char *uid = NULL;
    if (vzt_gpg_signer_uid(o->gpg_homedir, o->sign_key, &uid, err) < 0)
      return -1;
    if (uid && vzt_publish_check_maintainer(uid) == 0)
      jset(run->index, "maintainer", uid);
  }
  return 0;
}

int vzt_publish_check_base_url(const char *url)
{
  if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
    return -1;
  for (const char *p = url; *p; p++)
    if ((unsigned char) *p <= ' ' || *p == 0x7f)
      return -1;
  return 0;
}

int vzt_publish_check_maintainer(const char *s)
{
  /* One line of aplinfo: nothing that could end it or start another field. */
  for (const char *p = s; *p; p++)
    if ((unsigned char) *p < ' ' || *p == 0x7f)
      return -1;
  const char *lt = strchr(s, '<'), *at = lt ? strchr(lt, '@') : NULL;
  const char *gt = at ? strchr(at, '>') : NULL;
  return lt && lt > s && at && at > lt + 1 && gt && gt > at + 1 && !gt[1] ? 0 : -1;
}

static int publish_one(struct publish_run *run, const char *path, struct vzt_publish_result *r,
                       struct vzt_error **err)
{
  struct vzt_manifest m;
  if (vzt_manifest_load(path, &m, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *build = vzt_publish_build_id(m.source_date_epoch, m.archive_sha256);
  json_object *t = template_entry(run->index, &m);
  json_object *builds = jarr(t, "builds");
  if (vzt_index_find(builds, "build", build)) {
    vzt_info("%s build %s is already published", m.name, build);
    r->unchanged++;
  } else {
    json_object *b = NULL;
    int sr = stage_build(run, path, &m, t, build, &b, err);
    if (b)
      array_insert(builds, 0, b);
    if (sr < 0)
      goto out;
    vzt_info("Added %s build %s", m.name, build);
    r->added++;
  }
  /* It passed vzt_verify_template in this run: the newest good one. */
  json_object_object_add(t, "last_good", json_object_new_string(build));
  ret = 0;
out:
  vzt_manifest_clear(&m);
  return ret;
}

int vzt_publish(const struct vzt_publish_opts *o, struct vzt_publish_result *r, struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (o->keep < 1)
    return vzt_usage_error(err, "--keep wants at least 1");
  /* Everything is verified before the directory is touched: a refusal leaves it as it was. */
  for (char **p = o->manifests; p && *p; p++) {
    struct vzt_verify_report rep;
    int v = vzt_verify_template(*p, NULL, &rep, err);
    if (v < 0) {
      vzt_error_prefix(err, "not publishing %s", rep.name ? rep.name : *p);
      vzt_verify_report_clear(&rep);
      return -1;
    }
    vzt_info("Verified %s: sha256 %.16s..., %zu packages as listed", rep.name, rep.sha256, rep.packages);
    vzt_verify_report_clear(&rep);
  }

  if (vzt_mkdir_p(o->dir, 0755, err) < 0)
    return -1;
  __attribute__((cleanup(run_clear))) struct publish_run run = {.o = o, .dirfd = -1};
  run.retired = vzt_calloc(1, sizeof(char *));
  run.dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (run.dirfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", o->dir);
  /* One publisher at a time per directory; held until exit. */
  if (lock_dir(&run, err) < 0)
    return -1;
  if (load_index(&run, err) < 0)
    return -1;
  if (remember_aplinfo_fields(&run, err) < 0)
    return -1;
  if (!vzt_index_str(run.index, "base_url"))
    vzt_warn("aplinfo.dat gets no Infopage links (a relative one is broken in Proxmox's GUI, and pveam "
             "may skip records without one): give publish --base-url URL, where %s is served",
             o->dir);
  /* A planted link among the directories is refused before any work. */
  if (vzt_mkdirat_p_nofollow(run.dirfd, "templates", 0755, err) < 0 ||
      vzt_mkdirat_p_nofollow(run.dirfd, "meta/1.0", 0755, err) < 0)
    return vzt_error_prefix(err, "%s", o->dir);
  for (char **p = o->manifests; p && *p; p++)
    if (publish_one(&run, *p, r, err) < 0)
      return -1;
  json_object *templates = jarr(run.index, "templates");
  for (size_t i = 0; i < json_object_array_length(templates); i++)
    retire(&run, json_object_array_get_idx(templates, i), &r->removed);
  r->templates = json_object_array_length(templates);
  if (write_indices(&run, r, err) < 0)
    return -1;
  for (char **p = run.retired; *p; p++) {
    _cleanup_error_ struct vzt_error *e = NULL;
    if (vzt_rm_rf_at(run.dirfd, *p, &e) < 0)
      vzt_warn("cannot remove the dropped build %s/%s: %s", o->dir, *p, e->msg);
  }
  return 0;
}

void vzt_publish_result_clear(struct vzt_publish_result *r)
{
  free(r->fingerprint);
  memset(r, 0, sizeof(*r));
}
