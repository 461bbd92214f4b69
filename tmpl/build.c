/* A build from recipe to template: resolve, fetch, install, clean, pack, record. */
#include "config.h"
#include "tmpl/build.h"
#include "tmpl/family.h"
#include "tmpl/customize.h"
#include "tmpl/target-run.h"
#include "tmpl/hygiene.h"
#include "tmpl/firstboot.h"
#include "tmpl/pack.h"
#include "tmpl/resolve.h"
#include "tmpl/sbom/spdx.h"
#include "fetch/fetch.h"
#include "kernel-support/binfmt.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <fcntl.h>
#include <libgen.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

char *vzt_build_template_name(const char *distro, const char *release, const char *arch,
                              const char *variant, const char *default_variant)
{
  if (variant && default_variant && strcmp(variant, default_variant))
    return vzt_strdupf("%s-%s-%s-%s", distro, release, arch, variant);
  return vzt_strdupf("%s-%s-%s", distro, release, arch);
}

/* MemAvailable from /proc/meminfo in bytes; 0 when unknown. */
static uint64_t mem_available(void)
{
  _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
  char line[128];
  unsigned long long kib;
  while (f && fgets(line, sizeof(line), f))
    if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
      return (uint64_t) kib * 1024;
  return 0;
}

/* Unpacking and configuring write thousands of small files that the pack
 * reads back once and the build then deletes: on a busy or slow disk that is
 * most of a build (Debian 12 minbase: 27 s of unpacking on a shared virtual
 * disk, 3.5 s on tmpfs), and none of it needs to outlive the build. So the
 * root is a tmpfs when at most a quarter of the available memory is expected
 * to hold it (the packages' download size times six: xz-compressed debs
 * unpack to 3-4 times their size). It is mounted in a mount namespace of the
 * build's own, so it vanishes with the process however that ends, and
 * nothing else on the host sees it. The archive is the same bytes: pack
 * sorts entries and records no inode numbers, device or timestamps beyond
 * the epoch. Returns true when mounted; a failure only means the disk. */
static bool root_on_tmpfs(const char *root, const struct vzt_transaction *t)
{
  uint64_t need = 0, avail = mem_available();
  for (size_t i = 0; i < t->n; i++)
    need += solvable_lookup_num(t->order[i], SOLVABLE_DOWNLOADSIZE, 0);
  need *= 6;
  const char *env = getenv("VZTMPL_BUILD_TMPFS");
  if (env && !strcmp(env, "0")) {
    vzt_debug("build root on disk: VZTMPL_BUILD_TMPFS=0");
    return false;
  }
  if (!avail || need > avail / 4) {
    vzt_debug("build root on disk: ~%llu MiB expected, %llu MiB of memory available",
              (unsigned long long) (need >> 20), (unsigned long long) (avail >> 20));
    return false;
  }
  /* Slave: the host's later mounts still show here, ours never there. */
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
    vzt_debug("build root on disk: no mount namespace of our own: %s", strerror(errno));
    return false;
  }
  /* The size only caps it: tmpfs takes pages as files are written. */
  _cleanup_free_ char *data = vzt_strdupf("mode=0755,size=%llu", (unsigned long long) (avail / 2));
  if (mount("vztmpl-build", root, "tmpfs", 0, data) < 0) {
    vzt_debug("build root on disk: cannot mount a tmpfs on it: %s", strerror(errno));
    return false;
  }
  vzt_debug("build root on tmpfs: ~%llu MiB expected, %llu MiB of memory available",
            (unsigned long long) (need >> 20), (unsigned long long) (avail >> 20));
  return true;
}

static int cpu_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int) n : 1;
}

static char *package_location(Solvable *s, struct vzt_error **err)
{
  unsigned int medianr;
  const char *loc = solvable_get_location(s, &medianr);
  if (!loc)
    vzt_fail(err, "package %s has no location in its index", pool_solvable2str(s->repo->pool, s));
  return loc ? vzt_strdup(loc) : NULL;
}

/* The sha256 the signed index gives for a package: the only name it is
 * cached under. A copy: libsolv returns it in a buffer that later look-ups reuse. */
static char *package_sha256(Solvable *s)
{
  Id type = 0;
  const char *sum = solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
  return type == REPOKEY_TYPE_SHA256 && sum ? vzt_strdup(sum) : NULL;
}

