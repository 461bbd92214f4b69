/* The deb family's install stage: native parallel unpacking and the dpkg
 * database written as `dpkg --unpack` would, then the preinst scripts and
 * `dpkg --configure -a` inside the sandbox: the target's own dpkg, or for a
 * foreign root whose packages allow it the host's (chrootless). */
#include "config.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/unpack.h"
#include "tmpl/deb/layout.h"
#include "tmpl/deb/control.h"
#include "tmpl/arch.h"
#include "kernel-support/confine.h"
#include "tmpl/target-run.h"
#include "tmpl/customize.h"
#include "tmpl/build.h"
#include "tmpl/manifest.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"
#include "lib/buf.h"

#include <dirent.h>
#include <fcntl.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Maintainer scripts must not start services while we build. */
static const char policy_rc_d[] = "#!/bin/sh\n# vztmpl: no services start while a template is built\nexit 101\n";

/* Packages whose maintainer scripts do their work under $DPKG_ROOT and
 * call no program of the target when it is set: the Essential and minbase
 * sets of Debian 12 and 13, the ones mmdebstrap --mode=chrootless builds.
 * A foreign build of these alone is configured by the host's dpkg; any
 * other package sends the build to emulation. */
static const char *const dpkg_root_safe[] = {
    "adduser", "apt", "base-files", "base-passwd", "bash", "bsdutils", "coreutils", "dash",
    "debconf", "debian-archive-keyring", "debianutils", "diffutils", "dpkg", "e2fsprogs",
    "findutils", "gcc-12-base", "gcc-14-base", "gpgv", "grep", "gzip", "hostname",
    "init-system-helpers", "libacl1", "libapt-pkg6.0", "libapt-pkg7.0", "libattr1",
    "libaudit-common", "libaudit1", "libblkid1", "libbsd0", "libbz2-1.0", "libc-bin", "libc6",
    "libcap-ng0", "libcap2", "libcom-err2", "libcrypt1", "libdb5.3", "libdb5.3t64",
    "libdebconfclient0", "libext2fs2", "libffi8", "libgcc-s1", "libgcrypt20", "libgmp10",
    "libgnutls30", "libgpg-error0", "libhogweed6", "libhogweed6t64", "libidn2-0", "liblastlog2-2",
    "liblz4-1", "liblzma5", "libmd0", "libmount1", "libnettle8", "libnettle8t64", "libp11-kit0",
    "libpam-modules", "libpam-modules-bin", "libpam-runtime", "libpam0g", "libpcre2-8-0",
    "libseccomp2", "libselinux1", "libsemanage-common", "libsemanage2", "libsepol2",
    "libsmartcols1", "libsqlite3-0", "libss2", "libssl3t64", "libstdc++6", "libsystemd0",
    "libtasn1-6", "libtinfo6", "libudev1", "libunistring2", "libuuid1", "libxxhash0", "libzstd1",
    "login", "login.defs", "logsave", "mawk", "mount", "ncurses-base", "ncurses-bin",
    "openssl-provider-legacy", "passwd", "perl-base", "sed", "sqv", "sysvinit-utils", "tar",
    "tzdata", "usr-is-merged", "util-linux", "util-linux-extra", "zlib1g", NULL};

/* The host's dpkg, which a chrootless configure stage runs. */
#define HOST_DPKG "/usr/bin/dpkg"
#define HOST_STATUS "/var/lib/dpkg/status"

/* Packages whose programs the others' maintainer scripts call by name
 * (update-alternatives, add-shell, pam-auth-update, update-passwd,
 * shadowconfig, debconf's frontends in perl, deb-systemd-helper, adduser).
 * Chrootless, the host's copies of them run, and what they write lands in
 * the template: Debian 13's add-shell and pam-auth-update, for one, write
 * /etc/shells and common-session otherwise than Debian 12's. */
static const char *const script_helpers[] = {
    "adduser", "base-passwd", "debconf", "debianutils", "dpkg", "init-system-helpers",
    "libpam-runtime", "login", "passwd", "perl-base", NULL};

/* The length of a version without its stable update (+deb12u3, ~deb12u1)
 * and binNMU (+b1) suffixes: a release's own line of a package. */
