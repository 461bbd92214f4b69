/* Running the target's own programs in the build sandbox, under limits. */
#include "config.h"
#include "tmpl/target-run.h"
#include "kernel-support/sandbox.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int vzt_target_limits(const struct vzt_recipe *r, struct vzt_bc_limits *l, struct vzt_error **err)
{
  vzt_bc_limits_init(l);
  l->value[VZT_BC_NUMPROC] = VZT_TARGET_NUMPROC;
  l->value[VZT_BC_PHYSPAGES] = VZT_TARGET_PHYSPAGES;
  l->value[VZT_BC_NUMFILE] = VZT_TARGET_NUMFILE;
  /* In file order, a base recipe's lines first: the last word wins. */
  for (size_t i = 0; r && i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (strcmp(e->section, "@limits"))
      continue;
    _cleanup_free_ char *spec = vzt_strdupf("%s=%s", e->key, e->value);
    if (vzt_bc_limits_parse(l, spec, err) < 0)
      return vzt_error_prefix(err, "%s: [limits]", r->path);
  }
  return 0;
}

void vzt_target_open(struct vzt_target *t, const char *root, time_t epoch, const struct vzt_bc_limits *l)
{
  *t = (struct vzt_target){.root = root, .epoch = epoch, .limits = *l};
  /* A limit only lowers: above our own hard limit the build keeps ours
   * (raising it takes cap_sys_resource, which containers and rootless runs lack). */
  struct rlimit have;
  uint64_t *numfile = &t->limits.value[VZT_BC_NUMFILE];
  if (getrlimit(RLIMIT_NOFILE, &have) == 0 && have.rlim_max != RLIM_INFINITY &&
      *numfile != VZT_BC_UNLIMITED && *numfile > have.rlim_max) {
    vzt_debug("numfile %llu is above our hard limit: %llu", (unsigned long long) *numfile,
              (unsigned long long) have.rlim_max);
    *numfile = have.rlim_max;
  }
  char name[64];
  snprintf(name, sizeof(name), "vztmpl-build-%d", (int) getpid());
  struct vzt_error *e = NULL;
  if (vzt_bc_group_create(l, name, NULL, NULL, &t->group, &e) < 0) {
    t->no_group = vzt_error_text(e);
    vzt_error_free(&e);
    vzt_info("The configure stage runs without cgroup limits (numfile still applies): %s", t->no_group);
    return;
  }
  _cleanup_free_ char *where = vzt_bc_group_describe(t->group);
  vzt_debug("the configure stage's cgroup:\n%s", where);
}

void vzt_target_close(struct vzt_target *t, struct vzt_bc_row rows[VZT_BC_NRES])
{
  if (rows)
    vzt_bc_group_read(t->group, &t->limits, rows);
  vzt_bc_group_destroy(t->group);
  t->group = NULL;
  free(t->no_group);
  t->no_group = NULL;
}

char **vzt_target_env(time_t epoch)
{
  char **env = vzt_calloc(1, sizeof(char *));
  vzt_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  vzt_strv_push(&env, "LC_ALL=C.UTF-8");
  vzt_strv_push(&env, "HOME=/root");
  vzt_strv_push(&env, "DEBIAN_FRONTEND=noninteractive");
  vzt_strv_push(&env, "DEBCONF_NONINTERACTIVE_SEEN=true");
  vzt_strv_push_take(&env, vzt_strdupf("SOURCE_DATE_EPOCH=%lld", (long long) epoch));
  return env;
}

static int attach_to_group(pid_t pid, void *arg, struct vzt_error **err)
{
  return vzt_bc_group_attach(arg, pid, err);
}

/* "; the build's numproc limit (4096) was reached ..." for every resource
 * whose failcnt says so, or "". */
static char *limits_hit(const struct vzt_target *t)
{
  if (!t->group)
    return vzt_strdup("");
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(t->group, &t->limits, rows);
  _cleanup_strv_ char **hit = vzt_calloc(1, sizeof(char *));
  for (int i = 0; i < VZT_BC_NRES; i++)
    if (rows[i].failcnt != VZT_BC_UNLIMITED && rows[i].failcnt > 0 && rows[i].limit != VZT_BC_UNLIMITED &&
        i != VZT_BC_CPULIMIT)
      vzt_strv_push_take(&hit, vzt_strdupf("%s %llu", vzt_bc_name(rows[i].res),
                                           (unsigned long long) rows[i].limit));
  if (!hit[0])
    return vzt_strdup("");
  _cleanup_free_ char *list = vzt_strv_join(hit, ", ");
  return vzt_strdupf(" after reaching the build's limit (%s; raise it in the recipe's [limits])", list);
}

static int run_in(const struct vzt_target *t, const char *root_at, const char *tools, char *const *argv,
                  char *const *env, bool network, const char *what, struct vzt_error **err)
{
  struct vzt_sandbox_rlimit rl[VZT_BC_NRES];
  struct vzt_sandbox_opts o = {.root = t->root, .root_at = root_at, .tools = tools, .argv = argv, .envp = env,
                               .hostname = "localhost",
                               .network = network, .stdout_fd = -1, .stderr_fd = -1,
                               .attach = t->group ? attach_to_group : NULL, .attach_arg = t->group,
                               .rlimits = rl, .nrlimits = vzt_bc_rlimits(&t->limits, rl)};
  _cleanup_free_ char *log = vzt_strdupf("%s/../configure.log", t->root);
  _cleanup_close_ int logfd = -1;
  if (vzt_log_verbosity() < VZT_LOG_DEBUG) {
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0)
      return vzt_fail_errno(err, errno, "cannot create %s", log);
    o.stdout_fd = o.stderr_fd = logfd;
  }
  int status = 0;
  if (vzt_sandbox_run(&o, &status, err) < 0)
    return vzt_error_prefix(err, "%s", what);
  if (status == 0)
    return 0;
  /* Quote the end of the log: the failing program's own words. */
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  struct vzt_error *e = NULL;
  const char *tail = "";
  if (logfd >= 0 && vzt_read_file(log, &text, &len, &e) == 0) {
    size_t lines = 0, i = len;
    while (i > 0 && lines < 12)
      if (text[--i] == '\n')
        lines++;
    tail = text + i;
  }
  vzt_error_free(&e);
  _cleanup_free_ char *hit = limits_hit(t);
  return vzt_fail(err, "%s failed with exit status %d%s%s%s", what, status, hit,
                  *tail ? "; its last output:\n" : " (run with -v to see its output)", tail);
}

int vzt_target_run(const struct vzt_target *t, char *const *argv, char *const *env, bool network,
                   const char *what, struct vzt_error **err)
{
  return run_in(t, NULL, NULL, argv, env, network, what, err);
}

int vzt_target_run_host(const struct vzt_target *t, const char *tools, char *const *argv,
                        char *const *env, const char *what, struct vzt_error **err)
{
  return run_in(t, VZT_TARGET_ROOT_AT, tools, argv, env, false, what, err);
}
