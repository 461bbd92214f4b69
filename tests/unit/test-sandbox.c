/* Unit tests for kernel-support/sandbox.c and confine.c; they need root and a static busybox. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-support/confine.h"
#include "kernel-support/sandbox.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#define BUSYBOX "/bin/busybox" /* Debian's busybox-static */

static char tmpdir[] = "/tmp/vzt-test-sandbox-XXXXXX";
static char root[64];

static void copy_file(const char *from, const char *to, mode_t mode)
{
  _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(in, 0);
  _cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  ck_assert_int_ge(out, 0);
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof(buf))) > 0)
    ck_assert_int_eq(vzt_write_all(out, buf, (size_t) n), 0);
  ck_assert_int_eq(n, 0);
}

static void make_root(void)
{
  static const char *const applets[] = {"sh", "cat", "echo", "hostname", "ls", "test", "kill", "sleep"};
  /* Each test case has its own root. */
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/vzt-test-sandbox-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  snprintf(root, sizeof(root), "%s/root", tmpdir);
  ck_assert_int_eq(mkdir(root, 0755), 0);
  _cleanup_free_ char *bin = vzt_path_join(root, "bin");
  _cleanup_free_ char *tmp = vzt_path_join(root, "tmp");
  ck_assert_int_eq(mkdir(bin, 0755), 0);
  ck_assert_int_eq(mkdir(tmp, 01777), 0);
  _cleanup_free_ char *bb = vzt_path_join(bin, "busybox");
  copy_file(BUSYBOX, bb, 0755);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(applets); i++) {
    _cleanup_free_ char *l = vzt_path_join(bin, applets[i]);
    ck_assert_int_eq(symlink("busybox", l), 0);
  }
}

static void remove_root(void)
{
  struct vzt_error *err = NULL;
  vzt_rm_rf(tmpdir, &err);
  vzt_error_free(&err);
}

static int count_mounts(void)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  ck_assert_ptr_nonnull(f);
  int n = 0, c;
  while ((c = fgetc(f)) != EOF)
    if (c == '\n')
      n++;
  fclose(f);
  return n;
}

static char *const test_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", "LC_ALL=C", NULL};