static size_t version_line(const char *v)
{
  size_t len = strlen(v);
  for (const char *p = v; *p; p++)
    if ((!strncmp(p, "+deb", 4) || !strncmp(p, "~deb", 4)) && p[4] >= '0' && p[4] <= '9')
      return (size_t) (p - v);
  const char *b = strstr(v, "+b");
  if (b && b[2] && strspn(b + 2, "0123456789") == strlen(b + 2))
    return (size_t) (b - v);
  return len;
}

/* Whether two versions are one release's line of a package (they differ at
 * most in stable updates and binNMUs): its programs then behave alike. */
static bool same_release_line(const char *a, const char *b)
{
  size_t n = version_line(b);
  return version_line(a) == n && !strncmp(a, b, n);
}

/* Whether the host has `name` installed at `version`'s release line; *why
 * gets what it has otherwise. */
static bool host_has(const char *status, size_t len, const char *name, const char *version, char **why)
{
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  bool ok = false;
  *why = NULL;
  while (!*why && !ok && vzt_deb_stanza_next(status, len, &pos, &st) == 1) {
    if (!vzt_deb_stanza_is(&st, "Package", name))
      continue;
    _cleanup_free_ char *have = vzt_deb_stanza_dup(&st, "Version");
    _cleanup_free_ char *state = vzt_deb_stanza_dup(&st, "Status");
    if (!have || !state || !strstr(state, " installed"))
      continue;
    if (same_release_line(have, version))
      ok = true;
    else
      *why = vzt_strdupf("the host's %s is %s, the target's %s", name, have, version);
  }
  vzt_deb_stanza_clear(&st);
  if (!ok && !*why)
    *why = vzt_strdupf("the host has no %s, whose programs the scripts call", name);
  return ok;
}

/* Where the configure stage's programs come from and see the root. */
struct configure_how {
  const char *mode;   /* the manifest's word: native, emulated, chrootless */
  bool host;          /* a native dpkg and shell, the root at VZT_TARGET_ROOT_AT */
  const char *prefix; /* the root's path for them: "" or VZT_TARGET_ROOT_AT */
  char *tools;        /* chrootless: the native tree whose /usr and /etc run; NULL: the host's */
  char *tools_id;     /* chrootless: "host" or "<template>@sha256:<archive's>" */
};

static void configure_how_clear(struct configure_how *how)
{
  free(how->tools);
  free(how->tools_id);
  how->tools = how->tools_id = NULL;
}

/* Whether the host's own dpkg and helpers can configure the root: *why
 * gets why not. */
static bool host_tools_fit(const struct vzt_family_job *job, Solvable **order, size_t n, char **why)
{
  *why = NULL;
  if (access(HOST_DPKG, X_OK) < 0) {
    *why = vzt_strdupf("the host has no %s", HOST_DPKG);
    return false;
  }
  _cleanup_free_ char *status = NULL;
  size_t len = 0;
  struct vzt_error *e = NULL;
  if (vzt_read_file_max(HOST_STATUS, VZT_LIMIT_INDEX, &status, &len, &e) < 0) {
    *why = vzt_error_text(e);
    vzt_error_free(&e);
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name = pool_id2str(job->pool, order[i]->name);
    if (vzt_strv_contains((char **) script_helpers, name) &&
        !host_has(status, len, name, pool_id2str(job->pool, order[i]->evr), why))
      return false;
  }
  return true;
}

/* Whether the manifest m lists `name` at `version`'s release line, as
 * host_has asks of the host. */
static bool template_has(const struct vzt_manifest *m, const char *name, const char *version, char **why)
{
  for (size_t i = 0; i < m->npackages; i++) {
    const struct vzt_manifest_package *p = &m->packages[i];
    if (!p->name || !p->version || strcmp(p->name, name))
      continue;
    if (same_release_line(p->version, version))
      return true;
    *why = vzt_strdupf("its %s is %s, the target's %s", name, p->version, version);
    return false;
  }
  *why = vzt_strdupf("it has no %s", name);
  return false;
}

/* The native template of the target's release whose dpkg and helpers are
 * the target's, extracted into <root>/../configure-tools: its /usr and /etc
 * then stand in for the host's. 1: how->tools set; 0: none fits (*why says
 * which was looked at and why not); -1: extracting it failed or was refused. */
