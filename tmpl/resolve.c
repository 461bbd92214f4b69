/* Dependency resolution with libsolv: from names to an ordered transaction,
 * with the rules of each family's own tool (apt, dnf). */
#include "config.h"
#include "tmpl/resolve.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <solv/bitmap.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/selection.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <stdlib.h>
#include <string.h>

static bool name_exists(Pool *pool, Id name)
{
  Id p, pp;
  FOR_PROVIDES(p, pp, name)
    if (pool->solvables[p].name == name)
      return true;
  return false;
}

/* msg += "\n  " line, for error texts built up line by line. */
static void append_line(char **msg, const char *line)
{
  char *next = vzt_strdupf("%s\n  %s", *msg ? *msg : "", line);
  free(*msg);
  *msg = next;
}

/* apt, and so debootstrap, satisfy a dependency on a name with the package of
 * that name when one exists, not with another package that merely Provides it
 * (libelogind0 provides libsystemd0). libsolv would weigh both; disfavouring
 * the mere providers gives apt's choice. It is done by name so that every
 * version of a disfavoured package ranks alike and the highest still wins.
 * dnf has no such rule: it takes the best provider, whatever its name. */
static void disfavor_mere_providers(Pool *pool, Queue *job)
{
  Map done;
  map_init(&done, pool->ss.nstrings);
  for (Id name = 1; name < pool->ss.nstrings; name++) {
    if (!pool->whatprovides[name] || !name_exists(pool, name))
      continue;
    Id p, pp;
    FOR_PROVIDES(p, pp, name) {
      Id other = pool->solvables[p].name;
      if (other != name && !MAPTST(&done, other)) {
        MAPSET(&done, other);
        queue_push2(job, SOLVER_DISFAVOR | SOLVER_SOLVABLE_NAME, other);
      }
    }
  }
  map_free(&done);
}

/* dnf installs a name together with what obsoletes it ("old-tool" brings
 * its renamed successor): the packages of that name and every package
 * whose Obsoletes match one of them, for the solver to choose from. */
static void add_obsoleters(Pool *pool, Id name, Queue *candidates)
{
  Id p, pp;
  FOR_PROVIDES(p, pp, name)
    if (pool->solvables[p].name == name)
      queue_pushunique(candidates, p);
  int named = candidates->count;
  Solvable *s;
  FOR_POOL_SOLVABLES(p) {
    s = pool->solvables + p;
    if (!s->repo || !s->obsoletes || s->name == name || !pool_installable(pool, s))
      continue;
    for (Id *obs = s->repo->idarraydata + s->obsoletes; *obs; obs++)
      for (int i = 0; i < named; i++)
        if (pool_match_nevr(pool, pool->solvables + candidates->elements[i], *obs)) {
          queue_pushunique(candidates, p);
          break;
        }
  }
}

/* "only for aarch64, i686": the architectures a name exists for that the
 * target cannot install; NULL when there are none. */
static char *other_arches(Pool *pool, Id name)
{
  _cleanup_strv_ char **arches = vzt_calloc(1, sizeof(char *));
  Id p;
  Solvable *s;
  FOR_POOL_SOLVABLES(p) {
    s = pool->solvables + p;
    if (s->name == name && !pool_installable(pool, s) &&
        !vzt_strv_contains(arches, pool_id2str(pool, s->arch)))
      vzt_strv_push(&arches, pool_id2str(pool, s->arch));
  }
  return arches[0] ? vzt_strv_join(arches, ", ") : NULL;
}

/* The packages libsolv's selection finds for word with flags, as one
 * job each; 0 when there are none. */
static int selection_job(Pool *pool, const char *word, int flags, Id how, Queue *job)
{
  Queue sel;
  queue_init(&sel);
  selection_make(pool, &sel, word, flags);
  int found = sel.count > 0;
  for (int i = 0; i < sel.count; i += 2)
    queue_push2(job, how | sel.elements[i], sel.elements[i + 1]);
  queue_free(&sel);
  return found;
}

/* One root: by name; for rpm pools, as dnf takes a word, also by its
 * name.arch or NEVRA spelling, by what it provides or, for a path, the
 * package holding that file. 0 when nothing matches. */
