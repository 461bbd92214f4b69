/* vztmpl download: a signed SHA256SUMS, then index, archive and manifest by its hashes, then the cache. */
#include "config.h"
#include "tmpl/publish/download.h"
#include "tmpl/manifest.h"
#include "tmpl/publish/sums.h"
#include "fetch/fetch.h"
#include "tmpl/publish/index.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DOWNLOADS_DIR "tmp/downloads"

static void json_putp(json_object **o)
{
  if (*o)
    json_object_put(*o);
}

static void sums_clearp(struct vzt_sums *s) { vzt_sums_clear(s); }

/* One file of the published directory into memory; *missing when it is not there. */
static int get_small(const char *base, const char *rel, char **data, size_t *len, bool *missing,
                     struct vzt_error **err)
{
  _cleanup_free_ char *url = vzt_strdupf("%s/%s", base, rel);
  char *urls[] = {url, NULL};
  if (missing)
    *missing = false;
  if (vzt_fetch_to_memory(urls, data, len, err) < 0) {
    if (missing && (*err)->errnum == ENOENT) {
      *missing = true;
      vzt_error_free(err);
    }
    return -1;
  }
  return 0;
}

/* Paths come from the index: they must stay inside the published directory. */
static bool safe_rel(const char *p)
{
  if (!p || !*p || p[0] == '/' || strstr(p, "://"))
    return false;
  for (const char *s = p; s;) {
    if (!strncmp(s, "..", 2) && (s[2] == '/' || s[2] == 0))
      return false;
    s = strchr(s, '/');
    if (s)
      s++;
  }
  return true;
}

