/* The install stage of both RPM families, as mmdebstrap does it with dpkg:
 * every payload is first extracted natively (libarchive reads the RPM lead
 * and header away and the cpio payload in any compression) in a process
 * confined to the root, so that the target's own rpm, its libraries and a
 * shell are there; then rpm installs the transaction for real, which
 * registers each package in the rpmdb where that release keeps it, runs
 * the scriptlets in its order and sets owners, modes and capabilities from
 * the headers. The target's rpm runs inside the build sandbox; a package
 * set without rpm (a small test repository) gets the host's, with --root. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "tmpl/archive-io.h"
#include "tmpl/target-run.h"
#include "tmpl/customize.h"
#include "kernel-support/confine.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where the packages are put for the target's rpm: inside the root, since
 * the sandbox sees nothing else, at its top (a package's /tmp may be a
 * symlink), and removed afterwards. */
#define RPM_DROP_DIR ".vztmpl-rpms"

struct payloads {
  int *fds;
  char **names;
  size_t n;
};

/* One payload into the (chrooted) working directory. Owners come from the
 * cpio headers here; rpm sets them from the package header afterwards. */
static int extract_payload(int fd, const char *name, struct vzt_error **err)
{
  _cleanup_archive_read_ struct archive *in = archive_read_new();
  archive_read_support_filter_all(in);
  archive_read_support_format_cpio(in);
  if (archive_read_open_fd(in, fd, 1 << 16) != ARCHIVE_OK)
    return vzt_refuse(err, "package %s: cannot read its payload: %s", name,
                      archive_error_string(in));
  _cleanup_archive_write_ struct archive *out = vzt_archive_disk_writer();
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    /* rpm writes every member as "./..."; anything else is not a package's. */
    if (strncmp(path, "./", 2) && strcmp(path, "."))
      return vzt_refuse(err, "package %s: unexpected path %s in its payload", name, path);
    if (vzt_archive_check_entry(e, name, err) < 0)
      return vzt_error_prefix(err, "package");
    int ft = archive_entry_filetype(e);
    /* Device nodes are rpm's to create, from the header, in the next step. */
    if (ft != AE_IFREG && ft != AE_IFDIR && ft != AE_IFLNK && !archive_entry_hardlink(e))
      continue;
    if (vzt_archive_copy_entry(in, out, e, name, path, err) < 0)
      return vzt_error_prefix(err, "package %s", name);
  }
  if (r != ARCHIVE_EOF)
    return vzt_refuse(err, "package %s: corrupt payload: %s", name, archive_error_string(in));
  if (archive_write_close(out) != ARCHIVE_OK)
    return vzt_fail(err, "package %s: %s", name, archive_error_string(out));
  return 0;
}

static int extract_all(void *arg, struct vzt_error **err)
{
  const struct payloads *p = arg;
  for (size_t i = 0; i < p->n; i++)
    if (extract_payload(p->fds[i], p->names[i], err) < 0)
      return -1;
  return 0;
}

static int extract_payloads(const char *root, Solvable **order, size_t n, char *const *blobs,
                            struct vzt_error **err)
{
  struct payloads p = {.fds = vzt_calloc(n + 1, sizeof(int)), .names = vzt_calloc(n + 1, sizeof(char *)),
                       .n = n};
  int ret = 0;
  for (size_t i = 0; i < n; i++)
    p.fds[i] = -1;
  for (size_t i = 0; i < n && !ret; i++) {
    /* A copy: libsolv reuses the buffer it returns. */
    p.names[i] = vzt_strdup(pool_solvable2str(order[i]->repo->pool, order[i]));
    if ((p.fds[i] = open(blobs[i], O_RDONLY | O_CLOEXEC)) < 0)
      ret = vzt_fail_errno(err, errno, "cannot open %s", blobs[i]);
  }
  if (!ret)
    ret = vzt_confine_run(root, extract_all, &p, err);
  for (size_t i = 0; i < n; i++) {
    if (p.fds[i] >= 0)
      close(p.fds[i]);
    free(p.names[i]);
  }
  free(p.fds);
  free(p.names);
  return ret;
}

/* The options every rpm run here shares: dependencies were resolved and the
 * order is rpm's own; signatures were checked against the recipe's pinned
 * keys (the target's rpmdb holds none yet); the files the native extraction
 * wrote are replaced. */
static void push_rpm_options(char ***argv)
{
  static const char *const opts[] = {"-i", "--nodeps", "--replacepkgs", "--replacefiles",
                                     "--nosignature", "--ignorearch", "--ignoreos"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(opts); i++)
    vzt_strv_push(argv, opts[i]);
}

/* Hard links the packages into a new directory of the root (the build
 * directory is in the cache, beside the blobs). mkdirat fails on anything
 * already there, a symlink included, so nothing lands outside the root. */
