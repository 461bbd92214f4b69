/* Family registry and the parts every family shares. */
#include "config.h"
#include "tmpl/family.h"
#include "fetch/mirror.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>

static const struct vzt_family_ops *const families[] = {&vzt_family_deb, &vzt_family_rpmmd,
                                                          &vzt_family_urpmi};

const struct vzt_family_ops *vzt_family_lookup(const char *name)
{
  for (size_t i = 0; i < VZT_ARRAY_SIZE(families); i++)
    if (!strcmp(families[i]->name, name))
      return families[i];
  return NULL;
}

void vzt_family_job_clear(struct vzt_family_job *job)
{
  if (job->pool) {
    for (int i = 1; i < job->pool->nrepos; i++) {
      Repo *repo = job->pool->repos[i];
      struct vzt_family_repo *fr = repo ? repo->appdata : NULL;
      if (fr) {
        if (fr->clear)
          fr->clear(fr);
        vzt_strv_free(fr->mirrors);
        free(fr->label);
        free(fr);
        repo->appdata = NULL;
      }
    }
    pool_free(job->pool);
    job->pool = NULL;
  }
  vzt_strv_free(job->base_names);
  job->base_names = NULL;
  vzt_strv_free(job->essential_names);
  job->essential_names = NULL;
  vzt_strv_free(job->verified);
  job->verified = NULL;
  vzt_strv_free(job->customized);
  job->customized = NULL;
  free(job->configure_tools);
  job->configure_tools = NULL;
}

int vzt_family_mirrors(const struct vzt_family_job *job, const struct vzt_repo *repo, char ***out,
                       struct vzt_error **err)
{
  bool system = vzt_strv_contains(repo->mirrors, "system");
  if (!system) {
    *out = vzt_strv_dup(repo->mirrors);
    return 0;
  }
  bool security = true;
  for (char **s = repo->suites; *s; s++)
    if (!vzt_endswith(*s, "-security"))
      security = false;
  /* --mirror replaces the main archive; the security archive is a separate
   * one and still comes from the host unless the recipe names it. */
  if (job->mirror_override && !security) {
    *out = vzt_strv_dup(job->mirror_override);
    return 0;
  }
  if (vzt_mirror_discover(job->apt_dir, security ? VZT_MIRROR_SECURITY : VZT_MIRROR_MAIN, out,
                          err) < 0)
    return vzt_error_prefix(err, "[repository %s] mirror = system", repo->name);
  return 0;
}

void vzt_installed_push(struct vzt_installed *l, const char *name, const char *version,
                        const char *architecture, const char *status,
                        enum vzt_installed_state state)
{
  if ((l->n & (l->n - 1)) == 0) {
    l->packages = vzt_realloc(l->packages, (l->n ? 2 * l->n : 1) * sizeof(*l->packages));
    if (!l->packages)
      vzt_out_of_memory();
  }
  l->packages[l->n++] = (struct vzt_installed_package){
      .name = name ? vzt_strdup(name) : NULL,
      .version = version ? vzt_strdup(version) : NULL,
      .architecture = architecture ? vzt_strdup(architecture) : NULL,
      .status = status ? vzt_strdup(status) : NULL,
      .state = state,
  };
}

void vzt_installed_clear(struct vzt_installed *l)
{
  for (size_t i = 0; i < l->n; i++) {
    free(l->packages[i].name);
    free(l->packages[i].version);
    free(l->packages[i].architecture);
    free(l->packages[i].status);
    free(l->packages[i].supplier);
    free(l->packages[i].license);
    vzt_strv_free(l->packages[i].depends);
    vzt_strv_free(l->packages[i].provides);
  }
  free(l->packages);
  l->packages = NULL;
  l->n = 0;
}

const struct vzt_family_ops *vzt_family_of_manifest(const struct vzt_manifest *m)
{
  return m->family ? vzt_family_lookup(m->family) : NULL;
}

int vzt_family_read_installed(const struct vzt_manifest *m, const char *archive,
                              const struct vzt_family_ops **ops, struct vzt_installed *out,
                              struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  if (m->family) {
    *ops = vzt_family_of_manifest(m);
    if (!*ops)
      return vzt_refuse(err, "%s: the manifest names family %s, which this vztmpl does not know",
                        archive, m->family);
    return (*ops)->read_installed(archive, out, err);
  }
  /* Families sharing a reader (rpm-md and urpmi) are tried once. */
  const struct vzt_family_ops *tried[VZT_ARRAY_SIZE(families)] = {0};
  size_t ntried = 0;
  for (size_t i = 0; i < VZT_ARRAY_SIZE(families); i++) {
    bool again = false;
    for (size_t j = 0; j < ntried; j++)
      again |= tried[j]->read_installed == families[i]->read_installed;
    if (again)
      continue;
    tried[ntried++] = families[i];
    struct vzt_error *e = NULL;
    if (families[i]->read_installed(archive, out, &e) == 0) {
      *ops = families[i];
      return 0;
    }
    vzt_error_free(&e);
  }
  return vzt_refuse(err, "%s holds no package database vztmpl can read (neither dpkg's status "
                         "nor an rpmdb), and its manifest names no family",
                    archive);
}
