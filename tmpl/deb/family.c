/* The deb family: signed Release files, Packages indices, and the ops table. */
#include "config.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/release.h"
#include "fetch/fetch.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <libgen.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <stdlib.h>
#include <string.h>

static const char *deb_arch_name(const struct vzt_arch *a) { return a->deb; }

static char **urls_for(char *const *mirrors, const char *path)
{
  char **urls = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; mirrors[i]; i++)
    vzt_strv_push_take(&urls, vzt_strdupf("%s/%s", mirrors[i], path));
  return urls;
}

/* The signed Release of a suite, kept in the cache for --offline (it is
 * verified again on every use). */
static char *release_cache_name(const char *mirror, const char *suite)
{
  char *name = vzt_strdupf("releases/%s_%s_InRelease", mirror, suite);
  for (char *p = name + 9; *p; p++)
    if (*p == '/' || *p == ':')
      *p = '_';
  return name;
}

static int fetch_release(struct vzt_family_job *job, char **mirrors, const char *suite,
                         const char *keyring, char *const *pinned, struct vzt_release *rel,
                         struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_strdupf("dists/%s/InRelease", suite);
  _cleanup_strv_ char **urls = urls_for(mirrors, path);
  _cleanup_free_ char *data = NULL, *sig = NULL;
  size_t len = 0, siglen = 0;
  _cleanup_free_ char *cached_rel = release_cache_name(mirrors[0], suite);
  _cleanup_free_ char *cached = vzt_cache_path(job->cache, cached_rel);
  const char *what = urls[0];
  if (job->offline) {
    if (vzt_read_file(cached, &data, &len, err) < 0)
      return vzt_error_prefix(err, "--offline: %s was never fetched", urls[0]);
    what = cached;
  } else if (vzt_fetch_to_memory(urls, &data, &len, err) < 0) {
    if (!*err || (*err)->errnum != ENOENT)
      return -1;
    /* No InRelease: the older Release + Release.gpg pair. */
    vzt_error_free(err);
    _cleanup_free_ char *rpath = vzt_strdupf("dists/%s/Release", suite);
    _cleanup_free_ char *gpath = vzt_strdupf("dists/%s/Release.gpg", suite);
    _cleanup_strv_ char **rurls = urls_for(mirrors, rpath);
    _cleanup_strv_ char **gurls = urls_for(mirrors, gpath);
    if (vzt_fetch_to_memory(rurls, &data, &len, err) < 0 ||
        vzt_fetch_to_memory(gurls, &sig, &siglen, err) < 0)
      return vzt_error_prefix(err, "suite %s", suite);
  }
  struct vzt_gpg_result vr = {0};
  if (vzt_gpg_verify(keyring, pinned, data, len, sig, siglen, what, &vr, err) < 0)
    return -1;
  const char *text = sig ? data : vr.plaintext;
  size_t textlen = sig ? len : vr.len;
  int ret = vzt_release_parse(text, textlen, what, rel, err);
  if (!ret && (ret = vzt_release_check_valid(rel, job->now, what, err)) < 0)
    vzt_release_clear(rel);
  if (!ret) {
    vzt_strv_push_take(&job->verified, vzt_strdupf("%s %s", suite, vr.fingerprint));
    if (rel->date > job->index_date)
      job->index_date = rel->date;
  }
  if (!ret && !job->offline && !sig) {
    struct vzt_error *e = NULL;
    _cleanup_free_ char *dir = vzt_strdup(cached);
    if (vzt_mkdir_p(dirname(dir), 0755, &e) == 0) {
      _cleanup_free_ char *d2 = vzt_strdup(cached);
      _cleanup_close_ int dfd = open(dirname(d2), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      _cleanup_free_ char *b = vzt_strdup(cached);
      if (dfd >= 0)
        vzt_write_file_atomic(dfd, basename(b), data, len, 0644, &e);
    }
    vzt_error_free(&e);
  }
  vzt_gpg_result_free(&vr);
  return ret;
}

static const char *const index_exts[] = {".xz", ".gz", ".zst", ".bz2", ""};

/* Fetches one signed index file into the blob store unless it (or its
 * parsed copy) is there already. */
static int fetch_index(struct vzt_family_job *job, char **mirrors, const char *suite,
                       const struct vzt_release *rel, const char *path,
                       const struct vzt_release_file *f, const char *comp, bool *contradicted,
                       struct vzt_error **err)
{
  _cleanup_free_ char *blob = vzt_cache_blob_path(job->cache, f->sha256);
  if (!blob)
    return vzt_refuse(err, "suite %s: malformed SHA256 for %s", suite, path);
  _cleanup_free_ char *solvrel = vzt_strdupf("solv/%s.meta", f->sha256);
  _cleanup_free_ char *solvmeta = vzt_cache_path(job->cache, solvrel);
  if (access(solvmeta, R_OK) == 0 || vzt_cache_blob_valid(job->cache, f->sha256, f->size))
    return 0;
  if (job->offline)
    return vzt_fail(err, "--offline: the index %s of %s is not in the cache", path, suite);
  _cleanup_free_ char *dir = vzt_strdup(blob);
  if (vzt_mkdir_p(dirname(dir), 0755, err) < 0)
    return -1;
  /* by-hash names cannot change under us while the mirror updates. */
  _cleanup_free_ char *dirpart = vzt_strdup(path);
  _cleanup_free_ char *byhash =
      vzt_strdupf("dists/%s/%s/by-hash/SHA256/%s", suite, dirname(dirpart), f->sha256);
  _cleanup_free_ char *plain = vzt_strdupf("dists/%s/%s", suite, path);
  _cleanup_strv_ char **urls = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; mirrors[i]; i++) {
    if (rel->acquire_by_hash)
      vzt_strv_push_take(&urls, vzt_strdupf("%s/%s", mirrors[i], byhash));
    vzt_strv_push_take(&urls, vzt_strdupf("%s/%s", mirrors[i], plain));
  }
  struct vzt_fetch_item item = {.urls = urls, .dest = blob, .digest_type = VZT_DIGEST_SHA256,
                                .digest = f->sha256, .size = f->size};
  _cleanup_free_ char *label = vzt_strdupf("Index %s/%s", suite, comp);
  struct vzt_fetch_opts opts = {.parallel = 1, .retries = -1, .label = label};
  int ret = vzt_fetch_all(&item, 1, &opts, err);
  /* Bytes that are not the signed ones, from any URL (by-hash or plain),
   * are a lie about a signed file, even where another URL lacks it. */
  *contradicted = ret < 0 && item.mismatches > 0;
  return ret;
}

