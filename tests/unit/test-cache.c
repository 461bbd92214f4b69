/* Unit tests for cache/: layout, blobs, the lock, work directories, parsed indices. */
#include "config.h"
#include "cache/cache.h"
#include "cache/solv-cache.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* sha256("hello\n") */
#define HELLO_SHA "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static char *rootdir;  /* for the whole run: removed at the end even when a test failed */
static char *testdir;  /* fresh per test, under rootdir */
static char *cachedir; /* testdir/a/b/cache: parents do not exist yet */

static void setup_root(void)
{
  umask(022);
  char tmpl[] = "/tmp/vzt-test-cache.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  rootdir = vzt_strdup(tmpl);
}

static void teardown_root(void)
{
  vzt_rm_rf(rootdir, NULL);
  free(rootdir);
}

static void setup(void)
{
  /* mkdtemp, not a counter: setup runs in each test's forked child. */
  testdir = vzt_strdupf("%s/t.XXXXXX", rootdir);
  ck_assert_ptr_nonnull(mkdtemp(testdir));
  ck_assert_int_eq(chmod(testdir, 0755), 0);
  cachedir = vzt_path_join(testdir, "a/b/cache");
}

static void teardown(void)
{
  vzt_rm_rf(testdir, NULL);
  free(testdir);
  free(cachedir);
}

static struct vzt_cache *open_cache(void)
{
  struct vzt_cache *c = NULL;
  _cleanup_error_ struct vzt_error *err = NULL;
  int r = vzt_cache_open(cachedir, &c, &err);
  ck_assert_msg(r == 0, "open: %s", err ? err->msg : "");
  ck_assert_ptr_nonnull(c);
  return c;
}

static bool is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

/* A file in the cache's tmp/, as a download would leave it before commit. */
static char *staged(struct vzt_cache *c, const char *name, const char *text)
{
  _cleanup_free_ char *rel = vzt_strdupf("tmp/%s", name);
  char *path = vzt_cache_path(c, rel);
  write_text(path, text);
  return path;
}

