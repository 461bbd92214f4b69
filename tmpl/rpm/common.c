/* What the rpm-md and urpmi families share: mirrors, paths, compressed
 * metadata by magic bytes, and checked downloads of metadata files. */
#define _GNU_SOURCE
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "fetch/fetch.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "tmpl/rpm/verify.h"
#include "lib/alloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *mirror_variable(const char *distribution)
{
  char *var = vzt_strdupf("VZTMPL_MIRROR_%s", distribution);
  for (char *p = var; *p; p++)
    *p = (char) (isalnum((unsigned char) *p) ? toupper((unsigned char) *p) : '_');
  return var;
}

int vzt_rpm_mirrors(const struct vzt_family_job *job, const struct vzt_repo *repo, char ***out,
                    struct vzt_error **err)
{
  if (job->mirror_override)
    *out = vzt_strv_dup(job->mirror_override);
  else if (vzt_strv_contains(repo->mirrors, "none") || vzt_strv_contains(repo->mirrors, "system")) {
    _cleanup_free_ char *var = mirror_variable(job->recipe->distribution);
    _cleanup_free_ char *where = vzt_rpm_expand(repo->suites[0], job->arch_name,
                                                job->recipe->release);
    return vzt_usage_error(err,
                           "%s: [repository %s] names no mirror (vztmpl ships no public mirror "
                           "address): give one with --mirror URL or %s=URL, the directory that "
                           "holds %s",
                           job->recipe->path, repo->name, var, where);
  } else
    *out = vzt_strv_dup(repo->mirrors);
  for (char **m = *out; *m; m++) {
    size_t l = strlen(*m);
    while (l > 1 && (*m)[l - 1] == '/')
      (*m)[--l] = 0;
  }
  return 0;
}

char *vzt_rpm_expand(const char *tmpl, const char *arch, const char *release)
{
  static const char *const vars[] = {"$basearch", "$arch", "$releasever"};
  /* Each '$' may become the longer of the two values. */
  size_t cap = strlen(tmpl) + 1, grow = strlen(arch) + strlen(release);
  for (const char *p = tmpl; (p = strchr(p, '$')); p++)
    cap += grow;
  char *out = vzt_malloc(cap), *o = out;
  if (!out)
    vzt_out_of_memory();
  for (const char *p = tmpl; *p;) {
    bool done = false;
    for (size_t i = 0; i < VZT_ARRAY_SIZE(vars) && !done; i++)
      if (vzt_startswith(p, vars[i])) {
        const char *v = i == 2 ? release : arch;
        o = stpcpy(o, v);
        p += strlen(vars[i]);
        done = true;
      }
    if (!done)
      *o++ = *p++;
  }
  *o = 0;
  return out;
}

char **vzt_rpm_urls(char *const *mirrors, const char *base, const char *file)
{
  char **urls = vzt_calloc(1, sizeof(char *));
  bool flat = !base || !*base || !strcmp(base, ".");
  for (size_t i = 0; mirrors[i]; i++)
    vzt_strv_push_take(&urls, flat ? vzt_strdupf("%s/%s", mirrors[i], file)
                                   : vzt_strdupf("%s/%s/%s", mirrors[i], base, file));
  return urls;
}

/* fopencookie over libarchive's raw reader: the filters bid on the magic. */
static ssize_t cookie_read(void *c, char *buf, size_t size)
{
  la_ssize_t n = archive_read_data(c, buf, size);
  if (n < 0) {
    errno = EIO;
    return -1;
  }
  return n;
}

static int cookie_close(void *c)
{
  archive_read_free(c);
  return 0;
}

FILE *vzt_rpm_open_decompressed(const char *path, struct vzt_error **err)
{
  struct archive *a = archive_read_new();
  struct archive_entry *e;
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_lzma(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_format_raw(a);
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) != ARCHIVE_OK) {
    vzt_fail(err, "cannot read %s: %s", path, archive_error_string(a));
    archive_read_free(a);
    return NULL;
  }
  cookie_io_functions_t io = {.read = cookie_read, .close = cookie_close};
  FILE *f = fopencookie(a, "r", io);
  if (!f) {
    archive_read_free(a);
    vzt_fail_errno(err, errno, "fopencookie");
  }
  return f;
}

