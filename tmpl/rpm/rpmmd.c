/* The rpm-md family (Fedora, OpenMandriva): repomd.xml and its detached
 * signature, primary and comps by the checksums repomd.xml gives, and the ops
 * table. Installation is not part of this family yet. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "fetch/fetch.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <solv/bitmap.h>
#include <solv/knownid.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_comps.h>
#include <solv/repo_rpmmd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *rpmmd_arch_name(const struct vzt_arch *a) { return a->rpm; }

static bool digest_listed(const char *data, size_t len, enum vzt_digest_type type,
                          char *const *listed)
{
  if (!listed || !listed[0])
    return false;
  struct vzt_digest *d = vzt_digest_new(type);
  vzt_digest_update(d, data, len);
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(d, hex);
  for (size_t i = 0; listed[i]; i++)
    if (!strcasecmp(listed[i], hex))
      return true;
  return false;
}

/* With a metalink: the first mirror whose repomd.xml has a digest the
 * metalink lists (a mirror may lag behind), moved to the front. */
static int fetch_repomd_metalink(struct vzt_family_job *job, const struct vzt_rpm_metalink *ml,
                                 char **mirrors,
                                 const char *what, char **data, size_t *len,
                                 struct vzt_error **err)
{
  _cleanup_free_ char *last = NULL;
  bool served = false;
  for (size_t i = 0; mirrors[i]; i++) {
    char *one[] = {mirrors[i], NULL};
    _cleanup_strv_ char **urls = vzt_rpm_urls(one, ".", "repodata/repomd.xml");
    if (vzt_rpm_fetch_small(job, urls, data, len, err) < 0) {
      vzt_warn("%s; trying the next mirror of %s", (*err)->msg, what);
      free(last);
      last = vzt_error_text(*err);
      vzt_error_free(err);
      continue;
    }
    served = true;
    if (digest_listed(*data, *len, VZT_DIGEST_SHA256, ml->sha256) ||
        digest_listed(*data, *len, VZT_DIGEST_SHA512, ml->sha512)) {
      char *first = mirrors[i];
      memmove(mirrors + 1, mirrors, i * sizeof(char *));
      mirrors[0] = first;
      return 0;
    }
    vzt_warn("%s matches no digest in %s; trying the next mirror", urls[0], what);
    free(*data);
    *data = NULL;
  }
  if (!served)
    return vzt_fail(err, "no mirror of %s could be reached (the last: %s)", what,
                    last ? last : "none listed");
  return vzt_refuse(err, "no mirror of %s serves a repomd.xml with a digest the metalink lists",
                    what);
}

/* repomd.xml and, as the recipe asks, its detached signature. */
static int fetch_repomd(struct vzt_family_job *job, const struct vzt_repo *repo, char **mirrors,
                        const char *base, const struct vzt_rpm_metalink *ml,
                        const char *mlurl, char **data, size_t *len, struct vzt_error **err)
{
  _cleanup_strv_ char **urls = vzt_rpm_urls(mirrors, base, "repodata/repomd.xml");
  if (ml) {
    if (fetch_repomd_metalink(job, ml, mirrors, mlurl, data, len, err) < 0)
      return vzt_error_prefix(err, "[repository %s]", repo->name);
    vzt_strv_push_take(&job->verified, vzt_strdupf("%s metalink %s", mirrors[0], mlurl));
  } else if (vzt_rpm_fetch_small(job, urls, data, len, err) < 0)
    return vzt_error_prefix(err, "[repository %s]", repo->name);
  _cleanup_strv_ char **sigurls = vzt_rpm_urls(mirrors, base, "repodata/repomd.xml.asc");
  /* The metalink may have put another mirror first. */
  vzt_strv_free(urls);
  urls = vzt_rpm_urls(mirrors, base, "repodata/repomd.xml");
  bool required = !repo->metadata_signature || !strcmp(repo->metadata_signature, "required");
  _cleanup_free_ char *sig = NULL;
  size_t siglen = 0;
  if (vzt_rpm_fetch_small(job, sigurls, &sig, &siglen, err) < 0) {
    if (!*err || (*err)->errnum != ENOENT)
      return -1;
    vzt_error_free(err);
    if (required)
      return vzt_refuse(err,
                        "%s is not published, and [repository %s] requires signed metadata "
                        "(metadata-signature = required)",
                        sigurls[0], repo->name);
    vzt_warn("%s: no repomd.xml.asc; trusting the metadata to package signatures", urls[0]);
    vzt_strv_push_take(&job->verified, vzt_strdupf("%s unsigned-metadata", base));
    return 0;
  }
  const char *keyring = job->keyring_override ? job->keyring_override : repo->keyring;
  if (!keyring)
    return vzt_usage_error(err, "[repository %s] has no keyring to check %s: give one with "
                                "--keyring FILE", repo->name, sigurls[0]);
  char *const *pinned = job->keyring_override ? NULL : repo->keys;
  struct vzt_gpg_result vr = {0};
  if (vzt_gpg_verify(keyring, pinned, *data, *len, sig, siglen, urls[0], &vr, err) < 0)
    return -1;
  vzt_strv_push_take(&job->verified, vzt_strdupf("%s %s", base, vr.fingerprint));
  vzt_gpg_result_free(&vr);
  return 0;
}