/* Every form of the index failed and at least one contradicted the signed
 * Release: that is what the mirror did, whatever the last form's error was
 * (a missing .gz after a tampered .xz is no reason to just "fail"). */
#define REFUSED_DOWNLOAD "refusing the download: "
#define FAILED_DOWNLOAD "cannot download "

static int refuse_contradicted_index(const char *suite, const char *comp, const char *arch,
                                     char **refusals, struct vzt_error **err)
{
  _cleanup_free_ char *why = vzt_strv_join(refusals, "; ");
  vzt_error_free(err);
  return vzt_refuse(err,
                    "suite %s: every Packages index for %s/%s the mirror serves contradicts "
                    "the signed Release or is missing: %s; use another mirror, or report it "
                    "to the mirror's operator",
                    suite, comp, arch, why);
}

/* Loads comp's Packages index, trying each compression the Release lists in
 * turn, as apt does: a mirror caught mid-update may serve one stale copy. */
static int load_component(struct vzt_family_job *job, char **mirrors, const char *suite,
                          const struct vzt_release *rel, const char *comp, struct vzt_error **err)
{
  const struct vzt_release_file *f = NULL;
  _cleanup_strv_ char **refusals = NULL;
  for (size_t i = 0; i < VZT_ARRAY_SIZE(index_exts); i++) {
    _cleanup_free_ char *path =
        vzt_strdupf("%s/binary-%s/Packages%s", comp, job->arch_name, index_exts[i]);
    const struct vzt_release_file *cand = vzt_release_find(rel, path);
    if (!cand)
      continue;
    if (*err) {
      vzt_warn("%s; trying %s", (*err)->msg, path);
      vzt_error_free(err);
    }
    bool contradicted = false;
    if (fetch_index(job, mirrors, suite, rel, path, cand, comp, &contradicted, err) == 0) {
      f = cand;
      break;
    }
    if (*err && (contradicted || (*err)->status == VZT_EXIT_REFUSED)) {
      const char *msg = (*err)->msg;
      /* The URLs and their causes, without fetch's own opening words. */
      if (vzt_startswith(msg, REFUSED_DOWNLOAD))
        msg += strlen(REFUSED_DOWNLOAD);
      else if (vzt_startswith(msg, FAILED_DOWNLOAD))
        msg += strlen(FAILED_DOWNLOAD);
      vzt_strv_push(&refusals, msg);
    }
  }
  if (!f) {
    if (refusals)
      return refuse_contradicted_index(suite, comp, job->arch_name, refusals, err);
    if (*err)
      return -1;
    return vzt_fail(err, "suite %s has no Packages index for %s/%s in its Release file", suite,
                    comp, job->arch_name);
  }
  _cleanup_free_ char *blob = vzt_cache_blob_path(job->cache, f->sha256);
  Repo *repo = repo_create(job->pool, suite);
  struct vzt_family_repo *fr = vzt_calloc(1, sizeof(*fr));
  fr->mirrors = vzt_strv_dup(mirrors);
  fr->label = vzt_strdupf("%s/%s", suite, comp);
  repo->appdata = fr;
  if (vzt_deb_index_load(job, repo, blob, f->sha256, err) < 0)
    return vzt_error_prefix(err, "%s/%s", suite, comp);
  vzt_debug("loaded %s/%s: %d packages", suite, comp, repo->nsolvables);
  return 0;
}