static int drop_packages(int rootfd, char *const *blobs, size_t n, char ***paths,
                         struct vzt_error **err)
{
  if (mkdirat(rootfd, RPM_DROP_DIR, 0700) < 0)
    return vzt_fail_errno(err, errno, "cannot create /%s in the root", RPM_DROP_DIR);
  _cleanup_close_ int dirfd = openat(rootfd, RPM_DROP_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0)
    return vzt_fail_errno(err, errno, "cannot open /%s in the root", RPM_DROP_DIR);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *name = vzt_strdupf("%zu.rpm", i);
    /* A build root in memory (tmpfs) is another file system than the cache. */
    if (linkat(AT_FDCWD, blobs[i], dirfd, name, 0) < 0) {
      if (errno != EXDEV)
        return vzt_fail_errno(err, errno, "cannot link %s into the root", blobs[i]);
      if (vzt_copy_file_at(blobs[i], dirfd, name, 0644, err) < 0)
        return -1;
    }
    vzt_strv_push_take(paths, vzt_strdupf("/" RPM_DROP_DIR "/%s", name));
  }
  return 0;
}

static int run_target_rpm(struct vzt_family_job *job, const char *root, char *const *blobs,
                          size_t n, struct vzt_error **err)
{
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", root);
  _cleanup_strv_ char **argv = NULL;
  vzt_strv_push(&argv, "rpm");
  push_rpm_options(&argv);
  int ret = drop_packages(rootfd, blobs, n, &argv, err);
  _cleanup_strv_ char **env = vzt_target_env(job->epoch);
  if (!ret)
    ret = vzt_target_run(job->target, argv, env, false, "rpm (installing the packages)", err);
  struct vzt_error *e = NULL;
  if (vzt_rm_rf_at(rootfd, RPM_DROP_DIR, &e) < 0 && !ret && e->errnum != ENOENT) {
    *err = e;
    return -1;
  }
  vzt_error_free(&e);
  return ret;
}

/* The host's rpm on a root without one: rpm chroots into it for each
 * scriptlet. Its output goes to the same log as the sandbox's. */
static int run_host_rpm(struct vzt_family_job *job, const char *root, char *const *blobs, size_t n,
                        struct vzt_error **err)
{
  _cleanup_strv_ char **argv = NULL;
  vzt_strv_push(&argv, "rpm");
  vzt_strv_push(&argv, "--root");
  vzt_strv_push(&argv, root);
  /* Where rpm upstream keeps it (Debian's rpm would use ~/.rpmdb). */
  vzt_strv_push(&argv, "--dbpath");
  vzt_strv_push(&argv, "/var/lib/rpm");
  push_rpm_options(&argv);
  for (size_t i = 0; i < n; i++)
    vzt_strv_push(&argv, blobs[i]);
  _cleanup_free_ char *log = vzt_strdupf("%s/../configure.log", root);
  _cleanup_close_ int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", log);
  _cleanup_strv_ char **env = vzt_target_env(job->epoch);
  _cleanup_kill_ pid_t pid = fork();
  if (pid < 0)
    return vzt_fail_errno(err, errno, "cannot start the host's rpm");
  if (pid == 0) {
    if (vzt_log_verbosity() < VZT_LOG_DEBUG) {
      dup2(logfd, STDOUT_FILENO);
      dup2(logfd, STDERR_FILENO);
    }
    execvpe("rpm", argv, env);
    _exit(127);
  }
  int status;
  if (vzt_reap(&pid, &status) < 0)
    return vzt_fail_errno(err, errno, "waiting for the host's rpm");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return vzt_fail(err, "the packages include no rpm, and the host has none to install them "
                         "with: install the host's rpm package");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return vzt_fail(err, "the host's rpm --root %s failed (status %d); its output is in %s", root,
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), log);
  return 0;
}

int vzt_rpm_install(struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                    char *const *blobs, struct vzt_error **err)
{
  double t0 = vzt_now();
  if (extract_payloads(root, order, n, blobs, err) < 0)
    return -1;
  vzt_info("Unpacked %zu packages in %.1f s", n, vzt_now() - t0);
  if (vzt_customize_hooks(job->recipe, job->target, VZT_HOOK_AFTER_EXTRACT, &job->customized,
                          err) < 0)
    return -1;
  t0 = vzt_now();
  /* Looked at without following a link: an absolute one means the host's
   * file out here, the target's in the sandbox. */
  _cleanup_free_ char *target_rpm = vzt_path_join(root, "usr/bin/rpm");
  struct stat st;
  bool own = lstat(target_rpm, &st) == 0;
  int r = own ? run_target_rpm(job, root, blobs, n, err) : run_host_rpm(job, root, blobs, n, err);
  if (r < 0)
    return -1;
  vzt_info("Installed %zu packages with %s rpm in %.1f s", n, own ? "the target's" : "the host's",
           vzt_now() - t0);
  return 0;
}