static void fill_packages(struct vzt_manifest *m, Pool *pool, const struct vzt_transaction *t)
{
  m->packages = vzt_calloc(t->n ? t->n : 1, sizeof(*m->packages));
  m->npackages = t->n;
  for (size_t i = 0; i < t->n; i++) {
    Solvable *s = t->order[i];
    m->packages[i] = (struct vzt_manifest_package){
        vzt_strdup(pool_id2str(pool, s->name)), vzt_strdup(pool_id2str(pool, s->evr)),
        vzt_strdup(pool_id2str(pool, s->arch)), package_sha256(s),
        solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0)};
    struct vzt_family_repo *fr = s->repo->appdata;
    unsigned int medianr;
    const char *loc = solvable_get_location(s, &medianr);
    if (fr && fr->mirrors && fr->mirrors[0] && loc)
      m->packages[i].url = vzt_strdupf("%s/%s", fr->mirrors[0], loc);
  }
}

/* Where a package whose index gives no SHA256 (a urpmi synthesis) is kept:
 * by its first URL. Such a copy is trusted by nothing but the family's
 * check_packages, which runs on every use. */
static char *unhashed_path(struct vzt_family_job *job, Solvable *s, const char *loc)
{
  struct vzt_family_repo *fr = s->repo->appdata;
  _cleanup_free_ char *url = vzt_strdupf("%s/%s", fr->mirrors[0], loc);
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, url, strlen(url));
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(d, hex);
  _cleanup_free_ char *rel = vzt_strdupf("unhashed/%s", hex);
  return vzt_cache_path(job->cache, rel);
}

static int download(struct vzt_family_job *job, const struct vzt_transaction *t, char ***blobs,
                    bool by_signature, struct vzt_error **err)
{
  struct vzt_fetch_item *items = vzt_calloc(t->n ? t->n : 1, sizeof(*items));
  char **sums = vzt_calloc(t->n + 1, sizeof(char *));
  size_t nitems = 0;
  uint64_t bytes = 0;
  int ret = 0;
  *blobs = vzt_calloc(t->n + 1, sizeof(char *));
  for (size_t i = 0; i < t->n && !ret; i++) {
    Solvable *s = t->order[i];
    const char *sum = sums[i] = package_sha256(s);
    if (!sum && !by_signature) {
      ret = vzt_refuse(err, "package %s has no SHA256 in its signed index",
                       pool_solvable2str(job->pool, s));
      break;
    }
    uint64_t size = sum ? solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0) : 0;
    if (!sum) {
      _cleanup_free_ char *l = package_location(s, err);
      if (!l) {
        ret = -1;
        break;
      }
      (*blobs)[i] = unhashed_path(job, s, l);
      if (access((*blobs)[i], R_OK) == 0)
        continue;
    } else if (!((*blobs)[i] = vzt_cache_blob_path(job->cache, sum))) {
      ret = vzt_refuse(err, "package %s: malformed sha256", pool_solvable2str(job->pool, s));
      break;
    } else if (vzt_cache_blob_valid(job->cache, sum, size))
      continue;
    if (job->offline) {
      ret = vzt_fail(err, "--offline: package %s is not in the cache",
                     pool_solvable2str(job->pool, s));
      break;
    }
    _cleanup_free_ char *loc = package_location(s, err);
    if (!loc) {
      ret = -1;
      break;
    }
    struct vzt_family_repo *fr = s->repo->appdata;
    char **urls = vzt_calloc(1, sizeof(char *));
    for (char **m = fr->mirrors; *m; m++)
      vzt_strv_push_take(&urls, vzt_strdupf("%s/%s", *m, loc));
    _cleanup_free_ char *dir = vzt_strdup((*blobs)[i]);
    if (vzt_mkdir_p(dirname(dir), 0755, err) < 0) {
      vzt_strv_free(urls);
      ret = -1;
      break;
    }
    items[nitems++] = (struct vzt_fetch_item){.urls = urls, .dest = (*blobs)[i],
                                              .digest_type = VZT_DIGEST_SHA256, .digest = sum,
                                              .size = size};
    bytes += size;
  }
  if (!ret && nitems) {
    vzt_info("Downloading %zu packages (%.1f MiB)", nitems, bytes / 1048576.0);
    struct vzt_fetch_opts opts = {.parallel = job->parallel, .retries = -1,
                                  .label = "Downloading packages"};
    ret = vzt_fetch_all(items, nitems, &opts, err);
  }
  for (size_t i = 0; i < nitems; i++)
    vzt_strv_free(items[i].urls);
  free(items);
  for (size_t i = 0; i < t->n; i++)
    free(sums[i]);
  free(sums);
  return ret;
}