static int native_tools(const struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                        struct configure_how *how, char **why, struct vzt_error **err)
{
  const struct vzt_recipe *r = job->recipe;
  const struct vzt_arch *native = vzt_arch_host();
  *why = NULL;
  if (!job->extract_template || !job->cache || !r || !r->distribution || !r->release || !native)
    return 0;
  /* The smallest first: minbase, then the recipe's default variant. */
  _cleanup_free_ char *minbase = vzt_build_template_name(r->distribution, r->release, native->canonical,
                                                         "minbase", r->default_variant);
  _cleanup_free_ char *dflt = vzt_build_template_name(r->distribution, r->release, native->canonical,
                                                      r->default_variant, r->default_variant);
  const char *names[] = {minbase, strcmp(minbase, dflt) ? dflt : NULL};
  for (size_t k = 0; k < VZT_ARRAY_SIZE(names) && names[k]; k++) {
    _cleanup_free_ char *rel = vzt_strdupf("templates/%s.json", names[k]);
    _cleanup_free_ char *path = vzt_cache_path(job->cache, rel);
    if (access(path, F_OK) < 0)
      continue;
    struct vzt_manifest m = {0};
    struct vzt_error *e = NULL;
    _cleanup_free_ char *not = NULL;
    if (vzt_manifest_load(path, &m, &e) < 0) {
      not = vzt_error_text(e);
      vzt_error_free(&e);
    } else if ((m.family && strcmp(m.family, "deb")) || !m.architecture ||
               strcmp(m.architecture, native->canonical) || !m.release || strcmp(m.release, r->release)) {
      not = vzt_strdup("it is not this release's native deb template");
    } else if (m.customizations && m.customizations[0]) {
      /* Its files may be the recipe's, not the packages'. */
      not = vzt_strdup("it was customized");
    } else if (!m.archive_sha256) {
      not = vzt_strdup("its manifest names no archive SHA-256");
    } else {
      for (size_t i = 0; i < n && !not; i++) {
        const char *name = pool_id2str(job->pool, order[i]->name);
        if (vzt_strv_contains((char **) script_helpers, name))
          template_has(&m, name, pool_id2str(job->pool, order[i]->evr), &not);
      }
    }
    if (not) {
      free(*why);
      *why = vzt_strdupf("%s in the cache does not fit: %s", names[k], not);
      vzt_manifest_clear(&m);
      continue;
    }
    _cleanup_free_ char *dir = vzt_strdup(root);
    char *slash = strrchr(dir, '/');
    if (slash)
      *slash = '\0';
    _cleanup_free_ char *tools = vzt_path_join(slash ? dir : ".", "configure-tools");
    double t0 = vzt_now();
    if (job->extract_template(job->cache, path, tools, err) < 0) {
      vzt_manifest_clear(&m);
      return vzt_error_prefix(err, "extracting %s, whose dpkg was to configure the %s root (--emulate "
                                   "configures it without)", names[k], job->arch_name);
    }
    vzt_debug("%s extracted for the configure stage in %.1f s", names[k], vzt_now() - t0);
    _cleanup_free_ char *dpkg = vzt_path_join(tools, HOST_DPKG);
    if (access(dpkg, X_OK) < 0) {
      free(*why);
      *why = vzt_strdupf("%s has no %s", names[k], HOST_DPKG);
      vzt_manifest_clear(&m);
      struct vzt_error *e2 = NULL;
      if (vzt_rm_rf(tools, &e2) < 0)
        vzt_error_free(&e2);
      continue;
    }
    how->tools = steal_pointer(&tools);
    how->tools_id = vzt_strdupf("%s@sha256:%s", names[k], m.archive_sha256);
    vzt_manifest_clear(&m);
    return 1;
  }
  if (!*why)
    *why = vzt_strdupf("the cache holds no %s", minbase);
  return 0;
}

/* Native for the host's architecture; for a foreign one chrootless when
 * every package is known to allow it and the programs their scripts call
 * are the target's release: the host's, else those of the release's native
 * template from the cache; else (or with --emulate) under qemu. */