static int root_job(Pool *pool, const char *word, Id how, Queue *job)
{
  Id id = pool_str2id(pool, word, 0);
  bool rpm = pool->disttype == DISTTYPE_RPM;
  if (id && name_exists(pool, id)) {
    Queue candidates;
    queue_init(&candidates);
    if (rpm && !(how & SOLVER_LOCK))
      add_obsoleters(pool, id, &candidates);
    Id p, pp;
    int named = 0;
    FOR_PROVIDES(p, pp, id)
      named += pool->solvables[p].name == id;
    if (candidates.count > named)
      queue_push2(job, how | SOLVER_SOLVABLE_ONE_OF, pool_queuetowhatprovides(pool, &candidates));
    else
      queue_push2(job, how | SOLVER_SOLVABLE_NAME, id);
    queue_free(&candidates);
    return 1;
  }
  if (!rpm || (how & SOLVER_LOCK))
    return 0;
  /* dnf's other spellings of a package, tried after the bare name as in
   * dnf's order of forms: name.arch, then name-version[-release] with an
   * optional epoch ("name-1:2.0-1") and .arch; one job among the matching
   * packages, without what obsoletes them (dnf adds those to a bare name
   * only). Then what provides the word, or holds the file it names. */
  if (selection_job(pool, word, SELECTION_NAME | SELECTION_DOTARCH | SELECTION_CANON, how, job))
    return 1;
  return selection_job(pool, word, SELECTION_PROVIDES | (word[0] == '/' ? SELECTION_FILELIST : 0),
                       how, job);
}

/* Every root that matches nothing is named at once, with the architectures
 * it exists for when only the target's is missing. */
static void add_roots(Pool *pool, Queue *job, char *const *names, Id how, const char *role,
                      const char *arch, char **missing)
{
  for (size_t i = 0; names && names[i]; i++) {
    if (root_job(pool, names[i], how, job) || (how & SOLVER_LOCK))
      continue; /* excluding what does not exist is already true */
    Id id = pool_str2id(pool, names[i], 0);
    /* "armonly.aarch64" on x86_64: the name is there, its architecture is
     * not the target's. */
    const char *dot = strrchr(names[i], '.');
    if (!id && dot && pool->disttype == DISTTYPE_RPM) {
      _cleanup_free_ char *name = vzt_strndup(names[i], (size_t) (dot - names[i]));
      id = pool_str2id(pool, name, 0);
    }
    _cleanup_free_ char *others = id ? other_arches(pool, id) : NULL;
    _cleanup_free_ char *line =
        others ? vzt_strdupf("%s (%s) for %s: built only for %s", names[i], role, arch, others)
               : vzt_strdupf("%s (%s) for %s", names[i], role, arch);
    append_line(missing, line);
  }
}

/* The requirements of p that nothing installable provides; returns how
 * many of them are files. */
static int append_unprovided(Pool *pool, Id p, const char *arch, char **msg)
{
  int files = 0;
  Solvable *s = pool->solvables + p;
  Queue reqs;
  queue_init(&reqs);
  solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &reqs, -1);
  for (int i = 0; i < reqs.count; i++) {
    Id dep = reqs.elements[i];
    /* An unprovided dependency's list is the empty one, not none. */
    if (dep == SOLVABLE_PREREQMARKER || pool->whatprovidesdata[pool_whatprovides(pool, dep)])
      continue;
    _cleanup_free_ char *line = vzt_strdupf("%s needs %s, which nothing for %s provides",
                                            pool_solvable2str(pool, s), pool_dep2str(pool, dep),
                                            arch);
    append_line(msg, line);
    files += !ISRELDEP(dep) && pool_id2str(pool, dep)[0] == '/';
  }
  queue_free(&reqs);
  return files;
}

/* libsolv reports one reason per problem; a package may lack several
 * dependencies, and all of them are for the recipe's author to see. */
static int append_all_unprovided(Solver *solv, const char *arch, char **msg)
{
  int files = 0;
  Pool *pool = solv->pool;
  Map seen;
  map_init(&seen, pool->nsolvables);
  Queue rules;
  queue_init(&rules);
  for (Id problem = 1; problem <= (Id) solver_problem_count(solv); problem++) {
    solver_findallproblemrules(solv, problem, &rules);
    for (int i = 0; i < rules.count; i++) {
      Id source, target, dep;
      SolverRuleinfo type = solver_ruleinfo(solv, rules.elements[i], &source, &target, &dep);
      if (type != SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP || source <= 0 || MAPTST(&seen, source))
        continue;
      MAPSET(&seen, source);
      files += append_unprovided(pool, source, arch, msg);
    }
  }
  queue_free(&rules);
  map_free(&seen);
  return files;
}

