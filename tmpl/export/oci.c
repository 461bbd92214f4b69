/* vztmpl export --format oci|oci-archive: verified templates as one OCI image, a platform per architecture. */
#include "config.h"
#include "tmpl/export/oci.h"
#include "tmpl/export/oci-internal.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The templates being written, with the temporary layout they go into. */
struct oci_job {
  const struct vzt_export_request *req;
  const char *tag;
  bool archive;                 /* oci-archive: the layout's tar */
  struct vzt_manifest *ms;
  struct vzt_oci_image *imgs;
  size_t n;
  char *tmp;                    /* the layout being written, beside the output */
  int dirfd;
};

/* A tag as OCI's ref.name grammar allows it: letters, digits and . _ - : / + @, not at an end. */
static bool tag_ok(const char *t)
{
  size_t n = strlen(t);
  if (n == 0 || n > 128 || strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-:/+@") != n)
    return false;
  return strchr("._-:/+@", t[0]) == NULL && strchr("._-:/+@", t[n - 1]) == NULL;
}

static bool same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && !strcmp(a, b));
}

bool vzt_oci_same_recipe(const struct vzt_manifest *a, const struct vzt_manifest *b)
{
  return same(a->distribution, b->distribution) && same(a->release, b->release) && same(a->variant, b->variant);
}

static int cmp_platform(const void *a, const void *b)
{
  const struct vzt_oci_image *x = a, *y = b;
  int c = strcmp(x->platform.architecture, y->platform.architecture);
  return c ? c : strcmp(x->platform.variant ? x->platform.variant : "", y->platform.variant ? y->platform.variant : "");
}

/* The manifest is read once: its bytes become the blob, and the copy in
 * the layout is what the image is made from, so the blob, the
 * annotations and the layer's expected hash agree even if the cache's
 * .json is replaced meanwhile (a rebuild). */
static int load_manifest(struct oci_job *j, size_t i, struct vzt_error **err)
{
  const char *path = j->req->manifests[i];
  struct vzt_oci_image *img = &j->imgs[i];
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (vzt_read_file_max(path, VZT_LIMIT_MANIFEST, &json, &len, err) < 0 ||
      vzt_oci_put_blob(j->dirfd, json, len, &img->vztmpl, err) < 0)
    return -1;
  _cleanup_free_ char *copy = vzt_strdupf("%s/blobs/sha256/%s", j->tmp, img->vztmpl.digest + strlen("sha256:"));
  if (vzt_manifest_load(copy, &j->ms[i], err) < 0)
    return vzt_error_prefix(err, "%s", path);
  img->m = &j->ms[i];
  img->gzip = j->req->layer && !strcmp(j->req->layer, "gzip");
  return 0;
}

/* One image index holds one recipe's builds, one per architecture: another
 * distribution, release or variant is another image, and two builds of one
 * platform leave a reader nothing to choose by. */
static int load_templates(struct oci_job *j, struct vzt_error **err)
{
  for (size_t i = 0; i < j->n; i++) {
    if (load_manifest(j, i, err) < 0)
      return -1;
    const char *path = j->req->manifests[i];
    struct vzt_manifest *m = &j->ms[i], *first = &j->ms[0];
    if (!m->archive_file || !m->archive_sha256)
      return vzt_refuse(err, "%s names no archive and hash", path);
    if (vzt_oci_platform_of(m->architecture, &j->imgs[i].platform) < 0)
      return vzt_fail(err, "%s: OCI has no platform name for the architecture %s", m->name,
                      m->architecture ? m->architecture : "(none)");
    if (!vzt_oci_same_recipe(first, m))
      return vzt_usage_error(err, "%s and %s are not builds of one recipe (distribution, release and variant differ); "
                                  "export them as separate images",
                             first->name, m->name);
    for (size_t k = 0; k < i; k++)
      if (!cmp_platform(&j->imgs[k], &j->imgs[i]))
        return vzt_usage_error(err, "%s and %s are both for %s; an image has one manifest per platform",
                               j->ms[k].name, m->name, m->architecture);
  }
  return 0;
}

static char *archive_path(const char *manifest_path, const struct vzt_manifest *m)
{
  if (strchr(m->archive_file, '/'))
    return vzt_strdup(m->archive_file);
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  return vzt_path_join(dirname(dir), m->archive_file);
}

/* The layer, the config and the OCI manifest of one template. */
static int write_image(struct oci_job *j, size_t i, struct vzt_error **err)
{
  struct vzt_oci_image *img = &j->imgs[i];
  const char *mpath = j->req->manifests[i];
  _cleanup_free_ char *archive = archive_path(mpath, img->m);
  vzt_info("%s: writing the %s layer", img->m->name, img->gzip ? "gzip" : "zstd");
  if (vzt_oci_put_layer(j->dirfd, archive, img->m->archive_sha256, img, err) < 0 ||
      vzt_oci_check_layer(j->tmp, &img->layer, archive, err) < 0)
    return -1;
  _cleanup_free_ char *config = vzt_oci_config_json(img);
  if (vzt_oci_put_blob(j->dirfd, config, strlen(config), &img->config, err) < 0)
    return -1;
  _cleanup_free_ char *manifest = vzt_oci_manifest_json(img);
  return vzt_oci_put_blob(j->dirfd, manifest, strlen(manifest), &img->manifest, err);
}

