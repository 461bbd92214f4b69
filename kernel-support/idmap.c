/* vztmpl's own id range for real-root runs, its user namespace, and the
 * idmapped mount probe. */
#include "config.h"
#include "kernel-support/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

/* What one file says: our own range, if any, and where the highest range
 * listed for anyone ends. */
struct subid_scan {
  bool found;
  uint32_t start, count;
  uint64_t end;
};

/* subuid(5) lines, "name-or-id:start:count"; malformed lines count for
 * nothing, as shadow's own readers skip them. */
static void scan_text(char *text, const char *user, struct subid_scan *s)
{
  char *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    l = vzt_strstrip(l);
    char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (*l == '#' || !c2)
      continue;
    *c1 = *c2 = '\0';
    char *end1, *end2;
    errno = 0;
    unsigned long long st = strtoull(c1 + 1, &end1, 10), n = strtoull(c2 + 1, &end2, 10);
    if (errno || end1 == c1 + 1 || *end1 || end2 == c2 + 1 || *end2 || n == 0 || st > UINT32_MAX ||
        n > UINT32_MAX - st)
      continue;
    if (st + n > s->end)
      s->end = st + n;
    if (!s->found && !strcmp(l, user)) {
      s->found = true;
      s->start = (uint32_t) st;
      s->count = (uint32_t) n;
    }
  }
}

