/* The urpmi family (Mageia, Mandriva): media_info/synthesis.hdlist.cz checked
 * against media_info/MD5SUM and loaded with libsolv's mdk loader. MD5SUM is
 * unsigned and only detects corruption; trust comes from package signatures.
 * Installation is not part of this family yet. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "fetch/fetch.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repo_mdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *urpmi_arch_name(const struct vzt_arch *a) { return a->urpmi; }

/* "keyring = @media": the media's media_info/pubkey, kept in the cache under
 * its sha256 for check_packages. Only pinned: a key from the mirror itself
 * proves nothing unless its fingerprint was known beforehand. */
static int media_pubkey(struct vzt_family_job *job, const struct vzt_repo *repo, char **mirrors,
                        const char *base, char **path, struct vzt_error **err)
{
  *path = NULL;
  if (job->keyring_override || !repo->keyring || strcmp(repo->keyring, "@media"))
    return 0;
  if (!repo->keys || !repo->keys[0])
    return vzt_usage_error(err, "[repository %s] keyring = @media needs the key's fingerprint "
                                "pinned in keys", repo->name);
  _cleanup_strv_ char **urls = vzt_rpm_urls(mirrors, base, "media_info/pubkey");
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (vzt_rpm_fetch_small(job, urls, &data, &len, err) < 0)
    return vzt_error_prefix(err, "[repository %s] keyring = @media", repo->name);
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(d, hex);
  _cleanup_free_ char *blob = vzt_cache_blob_path(job->cache, hex);
  _cleanup_free_ char *dir = vzt_strdup(blob);
  if (vzt_mkdir_p(dirname(dir), 0755, err) < 0)
    return -1;
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", dir);
  if (vzt_write_file_atomic(dfd, hex, data, len, 0644, err) < 0)
    return -1;
  *path = steal_pointer(&blob);
  return 0;
}

static int add_synthesis(Repo *repo, FILE *fp) { return repo_add_mdk(repo, fp, 0); }

static int load_media(struct vzt_family_job *job, const struct vzt_repo *repo, char **mirrors,
                      const char *base, struct vzt_error **err)
{
  _cleanup_strv_ char **sumurls = vzt_rpm_urls(mirrors, base, "media_info/MD5SUM");
  _cleanup_strv_ char **urls = vzt_rpm_urls(mirrors, base, "media_info/synthesis.hdlist.cz");
  _cleanup_free_ char *sums = NULL;
  size_t len = 0;
  if (vzt_rpm_fetch_small(job, sumurls, &sums, &len, err) < 0)
    return vzt_error_prefix(err, "[repository %s] media %s", repo->name, base);
  char md5[VZT_DIGEST_HEX_MAX];
  bool found = false;
  if (vzt_urpmi_md5sum_find(sums, len, "synthesis.hdlist.cz", md5, &found, err) < 0)
    return vzt_error_prefix(err, "%s", sumurls[0]);
  if (!found)
    return vzt_refuse(err, "%s does not list synthesis.hdlist.cz", sumurls[0]);
  _cleanup_free_ char *label = vzt_strdupf("Media %s", base);
  _cleanup_free_ char *path = NULL;
  char sha256[VZT_DIGEST_HEX_MAX];
  if (vzt_rpm_fetch_checked(job, urls, VZT_DIGEST_MD5, md5, 0, label, &path, sha256, err) < 0)
    return vzt_error_prefix(err, "synthesis.hdlist.cz against %s", sumurls[0]);
  _cleanup_free_ char *pubkey = NULL;
  if (media_pubkey(job, repo, mirrors, base, &pubkey, err) < 0)
    return -1;
  _cleanup_free_ char *rlabel = vzt_strdupf("%s %s", repo->name, base);
  Repo *r = vzt_rpm_repo_create(job, repo, pubkey, mirrors, base, rlabel);
  if (vzt_rpm_index_load(job, r, path, sha256, add_synthesis, urls[0], err) < 0)
    return -1;
  vzt_strv_push_take(&job->verified, vzt_strdupf("%s md5 %s", base, md5));
  vzt_debug("loaded %s: %d packages", rlabel, r->nsolvables);
  return 0;
}

static int urpmi_load_repo(struct vzt_family_job *job, const struct vzt_repo *repo,
                           struct vzt_error **err)
{
  _cleanup_strv_ char **mirrors = NULL;
  if (vzt_rpm_mirrors(job, repo, &mirrors, err) < 0)
    return -1;
  const char *kw = job->base_keyword;
  if (kw && kw[0] == '@')
    return vzt_usage_error(err, "%s: base = %s: urpmi media have no comps groups; name a "
                                "package (basesystem-minimal) or none", job->recipe->path, kw);
  if (kw && strcmp(kw, "none") && !vzt_strv_contains(job->base_names, kw))
    vzt_strv_push(&job->base_names, kw);
  for (char **media = repo->suites; *media; media++) {
    _cleanup_free_ char *base = vzt_rpm_expand(*media, job->arch_name, job->recipe->release);
    if (load_media(job, repo, mirrors, base, err) < 0)
      return -1;
  }
  return 0;
}

const struct vzt_family_ops vzt_family_urpmi = {
    .name = "urpmi",
    .disttype = DISTTYPE_RPM,
    .noarch = "noarch",
    .arch_name = urpmi_arch_name,
    .load_repo = urpmi_load_repo,
    .install = vzt_rpm_install,
    .check_packages = vzt_rpm_check_packages,
    .read_installed = vzt_rpm_read_installed,
};