static int configure_how(const struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                         struct configure_how *how, struct vzt_error **err)
{
  static const struct configure_how native = {"native", false, "", NULL, NULL},
                                    emulated = {"emulated", false, "", NULL, NULL},
                                    chrootless = {"chrootless", true, VZT_TARGET_ROOT_AT, NULL, NULL};
  if (job->arch == vzt_arch_host()) {
    *how = native;
    return 0;
  }
  *how = emulated;
  if (job->emulate)
    return 0;
  for (size_t i = 0; i < n; i++) {
    const char *name = pool_id2str(job->pool, order[i]->name);
    if (!vzt_strv_contains((char **) dpkg_root_safe, name)) {
      vzt_info("Configuring under emulation: %s is not known to configure chrootless (DPKG_ROOT)", name);
      return 0;
    }
  }
  _cleanup_free_ char *host_why = NULL, *tmpl_why = NULL;
  if (host_tools_fit(job, order, n, &host_why)) {
    *how = chrootless;
    how->tools_id = vzt_strdup("host");
    return 0;
  }
  int found = native_tools(job, root, order, n, how, &tmpl_why, err);
  if (found < 0)
    return -1;
  if (found) {
    struct configure_how t = chrootless;
    t.tools = how->tools;
    t.tools_id = how->tools_id;
    *how = t;
    vzt_debug("not the host's programs: %s", host_why);
    return 0;
  }
  const struct vzt_recipe *r = job->recipe;
  if (tmpl_why)
    vzt_info("Configuring under emulation: %s, and %s; to configure %s %s chrootless next time, run "
             "`vztmpl build %s:%s --variant minbase` with this cache",
             host_why, tmpl_why, r->distribution, r->release, r->distribution, r->release);
  else
    vzt_info("Configuring under emulation: %s", host_why);
  return 0;
}

/* The host's ldconfig skips libraries of other machines: run chrootless,
 * libc-bin's trigger leaves /etc/ld.so.cache empty. The target's own, under
 * qemu, writes it as an emulated build would: the one program of the
 * target a chrootless build runs, for a second. */