static int add_primary(Repo *repo, FILE *fp) { return repo_add_rpmmd(repo, fp, NULL, 0); }

/* Fetches one metadata file by repomd's checksum and loads it into repo
 * (primary through the parsed-index cache). */
static int load_file(struct vzt_family_job *job, Repo *repo, char **mirrors, const char *base,
                     const struct vzt_repomd_file *f, const char *what, struct vzt_error **err)
{
  _cleanup_strv_ char **urls = vzt_rpm_urls(mirrors, base, f->location);
  _cleanup_free_ char *label = vzt_strdupf("Index %s %s", base, what);
  _cleanup_free_ char *path = NULL;
  char sha256[VZT_DIGEST_HEX_MAX];
  if (vzt_rpm_fetch_checked(job, urls, f->type, f->hex, f->size, label, &path, sha256, err) < 0)
    return -1;
  if (!strcmp(what, "primary"))
    return vzt_rpm_index_load(job, repo, path, sha256, add_primary, urls[0], err);
  FILE *fp = vzt_rpm_open_decompressed(path, err);
  if (!fp)
    return vzt_error_prefix(err, "%s", urls[0]);
  int r = repo_add_comps(repo, fp, 0);
  fclose(fp);
  if (r != 0)
    return vzt_refuse(err, "cannot parse %s: %s", urls[0], pool_errstr(repo->pool));
  return 0;
}

static void clear_rpmmd_repo(struct vzt_family_repo *fr)
{
  struct vzt_rpm_repo *rr = (struct vzt_rpm_repo *) fr;
  free(rr->base);
  free(rr->filelists.location);
}

/* Where the suite's file lists are, for rpmmd_complete. */
static void keep_filelists(struct vzt_family_repo *fr, const char *base,
                           struct vzt_repomd_file *filelists)
{
  struct vzt_rpm_repo *rr = (struct vzt_rpm_repo *) fr;
  rr->base = vzt_strdup(base);
  rr->filelists = *filelists;
  filelists->location = NULL;
  fr->clear = clear_rpmmd_repo;
}

/* The file dependencies nothing loaded provides: primary.xml lists only the
 * files under /etc and the bin directories, the rest are in the file lists. */
static void unresolved_files(Pool *pool, Queue *files)
{
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  Queue reqs;
  queue_init(&reqs);
  Id p;
  Solvable *s;
  FOR_POOL_SOLVABLES(p) {
    s = pool->solvables + p;
    if (!pool_installable(pool, s))
      continue;
    solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &reqs, -1);
    for (int i = 0; i < reqs.count; i++) {
      Id dep = reqs.elements[i];
      if (!ISRELDEP(dep) && pool_id2str(pool, dep)[0] == '/' &&
          !pool->whatprovidesdata[pool_whatprovides(pool, dep)])
        queue_pushunique(files, dep);
    }
  }
  queue_free(&reqs);
}