/* Runs a shell command in the sandbox; returns its exit status, its output in *out. */
static int run_sh(const char *script, bool network, char **out)
{
  char *const argv[] = {"sh", "-c", (char *) script, NULL};
  _cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  struct vzt_sandbox_opts o = {
      .root = root,
      .argv = argv,
      .envp = test_env,
      .hostname = "vzt-test",
      .network = network,
      .stdout_fd = fd,
      .stderr_fd = -1,
  };
  struct vzt_error *err = NULL;
  int status = -1;
  if (vzt_sandbox_run(&o, &status, &err) < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("sandbox failed: %s", m);
  }
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  char *buf = calloc(1, (size_t) st.st_size + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_int_eq(pread(fd, buf, (size_t) st.st_size, 0), st.st_size);
  if (out)
    *out = buf;
  else
    free(buf);
  return status;
}

START_TEST(test_pid_namespace)
{
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(run_sh("echo $$; cat /proc/1/cmdline; echo", false, &out), 0);
  /* Our pid 1 runs the command as pid 2; pid 1 is the sandbox's, not init. */
  ck_assert_msg(vzt_startswith(out, "2\n"), "pid: %s", out);
  ck_assert_msg(strstr(out, "systemd") == NULL && strstr(out, "/sbin/init") == NULL, "pid 1: %s", out);
}
END_TEST

START_TEST(test_root_and_hostname)
{
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(run_sh("hostname; ls /", false, &out), 0);
  ck_assert_msg(vzt_startswith(out, "vzt-test\n"), "%s", out);
  ck_assert_msg(strstr(out, "busybox") == NULL && strstr(out, "\nbin\n"), "/ is not the root: %s", out);
  char host[256];
  ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
  ck_assert_str_ne(host, "vzt-test");
}
END_TEST

START_TEST(test_dev)
{
  _cleanup_free_ char *out = NULL;
  const char *script = "echo hidden > /dev/null && test -c /dev/null && test -c /dev/zero && "
                       "test -c /dev/full && test -c /dev/urandom && test -c /dev/random && "
                       "test -c /dev/pts/ptmx && test -L /dev/ptmx && test -d /dev/shm && "
                       "test -L /dev/fd && test -d /proc/self && echo written | cat /dev/stdin && "
                       "cat /dev/null && ls /dev";
  ck_assert_int_eq(run_sh(script, false, &out), 0);
  ck_assert_msg(vzt_startswith(out, "written\n"), "%s", out);
  ck_assert_ptr_null(strstr(out, "hidden"));
  /* Only the minimal /dev, not the host's. */
  ck_assert_ptr_null(strstr(out, "loop0"));
  ck_assert_ptr_null(strstr(out, "kmsg"));
}
END_TEST

START_TEST(test_mounts_inside)
{
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(run_sh("cat /proc/self/mounts", false, &out), 0);
  ck_assert_msg(strstr(out, "proc /proc proc "), "%s", out);
  ck_assert_msg(strstr(out, " /dev tmpfs "), "%s", out);
  ck_assert_msg(strstr(out, "devpts /dev/pts devpts "), "%s", out);
  /* The host's mounts are gone with the old root. */
  ck_assert_msg(!strstr(out, tmpdir), "%s", out);
  /* /sys may be missing (a kernel that refuses it), never writable. */
  const char *sys = strstr(out, " /sys ");
  if (sys) {
    const char *opts = strchr(sys + 6, ' ');
    ck_assert_msg(opts && strncmp(opts, " ro,", 4) == 0, "/sys: %s", sys);
  }
}
END_TEST

START_TEST(test_no_network)
{
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(run_sh("cat /proc/net/dev", false, &out), 0);
  int ifaces = 0;
  for (char *p = out; (p = strchr(p, ':')); p++)
    ifaces++;
  ck_assert_msg(ifaces == 1 && strstr(out, "lo:"), "interfaces: %s", out);
}
END_TEST

/* The options exec adds: an attach hook before anything runs, rlimits, a
 * cgroup namespace, forwarded signals. */
struct attach_seen {
  pid_t pid;
  bool fail;
};

static int attach_hook(pid_t pid, void *arg, struct vzt_error **err)
{
  struct attach_seen *a = arg;
  a->pid = pid;
  if (a->fail)
    return vzt_fail(err, "attach refused for the test");
  return 0;
}

static int run_opts(struct vzt_sandbox_opts *o, const char *script, char **out, struct vzt_error **err)
{
  char *const argv[] = {"sh", "-c", (char *) script, NULL};
  _cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  o->root = root;
  o->argv = argv;
  o->envp = test_env;
  o->stdout_fd = fd;
  o->stderr_fd = -1;
  int status = -1;
  if (vzt_sandbox_run(o, &status, err) < 0)
    return -1;
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  *out = calloc(1, (size_t) st.st_size + 1);
  ck_assert_int_eq(pread(fd, *out, (size_t) st.st_size, 0), st.st_size);
  return status;
}

START_TEST(test_attach_rlimits_cgroup_ns)
{
  struct attach_seen seen = {0, false};
  struct vzt_sandbox_rlimit rl = {RLIMIT_NOFILE, 17, 17};
  struct vzt_sandbox_opts o = {.attach = attach_hook, .attach_arg = &seen, .rlimits = &rl, .nrlimits = 1,
                               .cgroup_ns = true};
  struct vzt_error *err = NULL;
  _cleanup_free_ char *out = NULL;
  ck_assert_int_eq(run_opts(&o, "ulimit -n; cat /proc/self/cgroup", &out, &err), 0);
  ck_assert_int_gt(seen.pid, 0);
  ck_assert_msg(vzt_startswith(out, "17\n"), "%s", out);
  /* In its own cgroup namespace every path is the root. */
  for (char *l = strchr(out, '\n') + 1; *l; l += strcspn(l, "\n") + 1) {
    size_t len = strcspn(l, "\n");
    ck_assert_msg(len >= 2 && l[len - 2] == ':' && l[len - 1] == '/', "not the root of its cgroups: %s", out);
  }

  /* A failing attach fails the run before the command starts. */
  seen.fail = true;
  _cleanup_free_ char *flag = vzt_path_join(root, "tmp/ran");
  _cleanup_free_ char *out2 = NULL;
  ck_assert_int_eq(run_opts(&o, "echo > /tmp/ran", &out2, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "attach refused"));
  vzt_error_free(&err);
  ck_assert_int_ne(access(flag, F_OK), 0);
}
END_TEST

START_TEST(test_signals_forwarded)
{
  /* A helper sends us SIGTERM once the command has set its trap (it says so
   * with a file); the command's trap sees it. The command would loop until
   * check's timeout if the signal never reached it. */
  struct sigaction before;
  ck_assert_int_eq(sigaction(SIGTERM, NULL, &before), 0);
  _cleanup_free_ char *ready = vzt_path_join(root, "tmp/trap-set");
  unlink(ready);
  pid_t me = getpid();
  pid_t helper = fork();
  ck_assert_int_ge(helper, 0);
  if (helper == 0) {
    /* polls for the file, bounded well below the test's timeout */
    for (int i = 0; i < 5000 && access(ready, F_OK) != 0; i++)
      usleep(10 * 1000);
    kill(me, SIGTERM);
    _exit(0);
  }
  struct vzt_sandbox_opts o = {.forward_signals = true};
  struct vzt_error *err = NULL;
  _cleanup_free_ char *out = NULL;
  int st = run_opts(&o, "trap 'echo got TERM; exit 42' TERM; echo > /tmp/trap-set; while :; do sleep 0.1; done",
                    &out, &err);
  waitpid(helper, NULL, 0);
  ck_assert_int_eq(st, 42);
  ck_assert_str_eq(out, "got TERM\n");
  /* Our own disposition is back afterwards. */
  struct sigaction sa;
  ck_assert_int_eq(sigaction(SIGTERM, NULL, &sa), 0);
  ck_assert_ptr_eq((void *) sa.sa_handler, (void *) before.sa_handler);
}
END_TEST

START_TEST(test_exit_status)
{
  ck_assert_int_eq(run_sh("exit 7", false, NULL), 7);
  ck_assert_int_eq(run_sh("true", false, NULL), 0);
  ck_assert_int_eq(run_sh("kill -9 $$", false, NULL), 128 + 9);
}
END_TEST

START_TEST(test_orphans_do_not_outlive)
{
  /* A daemon left behind dies with the sandbox: the run does not wait for it. */
  ck_assert_int_eq(run_sh("busybox sleep 1000 & exit 3", false, NULL), 3);
}
END_TEST

START_TEST(test_host_unchanged)
{
  int before = count_mounts();
  ck_assert_int_eq(run_sh("true", false, NULL), 0);
  ck_assert_int_eq(run_sh("true", true, NULL), 0);
  ck_assert_int_eq(count_mounts(), before);
  /* The root keeps only mount-point directories, and /dev nothing. */
  _cleanup_closedir_ DIR *d = opendir(root);
  ck_assert_ptr_nonnull(d);
  struct dirent *de;
  static const char *const allowed[] = {".", "..", "bin", "tmp", "proc", "dev", "sys"};
  while ((de = readdir(d))) {
    bool ok = false;
    for (size_t i = 0; i < VZT_ARRAY_SIZE(allowed); i++)
      ok = ok || strcmp(de->d_name, allowed[i]) == 0;
    ck_assert_msg(ok, "left in the root: %s", de->d_name);
  }
  _cleanup_free_ char *dev = vzt_path_join(root, "dev");
  _cleanup_closedir_ DIR *dd = opendir(dev);
  ck_assert_ptr_nonnull(dd);
  int n = 0;
  while ((de = readdir(dd)))
    n++;
  ck_assert_int_eq(n, 2);
  struct stat st;
  _cleanup_free_ char *proc = vzt_path_join(root, "proc");
  ck_assert_int_eq(stat(proc, &st), 0);
  ck_assert_int_eq(st.st_mode & 07777, 0555);
}
END_TEST

START_TEST(test_setup_errors)
{
  struct vzt_error *err = NULL;
  int status = -1;
  char *const argv[] = {"no-such-command", NULL};
  struct vzt_sandbox_opts o = {
      .root = root, .argv = argv, .envp = test_env, .stdout_fd = -1, .stderr_fd = -1};
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_msg(strstr(err->msg, "no-such-command") && strstr(err->msg, root), "%s", err->msg);
  ck_assert_int_eq(err->errnum, ENOENT);
  vzt_error_free(&err);

  /* A mount point that is a symlink must not carry a mount elsewhere. */
  _cleanup_free_ char *other = vzt_strdupf("%s/other", tmpdir);
  ck_assert_int_eq(mkdir(other, 0755), 0);
  _cleanup_free_ char *sys = vzt_path_join(root, "sys");
  ck_assert(rmdir(sys) == 0 || errno == ENOENT);
  ck_assert_int_eq(symlink(other, sys), 0);
  char *const argv2[] = {"true", NULL};
  o.argv = argv2;
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_msg(strstr(err->msg, "/sys") && err->errnum == ENOTDIR, "%s", err->msg);
  vzt_error_free(&err);
  ck_assert_int_eq(unlink(sys), 0);
  ck_assert_int_eq(rmdir(other), 0);

  o.root = "/nonexistent-vzt-root";
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "/nonexistent-vzt-root"));
  vzt_error_free(&err);
}
END_TEST