START_TEST(test_open_layout)
{
  struct vzt_cache *c = open_cache();
  const char *subs[] = {"", "blobs", "blobs/sha256", "solv", "templates", "tmp"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(subs); i++) {
    _cleanup_free_ char *p = vzt_path_join(cachedir, subs[i]);
    ck_assert_msg(is_dir(p), "%s missing", p);
  }
  struct stat st;
  ck_assert_int_eq(stat(cachedir, &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0755);
  ck_assert_str_eq(vzt_cache_dir(c), cachedir);
  ck_assert_int_ge(fcntl(vzt_cache_dirfd(c), F_GETFD), 0);
  ck_assert(fcntl(vzt_cache_dirfd(c), F_GETFD) & FD_CLOEXEC);
  _cleanup_free_ char *p = vzt_cache_path(c, "solv/x.solv");
  _cleanup_free_ char *want = vzt_strdupf("%s/solv/x.solv", cachedir);
  ck_assert_str_eq(p, want);
  vzt_cache_close(c);

  /* Opening again is fine; a relative path becomes absolute. */
  ck_assert_int_eq(chdir(testdir), 0);
  struct vzt_cache *c2 = NULL;
  ck_assert_int_eq(vzt_cache_open("a/b/cache", &c2, NULL), 0);
  ck_assert_str_eq(vzt_cache_dir(c2), cachedir);
  vzt_cache_close(c2);

  /* A file in the way is an error, not a crash. */
  _cleanup_free_ char *file = vzt_path_join(testdir, "file");
  write_text(file, "x");
  struct vzt_cache *c3 = NULL;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_cache_open(file, &c3, &err), -1);
  ck_assert_ptr_null(c3);
  ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_blob_commit_valid)
{
  struct vzt_cache *c = open_cache();
  _cleanup_free_ char *path = vzt_cache_blob_path(c, HELLO_SHA);
  _cleanup_free_ char *want = vzt_strdupf("%s/blobs/sha256/58/%s", cachedir, HELLO_SHA);
  ck_assert_str_eq(path, want);
  ck_assert(!vzt_cache_blob_valid(c, HELLO_SHA, 0));

  _cleanup_free_ char *src = staged(c, "dl.1", "hello\n");
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_cache_blob_commit(c, src, HELLO_SHA, &err), 0);
  ck_assert(!exists(src));
  ck_assert(exists(path));
  ck_assert(vzt_cache_blob_valid(c, HELLO_SHA, 0));
  ck_assert(vzt_cache_blob_valid(c, HELLO_SHA, 6));

  /* Upper-case hex names the same blob. */
  char upper[65];
  for (int i = 0; i < 65; i++)
    upper[i] = (char) (HELLO_SHA[i] >= 'a' && HELLO_SHA[i] <= 'f' ? HELLO_SHA[i] - 32 : HELLO_SHA[i]);
  ck_assert(vzt_cache_blob_valid(c, upper, 6));

  /* Committing the same content again replaces it atomically. */
  _cleanup_free_ char *src2 = staged(c, "dl.2", "hello\n");
  ck_assert_int_eq(vzt_cache_blob_commit(c, src2, HELLO_SHA, &err), 0);
  ck_assert(vzt_cache_blob_valid(c, HELLO_SHA, 6));

  /* A wrong expected size: the blob does not count, and goes. */
  ck_assert(!vzt_cache_blob_valid(c, HELLO_SHA, 7));
  ck_assert(!exists(path));
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_blob_corrupted)
{
  struct vzt_cache *c = open_cache();
  _cleanup_free_ char *src = staged(c, "dl", "hello\n");
  ck_assert_int_eq(vzt_cache_blob_commit(c, src, HELLO_SHA, NULL), 0);
  _cleanup_free_ char *path = vzt_cache_blob_path(c, HELLO_SHA);
  /* Same size, one byte different: only the hash can tell. */
  int fd = open(path, O_WRONLY);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(pwrite(fd, "j", 1, 0), 1);
  close(fd);
  ck_assert(!vzt_cache_blob_valid(c, HELLO_SHA, 6));
  ck_assert(!exists(path));
  ck_assert(!vzt_cache_blob_valid(c, HELLO_SHA, 6));

  /* A symbolic link planted under a blob's name is not trusted either. */
  _cleanup_free_ char *target = vzt_path_join(testdir, "target");
  write_text(target, "hello\n");
  ck_assert_int_eq(symlink(target, path), 0);
  ck_assert(!vzt_cache_blob_valid(c, HELLO_SHA, 0));
  ck_assert(!exists(path));
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_blob_bad_names)
{
  struct vzt_cache *c = open_cache();
  const char *bad[] = {"", "abc", "../../../../../../../../../../../../../../../../etc/passwd.....",
                       HELLO_SHA "0", "g891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(bad); i++) {
    ck_assert_ptr_null(vzt_cache_blob_path(c, bad[i]));
    ck_assert(!vzt_cache_blob_valid(c, bad[i], 0));
    _cleanup_free_ char *src = staged(c, "dl", "hello\n");
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(vzt_cache_blob_commit(c, src, bad[i], &err), -1);
    ck_assert_ptr_nonnull(err);
    ck_assert(exists(src));
  }
  vzt_cache_close(c);
}
END_TEST

/* Another process's view of the lock file, without blocking. */
static int try_flock(int op)
{
  _cleanup_free_ char *lock = vzt_path_join(cachedir, "lock");
  int fd = open(lock, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  int r = flock(fd, op | LOCK_NB);
  int e = errno;
  close(fd);
  if (r < 0)
    ck_assert_int_eq(e, EWOULDBLOCK);
  return r;
}

START_TEST(test_lock_nb)
{
  struct vzt_cache *c = open_cache();
  ck_assert_int_eq(vzt_cache_lock(c, false, NULL), 0);
  ck_assert_int_eq(try_flock(LOCK_SH), 0);
  ck_assert_int_eq(try_flock(LOCK_EX), -1);
  /* Upgrading to exclusive keeps out even readers. */
  ck_assert_int_eq(vzt_cache_lock(c, true, NULL), 0);
  ck_assert_int_eq(try_flock(LOCK_SH), -1);
  /* Closing the cache releases it. */
  vzt_cache_close(c);
  ck_assert_int_eq(try_flock(LOCK_EX), 0);
}
END_TEST

/* A child takes the lock with vzt_cache_lock and reports through a pipe. */
static pid_t lock_in_child(bool exclusive, int *rfd)
{
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    /* A forked child shares the parent's lock (flock belongs to the open file
     * description): drop every inherited descriptor but the pipe. */
    for (int fd = 3; fd < 1024; fd++)
      if (fd != p[1])
        close(fd);
    struct vzt_cache *c = NULL;
    if (vzt_cache_open(cachedir, &c, NULL) < 0 || vzt_cache_lock(c, exclusive, NULL) < 0)
      _exit(1);
    if (write(p[1], "L", 1) != 1)
      _exit(1);
    _exit(0);
  }
  close(p[1]);
  *rfd = p[0];
  return pid;
}

static bool readable_within(int fd, int ms)
{
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  return poll(&pfd, 1, ms) == 1;
}

