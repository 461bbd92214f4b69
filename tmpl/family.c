/* Family registry and the parts every family shares. */
#include "config.h"
#include "tmpl/family.h"
#include "fetch/mirror.h"
#include "lib/strutil.h"

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