/* confine */

struct write_job {
  const char *path;
  const char *link; /* created first if set: a symlink to "/" */
};

static int write_fn(void *arg, struct vzt_error **err)
{
  const struct write_job *j = arg;
  if (j->link && symlink("/", j->link) < 0)
    return vzt_fail_errno(err, errno, "symlink %s", j->link);
  int fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", j->path);
  close(fd);
  return 0;
}

static int refuse_fn(void *arg, struct vzt_error **err)
{
  return vzt_refuse(err, "payload of %s is bad", (const char *) arg);
}

static int crash_fn(void *arg, struct vzt_error **err)
{
  abort();
}

START_TEST(test_confine_writes_inside)
{
  struct vzt_error *err = NULL;
  _cleanup_free_ char *name = vzt_strdupf("/vzt-confine-%d", (int) getpid());
  struct write_job j = {name, NULL};
  ck_assert_int_eq(access(name, F_OK), -1);
  if (vzt_confine_run(root, write_fn, &j, &err) < 0)
    ck_abort_msg("confine: %s", err->msg);
  _cleanup_free_ char *inside = vzt_strdupf("%s%s", root, name);
  ck_assert_int_eq(access(inside, F_OK), 0);
  ck_assert_int_eq(access(name, F_OK), -1);
  unlink(inside);
}
END_TEST