static int extend_with_filelists(struct vzt_family_job *job, Repo *repo, struct vzt_error **err)
{
  struct vzt_rpm_repo *rr = repo->appdata;
  const struct vzt_repomd_file *f = &rr->filelists;
  if (!f->location)
    return 0;
  _cleanup_strv_ char **urls = vzt_rpm_urls(rr->common.mirrors, ".", f->location);
  _cleanup_free_ char *label = vzt_strdupf("Index %s filelists", rr->base);
  _cleanup_free_ char *path = NULL;
  char sha256[VZT_DIGEST_HEX_MAX];
  if (vzt_rpm_fetch_checked(job, urls, f->type, f->hex, f->size, label, &path, sha256, err) < 0)
    return -1;
  FILE *fp = vzt_rpm_open_decompressed(path, err);
  if (!fp)
    return vzt_error_prefix(err, "%s", urls[0]);
  int r = repo_add_rpmmd(repo, fp, NULL, REPO_EXTEND_SOLVABLES);
  fclose(fp);
  if (r != 0)
    return vzt_refuse(err, "cannot parse %s: %s", urls[0], pool_errstr(repo->pool));
  return 0;
}

/* dnf loads every repository's file lists; they are large, so they are
 * loaded here only when the package set does not resolve and some file
 * dependency is unresolved. */
static int rpmmd_complete(struct vzt_family_job *job, struct vzt_error **err)
{
  Pool *pool = job->pool;
  Queue files;
  queue_init(&files);
  unresolved_files(pool, &files);
  if (!files.count) {
    queue_free(&files);
    return 0;
  }
  vzt_info("Loading the file lists: %d file dependenc%s (%s%s) %s in no primary.xml", files.count,
           files.count == 1 ? "y" : "ies", pool_id2str(pool, files.elements[0]),
           files.count > 1 ? ", ..." : "", files.count == 1 ? "is" : "are");
  queue_free(&files);
  for (int i = 1; i < pool->nrepos; i++) {
    Repo *repo = pool->repos[i];
    if (repo && repo->appdata && extend_with_filelists(job, repo, err) < 0)
      return -1;
  }
  return 1;
}

static void add_base(struct vzt_family_job *job, const char *pkg)
{
  if (!vzt_strv_contains(job->base_names, pkg))
    vzt_strv_push(&job->base_names, pkg);
}

/* "@core": the comps group's mandatory and default packages, as dnf takes
 * them, gathered into the base set by name. A default package no loaded
 * repository has (comps lists some per architecture) is left out, as dnf
 * leaves it; a mandatory one is the resolver's to report. */
static int gather_group(struct vzt_family_job *job, Repo *repo, const char *group)
{
  Pool *pool = repo->pool;
  _cleanup_free_ char *name = vzt_strdupf("group:%s", group);
  Id id = pool_str2id(pool, name, 0);
  Solvable *s;
  Id p;
  FOR_REPO_SOLVABLES(repo, p, s) {
    if (s->name != id)
      continue;
    Queue q;
    queue_init(&q);
    solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &q, -1);
    for (int i = 0; i < q.count; i++)
      if (!ISRELDEP(q.elements[i]))
        add_base(job, pool_id2str(pool, q.elements[i]));
    queue_empty(&q);
    solvable_lookup_deparray(s, SOLVABLE_RECOMMENDS, &q, -1);
    Map present;
    map_init(&present, pool->ss.nstrings);
    Solvable *o;
    Id op;
    FOR_POOL_SOLVABLES(op) {
      o = pool->solvables + op;
      if (o->repo != repo && o->name < pool->ss.nstrings)
        MAPSET(&present, o->name);
    }
    for (int i = 0; i < q.count; i++) {
      Id dep = q.elements[i];
      if (ISRELDEP(dep))
        continue;
      if (dep < pool->ss.nstrings && MAPTST(&present, dep))
        add_base(job, pool_id2str(pool, dep));
      else
        vzt_debug("comps group %s: default package %s is in no loaded repository", group,
                  pool_id2str(pool, dep));
    }
    map_free(&present);
    queue_free(&q);
    return 1;
  }
  return 0;
}