/* The solver flags libdnf sets: no vendor lock, orphans kept, "best" within
 * the policy (no architecture change), and package splits through
 * Obsoletes as yum took them. */
static void set_dnf_flags(Solver *solv)
{
  solver_set_flag(solv, SOLVER_FLAG_ALLOW_VENDORCHANGE, 1);
  solver_set_flag(solv, SOLVER_FLAG_KEEP_ORPHANS, 1);
  solver_set_flag(solv, SOLVER_FLAG_BEST_OBEY_POLICY, 1);
  solver_set_flag(solv, SOLVER_FLAG_YUM_OBSOLETES, 1);
}

static int report_problems(Solver *solv, const char *arch, struct vzt_transaction *out,
                           struct vzt_error **err)
{
  int count = solver_problem_count(solv);
  char *msg = vzt_strdupf("cannot resolve the package set (%d problem%s):", count,
                          count == 1 ? "" : "s");
  for (Id problem = 1; problem <= count; problem++) {
    char *next = vzt_strdupf("%s\n  %s", msg, solver_problem2str(solv, problem));
    free(msg);
    msg = next;
  }
  char *unprovided = NULL;
  out->missing_files = append_all_unprovided(solv, arch, &unprovided) > 0;
  if (unprovided) {
    char *next = vzt_strdupf("%s\nmissing dependencies:%s", msg, unprovided);
    free(msg);
    free(unprovided);
    msg = next;
  }
  int ret = vzt_fail(err, "%s", msg);
  free(msg);
  return ret;
}

/* The pool's own architecture when the caller does not name it: the one
 * libsolv scores best, leaving out the architecture-independent ones. */
static const char *pool_arch(Pool *pool)
{
  Id best = 0;
  for (Id a = 1; pool->id2arch && a <= pool->lastarch; a++) {
    if (!pool->id2arch[a] || a == ARCH_NOARCH || a == ARCH_ALL || a == ARCH_ANY)
      continue;
    if (!best || pool->id2arch[a] < pool->id2arch[best])
      best = a;
  }
  return best ? pool_id2str(pool, best) : "this architecture";
}

int vzt_resolve(Pool *pool, const struct vzt_resolve_opts *opts, char *const *base,
                char *const *install, char *const *exclude, struct vzt_transaction *out,
                struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  bool rpm = pool->disttype == DISTTYPE_RPM;
  /* As libdnf: one name of two architectures (lib.x86_64 and lib.i686,
   * multilib) may be installed side by side; same-name packages replace
   * each other only within an architecture's color. */
  if (rpm)
    pool_set_flag(pool, POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 1);
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  const char *arch = opts && opts->arch ? opts->arch : pool_arch(pool);
  bool weak = opts && opts->weak;
  Queue job;
  queue_init(&job);
  _cleanup_free_ char *missing = NULL;
  add_roots(pool, &job, exclude, SOLVER_LOCK, "excluded", arch, &missing);
  add_roots(pool, &job, base, SOLVER_INSTALL, "base set", arch, &missing);
  add_roots(pool, &job, install, SOLVER_INSTALL, "requested", arch, &missing);
  if (missing) {
    queue_free(&job);
    return vzt_fail(err, "no loaded index has these packages (check their names, and the "
                         "repositories' suites and components):%s", missing);
  }
  if (!rpm)
    disfavor_mere_providers(pool, &job);
  Solver *solv = solver_create(pool);
  if (rpm)
    set_dnf_flags(solv);
  solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, !weak);
  if (solver_solve(solv, &job) != 0) {
    int ret = report_problems(solv, arch, out, err);
    solver_free(solv);
    queue_free(&job);
    return ret;
  }
  Transaction *trans = solver_create_transaction(solv);
  transaction_order(trans, 0);
  out->order = vzt_calloc(trans->steps.count + 1, sizeof(Solvable *));
  for (int i = 0; i < trans->steps.count; i++) {
    Id p = trans->steps.elements[i];
    if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ACTIVE) == SOLVER_TRANSACTION_INSTALL)
      out->order[out->n++] = pool->solvables + p;
  }
  transaction_free(trans);
  solver_free(solv);
  queue_free(&job);
  return 0;
}

void vzt_transaction_clear(struct vzt_transaction *t)
{
  free(t->order);
  memset(t, 0, sizeof(*t));
}