START_TEST(test_confine_symlink_escape)
{
  struct vzt_error *err = NULL;
  _cleanup_free_ char *target = vzt_strdupf("esc/tmp/vzt-confine-esc-%d", (int) getpid());
  struct write_job j = {target, "esc"};
  if (vzt_confine_run(root, write_fn, &j, &err) < 0)
    ck_abort_msg("confine: %s", err->msg);
  _cleanup_free_ char *inside = vzt_strdupf("%s/tmp/vzt-confine-esc-%d", root, (int) getpid());
  _cleanup_free_ char *outside = vzt_strdupf("/tmp/vzt-confine-esc-%d", (int) getpid());
  ck_assert_int_eq(access(inside, F_OK), 0);
  ck_assert_int_eq(access(outside, F_OK), -1);
  unlink(inside);
  _cleanup_free_ char *esc = vzt_path_join(root, "esc");
  unlink(esc);
}
END_TEST

START_TEST(test_confine_errors)
{
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_confine_run(root, refuse_fn, "x.deb", &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_str_eq(err->msg, "payload of x.deb is bad");
  vzt_error_free(&err);

  /* errno travels too. */
  struct write_job j = {"/no/such/dir/file", NULL};
  ck_assert_int_eq(vzt_confine_run(root, write_fn, &j, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  ck_assert_int_eq(err->errnum, ENOENT);
  ck_assert_str_eq(err->msg, "cannot create /no/such/dir/file");
  vzt_error_free(&err);

  ck_assert_int_eq(vzt_confine_run(root, crash_fn, NULL, &err), -1);
  ck_assert_msg(strstr(err->msg, "signal 6"), "%s", err->msg);
  vzt_error_free(&err);

  ck_assert_int_eq(vzt_confine_run("/nonexistent-vzt-root", refuse_fn, "x", &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  ck_assert_ptr_nonnull(strstr(err->msg, "/nonexistent-vzt-root"));
  vzt_error_free(&err);
}
END_TEST

/* The host's programs on the root at /target: the host's /usr read-only,
 * the root writable, and none of the host's /run, /var or /home. */
START_TEST(test_root_at)
{
  char *const argv[] = {"/bin/sh", "-c",
                        "test -x /target/bin/busybox && test -x /usr/bin/dpkg && "
                        "echo made > /target/tmp/made && ! touch /usr/vzt-test 2>/dev/null && "
                        "! touch /vzt-test 2>/dev/null && ! test -e /run/. && ! test -e /var/. && "
                        "! test -e /home/. && echo ok",
                        NULL};
  _cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  struct vzt_sandbox_opts o = {.root = root, .root_at = "/target", .argv = argv, .envp = test_env,
                               .stdout_fd = fd, .stderr_fd = -1};
  struct vzt_error *err = NULL;
  int status = -1;
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), 0);
  char buf[64] = {0};
  ck_assert_int_ge(pread(fd, buf, sizeof(buf) - 1, 0), 0);
  ck_assert_msg(status == 0 && !strcmp(buf, "ok\n"), "status %d: %s", status, buf);
  _cleanup_free_ char *made = vzt_path_join(root, "tmp/made");
  ck_assert_int_eq(access(made, F_OK), 0);
  ck_assert_int_ne(access("/usr/vzt-test", F_OK), 0);

  /* Only one absolute component. */
  o.root_at = "target";
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), -1);
  vzt_error_free(&err);
  o.root_at = "/a/b";
  ck_assert_int_eq(vzt_sandbox_run(&o, &status, &err), -1);
  vzt_error_free(&err);
}
END_TEST

/* With opts.tools the stage's /usr, /etc and merged-/usr links are that
 * tree's, not the host's: here a tree whose /usr is the host's (so its
 * shell runs) but whose /etc is its own. */
START_TEST(test_root_at_tools)
{
  char link[16] = {0};
  if (readlink("/bin", link, sizeof(link) - 1) < 0 || strcmp(link, "usr/bin"))
    return; /* written for a merged-/usr host */
  char tools[] = "/tmp/vzt-tools-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tools));
  _cleanup_free_ char *usr = vzt_path_join(tools, "usr");
  _cleanup_free_ char *etc = vzt_path_join(tools, "etc");
  _cleanup_free_ char *bin = vzt_path_join(tools, "bin");
  _cleanup_free_ char *lib = vzt_path_join(tools, "lib");
  _cleanup_free_ char *lib64 = vzt_path_join(tools, "lib64");
  _cleanup_free_ char *mark = vzt_path_join(tools, "etc/vzt-tools");
  ck_assert_int_eq(symlink("/usr", usr), 0);
  ck_assert_int_eq(mkdir(etc, 0755), 0);
  ck_assert_int_eq(symlink("usr/bin", bin), 0);
  ck_assert_int_eq(symlink("usr/lib", lib), 0);
  ck_assert_int_eq(symlink("usr/lib64", lib64), 0);
  FILE *f = fopen(mark, "we");
  ck_assert_ptr_nonnull(f);
  fputs("tools\n", f);
  ck_assert_int_eq(fclose(f), 0);
  char *const argv[] = {"/bin/sh", "-c",
                        "cat /etc/vzt-tools && ! test -e /etc/passwd && test -x /target/bin/busybox && "
                        "! touch /etc/vzt-test 2>/dev/null && echo ok",
                        NULL};
  _cleanup_close_ int fd = memfd_create("out", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  struct vzt_sandbox_opts o = {.root = root, .root_at = "/target", .tools = tools, .argv = argv,
                               .envp = test_env, .stdout_fd = fd, .stderr_fd = -1};
  struct vzt_error *err = NULL;
  int status = -1;
  int r = vzt_sandbox_run(&o, &status, &err);
  char buf[64] = {0};
  ck_assert_int_ge(pread(fd, buf, sizeof(buf) - 1, 0), 0);
  struct vzt_error *e = NULL;
  ck_assert_int_eq(vzt_rm_rf(tools, &e), 0);
  ck_assert_msg(r == 0, "%s", err ? err->msg : "");
  ck_assert_msg(status == 0 && !strcmp(buf, "tools\nok\n"), "status %d: %s", status, buf);
}
END_TEST

static Suite *sandbox_suite(void)
{
  Suite *s = suite_create("sandbox");
  TCase *tc = tcase_create("sandbox");
  tcase_add_unchecked_fixture(tc, make_root, remove_root);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_pid_namespace);
  tcase_add_test(tc, test_root_and_hostname);
  tcase_add_test(tc, test_dev);
  tcase_add_test(tc, test_mounts_inside);
  tcase_add_test(tc, test_no_network);
  tcase_add_test(tc, test_exit_status);
  tcase_add_test(tc, test_orphans_do_not_outlive);
  tcase_add_test(tc, test_host_unchanged);
  tcase_add_test(tc, test_setup_errors);
  tcase_add_test(tc, test_attach_rlimits_cgroup_ns);
  tcase_add_test(tc, test_signals_forwarded);
  tcase_add_test(tc, test_root_at);
  tcase_add_test(tc, test_root_at_tools);
  suite_add_tcase(s, tc);
  TCase *tcc = tcase_create("confine");
  tcase_add_unchecked_fixture(tcc, make_root, remove_root);
  tcase_add_test(tcc, test_confine_writes_inside);
  tcase_add_test(tcc, test_confine_symlink_escape);
  tcase_add_test(tcc, test_confine_errors);
  suite_add_tcase(s, tcc);
  return s;
}

int main(void)
{
  if (geteuid() != 0) {
    fprintf(stderr, "test-sandbox: needs root (namespaces, mounts, chroot): skipped\n");
    return 77;
  }
  if (access(BUSYBOX, X_OK) != 0) {
    fprintf(stderr, "test-sandbox: needs %s (Debian package busybox-static): skipped\n", BUSYBOX);
    return 77;
  }
  umask(022);
  SRunner *sr = srunner_create(sandbox_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