static int deb_load_repo(struct vzt_family_job *job, const struct vzt_repo *repo,
                         struct vzt_error **err)
{
  _cleanup_strv_ char **mirrors = NULL;
  if (vzt_family_mirrors(job, repo, &mirrors, err) < 0)
    return -1;
  for (char **m = mirrors; *m; m++) {
    size_t l = strlen(*m);
    while (l > 1 && (*m)[l - 1] == '/')
      (*m)[--l] = 0;
  }
  const char *keyring = job->keyring_override ? job->keyring_override : repo->keyring;
  if (!keyring)
    return vzt_usage_error(err, "[repository %s] has no keyring: give one with --keyring FILE",
                           repo->name);
  char *const *pinned = job->keyring_override ? NULL : repo->keys;
  for (char **suite = repo->suites; *suite; suite++) {
    struct vzt_release rel;
    if (fetch_release(job, mirrors, *suite, keyring, pinned, &rel, err) < 0)
      return -1;
    int ret = 0;
    if (rel.architectures[0] && !vzt_strv_contains(rel.architectures, job->arch_name)) {
      _cleanup_free_ char *archs = vzt_strv_join(rel.architectures, " ");
      ret = vzt_fail(err, "suite %s is not published for %s (it has: %s)", *suite,
                     job->arch_name, archs);
    }
    for (char **comp = repo->components; !ret && *comp; comp++)
      ret = load_component(job, mirrors, *suite, &rel, *comp, err);
    vzt_release_clear(&rel);
    if (ret < 0)
      return -1;
  }
  return 0;
}

const struct vzt_family_ops vzt_family_deb = {
    .name = "deb",
    .disttype = DISTTYPE_DEB,
    .noarch = "all",
    .arch_name = deb_arch_name,
    .load_repo = deb_load_repo,
    .install = vzt_deb_install,
    .read_installed = vzt_deb_read_installed,
};