static void reap(pid_t pid)
{
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_lock_blocks)
{
  struct vzt_cache *c = open_cache();
  ck_assert_int_eq(vzt_cache_lock(c, false, NULL), 0);

  /* Another shared holder gets in at once. */
  int fd;
  pid_t pid = lock_in_child(false, &fd);
  ck_assert(readable_within(fd, 5000));
  close(fd);
  reap(pid);

  /* An exclusive one waits until the shared lock goes. */
  pid = lock_in_child(true, &fd);
  ck_assert(!readable_within(fd, 300));
  vzt_cache_close(c);
  ck_assert(readable_within(fd, 5000));
  close(fd);
  reap(pid);

  /* And a shared one waits for an exclusive holder. */
  c = open_cache();
  ck_assert_int_eq(vzt_cache_lock(c, true, NULL), 0);
  pid = lock_in_child(false, &fd);
  ck_assert(!readable_within(fd, 300));
  vzt_cache_close(c);
  ck_assert(readable_within(fd, 5000));
  close(fd);
  reap(pid);
}
END_TEST

START_TEST(test_mkdtemp)
{
  struct vzt_cache *c = open_cache();
  _cleanup_free_ char *p = NULL;
  ck_assert_int_eq(vzt_cache_mkdtemp(c, "build", &p, NULL), 0);
  _cleanup_free_ char *prefix = vzt_strdupf("%s/tmp/build.%d.", cachedir, (int) getpid());
  ck_assert_msg(vzt_startswith(p, prefix), "%s", p);
  ck_assert_uint_eq(strlen(p), strlen(prefix) + 6);
  struct stat st;
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(st.st_mode & 0777, 0700);

  _cleanup_free_ char *q = NULL;
  ck_assert_int_eq(vzt_cache_mkdtemp(c, "build", &q, NULL), 0);
  ck_assert_str_ne(p, q);

  _cleanup_free_ char *r = NULL;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_cache_mkdtemp(c, "../escape", &r, &err), -1);
  ck_assert_ptr_null(r);
  vzt_cache_close(c);
}
END_TEST

/* The pid of a process that has come and gone (spawned, not forked, so
 * that a forked copy of the test does not show up under valgrind). */
static pid_t dead_pid(void)
{
  pid_t pid;
  char *argv[] = {"true", NULL};
  ck_assert_int_eq(posix_spawnp(&pid, "true", NULL, NULL, argv, environ), 0);
  ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
  return pid;
}

START_TEST(test_clean_stale)
{
  struct vzt_cache *c = open_cache();
  _cleanup_free_ char *live = NULL;
  ck_assert_int_eq(vzt_cache_mkdtemp(c, "build", &live, NULL), 0);
  _cleanup_free_ char *live_file = vzt_path_join(live, "keep");
  write_text(live_file, "x");

  /* Another live process (our parent) and a dead one, with a nested tree. */
  _cleanup_free_ char *other = vzt_strdupf("%s/tmp/fetch.%d.Abc123", cachedir, (int) getppid());
  ck_assert_int_eq(mkdir(other, 0700), 0);
  pid_t dead = dead_pid();
  _cleanup_free_ char *stale = vzt_strdupf("%s/tmp/build.%d.xYz789", cachedir, (int) dead);
  _cleanup_free_ char *stale_deep = vzt_strdupf("%s/root/usr/bin", stale);
  ck_assert_int_eq(vzt_mkdir_p(stale_deep, 0755, NULL), 0);
  _cleanup_free_ char *stale_file = vzt_path_join(stale_deep, "sh");
  write_text(stale_file, "x");
  _cleanup_free_ char *stale_link = vzt_strdupf("%s/root/bin", stale);
  ck_assert_int_eq(symlink("usr/bin", stale_link), 0);
  /* A dotted prefix still parses from the end; a stale plain file goes too. */
  _cleanup_free_ char *stale2 = vzt_strdupf("%s/tmp/a.b.%d.qwerty", cachedir, (int) dead);
  write_text(stale2, "x");
  /* Names of other shapes are not ours to remove. */
  const char *foreign[] = {"notes", "x.123", "build.12ab.qwerty", ".hidden.1.abcdef", "dl.tmp.1"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(foreign); i++) {
    _cleanup_free_ char *rel = vzt_strdupf("tmp/%s", foreign[i]);
    _cleanup_free_ char *f = vzt_cache_path(c, rel);
    write_text(f, "x");
  }

  vzt_cache_clean_stale(c);

  ck_assert(is_dir(live));
  ck_assert(exists(live_file));
  ck_assert(is_dir(other));
  ck_assert(!exists(stale));
  ck_assert(!exists(stale2));
  for (size_t i = 0; i < VZT_ARRAY_SIZE(foreign); i++) {
    _cleanup_free_ char *rel = vzt_strdupf("tmp/%s", foreign[i]);
    _cleanup_free_ char *f = vzt_cache_path(c, rel);
    ck_assert_msg(exists(f), "%s was removed", f);
  }
  /* The cache itself is untouched. */
  _cleanup_free_ char *blobs = vzt_path_join(cachedir, "blobs/sha256");
  ck_assert(is_dir(blobs));
  vzt_cache_close(c);
}
END_TEST