/* The layout is made beside the output, so that it appears there whole or not at all. */
static int make_tmp(struct oci_job *j, struct vzt_error **err)
{
  const char *out = j->req->out;
  struct stat st;
  if (!j->archive && lstat(out, &st) == 0) {
    _cleanup_closedir_ DIR *d = S_ISDIR(st.st_mode) ? opendir(out) : NULL;
    struct dirent *de;
    while (d && (de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
        return vzt_usage_error(err, "%s is not empty; name a new directory for the OCI layout", out);
    if (!d)
      return vzt_usage_error(err, "%s exists and is not a directory; name a new directory for the OCI layout", out);
  }
  if (j->archive && lstat(out, &st) == 0 && S_ISDIR(st.st_mode))
    return vzt_usage_error(err, "%s is a directory; oci-archive writes a file (or use --format oci)", out);
  _cleanup_free_ char *copy = vzt_strdup(out);
  _cleanup_free_ char *base = vzt_strdup(basename(copy));
  strcpy(copy, out);
  j->tmp = vzt_strdupf("%s/.%s.oci-XXXXXX", dirname(copy), base);
  if (!mkdtemp(j->tmp)) {
    int e = errno;
    free(j->tmp);
    j->tmp = NULL;
    return vzt_fail_errno(err, e, "cannot create a directory beside %s", out);
  }
  j->dirfd = open(j->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (j->dirfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", j->tmp);
  if (chmod(j->tmp, 0755) < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", j->tmp);
  return vzt_oci_layout_init(j->dirfd, err);
}

static int finish(struct oci_job *j, struct vzt_error **err)
{
  qsort(j->imgs, j->n, sizeof(*j->imgs), cmp_platform);
  struct vzt_oci_blob platforms;
  if (j->n > 1) {
    _cleanup_free_ char *pj = vzt_oci_platforms_json(j->imgs, j->n);
    if (vzt_oci_put_blob(j->dirfd, pj, strlen(pj), &platforms, err) < 0)
      return -1;
  }
  _cleanup_free_ char *index = vzt_oci_index_json(j->imgs, j->n, j->tag, j->n > 1 ? &platforms : NULL);
  if (vzt_atomic_write_file(j->dirfd, "index.json", index, strlen(index), 0644, err) < 0)
    return -1;
  if (!j->archive) {
    if (rename(j->tmp, j->req->out) < 0)
      return vzt_fail_errno(err, errno, "cannot move the layout to %s", j->req->out);
    free(j->tmp);
    j->tmp = NULL;
    return 0;
  }
  time_t mtime = 0;
  for (size_t i = 0; i < j->n; i++)
    if (j->ms[i].source_date_epoch > mtime)
      mtime = j->ms[i].source_date_epoch;
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(AT_FDCWD, j->req->out, 0644, &f, err) < 0 || vzt_oci_layout_tar(j->dirfd, f.fd, mtime, err) < 0)
    return -1;
  return vzt_atomic_commit(&f, err);
}

int vzt_export_oci(const struct vzt_export_request *req, struct vzt_error **err)
{
  if (req->layer && strcmp(req->layer, "gzip") && strcmp(req->layer, "zstd"))
    return vzt_usage_error(err, "--layer %s: say zstd (the template's own bytes) or gzip (for readers without zstd)",
                           req->layer);
  if (req->tag && !tag_ok(req->tag))
    return vzt_usage_error(err, "--tag %s: a tag is letters, digits and . _ - : / + @ (not at its ends), "
                                "at most 128 characters",
                           req->tag);
  struct oci_job j = {.req = req, .archive = !strcmp(req->format, "oci-archive"), .n = req->n, .dirfd = -1};
  j.ms = vzt_calloc(req->n, sizeof(*j.ms));
  j.imgs = vzt_calloc(req->n, sizeof(*j.imgs));
  int ret = -1;
  if (!j.ms || !j.imgs) {
    vzt_fail_errno(err, ENOMEM, "cannot list the templates");
    goto out;
  }
  if (make_tmp(&j, err) < 0 || load_templates(&j, err) < 0)
    goto out;
  j.tag = req->tag ? req->tag : j.ms[0].release && tag_ok(j.ms[0].release) ? j.ms[0].release : j.ms[0].name;
  for (size_t i = 0; i < j.n; i++)
    if (write_image(&j, i, err) < 0)
      goto out;
  ret = finish(&j, err);
out:
  if (j.dirfd >= 0)
    close(j.dirfd);
  if (j.tmp)
    vzt_rm_rf(j.tmp, NULL);
  free(j.tmp);
  for (size_t i = 0; j.ms && i < j.n; i++)
    vzt_manifest_clear(&j.ms[i]);
  free(j.ms);
  free(j.imgs);
  return ret;
}