static int foreign_ldconfig(const struct vzt_family_job *job, int rootfd, char *const *env,
                            struct vzt_error **err)
{
  if (faccessat(rootfd, "usr/sbin/ldconfig", X_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
      faccessat(rootfd, "sbin/ldconfig", X_OK, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  char *argv[] = {"ldconfig", NULL};
  return vzt_target_run(job->target, argv, env, false, "ldconfig in the new root", err);
}

/* One step of the configure stage, in the sandbox the mode calls for. */
static int configure_run(const struct vzt_family_job *job, const struct configure_how *how, char *const *argv,
                         char *const *env, const char *what, struct vzt_error **err)
{
  if (how->host)
    return vzt_target_run_host(job->target, how->tools, argv, env, what, err);
  return vzt_target_run(job->target, argv, env, false, what, err);
}

/* dpkg and the options every run of it takes in this mode: the host's works
 * on the root from outside, running the scripts with DPKG_ROOT set, and
 * logs where the root's own would. */
static char **dpkg_argv(const struct configure_how *how)
{
  char **argv = vzt_calloc(1, sizeof(char *));
  if (!how->host) {
    vzt_strv_push(&argv, "dpkg");
  } else {
    vzt_strv_push(&argv, HOST_DPKG);
    vzt_strv_push_take(&argv, vzt_strdupf("--root=%s", how->prefix));
    vzt_strv_push(&argv, "--force-script-chrootless");
    vzt_strv_push_take(&argv, vzt_strdupf("--log=%s/var/log/dpkg.log", how->prefix));
  }
  vzt_strv_push(&argv, "--force-unsafe-io");
  return argv;
}

static int mkdirs(int rootfd, const char *const *dirs, mode_t mode, struct vzt_error **err)
{
  for (size_t i = 0; dirs[i]; i++)
    if (vzt_mkdirat_p(rootfd, dirs[i], mode, err) < 0)
      return -1;
  return 0;
}

/* The empty root as the release's base-files, or for older releases
 * debootstrap and mmdebstrap's merged-usr hook, lay it out. */
static int prepare_root(struct vzt_family_job *job, int rootfd, char *const *links,
                        struct vzt_error **err)
{
  if (vzt_mkdirat_p(rootfd, "usr", 0755, err) < 0)
    return -1;
  for (char *const *l = links; *l; l++) {
    _cleanup_free_ char *target = vzt_strdupf("usr/%s", *l);
    if (vzt_mkdirat_p(rootfd, target, 0755, err) < 0)
      return -1;
    if (symlinkat(target, rootfd, *l) < 0 && errno != EEXIST)
      return vzt_fail_errno(err, errno, "cannot create the merged-/usr link /%s", *l);
  }
  static const char *const dirs[] = {"etc/apt/apt.conf.d", "etc/apt/preferences.d",
                                     "etc/apt/sources.list.d", "etc/apt/trusted.gpg.d",
                                     "etc/dpkg/dpkg.cfg.d", "var/lib/dpkg/info",
                                     "var/lib/dpkg/updates", "var/lib/dpkg/triggers",
                                     "var/lib/dpkg/alternatives", "var/lib/dpkg/vztmpl-unpacked",
                                     "var/lib/apt/lists", "var/cache/apt/archives",
                                     "var/log/apt", "usr/sbin", "proc", "sys", "dev", "run", NULL};
  if (mkdirs(rootfd, dirs, 0755, err) < 0)
    return -1;
  if (mkdirat(rootfd, "tmp", 01777) < 0 && errno != EEXIST)
    return vzt_fail_errno(err, errno, "cannot create /tmp");
  fchmodat(rootfd, "tmp", 01777, 0);
  _cleanup_close_ int dpkg = openat(rootfd, "var/lib/dpkg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dpkg < 0)
    return vzt_fail_errno(err, errno, "cannot open /var/lib/dpkg");
  if (vzt_write_file_atomic(dpkg, "status", "", 0, 0644, err) < 0 ||
      vzt_write_file_atomic(dpkg, "info/format", "1\n", 2, 0644, err) < 0 ||
      vzt_write_file_atomic(dpkg, "arch", job->arch_name, strlen(job->arch_name), 0644, err) < 0)
    return -1;
  /* dpkg's arch file ends with a newline */
  _cleanup_free_ char *arch = vzt_strdupf("%s\n", job->arch_name);
  if (vzt_write_file_atomic(dpkg, "arch", arch, strlen(arch), 0644, err) < 0)
    return -1;
  return 0;
}

struct worker_batch {
  struct vzt_deb_unpack_item *items;
  size_t n;
};

static int unpack_batch(void *arg, struct vzt_error **err)
{
  struct worker_batch *b = arg;
  for (size_t i = 0; i < b->n; i++)
    if (vzt_deb_unpack(&b->items[i], err) < 0)
      return -1;
  return 0;
}

/* Unpacks in `workers` confined processes, biggest packages spread first. */
static int unpack_all(const char *root, Solvable **order, size_t n, char *const *blobs, int workers,
                      struct vzt_error **err)
{
  if (workers < 1)
    workers = 1;
  if ((size_t) workers > n)
    workers = n ? (int) n : 1;
  struct vzt_deb_unpack_item *items = vzt_calloc(n, sizeof(*items));
  struct worker_batch *batches = vzt_calloc(workers, sizeof(*batches));
  unsigned long long *load = vzt_calloc(workers, sizeof(*load));
  size_t *idx = vzt_calloc(n, sizeof(*idx));
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    items[i].fd = -1;
    idx[i] = i;
  }
  for (size_t i = 0; i < n && !ret; i++) {
    items[i].fd = open(blobs[i], O_RDONLY | O_CLOEXEC);
    items[i].name = pool_id2str(order[i]->repo->pool, order[i]->name);
    items[i].seq = (unsigned) i;
    if (items[i].fd < 0)
      ret = vzt_fail_errno(err, errno, "cannot open %s", blobs[i]);
  }
  /* Largest first onto the least loaded worker: the batches end together. */
  struct stat st;
  unsigned long long *sizes = vzt_calloc(n, sizeof(*sizes));
  for (size_t i = 0; i < n && !ret; i++)
    sizes[i] = fstat(items[i].fd, &st) == 0 ? (unsigned long long) st.st_size : 0;
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && sizes[idx[j]] > sizes[idx[j - 1]]; j--) {
      size_t t = idx[j];
      idx[j] = idx[j - 1];
      idx[j - 1] = t;
    }
  for (int w = 0; w < workers; w++)
    batches[w].items = vzt_calloc(n, sizeof(*items));
  for (size_t k = 0; k < n && !ret; k++) {
    int best = 0;
    for (int w = 1; w < workers; w++)
      if (load[w] < load[best])
        best = w;
    batches[best].items[batches[best].n++] = items[idx[k]];
    load[best] += sizes[idx[k]];
  }
  struct vzt_confined *procs = vzt_calloc(workers, sizeof(*procs));
  int started = 0;
  for (int w = 0; w < workers && !ret; w++) {
    if (vzt_confine_spawn(root, unpack_batch, &batches[w], &procs[w], err) < 0)
      ret = -1;
    else
      started++;
  }
  for (int w = 0; w < started; w++) {
    struct vzt_error *e = NULL;
    if (vzt_confine_wait(&procs[w], &e) < 0 && !ret) {
      *err = e;
      ret = -1;
    } else
      vzt_error_free(&e);
  }
  for (size_t i = 0; i < n; i++)
    if (items[i].fd >= 0)
      close(items[i].fd);
  for (int w = 0; w < workers; w++)
    free(batches[w].items);
  free(procs);
  free(batches);
  free(load);
  free(sizes);
  free(idx);
  free(items);
  return ret;
}

/* The workers leave one stanza per package they unpacked ("000042"): their
 * count is how far the unpacking is. Called from the progress thread while
 * workers are being cloned, so nothing here allocates (a malloc lock held at
 * a raw clone would stay held in the child): getdents64 into a stack buffer. */
static uint64_t count_unpacked(void *data)
{
  int fd = openat(*(const int *) data, "var/lib/dpkg/vztmpl-unpacked", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  uint64_t n = 0;
  char buf[8192] __attribute__((aligned(8)));
  for (;;) {
    long got = syscall(SYS_getdents64, fd, buf, sizeof(buf));
    if (got <= 0)
      break;
    for (long off = 0; off < got;) {
      const struct dirent64 *de = (const struct dirent64 *) (buf + off);
      if (strlen(de->d_name) == 6 && strspn(de->d_name, "0123456789") == 6)
        n++;
      off += de->d_reclen;
    }
  }
  close(fd);
  return n;
}

/* The stanzas the workers left, joined in transaction order into status. */
static int write_status(int rootfd, size_t n, struct vzt_error **err)
{
  _cleanup_close_ int dir = openat(rootfd, "var/lib/dpkg/vztmpl-unpacked",
                                   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return vzt_fail_errno(err, errno, "cannot open the unpacked stanzas");
  _cleanup_buf_ struct vzt_buf status = {0};
  vzt_buf_reserve(&status, (size_t) 1 << 20);
  for (size_t i = 0; i < n; i++) {
    char name[24];
    snprintf(name, sizeof(name), "%06zu", i);
    _cleanup_free_ char *data = NULL;
    size_t dlen;
    if (vzt_read_fileat(dir, name, &data, &dlen, err) < 0)
      return -1;
    vzt_buf_append(&status, data, dlen);
    vzt_buf_puts(&status, "\n");
  }
  _cleanup_close_ int dpkg = openat(rootfd, "var/lib/dpkg", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return vzt_write_file_atomic(dpkg, "status", status.data, status.len, 0644, err);
}

static char *info_name(Pool *pool, Solvable *s)
{
  const char *name = pool_id2str(pool, s->name);
  const char *ma = solvable_lookup_str(s, SOLVABLE_MULTIARCH);
  if (ma && !strcmp(ma, "same"))
    return vzt_strdupf("%s:%s", name, pool_id2str(pool, s->arch));
  return vzt_strdup(name);
}

/* preinst install for each package in dependency order, as dpkg runs it before unpacking. */
static int run_preinsts(struct vzt_family_job *job, const struct configure_how *how, int rootfd,
                        Solvable **order, const size_t *seqs, size_t n, char **env, struct vzt_error **err)
{
  const char *r = how->prefix;
  _cleanup_buf_ struct vzt_buf script = {0};
  vzt_buf_printf(&script, "#!/bin/sh\nset -e\nmkdir -p %s/var/lib/dpkg/tmp.ci\n", r);
  Pool *pool = job->pool;
  for (size_t i = 0; i < n; i++) {
    const char *name = pool_id2str(pool, order[i]->name);
    const char *arch = pool_id2str(pool, order[i]->arch);
    _cleanup_free_ char *info = info_name(pool, order[i]);
    _cleanup_free_ char *rel = vzt_strdupf("var/lib/dpkg/info/%s.preinst", info);
    if (faccessat(rootfd, rel, F_OK, 0) < 0)
      continue;
    vzt_buf_printf(&script,
                   "cp %s" VZT_DEB_STANZA_DIR "/%06zu.control %s/var/lib/dpkg/tmp.ci/control\n"
                   "DPKG_MAINTSCRIPT_PACKAGE=%s DPKG_MAINTSCRIPT_ARCH=%s DPKG_MAINTSCRIPT_NAME=preinst "
                   "DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT=1 DPKG_ADMINDIR=%s/var/lib/dpkg DPKG_ROOT=%s "
                   "%s/%s install\n",
                   r, seqs[i], r, name, arch, r, r, r, rel);
  }
  vzt_buf_printf(&script, "rm -rf %s/var/lib/dpkg/tmp.ci\n", r);
  if (vzt_write_file_atomic(rootfd, "tmp/vztmpl-preinst", script.data, script.len, 0755, err) < 0)
    return -1;
  /* Chrootless, the host's shell reads the script (and the preinsts). */
  _cleanup_free_ char *path = vzt_strdupf("%s/tmp/vztmpl-preinst", r);
  char *argv[] = {"/bin/sh", path, NULL};
  int ret = configure_run(job, how, argv, env, "running the packages' preinst scripts", err);
  unlinkat(rootfd, "tmp/vztmpl-preinst", 0);
  return ret;
}

/* /etc/apt/sources.list naming the mirrors the template was built from, and
 * the placeholder fstab, as debootstrap and mmdebstrap leave them. */
static int write_apt_sources(struct vzt_family_job *job, int rootfd, struct vzt_error **err)
{
  _cleanup_buf_ struct vzt_buf text = {0};
  vzt_buf_reserve(&text, 0);
  for (int i = 1; i < job->pool->nrepos; i++) {
    Repo *repo = job->pool->repos[i];
    struct vzt_family_repo *fr = repo ? repo->appdata : NULL;
    if (!fr)
      continue;
    const char *comp = strchr(fr->label, '/');
    vzt_buf_printf(&text, "%sdeb %s %s %s\n", text.len ? "\n" : "", fr->mirrors[0], repo->name,
                   comp ? comp + 1 : "main");
  }
  static const char fstab[] = "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n";
  if (vzt_write_file_atomic(rootfd, "etc/apt/sources.list", text.data, text.len, 0644, err) < 0)
    return -1;
  struct stat st;
  if (fstatat(rootfd, "etc/fstab", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
      vzt_write_file_atomic(rootfd, "etc/fstab", fstab, sizeof(fstab) - 1, 0644, err) < 0)
    return -1;
  return 0;
}

/* The merged-/usr links for this transaction: base-files decides where it
 * ships them itself. */
static int usr_links(struct vzt_family_job *job, Solvable **order, size_t n, char *const *blobs,
                     char ***links, struct vzt_error **err)
{
  _cleanup_close_ int fd = -1;
  for (size_t i = 0; i < n && fd < 0; i++)
    if (!strcmp(pool_id2str(job->pool, order[i]->name), "base-files") &&
        (fd = open(blobs[i], O_RDONLY | O_CLOEXEC)) < 0)
      return vzt_fail_errno(err, errno, "cannot open %s", blobs[i]);
  return vzt_deb_usr_links(fd, job->arch, links, err);
}

int vzt_deb_install(struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                    char *const *blobs, struct vzt_error **err)
{
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", root);
  _cleanup_strv_ char **links = NULL;
  if (usr_links(job, order, n, blobs, &links, err) < 0 || prepare_root(job, rootfd, links, err) < 0)
    return -1;
  double t0 = vzt_now();
  struct vzt_progress *bar = vzt_progress_begin("Unpacking", n, false);
  vzt_progress_poll(bar, count_unpacked, &rootfd);
  int ur = unpack_all(root, order, n, blobs, job->parallel_unpack, err);
  vzt_progress_end(bar);
  if (ur < 0)
    return -1;
  if (write_status(rootfd, n, err) < 0)
    return -1;
  /* Packages' "./bin/" entries reach the merged-/usr links and set their
   * times; which package's time wins depends on the workers' race, so give
   * the links the build's epoch. */
  struct timespec times[2] = {{.tv_sec = job->epoch}, {.tv_sec = job->epoch}};
  for (char **l = links; *l; l++)
    utimensat(rootfd, *l, times, AT_SYMLINK_NOFOLLOW);
  vzt_info("Unpacked %zu packages in %.1f s", n, vzt_now() - t0);
  if (vzt_write_file_atomic(rootfd, "usr/sbin/policy-rc.d", policy_rc_d, sizeof(policy_rc_d) - 1,
                            0755, err) < 0)
    return -1;
  if (vzt_customize_hooks(job->recipe, job->target, VZT_HOOK_AFTER_EXTRACT, &job->customized,
                          err) < 0)
    return -1;
  _cleanup_strv_ char **env = vzt_target_env(job->epoch);
  __attribute__((cleanup(configure_how_clear))) struct configure_how how = {0};
  if (configure_how(job, root, order, n, &how, err) < 0)
    return -1;
  job->configure = how.mode;
  free(job->configure_tools);
  job->configure_tools = how.tools_id ? vzt_strdup(how.tools_id) : NULL;
  if (how.host && !how.tools)
    vzt_info("Configuring chrootless: the host's dpkg works on the %s root (of its own "
             "programs only ldconfig runs)", job->arch_name);
  else if (how.host)
    vzt_info("Configuring chrootless: the dpkg of %s works on the %s root (of its own programs "
             "only ldconfig runs)", how.tools_id, job->arch_name);
  t0 = vzt_now();
  /* Essential packages first, as debootstrap and apt do: the others' scripts
   * may rely on them (passwd's postinst reads login's login.defs). */
  Solvable **essential = vzt_calloc(n + 1, sizeof(*essential));
  Solvable **rest = vzt_calloc(n + 1, sizeof(*rest));
  size_t *eseq = vzt_calloc(n + 1, sizeof(size_t)), *rseq = vzt_calloc(n + 1, sizeof(size_t));
  size_t ne = 0, nr = 0;
  _cleanup_strv_ char **configure = dpkg_argv(&how);
  /* dpkg orders by Depends only; the transaction order also honours
   * Pre-Depends, as mmdebstrap relies on with --force-depends. */
  vzt_strv_push(&configure, "--force-depends");
  vzt_strv_push(&configure, "--configure");
  for (size_t i = 0; i < n; i++) {
    const char *name = pool_id2str(job->pool, order[i]->name);
    if (vzt_strv_contains(job->essential_names, name)) {
      eseq[ne] = i;
      essential[ne++] = order[i];
      vzt_strv_push_take(&configure, info_name(job->pool, order[i]));
    } else
      rseq[nr] = i, rest[nr++] = order[i];
  }
  /* dpkg runs in the sandbox: the bar shows the time it has taken so far. */
  _cleanup_free_ char *label = vzt_strdupf("Configuring %zu packages", n);
  /* With -v the scripts' own output goes to stderr: no bar to cut it up. */
  bar = vzt_log_verbosity() > VZT_LOG_INFO ? NULL : vzt_progress_begin(label, 0, false);
  double ts = vzt_now();
  int r = run_preinsts(job, &how, rootfd, essential, eseq, ne, env, err);
  vzt_debug("preinst of %zu Essential packages: %.1f s", ne, vzt_now() - ts);
  ts = vzt_now();
  if (r == 0 && ne)
    r = configure_run(job, &how, configure, env, "configuring the Essential packages", err);
  vzt_debug("configuring them: %.1f s", vzt_now() - ts);
  ts = vzt_now();
  if (r == 0)
    r = run_preinsts(job, &how, rootfd, rest, rseq, nr, env, err);
  vzt_debug("preinst of the %zu others: %.1f s", nr, vzt_now() - ts);
  ts = vzt_now();
  _cleanup_strv_ char **argv = dpkg_argv(&how);
  /* The host's dpkg takes its own architecture for the database's native
   * one: to it an Architecture: all package's dependency on the target's
   * libpam-modules is unmet. The resolver checked them for the target. */
  if (how.host)
    vzt_strv_push(&argv, "--force-depends");
  vzt_strv_push(&argv, "--configure");
  vzt_strv_push(&argv, "-a");
  if (r == 0)
    r = configure_run(job, &how, argv, env, "dpkg --configure -a in the new root", err);
  if (r == 0 && how.host)
    r = foreign_ldconfig(job, rootfd, env, err);
  vzt_progress_end(bar);
  vzt_debug("configuring the others: %.1f s", vzt_now() - ts);
  free(essential);
  free(rest);
  free(eseq);
  free(rseq);
  /* The tools' tree goes with this stage, whatever came of it. */
  struct vzt_error *e = NULL;
  if (how.tools && vzt_rm_rf(how.tools, &e) < 0) {
    vzt_warn("could not remove %s: %s", how.tools, e->msg);
    vzt_error_free(&e);
  }
  if (r < 0 || vzt_rm_rf_at(rootfd, "var/lib/dpkg/vztmpl-unpacked", err) < 0)
    return -1;
  vzt_info("Configured %zu packages in %.1f s", n, vzt_now() - t0);
  if (unlinkat(rootfd, "usr/sbin/policy-rc.d", 0) < 0)
    return vzt_fail_errno(err, errno, "cannot remove the build's policy-rc.d");
  return write_apt_sources(job, rootfd, err);
}