static char *detect_init(const char *root)
{
  _cleanup_free_ char *init = vzt_path_join(root, "usr/lib/systemd/systemd");
  if (access(init, X_OK) == 0)
    return vzt_strdup("systemd");
  _cleanup_free_ char *sysv = vzt_path_join(root, "usr/sbin/init");
  if (access(sysv, X_OK) == 0)
    return vzt_strdup("sysvinit");
  return vzt_strdup("none");
}

static time_t build_epoch(const struct vzt_family_job *job)
{
  const char *env = getenv("SOURCE_DATE_EPOCH");
  if (env && *env && isdigit((unsigned char) *env))
    return (time_t) strtoll(env, NULL, 10);
  /* The newest signed index date: the same mirror state gives the same
   * epoch. Undated media (urpmi) give their newest package's build time,
   * known once the packages are checked. */
  return job->index_date ? job->index_date : job->packages_date;
}

/* Packs root and writes archive and manifest into the cache under final
 * names only once both are complete. */
static int pack_and_store(struct vzt_cache *cache, const char *root, const char *workdir,
                          struct vzt_manifest *m, int threads, const char *output,
                          char **template_path, struct vzt_error **err)
{
  _cleanup_free_ char *archive_name = vzt_strdupf("%s.tar.zst", m->name);
  _cleanup_free_ char *manifest_name = vzt_strdupf("%s.json", m->name);
  _cleanup_free_ char *tmp_archive = vzt_path_join(workdir, archive_name);
  _cleanup_close_ int fd = open(tmp_archive, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", tmp_archive);
  struct vzt_pack_result pr;
  double t0 = vzt_now();
  if (vzt_pack_tree(root, fd, m->source_date_epoch, 3, threads, &pr, err) < 0)
    return vzt_error_prefix(err, "packing %s", archive_name);
  if (fsync(fd) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", tmp_archive);
  vzt_info("Packed %s: %.1f MiB (%.1f MiB unpacked) in %.1f s", archive_name, pr.size / 1048576.0,
           pr.unpacked_size / 1048576.0, vzt_now() - t0);
  m->archive_file = vzt_strdup(archive_name);
  m->archive_sha256 = vzt_strdup(pr.sha256);
  m->archive_size = pr.size;
  m->unpacked_size = pr.unpacked_size;
  m->entries = pr.entries;
  _cleanup_free_ char *json = vzt_manifest_to_json(m);
  _cleanup_free_ char *tdir = NULL;
  _cleanup_close_ int tfd = -1;
  if (vzt_cache_templates_open(cache, &tdir, &tfd, err) < 0)
    return -1;
  _cleanup_free_ char *final_archive = vzt_path_join(tdir, archive_name);
  /* A signed list from an earlier download of this name vouches for other
   * bytes: it goes, or verify --keyring would refuse the new build. */
  _cleanup_free_ char *sums_name = vzt_cache_sums_name(m->name, false);
  _cleanup_free_ char *sig_name = vzt_cache_sums_name(m->name, true);
  unlinkat(tfd, sig_name, 0);
  unlinkat(tfd, sums_name, 0);
  _cleanup_free_ char *final_manifest = vzt_path_join(tdir, manifest_name);
  _cleanup_free_ char *tmp_manifest = vzt_path_join(workdir, manifest_name);
  /* Both complete on disk before either replaces a previous template (an
   * update): what is left to fail then is two renames. Archive first, then
   * the manifest that vouches for it: a manifest never names an archive
   * that is not there. */
  _cleanup_close_ int wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (wfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", workdir);
  if (vzt_write_file_atomic(wfd, manifest_name, json, strlen(json), 0644, err) < 0)
    return -1;
  /* The SBOM is made from what it describes: the manifest and the archive. */
  _cleanup_free_ char *sbom_name = vzt_sbom_path(manifest_name);
  if (vzt_sbom_write(m, tmp_archive, wfd, sbom_name, err) < 0)
    return -1;
  if (rename(tmp_archive, final_archive) < 0)
    return vzt_fail_errno(err, errno, "cannot move the template into %s", tdir);
  if (rename(tmp_manifest, final_manifest) < 0)
    return vzt_fail_errno(err, errno, "cannot move the manifest into %s", tdir);
  if (renameat(wfd, sbom_name, tfd, sbom_name) < 0)
    return vzt_fail_errno(err, errno, "cannot move the SBOM into %s", tdir);
  if (output) {
    _cleanup_close_ int in = open(final_archive, O_RDONLY | O_CLOEXEC);
    if (in < 0)
      return vzt_fail_errno(err, errno, "cannot read %s", final_archive);
    _cleanup_atomic_ struct vzt_atomic_file out = {.fd = -1, .dirfd = -1};
    if (vzt_atomic_open(AT_FDCWD, output, 0644, &out, err) < 0)
      return -1;
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
      if (vzt_write_all(out.fd, buf, n) < 0)
        return vzt_fail_errno(err, errno, "cannot write %s", output);
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read %s", final_archive);
    if (vzt_atomic_commit(&out, err) < 0)
      return -1;
  }
  *template_path = steal_pointer(&final_archive);
  return 0;
}

static int load_indices(struct vzt_family_job *job, const struct vzt_family_ops *ops,
                        struct vzt_error **err)
{
  job->pool = pool_create();
  pool_setdisttype(job->pool, ops->disttype);
  pool_setarch(job->pool, job->arch_name);
  for (size_t i = 0; i < job->recipe->nrepos; i++) {
    const struct vzt_repo *repo = &job->recipe->repos[i];
    if (strcmp(repo->family, ops->name))
      return vzt_fail(err, "%s: [repository %s] is family %s, the others %s: one family per recipe",
                      job->recipe->path, repo->name, repo->family, ops->name);
    if (ops->load_repo(job, repo, err) < 0)
      return -1;
  }
  return 0;
}

static void collect_mirrors(Pool *pool, char ***out)
{
  for (int i = 1; i < pool->nrepos; i++) {
    Repo *r = pool->repos[i];
    struct vzt_family_repo *fr = r ? r->appdata : NULL;
    if (fr && fr->mirrors[0] && !vzt_strv_contains(*out, fr->mirrors[0]))
      vzt_strv_push(out, fr->mirrors[0]);
  }
}

int vzt_build_run(struct vzt_cache *cache, const struct vzt_build_opts *o, struct vzt_manifest *m,
                  char **template_path, struct vzt_error **err)
{
  double start = vzt_now();
  memset(m, 0, sizeof(*m));
  *template_path = NULL;
  _cleanup_free_ char *recipe_path = NULL;
  if (vzt_recipe_find(o->recipes_dir, o->recipe, &recipe_path, err) < 0)
    return -1;
  struct vzt_recipe *recipe = NULL;
  if (vzt_recipe_load(recipe_path, &recipe, err) < 0)
    return -1;
  if (vzt_recipe_inherit(recipe, o->recipes_dir, err) < 0) {
    vzt_recipe_free(recipe);
    return -1;
  }
  const struct vzt_family_ops *ops = vzt_family_lookup(recipe->repos[0].family);
  const struct vzt_arch *arch = o->arch ? vzt_arch_lookup(o->arch) : vzt_arch_host();
  int ret = -1;
  struct vzt_family_job job = {0};
  struct vzt_selection sel = {0};
  struct vzt_transaction trans = {0};
  _cleanup_strv_ char **blobs = NULL;
  _cleanup_free_ char *workdir = NULL;
  _cleanup_free_ char *root = NULL;
  _cleanup_strv_ char **env_mirrors = NULL;
  struct vzt_bc_limits limits;
  struct vzt_target target = {0};
  bool root_tmpfs = false;
  if (!ops) {
    vzt_fail(err, "%s: family %s is not supported yet", recipe->path, recipe->repos[0].family);
    goto out;
  }
  if (!arch) {
    vzt_usage_error(err, "unknown architecture %s (known: %s)", o->arch ? o->arch : "of this host",
                    vzt_arch_known());
    goto out;
  }
  const char *variant = o->variant ? o->variant : recipe->default_variant;
  /* VZTMPL_MIRROR_<DISTRIBUTION> stands in for --mirror. */
  if (!o->mirrors) {
    _cleanup_free_ char *var = vzt_strdupf("VZTMPL_MIRROR_%s", recipe->distribution);
    for (char *p = var; *p; p++)
      *p = (char) (isalnum((unsigned char) *p) ? toupper((unsigned char) *p) : '_');
    const char *v = getenv(var);
    if (v && *v)
      env_mirrors = vzt_strv_split(v);
  }
  char **mirror_override = o->mirrors         ? o->mirrors
                           : env_mirrors      ? env_mirrors
                           : o->default_mirrors && o->default_mirrors[0] ? o->default_mirrors
                                                                          : NULL;
  job = (struct vzt_family_job){.cache = cache, .recipe = recipe, .arch = arch,
                                .arch_name = ops->arch_name(arch), .mirror_override = mirror_override,
                                .keyring_override = o->keyring, .offline = o->offline,
                                .parallel = 8, .parallel_unpack = o->jobs ? o->jobs : cpu_count(),
                                .now = time(NULL), .emulate = o->emulate,
                                .extract_template = o->extract_template};
  if (vzt_recipe_select(recipe, variant, job.arch_name, &sel, err) < 0 ||
      vzt_customize_check(recipe, err) < 0 || vzt_target_limits(recipe, &limits, err) < 0)
    goto out;
  for (char **p = o->include; p && *p; p++)
    if (!vzt_strv_contains(sel.install, *p))
      vzt_strv_push(&sel.install, *p);
  for (char **p = o->exclude; p && *p; p++)
    vzt_strv_push(&sel.exclude, *p);
  job.base_keyword = sel.base;
  /* A golden image's recipe names its templates itself: <name>-<arch>. */
  m->name = recipe->name ? vzt_strdupf("%s-%s", recipe->name, arch->canonical)
                         : vzt_build_template_name(recipe->distribution, recipe->release,
                                                   arch->canonical, variant,
                                                   recipe->default_variant);
  m->distribution = vzt_strdup(recipe->distribution);
  m->release = vzt_strdup(recipe->release);
  m->codename = recipe->codename ? vzt_strdup(recipe->codename) : NULL;
  m->variant = vzt_strdup(variant);
  m->architecture = vzt_strdup(arch->canonical);
  m->family_architecture = vzt_strdup(job.arch_name);
  m->family = vzt_strdup(ops->name);
  /* Absolute, and every input beside the recipe: `vztmpl update` resolves
   * the same request again from the manifest alone. */
  char *abs_recipe = realpath(recipe->path, NULL);
  m->recipe_path = abs_recipe ? abs_recipe : vzt_strdup(recipe->path);
  m->recipe_sha256 = vzt_strdup(recipe->sha256);
  m->has_inputs = true;
  m->include = vzt_strv_dup(o->include);
  m->exclude = vzt_strv_dup(o->exclude);
  m->mirror_override = vzt_strv_dup(mirror_override);
  char *abs_keyring = o->keyring ? realpath(o->keyring, NULL) : NULL;
  m->keyring_override = abs_keyring ? abs_keyring : o->keyring ? vzt_strdup(o->keyring) : NULL;

  vzt_info("Resolving %s (%s, variant %s)", m->name, recipe->path, variant);
  if (load_indices(&job, ops, err) < 0)
    goto out;
  /* Weak dependencies: as the recipe says, else not (debootstrap's
   * default, and Fedora's container image kickstart). */
  struct vzt_resolve_opts ropts = {.arch = job.arch_name, .weak = sel.weak > 0};
  int resolved = vzt_resolve(job.pool, &ropts, job.base_names, sel.install, sel.exclude, &trans,
                             err);
  if (resolved < 0 && trans.missing_files && ops->complete) {
    /* A file dependency perhaps only an index loaded when needed (rpm-md's
     * file lists) resolves: try once more with it. */
    struct vzt_error *more = NULL;
    int loaded = ops->complete(&job, &more);
    if (loaded != 0) {
      vzt_error_free(err);
      *err = more;
      resolved = loaded < 0 ? -1 : vzt_resolve(job.pool, &ropts, job.base_names, sel.install,
                                               sel.exclude, &trans, err);
    }
  }
  if (resolved < 0) {
    vzt_error_prefix(err, "%s for %s", recipe->path, job.arch_name);
    goto out;
  }
  fill_packages(m, job.pool, &trans);
  m->verified = vzt_strv_dup(job.verified);
  m->mirrors = vzt_calloc(1, sizeof(char *));
  collect_mirrors(job.pool, &m->mirrors);
  m->source_date_epoch = build_epoch(&job);
  job.epoch = m->source_date_epoch;
  if (o->resolved) {
    /* The files and hooks as they are now, for the hook to compare with a
     * manifest; the build records what it really applied instead. */
    m->customizations = vzt_calloc(1, sizeof(char *));
    if (vzt_customize_inputs(recipe, &m->customizations, err) < 0)
      goto out;
    int go = o->resolved(o->resolved_data, m, err);
    if (go <= 0) {
      ret = go < 0 ? -1 : 0;
      goto out;
    }
  }
  if (o->dry_run) {
    ret = 0;
    goto out;
  }
  if (download(&job, &trans, &blobs, ops->check_packages != NULL, err) < 0)
    goto out;
  if (ops->check_packages && ops->check_packages(&job, trans.order, trans.n, blobs, err) < 0)
    goto out;
  m->source_date_epoch = build_epoch(&job);
  job.epoch = m->source_date_epoch;
  if (o->fetch_only) {
    ret = 0;
    goto out;
  }
  if (geteuid() != 0) {
    vzt_fail(err, "building a template needs root, or root of a user namespace (namespaces, "
                  "chroot, owners): vztmpl build enters one for ordinary users");
    goto out;
  }
  /* Everything up to unpacking is data; only the configure stage runs the
   * target's programs, under qemu-user when they are foreign. */
  const char *how = NULL;
  if (vzt_binfmt_ensure(arch->canonical, &how, err) < 0)
    goto out;
  if (strcmp(how, "native"))
    vzt_info("Running %s programs through binfmt_misc handler %s", arch->canonical, how);
  if (vzt_cache_mkdtemp(cache, "build", &workdir, err) < 0)
    goto out;
  root = vzt_path_join(workdir, "root");
  if (mkdir(root, 0755) < 0) {
    vzt_fail_errno(err, errno, "cannot create %s", root);
    goto out;
  }
  root_tmpfs = root_on_tmpfs(root, &trans);
  /* Every program of the target runs in one cgroup for the whole build. */
  vzt_target_open(&target, root, job.epoch, &limits);
  job.target = &target;
  vzt_info("Installing %zu packages", trans.n);
  if (ops->install(&job, root, trans.order, trans.n, blobs, err) < 0)
    goto out;
  m->init = detect_init(root);
  m->configure = job.configure ? vzt_strdup(job.configure) : NULL;
  m->configure_tools = job.configure_tools ? vzt_strdup(job.configure_tools) : NULL;
  m->first_boot = vzt_calloc(1, sizeof(char *));
  if (!m->first_boot)
    vzt_out_of_memory();
  if (vzt_customize_apply(recipe, &target, &job.customized, err) < 0 ||
      vzt_hygiene_apply(root, vzt_customize_hostname(recipe), err) < 0 ||
      vzt_firstboot_apply(root, m, &m->first_boot, err) < 0 ||
      vzt_customize_hooks(recipe, &target, VZT_HOOK_BEFORE_PACK, &job.customized, err) < 0)
    goto out;
  /* What the configure stage ran under and used, for the manifest. */
  m->has_limits = true;
  m->limits_note = target.no_group ? vzt_strdup(target.no_group) : NULL;
  vzt_target_close(&target, m->limits);
  vzt_strv_free(m->customizations);
  m->customizations = vzt_strv_dup(job.customized);
  m->build_seconds = vzt_now() - start;
  if (pack_and_store(cache, root, workdir, m, job.parallel_unpack, o->output, template_path, err) < 0)
    goto out;
  ret = 0;
out:
  /* Kills what a failed build left running before its root goes. */
  vzt_target_close(&target, NULL);
  if (root_tmpfs && umount2(root, MNT_DETACH) < 0)
    vzt_warn("could not unmount the build's tmpfs at %s: %s", root, strerror(errno));
  if (workdir) {
    struct vzt_error *e = NULL;
    if (vzt_rm_rf(workdir, &e) < 0) {
      vzt_warn("could not remove the build directory %s: %s", workdir, e->msg);
      vzt_error_free(&e);
    }
  }
  vzt_transaction_clear(&trans);
  vzt_selection_clear(&sel);
  vzt_family_job_clear(&job);
  vzt_recipe_free(recipe);
  return ret;
}