static char *small_name(const char *url, const char *suffix)
{
  char *name = vzt_strdupf("releases/rpm_%s%s", url, suffix);
  for (char *p = name + 9; *p; p++)
    if (*p == '/' || *p == ':' || *p == '?' || *p == '&' || *p == '=')
      *p = '_';
  return name;
}

static void keep_small(struct vzt_family_job *job, const char *url, const char *data, size_t len,
                       bool absent)
{
  _cleanup_free_ char *rel = small_name(url, "");
  _cleanup_free_ char *relabsent = small_name(url, ".absent");
  _cleanup_free_ char *dir = vzt_cache_path(job->cache, "releases");
  struct vzt_error *e = NULL;
  if (vzt_mkdir_p(dir, 0755, &e) < 0) {
    vzt_error_free(&e);
    return;
  }
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return;
  unlinkat(dfd, (absent ? rel : relabsent) + 9, 0);
  if (vzt_write_file_atomic(dfd, (absent ? relabsent : rel) + 9, absent ? "" : data,
                            absent ? 0 : len, 0644, &e) < 0)
    vzt_error_free(&e);
}

int vzt_rpm_fetch_small(struct vzt_family_job *job, char *const *urls, char **data, size_t *len,
                        struct vzt_error **err)
{
  if (!job->offline) {
    if (vzt_fetch_to_memory(urls, data, len, err) == 0) {
      keep_small(job, urls[0], *data, *len, false);
      return 0;
    }
    if (*err && (*err)->errnum == ENOENT)
      keep_small(job, urls[0], NULL, 0, true);
    return -1;
  }
  for (size_t i = 0; urls[i]; i++) {
    _cleanup_free_ char *rel = small_name(urls[i], "");
    _cleanup_free_ char *path = vzt_cache_path(job->cache, rel);
    _cleanup_free_ char *relabsent = small_name(urls[i], ".absent");
    _cleanup_free_ char *absent = vzt_cache_path(job->cache, relabsent);
    struct vzt_error *e = NULL;
    if (vzt_read_file(path, data, len, &e) == 0)
      return 0;
    vzt_error_free(&e);
    if (access(absent, F_OK) == 0) {
      vzt_fail(err, "--offline: %s was not published when last fetched", urls[i]);
      (*err)->errnum = ENOENT;
      return -1;
    }
  }
  return vzt_fail(err, "--offline: %s was never fetched", urls[0]);
}