static int load_one(struct vzt_family_job *job, const struct vzt_repo *repo, char **mirrors,
                    const char *base, const struct vzt_rpm_metalink *ml, const char *mlurl,
                    struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (fetch_repomd(job, repo, mirrors, base, ml, mlurl, &data, &len, err) < 0)
    return -1;
  _cleanup_free_ char *label = vzt_strdupf("%s %s", repo->name, base);
  _cleanup_strv_ char **urls = vzt_rpm_urls(mirrors, base, "repodata/repomd.xml");
  const char *kw = job->base_keyword;
  struct vzt_repomd md;
  if (vzt_repomd_parse(job->pool, data, len, kw && kw[0] == '@', urls[0], &md, err) < 0)
    return -1;
  if (md.timestamp > job->index_date)
    job->index_date = md.timestamp;
  int ret = 0;
  Repo *r = vzt_rpm_repo_create(job, repo, NULL, mirrors, base, label);
  keep_filelists(r->appdata, base, &md.filelists);
  if (load_file(job, r, mirrors, base, &md.primary, "primary", err) < 0)
    ret = -1;
  if (!ret && md.group.location) {
    /* The groups go into a scratch repository too: only their package
     * names are kept, in the base set. */
    Repo *g = repo_create(job->pool, "comps");
    if ((ret = load_file(job, g, mirrors, base, &md.group, "comps", err)) == 0 &&
        gather_group(job, g, kw + 1) > 0)
      vzt_strv_push_take(&job->verified, vzt_strdupf("%s group %s", base, kw + 1));
    repo_free(g, 1);
  }
  vzt_repomd_clear(&md);
  if (ret < 0)
    return -1;
  vzt_debug("loaded %s: %d packages", label, r->nsolvables);
  return 0;
}

static int rpmmd_load_repo(struct vzt_family_job *job, const struct vzt_repo *repo,
                           struct vzt_error **err)
{
  _cleanup_strv_ char **mirrors = NULL;
  struct vzt_rpm_metalink ml = {0};
  _cleanup_free_ char *mlurl = NULL;
  if (repo->metalink && !job->mirror_override) {
    /* The mirrors come from the metalink, and repomd.xml must have one of
     * the digests it lists. */
    mlurl = vzt_rpm_expand(repo->metalink, job->arch_name, job->recipe->release);
    char *one[] = {mlurl, NULL};
    _cleanup_free_ char *xml = NULL;
    size_t xlen = 0;
    if (vzt_rpm_fetch_small(job, one, &xml, &xlen, err) < 0)
      return vzt_error_prefix(err, "[repository %s] metalink", repo->name);
    if (vzt_rpm_metalink_parse(xml, xlen, mlurl, &ml, err) < 0)
      return vzt_error_prefix(err, "[repository %s]", repo->name);
    mirrors = vzt_strv_dup(ml.mirrors);
  } else if (vzt_rpm_mirrors(job, repo, &mirrors, err) < 0)
    return -1;
  const char *kw = job->base_keyword;
  /* A base set that is neither a comps group nor "none" is a package name. */
  if (kw && kw[0] != '@' && strcmp(kw, "none") && !vzt_strv_contains(job->base_names, kw))
    vzt_strv_push(&job->base_names, kw);
  for (char **suite = repo->suites; *suite; suite++) {
    _cleanup_free_ char *base = vzt_rpm_expand(*suite, job->arch_name, job->recipe->release);
    int r = load_one(job, repo, mirrors, base, mlurl ? &ml : NULL, mlurl, err);
    if (r < 0) {
      vzt_rpm_metalink_clear(&ml);
      return -1;
    }
  }
  vzt_rpm_metalink_clear(&ml);
  if (kw && kw[0] == '@' && !(job->base_names && job->base_names[0]))
    return vzt_fail(err, "%s: base = %s, but no comps group \"%s\" is published in [repository %s]",
                    job->recipe->path, kw, kw + 1, repo->name);
  return 0;
}

const struct vzt_family_ops vzt_family_rpmmd = {
    .name = "rpm-md",
    .disttype = DISTTYPE_RPM,
    .noarch = "noarch",
    .arch_name = rpmmd_arch_name,
    .load_repo = rpmmd_load_repo,
    .complete = rpmmd_complete,
    .install = vzt_rpm_install,
    .check_packages = vzt_rpm_check_packages,
    .read_installed = vzt_rpm_read_installed,
};