/* The non-root rules; 0 when they hold. */
static int check_user_default_dir(void)
{
  setenv("XDG_CACHE_HOME", "/xdg/cache", 1);
  setenv("HOME", "/home/someone", 1);
  _cleanup_free_ char *a = vzt_cache_default_dir();
  if (!a || strcmp(a, "/xdg/cache/vztmpl"))
    return 1;
  setenv("XDG_CACHE_HOME", "relative/cache", 1); /* ignored, as the XDG spec says */
  _cleanup_free_ char *b = vzt_cache_default_dir();
  if (!b || strcmp(b, "/home/someone/.cache/vztmpl"))
    return 2;
  unsetenv("XDG_CACHE_HOME");
  _cleanup_free_ char *c = vzt_cache_default_dir();
  if (!c || strcmp(c, "/home/someone/.cache/vztmpl"))
    return 3;
  return 0;
}

START_TEST(test_default_dir)
{
  if (geteuid() != 0) {
    ck_assert_int_eq(check_user_default_dir(), 0);
    return;
  }
  _cleanup_free_ char *d = vzt_cache_default_dir();
  ck_assert_str_eq(d, "/var/cache/vztmpl");
  /* As root here: check the user's rules in a child that gives root up. */
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0) {
    if (setresuid(65534, 65534, 65534) < 0)
      _exit(10);
    _exit(check_user_default_dir());
  }
  int status;
  ck_assert_int_eq(waitpid(pid, &status, 0), pid);
  ck_assert(WIFEXITED(status));
  ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- parsed indices: solv/<key>.solv and .meta -------------------------- */

#define SOLV_KEY HELLO_SHA
#define SOLV_VERSION "vztmpl-test-index 1"

static char *read_all(FILE *f)
{
  char *buf = NULL;
  size_t cap = 0;
  FILE *m = open_memstream(&buf, &cap);
  ck_assert_ptr_nonnull(m);
  int ch;
  while ((ch = fgetc(f)) != EOF)
    fputc(ch, m);
  ck_assert_int_eq(fclose(m), 0);
  return buf;
}

static void solv_store(struct vzt_cache *c, const char *data, const char *extra)
{
  _cleanup_error_ struct vzt_error *err = NULL;
  int r = vzt_solv_cache_store(c, SOLV_KEY, SOLV_VERSION, data, strlen(data), extra, &err);
  ck_assert_msg(r == 0, "store: %s", err ? err->msg : "");
}