int vzt_rpm_fetch_checked(struct vzt_family_job *job, char **urls, enum vzt_digest_type type,
                          const char *hex, uint64_t size, const char *label, char **path,
                          char *sha256, struct vzt_error **err)
{
  for (const char *p = hex; *p; p++)
    if (!isxdigit((unsigned char) *p))
      return vzt_refuse(err, "%s: malformed %s checksum", urls[0], vzt_digest_name(type));
  struct vzt_fetch_opts opts = {.parallel = 1, .retries = -1, .label = label};
  if (type == VZT_DIGEST_SHA256) {
    /* Straight into the blob store, where a copy is re-checked by hash. */
    _cleanup_free_ char *blob = vzt_cache_blob_path(job->cache, hex);
    if (!blob)
      return vzt_refuse(err, "%s: malformed sha256 checksum", urls[0]);
    snprintf(sha256, VZT_DIGEST_HEX_MAX, "%s", hex);
    for (char *p = sha256; *p; p++)
      *p = (char) tolower((unsigned char) *p);
    if (!vzt_cache_blob_valid(job->cache, sha256, size)) {
      if (job->offline)
        return vzt_fail(err, "--offline: %s is not in the cache", urls[0]);
      _cleanup_free_ char *dir = vzt_strdup(blob);
      if (vzt_mkdir_p(dirname(dir), 0755, err) < 0)
        return -1;
      struct vzt_fetch_item item = {.urls = urls, .dest = blob, .digest_type = type,
                                    .digest = sha256, .size = size};
      if (vzt_fetch_all(&item, 1, &opts, err) < 0)
        return -1;
    }
    *path = steal_pointer(&blob);
    return 0;
  }
  /* Named by sha1, sha512 or md5: checked by that while it downloads into a
   * work directory, then kept in the blob store under its sha256, found
   * again through releases/by-<type>/<hex> (and hashed again by both). */
  _cleanup_free_ char *maprel = vzt_strdupf("releases/by-%s/%s", vzt_digest_name(type), hex);
  _cleanup_free_ char *map = vzt_cache_path(job->cache, maprel);
  _cleanup_free_ char *mapped = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(map, &mapped, NULL, &e) == 0) {
    vzt_strstrip(mapped);
    _cleanup_free_ char *blob = vzt_cache_blob_path(job->cache, mapped);
    char got[VZT_DIGEST_HEX_MAX];
    _cleanup_close_ int fd = blob && vzt_cache_blob_valid(job->cache, mapped, size)
                                 ? open(blob, O_RDONLY | O_CLOEXEC)
                                 : -1;
    if (fd >= 0 && vzt_digest_fd(fd, type, got, NULL, &e) == 0 && !strcasecmp(got, hex)) {
      snprintf(sha256, VZT_DIGEST_HEX_MAX, "%s", mapped);
      *path = steal_pointer(&blob);
      return 0;
    }
  }
  vzt_error_free(&e);
  if (job->offline)
    return vzt_fail(err, "--offline: %s is not in the cache", urls[0]);
  _cleanup_free_ char *work = NULL;
  if (vzt_cache_mkdtemp(job->cache, "rpm-meta", &work, err) < 0)
    return -1;
  _cleanup_free_ char *dest = vzt_path_join(work, "file");
  struct vzt_fetch_item item = {.urls = urls, .dest = dest, .digest_type = type, .digest = hex,
                                .size = size};
  int ret = vzt_fetch_all(&item, 1, &opts, err);
  if (!ret) {
    _cleanup_close_ int fd = open(dest, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      ret = vzt_fail_errno(err, errno, "cannot open %s", dest);
    else if ((ret = vzt_digest_fd(fd, VZT_DIGEST_SHA256, sha256, NULL, err)) == 0)
      ret = vzt_cache_blob_commit(job->cache, dest, sha256, err);
  }
  if (vzt_rm_rf(work, &e) < 0)
    vzt_error_free(&e);
  if (ret < 0)
    return -1;
  _cleanup_free_ char *mapdir = vzt_strdup(map);
  _cleanup_close_ int mfd = vzt_mkdir_p(dirname(mapdir), 0755, &e) == 0
                                ? open(mapdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                : -1;
  if (mfd < 0 || vzt_write_file_atomic(mfd, hex, sha256, strlen(sha256), 0644, &e) < 0)
    vzt_error_free(&e);
  *path = vzt_cache_blob_path(job->cache, sha256);
  return 0;
}

Repo *vzt_rpm_repo_create(struct vzt_family_job *job, const struct vzt_repo *conf,
                          const char *keyring, char *const *mirrors, const char *base,
                          const char *label)
{
  Repo *repo = repo_create(job->pool, label);
  size_t klen = keyring ? strlen(keyring) : 0;
  struct vzt_rpm_repo *rr = vzt_calloc(1, sizeof(*rr) + klen + 1);
  rr->conf = conf;
  if (keyring)
    memcpy(rr->keyring, keyring, klen);
  struct vzt_family_repo *fr = &rr->common;
  fr->mirrors = vzt_calloc(1, sizeof(char *));
  bool flat = !base || !*base || !strcmp(base, ".");
  for (size_t i = 0; mirrors[i]; i++)
    vzt_strv_push_take(&fr->mirrors, flat ? vzt_strdup(mirrors[i])
                                          : vzt_strdupf("%s/%s", mirrors[i], base));
  fr->label = vzt_strdup(label);
  repo->appdata = fr;
  return repo;
}

int vzt_urpmi_md5sum_find(const char *text, size_t len, const char *name, char *hex, bool *found,
                          struct vzt_error **err)
{
  *found = false;
  size_t lineno = 0;
  for (size_t pos = 0; pos < len;) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t l = nl ? (size_t) (nl - line) : len - pos;
    pos += l + 1;
    lineno++;
    while (l && (line[l - 1] == '\r' || line[l - 1] == ' '))
      l--;
    if (!l)
      continue;
    size_t h = 0;
    while (h < l && isxdigit((unsigned char) line[h]))
      h++;
    if (h != 32 || h + 2 > l || line[h] != ' ')
      return vzt_refuse(err, "MD5SUM line %zu is not \"<md5>  <file>\"", lineno);
    /* "<md5>  <file>" or "<md5> *<file>"; the line is not NUL-terminated. */
    size_t f = h;
    while (f < l && (line[f] == ' ' || line[f] == '*'))
      f++;
    const char *fn = line + f;
    size_t fl = l - f;
    if (fl == strlen(name) && !memcmp(fn, name, fl)) {
      for (size_t i = 0; i < 32; i++)
        hex[i] = (char) tolower((unsigned char) line[i]);
      hex[32] = 0;
      *found = true;
    }
  }
  return 0;
}