static const char *base_name(const char *p)
{
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

/* The archive first and the manifest that vouches for it last, as a build
 * does, with the signed list that verify checks again beside them. */
int vzt_download_install(struct vzt_cache *cache, const char *name, const char *adest, const char *mdest,
                         const char *sdest, const char *sums, size_t sums_len, const char *sig, size_t sig_len,
                         char **manifest, struct vzt_error **err)
{
  _cleanup_free_ char *want_sbom = vzt_strdupf("%s.spdx.json", name);
  _cleanup_free_ char *want_archive = vzt_strdupf("%s.tar.zst", name);
  _cleanup_free_ char *want_manifest = vzt_strdupf("%s.json", name);
  _cleanup_free_ char *tdir = NULL;
  _cleanup_close_ int tfd = -1;
  if (vzt_cache_templates_open(cache, &tdir, &tfd, err) < 0)
    return -1;
  _cleanup_free_ char *sums_name = vzt_cache_sums_name(name, false);
  _cleanup_free_ char *sig_name = vzt_cache_sums_name(name, true);
  if (renameat(AT_FDCWD, adest, tfd, want_archive) < 0)
    return vzt_fail_errno(err, errno, "cannot move %s into %s", adest, tdir);
  if (!sums) {
    /* Unsigned: a list kept from an earlier download would vouch for other bytes. */
    unlinkat(tfd, sums_name, 0);
    unlinkat(tfd, sig_name, 0);
  } else if (vzt_write_file_atomic(tfd, sums_name, sums, sums_len, 0644, err) < 0 ||
             vzt_write_file_atomic(tfd, sig_name, sig, sig_len, 0644, err) < 0)
    return -1;
  /* An SBOM of an earlier build must not stay beside this one. */
  if (sdest ? renameat(AT_FDCWD, sdest, tfd, want_sbom) < 0
            : unlinkat(tfd, want_sbom, 0) < 0 && errno != ENOENT)
    return vzt_fail_errno(err, errno, "cannot put the SBOM %s into %s", want_sbom, tdir);
  if (renameat(AT_FDCWD, mdest, tfd, want_manifest) < 0)
    return vzt_fail_errno(err, errno, "cannot move %s into %s", mdest, tdir);
  *manifest = vzt_path_join(tdir, want_manifest);
  return 0;
}

void vzt_download_discard(const char *adest, const char *mdest, const char *sdest)
{
  const char *staged[] = {mdest, adest, sdest};
  for (size_t i = 0; i < sizeof(staged) / sizeof(staged[0]); i++)
    if (staged[i] && unlink(staged[i]) < 0 && errno != ENOENT)
      vzt_debug("cannot remove %s: %s", staged[i], strerror(errno));
}

int vzt_download_index_find(const char *index, const char *base, const char *name, const char *build,
                            struct vzt_index_build *out, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  __attribute__((cleanup(json_putp))) json_object *idx = json_tokener_parse(index);
  json_object *templates = NULL;
  if (!idx || !json_object_object_get_ex(idx, "templates", &templates) ||
      !json_object_is_type(templates, json_type_array))
    return vzt_refuse(err, "%s/index.json is not a vztmpl publish index", base);
  json_object *t = vzt_index_find(templates, "name", name);
  if (!t) {
    _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
    for (size_t i = 0; i < json_object_array_length(templates); i++)
      if (vzt_index_str(json_object_array_get_idx(templates, i), "name"))
        vzt_strv_push(&names, vzt_index_str(json_object_array_get_idx(templates, i), "name"));
    _cleanup_free_ char *all = vzt_strv_join(names, ", ");
    return vzt_usage_error(err, "%s publishes no template %s (it has: %s)", base, name, *all ? all : "none");
  }
  if (!build)
    build = vzt_index_str(t, "last_good");
  json_object *builds = NULL;
  json_object_object_get_ex(t, "builds", &builds);
  json_object *b = build ? vzt_index_find(builds, "build", build) : NULL;
  if (!b)
    return vzt_usage_error(err, "%s has no build %s of %s", base, build ? build : "(last-good)", name);
  const char *archive = vzt_index_str(b, "archive"), *manifest = vzt_index_str(b, "manifest");
  _cleanup_free_ char *want_archive = vzt_strdupf("%s.tar.zst", name);
  _cleanup_free_ char *want_manifest = vzt_strdupf("%s.json", name);
  if (!safe_rel(archive) || !safe_rel(manifest) || strcmp(base_name(archive), want_archive) ||
      strcmp(base_name(manifest), want_manifest))
    return vzt_refuse(err, "%s/index.json: build %s of %s names unexpected files", base, build, name);
  json_object *sz = NULL;
  int64_t size = json_object_object_get_ex(b, "size", &sz) ? json_object_get_int64(sz) : 0;
  out->build = vzt_strdup(build);
  out->archive = vzt_strdup(archive);
  out->manifest = vzt_strdup(manifest);
  const char *sbom = vzt_index_str(b, "sbom");
  _cleanup_free_ char *want_sbom = vzt_strdupf("%s.spdx.json", name);
  if (sbom && (!safe_rel(sbom) || strcmp(base_name(sbom), want_sbom)))
    return vzt_refuse(err, "%s/index.json: build %s of %s names an unexpected SBOM", base, build, name);
  out->sbom = sbom ? vzt_strdup(sbom) : NULL;
  out->size = size > 0 ? (uint64_t) size : 0;
  return 0;
}

void vzt_index_build_clear(struct vzt_index_build *b)
{
  free(b->build);
  free(b->archive);
  free(b->manifest);
  free(b->sbom);
  memset(b, 0, sizeof(*b));
}

int vzt_download(struct vzt_cache *cache, const struct vzt_download_opts *o, struct vzt_download_result *r,
                 struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (!o->keyring)
    return vzt_usage_error(err, "download needs --keyring FILE: the keys the publisher signs SHA256SUMS "
                                "with (nothing is trusted without a signature)");
  if (access(o->keyring, R_OK) < 0)
    return vzt_fail_errno(err, errno, "cannot read the keyring %s", o->keyring);
  _cleanup_free_ char *base = vzt_strdup(o->url);
  while (*base && base[strlen(base) - 1] == '/')
    base[strlen(base) - 1] = 0;

  _cleanup_free_ char *sums = NULL, *sig = NULL, *index = NULL;
  size_t sums_len = 0, sig_len = 0, index_len = 0;
  bool missing;
  if (get_small(base, "SHA256SUMS", &sums, &sums_len, &missing, err) < 0)
    return missing ? vzt_fail(err, "%s/SHA256SUMS not found: is %s a vztmpl publish directory?", base, base)
                   : -1;
  if (get_small(base, "SHA256SUMS.gpg", &sig, &sig_len, &missing, err) < 0)
    return missing ? vzt_refuse(err, "%s/SHA256SUMS is not signed (no SHA256SUMS.gpg): refusing it", base) : -1;
  _cleanup_free_ char *what = vzt_strdupf("%s/SHA256SUMS", base);
  __attribute__((cleanup(sums_clearp))) struct vzt_sums list = {0};
  if (vzt_sums_verify(o->keyring, sums, sums_len, sig, sig_len, what, &list, &r->fingerprint, err) < 0)
    return -1;
  vzt_info("%s: good signature by %s", what, r->fingerprint);

  if (get_small(base, "index.json", &index, &index_len, &missing, err) < 0)
    return missing ? vzt_fail(err, "%s/index.json not found", base) : -1;
  const struct vzt_sums_entry *ie = vzt_sums_find(&list, "index.json");
  if (!ie)
    return vzt_refuse(err, "%s does not list index.json", what);
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, index, index_len);
  vzt_digest_finish(d, hex);
  if (strcasecmp(hex, ie->sha256))
    return vzt_refuse(err, "%s/index.json has sha256 %s, the signed SHA256SUMS says %s (changed after signing)",
                      base, hex, ie->sha256);

  __attribute__((cleanup(vzt_index_build_clear))) struct vzt_index_build ib = {0};
  if (vzt_download_index_find(index, base, o->name, o->build, &ib, err) < 0)
    return -1;
  const char *archive = ib.archive, *manifest = ib.manifest;
  _cleanup_free_ char *want_archive = vzt_strdupf("%s.tar.zst", o->name);
  const struct vzt_sums_entry *ae = vzt_sums_find(&list, archive);
  const struct vzt_sums_entry *me = vzt_sums_find(&list, manifest);
  const struct vzt_sums_entry *se = ib.sbom ? vzt_sums_find(&list, ib.sbom) : NULL;
  if (!ae || !me || (ib.sbom && !se))
    return vzt_refuse(err, "%s does not list %s", what, !ae ? archive : !me ? manifest : ib.sbom);
  r->build = steal_pointer(&ib.build);

  /* Named by the hash they must have: a .part left by an interrupted run
   * can only belong to these bytes, so resuming it is safe. */
  _cleanup_free_ char *ddir = vzt_cache_path(cache, DOWNLOADS_DIR);
  if (vzt_mkdir_p(ddir, 0755, err) < 0)
    return -1;
  _cleanup_free_ char *adest = vzt_strdupf("%s/%s.tar.zst", ddir, ae->sha256);
  _cleanup_free_ char *mdest = vzt_strdupf("%s/%s.json", ddir, me->sha256);
  _cleanup_free_ char *aurl = vzt_strdupf("%s/%s", base, archive);
  _cleanup_free_ char *murl = vzt_strdupf("%s/%s", base, manifest);
  _cleanup_free_ char *sdest = se ? vzt_strdupf("%s/%s.spdx.json", ddir, se->sha256) : NULL;
  _cleanup_free_ char *surl = se ? vzt_strdupf("%s/%s", base, ib.sbom) : NULL;
  char *aurls[] = {aurl, NULL}, *murls[] = {murl, NULL}, *surls[] = {surl, NULL};
  struct vzt_fetch_item items[3] = {
      {.urls = aurls, .dest = adest, .digest_type = VZT_DIGEST_SHA256, .digest = ae->sha256,
       .size = ib.size},
      /* The manifest's size is not signed: an endless one must not fill the cache. */
      {.urls = murls, .dest = mdest, .digest_type = VZT_DIGEST_SHA256, .digest = me->sha256,
       .max_size = VZT_LIMIT_MANIFEST},
      {.urls = surls, .dest = sdest, .digest_type = VZT_DIGEST_SHA256,
       .digest = se ? se->sha256 : NULL, .max_size = VZT_LIMIT_MANIFEST},
  };
  struct vzt_fetch_opts fo = {.parallel = 2, .label = "Downloading the template"};
  if (vzt_fetch_all(items, se ? 3 : 2, &fo, err) < 0)
    return vzt_error_prefix(err, "%s", o->name);
  r->size = items[0].bytes;

  struct vzt_manifest m;
  if (vzt_manifest_load(mdest, &m, err) < 0) {
    unlink(mdest);
    return -1;
  }
  int ret = -1;
  if (strcmp(m.name, o->name) || !m.archive_file || strcmp(m.archive_file, want_archive) ||
      !m.archive_sha256 || strcasecmp(m.archive_sha256, ae->sha256)) {
    vzt_refuse(err, "%s: the manifest does not vouch for the archive (name %s, archive %s, sha256 %s; "
                    "the signed list says %s)",
               murl, m.name, m.archive_file ? m.archive_file : "none", m.archive_sha256 ? m.archive_sha256 : "none",
               ae->sha256);
    goto out;
  }

  /* Everything checked: into templates/. */
  ret = vzt_download_install(cache, o->name, adest, mdest, sdest, sums, sums_len, sig, sig_len, &r->manifest,
                             err);
out:
  if (ret < 0)
    vzt_download_discard(adest, mdest, sdest);
  vzt_manifest_clear(&m);
  return ret;
}

void vzt_download_result_clear(struct vzt_download_result *r)
{
  free(r->manifest);
  free(r->build);
  free(r->fingerprint);
  memset(r, 0, sizeof(*r));
}