START_TEST(test_solv_store_hit)
{
  struct vzt_cache *c = open_cache();
  _cleanup_free_ char *dir = vzt_cache_path(c, "solv");
  vzt_rm_rf(dir, NULL); /* store creates solv/ where missing */
  solv_store(c, "parsed bytes\n", "essential dpkg\nrequired base-files\n");
  _cleanup_free_ char *extra = NULL;
  FILE *f = vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, &extra);
  ck_assert_ptr_nonnull(f);
  _cleanup_free_ char *got = read_all(f);
  fclose(f);
  ck_assert_str_eq(got, "parsed bytes\n");
  ck_assert_str_eq(extra, "essential dpkg\nrequired base-files\n");

  /* The .meta's layout: version, the .solv's own sha256, then the extra lines. */
  _cleanup_free_ char *metap = vzt_cache_path(c, "solv/" SOLV_KEY ".meta");
  _cleanup_free_ char *meta = NULL;
  ck_assert_int_eq(vzt_read_file(metap, &meta, NULL, NULL), 0);
  ck_assert_ptr_nonnull(strstr(meta, SOLV_VERSION "\nsolv "));

  /* Another format's .meta is a miss, and not ours to remove. */
  free(extra);
  extra = NULL;
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, SOLV_KEY, "vztmpl-test-index 2", &extra));
  ck_assert_ptr_null(extra);
  ck_assert(exists(metap));

  /* A name that could leave solv/ is neither stored nor looked up. */
  ck_assert_int_lt(vzt_solv_cache_store(c, "../x", SOLV_VERSION, "x", 1, NULL, NULL), 0);
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, "../" SOLV_KEY, SOLV_VERSION, NULL));
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_solv_corrupted)
{
  struct vzt_cache *c = open_cache();
  solv_store(c, "parsed bytes\n", NULL);
  _cleanup_free_ char *solvp = vzt_cache_path(c, "solv/" SOLV_KEY ".solv");
  _cleanup_free_ char *metap = vzt_cache_path(c, "solv/" SOLV_KEY ".meta");
  write_text(solvp, "parsed bytez\n");
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, NULL));
  ck_assert(!exists(solvp));
  ck_assert(!exists(metap));

  /* A .meta that records no hash is damaged too. */
  solv_store(c, "parsed bytes\n", NULL);
  write_text(metap, SOLV_VERSION "\nnothing here\n");
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, NULL));
  ck_assert(!exists(solvp));
  ck_assert(!exists(metap));
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_solv_symlink)
{
  struct vzt_cache *c = open_cache();
  solv_store(c, "parsed bytes\n", NULL);
  _cleanup_free_ char *solvp = vzt_cache_path(c, "solv/" SOLV_KEY ".solv");
  _cleanup_free_ char *outside = vzt_strdupf("%s/outside", testdir);
  /* The link's target holds exactly the recorded bytes: only not following
   * the link keeps it from being a hit. */
  write_text(outside, "parsed bytes\n");
  ck_assert_int_eq(unlink(solvp), 0);
  ck_assert_int_eq(symlink(outside, solvp), 0);
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, NULL));
  ck_assert(!exists(solvp));
  _cleanup_free_ char *kept = NULL;
  ck_assert_int_eq(vzt_read_file(outside, &kept, NULL, NULL), 0);
  ck_assert_str_eq(kept, "parsed bytes\n");

  /* Storing over a planted link replaces the link, never writes through it. */
  ck_assert_int_eq(symlink(outside, solvp), 0);
  solv_store(c, "new bytes\n", NULL);
  free(kept);
  kept = NULL;
  ck_assert_int_eq(vzt_read_file(outside, &kept, NULL, NULL), 0);
  ck_assert_str_eq(kept, "parsed bytes\n");
  struct stat st;
  ck_assert_int_eq(lstat(solvp, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  FILE *f = vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, NULL);
  ck_assert_ptr_nonnull(f);
  _cleanup_free_ char *got = read_all(f);
  fclose(f);
  ck_assert_str_eq(got, "new bytes\n");

  /* solv/ itself a link elsewhere: neither read nor written through. */
  _cleanup_free_ char *dir = vzt_cache_path(c, "solv");
  _cleanup_free_ char *elsewhere = vzt_strdupf("%s/elsewhere", testdir);
  ck_assert_int_eq(rename(dir, elsewhere), 0);
  ck_assert_int_eq(symlink(elsewhere, dir), 0);
  ck_assert_ptr_null(vzt_solv_cache_lookup(c, SOLV_KEY, SOLV_VERSION, NULL));
  ck_assert_int_lt(vzt_solv_cache_store(c, SOLV_KEY, SOLV_VERSION, "x", 1, NULL, NULL), 0);
  _cleanup_free_ char *moved = vzt_strdupf("%s/" SOLV_KEY ".solv", elsewhere);
  free(kept);
  kept = NULL;
  ck_assert_int_eq(vzt_read_file(moved, &kept, NULL, NULL), 0);
  ck_assert_str_eq(kept, "new bytes\n");
  vzt_cache_close(c);
}
END_TEST

static Suite *cache_suite(void)
{
  Suite *s = suite_create("cache");
  TCase *tc = tcase_create("cache");
  tcase_add_unchecked_fixture(tc, setup_root, teardown_root);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_open_layout);
  tcase_add_test(tc, test_blob_commit_valid);
  tcase_add_test(tc, test_blob_corrupted);
  tcase_add_test(tc, test_blob_bad_names);
  tcase_add_test(tc, test_lock_nb);
  tcase_add_test(tc, test_lock_blocks);
  tcase_add_test(tc, test_mkdtemp);
  tcase_add_test(tc, test_clean_stale);
  tcase_add_test(tc, test_default_dir);
  tcase_add_test(tc, test_solv_store_hit);
  tcase_add_test(tc, test_solv_corrupted);
  tcase_add_test(tc, test_solv_symlink);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  vzt_log_setup(VZT_LOG_ERROR, false); /* the warnings here are expected ones */
  SRunner *sr = srunner_create(cache_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