/* One librpm keyring per [repository], loaded when its first package is checked. */
struct ring_of {
  const struct vzt_repo *conf;
  const char *path;
  struct vzt_rpm_keyring *ring;
};

static int keyring_for(struct vzt_family_job *job, struct ring_of **rings, size_t *nrings,
                       const struct vzt_rpm_repo *rr, struct vzt_rpm_keyring **out,
                       struct vzt_error **err)
{
  const struct vzt_repo *conf = rr->conf;
  const char *keyring = job->keyring_override ? job->keyring_override
                        : rr->keyring[0]       ? rr->keyring
                                               : conf->keyring;
  for (size_t i = 0; i < *nrings; i++)
    if ((*rings)[i].conf == conf && (!keyring || !strcmp((*rings)[i].path, keyring))) {
      *out = (*rings)[i].ring;
      return 0;
    }
  if (!keyring)
    return vzt_usage_error(err, "[repository %s] has no keyring to check its packages with: give "
                                "one with --keyring FILE (or package-signature = none)",
                           conf->name);
  if (vzt_rpm_keyring_load(keyring, job->keyring_override ? NULL : conf->keys, out, err) < 0)
    return vzt_error_prefix(err, "[repository %s]", conf->name);
  if (!(*rings = vzt_realloc(*rings, (*nrings + 1) * sizeof(**rings))))
    vzt_out_of_memory();
  (*rings)[(*nrings)++] = (struct ring_of){conf, keyring, *out};
  return 0;
}

int vzt_rpm_check_packages(struct vzt_family_job *job, Solvable **order, size_t n,
                           char *const *blobs, struct vzt_error **err)
{
  struct ring_of *rings = NULL;
  size_t nrings = 0;
  int ret = 0;
  for (size_t i = 0; i < n && !ret; i++) {
    struct vzt_rpm_repo *rr = order[i]->repo->appdata;
    const struct vzt_repo *conf = rr->conf;
    int policy = vzt_rpm_sigpolicy_parse(conf->package_signature);
    struct vzt_rpm_keyring *ring = NULL;
    if (policy != VZT_RPM_SIG_NONE &&
        (ret = keyring_for(job, &rings, &nrings, rr, &ring, err)) < 0) {
      if ((*err)->status == VZT_EXIT_REFUSED)
        unlink(blobs[i]); /* nothing it could not check stays */
      break;
    }
    unsigned int medianr;
    const char *loc = solvable_get_location(order[i], &medianr);
    _cleanup_free_ char *what = vzt_strdupf("package %s (%s/%s)",
                                            pool_solvable2str(job->pool, order[i]),
                                            rr->common.mirrors[0], loc ? loc : "?");
    struct vzt_rpm_checked checked = {0};
    if ((ret = vzt_rpm_verify_file(ring, (enum vzt_rpm_sigpolicy) policy, blobs[i], what, &checked,
                                   err)) < 0 &&
        (*err)->status == VZT_EXIT_REFUSED)
      unlink(blobs[i]); /* the cache keeps no package it refused */
    if (checked.build_time > job->packages_date)
      job->packages_date = checked.build_time;
  }
  for (size_t i = 0; i < nrings; i++)
    vzt_rpm_keyring_free(rings[i].ring);
  free(rings);
  return ret;
}