/* The whole file behind fd, from its start. */
static int scan_fd(int fd, const char *file, const char *user, struct subid_scan *s, bool *ends_in_newline,
                   struct vzt_error **err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  if (lseek(fd, 0, SEEK_SET) < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", file);
  if (vzt_read_fd_max(fd, file, VZT_LIMIT_SUBID, &buf, &len, err) < 0)
    return -1;
  *ends_in_newline = len == 0 || buf[len - 1] == '\n';
  scan_text(buf, user, s);
  return 0;
}

/* A regular file, never a symlink someone put there, created 0644 whatever
 * our umask, and locked against a second vztmpl allocating at the same
 * time; the new line is one O_APPEND write, so no reader sees half of it. */
static int open_locked(const char *file, struct vzt_error **err)
{
  _cleanup_close_ int fd = open(file, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (fchmod(fd, 0644) < 0)
      return vzt_fail_errno(err, errno, "cannot set the mode of %s", file);
  } else if (errno == EEXIST) {
    fd = open(file, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s to add vztmpl's id range", file);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot stat %s", file);
  if (!S_ISREG(st.st_mode))
    return vzt_fail(err, "%s is not a regular file: refusing to add vztmpl's id range to it", file);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return vzt_fail_errno(err, errno, "cannot lock %s", file);
  return steal_fd(&fd);
}

static int append_range(int fd, const char *file, bool ends_in_newline, uint32_t start,
                        struct vzt_error **err)
{
  _cleanup_free_ char *line =
      vzt_strdupf("%s%s:%u:%u\n", ends_in_newline ? "" : "\n", VZT_IDMAP_USER, start, VZT_IDMAP_COUNT);
  if (vzt_write_all(fd, line, strlen(line)) < 0 || fsync(fd) < 0)
    return vzt_fail_errno(err, errno, "cannot add vztmpl's id range to %s", file);
  return 0;
}

static int scan_files(const char *const files[2], struct subid_scan s[2], bool nl[2], struct vzt_error **err)
{
  for (int i = 0; i < 2; i++) {
    memset(&s[i], 0, sizeof(s[i]));
    _cleanup_close_ int fd = open(files[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT)
      return vzt_fail_errno(err, errno, "cannot read %s", files[i]);
    if (fd >= 0 && scan_fd(fd, files[i], VZT_IDMAP_USER, &s[i], &nl[i], err) < 0)
      return -1;
  }
  return 0;
}

int vzt_idmap_range_find(const char *subuid, const char *subgid, struct vzt_idmap_range *r,
                         struct vzt_error **err)
{
  const char *files[2] = {subuid, subgid};
  struct subid_scan s[2];
  bool nl[2];
  if (scan_files(files, s, nl, err) < 0)
    return -1;
  if (!s[0].found || !s[1].found)
    return 0;
  *r = (struct vzt_idmap_range){s[0].start, s[1].start, s[0].count < s[1].count ? s[0].count : s[1].count};
  return 1;
}

int vzt_idmap_range_get(const char *subuid, const char *subgid, struct vzt_idmap_range *r,
                        struct vzt_error **err)
{
  /* The common case reads both files and writes nothing. */
  const char *files[2] = {subuid, subgid};
  struct subid_scan s[2];
  bool nl[2];
  if (scan_files(files, s, nl, err) < 0)
    return -1;
  if (!s[0].found || !s[1].found) {
    /* Locked in one order (subuid, then subgid) and read again under the
     * locks: two vztmpl starting together allocate once. */
    _cleanup_close_ int fd0 = open_locked(files[0], err);
    if (fd0 < 0)
      return -1;
    _cleanup_close_ int fd1 = open_locked(files[1], err);
    if (fd1 < 0)
      return -1;
    int fds[2] = {fd0, fd1};
    for (int i = 0; i < 2; i++) {
      memset(&s[i], 0, sizeof(s[i]));
      if (scan_fd(fds[i], files[i], VZT_IDMAP_USER, &s[i], &nl[i], err) < 0)
        return -1;
    }
    /* Above everything either file gives anyone: no id of ours may be
     * another user's subordinate uid or gid. */
    uint64_t start = s[0].end > s[1].end ? s[0].end : s[1].end;
    if (start < VZT_IDMAP_MIN)
      start = VZT_IDMAP_MIN;
    if (start + VZT_IDMAP_COUNT > UINT32_MAX)
      return vzt_fail(err, "no free id range of %u above the ranges in %s and %s: add a line \"%s:START:%u\" "
                           "to both by hand",
                      VZT_IDMAP_COUNT, subuid, subgid, VZT_IDMAP_USER, VZT_IDMAP_COUNT);
    for (int i = 0; i < 2; i++) {
      if (s[i].found)
        continue;
      if (append_range(fds[i], files[i], nl[i], (uint32_t) start, err) < 0)
        return -1;
      s[i] = (struct subid_scan){true, (uint32_t) start, VZT_IDMAP_COUNT, 0};
    }
  }
  for (int i = 0; i < 2; i++)
    if (s[i].count < VZT_IDMAP_COUNT)
      return vzt_fail(err, "%s gives %s only %u ids: a root needs %u (uids and gids up to nobody); make "
                           "the line \"%s:%u:%u\"",
                      files[i], VZT_IDMAP_USER, s[i].count, VZT_IDMAP_COUNT, VZT_IDMAP_USER, s[i].start,
                      VZT_IDMAP_COUNT);
  *r = (struct vzt_idmap_range){s[0].start, s[1].start, VZT_IDMAP_COUNT};
  return 0;
}

static int write_map(pid_t pid, const char *file, const char *text, struct vzt_error **err)
{
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || vzt_write_all(fd, text, strlen(text)) < 0)
    return vzt_fail_errno(err, errno, "cannot write \"%s\" to %s", text, path);
  return 0;
}

/* The helper that holds a new user namespace until its maps are written and
 * its fd is open: it waits until our end of the pipe closes, then exits. */
struct userns_hold {
  int hold_r, hold_w;
};

static int userns_holder(void *arg)
{
  const struct userns_hold *h = arg;
  close(h->hold_w);
  char c;
  while (read(h->hold_r, &c, 1) < 0 && errno == EINTR)
    ;
  _exit(0);
}

int vzt_idmap_userns_open(const struct vzt_idmap_range *r, struct vzt_error **err)
{
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0)
    return vzt_fail_errno(err, errno, "cannot create a pipe");
  _cleanup_close_ int hold_r = hold[0], hold_w = hold[1];
  struct userns_hold h = {hold_r, hold_w};
  /* The namespace lives as long as a process or an fd holds it: a helper is
   * made in it and waits until we hold its fd. The helper shares our memory
   * rather than copying it (a fork of a process with sixty libraries mapped
   * costs more than the rest of a sandbox's start) and only calls close,
   * read and _exit. Its stack is this array: our own stays below this frame
   * until the helper is reaped. (valgrind cannot follow such a clone: the
   * unit test of the sandbox runs under ASan only.) */
  alignas(16) char stack[16384];
  pid_t pid = clone(userns_holder, stack + sizeof(stack), CLONE_NEWUSER | CLONE_VM | SIGCHLD, &h);
  if (pid < 0)
    return vzt_fail_errno(err, errno, "cannot create a user namespace");

  int fd = -1;
  char map[64];
  snprintf(map, sizeof(map), "0 %u %u\n", r->uid, r->count);
  if (write_map(pid, "uid_map", map, err) < 0)
    goto out;
  /* "allow" is the default for maps written by root, said explicitly: the
   * deny switch guards groups used to forbid access against users who map
   * themselves, and these ids belong to vztmpl alone. */
  if (write_map(pid, "setgroups", "allow", err) < 0)
    goto out;
  snprintf(map, sizeof(map), "0 %u %u\n", r->gid, r->count);
  if (write_map(pid, "gid_map", map, err) < 0)
    goto out;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", (int) pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    vzt_fail_errno(err, errno, "cannot open %s", path);
out:
  close(steal_fd(&hold_w));
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

int vzt_idmap_mount_probe(const char *dir, int userns_fd, int *why, struct vzt_error **err)
{
  _cleanup_close_ int t = (int) syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (t < 0) {
    if (errno == ENOSYS) {
      *why = errno;
      return 0;
    }
    return vzt_fail_errno(err, errno, "cannot open a copy of the mount of %s", dir);
  }
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd};
  if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
    *why = errno;
    return 0;
  }
  /* Never attached: closing it drops it. */
  return 1;
}
