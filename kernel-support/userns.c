/* Rootless runs: a user namespace over the caller's subordinate ids. */
#include "config.h"
#include "kernel-support/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#define SUBUID_FILE "/etc/subuid"
#define SUBGID_FILE "/etc/subgid"
/* A Debian root owns files up to nobody (65534); more is never needed. */
#define MAX_SUB_IDS 65536u

static bool userns_active;
static uid_t host_uid;

bool vzt_userns_active(void) { return userns_active; }
uid_t vzt_userns_host_uid(void) { return userns_active ? host_uid : getuid(); }

/* The format is shadow's subuid(5); libsubid reads the same files but is
 * not in every distribution we run on, and the format is three fields. */
int vzt_userns_subid_range(const char *file, const char *user, uid_t id, uint32_t *start,
                           uint32_t *count, struct vzt_error **err)
{
  FILE *f = fopen(file, "re");
  if (!f)
    return errno == ENOENT ? 0 : vzt_fail_errno(err, errno, "cannot read %s", file);
  char idstr[16];
  snprintf(idstr, sizeof(idstr), "%u", (unsigned) id);
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  int found = 0;
  while (!found && getline(&line, &cap, f) > 0) {
    char *l = vzt_strstrip(line);
    if (!*l || *l == '#')
      continue;
    char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c1 = *c2 = '\0';
    if ((!user || strcmp(l, user)) && strcmp(l, idstr))
      continue;
    char *end1, *end2;
    errno = 0;
    unsigned long s = strtoul(c1 + 1, &end1, 10), n = strtoul(c2 + 1, &end2, 10);
    if (errno || end1 == c1 + 1 || *end1 || end2 == c2 + 1 || *end2 || n == 0 || s > UINT32_MAX ||
        n > UINT32_MAX - s)
      continue;
    *start = (uint32_t) s;
    *count = (uint32_t) n;
    found = 1;
  }
  fclose(f);
  return found;
}

/* newuidmap is setuid root in /usr/bin; PATH may not list it. */
static char *find_helper(const char *name)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *dirs = vzt_strdupf("%s:/usr/bin:/bin:/usr/sbin:/sbin", path ? path : "");
  char *save = NULL;
  for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p = vzt_path_join(d, name);
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  return NULL;
}

static int run_wait(char *const argv[])
{
  pid_t p = fork();
  if (p < 0)
    return -1;
  if (p == 0) {
    execv(argv[0], argv);
    fprintf(stderr, "vztmpl: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(p, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The helper process: waits until its parent has its new user namespace,
 * then writes both maps with the setuid helpers. */
static __attribute__((noreturn)) void map_from_outside(int go_fd, pid_t target, const char *newuidmap,
                                                        const char *newgidmap, uid_t uid, gid_t gid,
                                                        uint32_t sub_uid, uint32_t n_uid,
                                                        uint32_t sub_gid, uint32_t n_gid)
{
  char go;
  ssize_t n;
  do
    n = read(go_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    _exit(1);
  char spid[16], sid[16], ssub[16], scount[16];
  snprintf(spid, sizeof(spid), "%d", (int) target);
  snprintf(sid, sizeof(sid), "%u", (unsigned) uid);
  snprintf(ssub, sizeof(ssub), "%u", sub_uid);
  snprintf(scount, sizeof(scount), "%u", n_uid);
  char *uargv[] = {(char *) newuidmap, spid, "0", sid, "1", "1", ssub, scount, NULL};
  if (run_wait(uargv) < 0)
    _exit(2);
  snprintf(sid, sizeof(sid), "%u", (unsigned) gid);
  snprintf(ssub, sizeof(ssub), "%u", sub_gid);
  snprintf(scount, sizeof(scount), "%u", n_gid);
  char *gargv[] = {(char *) newgidmap, spid, "0", sid, "1", "1", ssub, scount, NULL};
  if (run_wait(gargv) < 0)
    _exit(3);
  _exit(0);
}

static int write_proc(const char *file, const char *text, struct vzt_error **err)
{
  _cleanup_close_ int fd = open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || vzt_write_all(fd, text, strlen(text)) < 0)
    return vzt_fail_errno(err, errno, "cannot write \"%s\" to %s", text, file);
  return 0;
}

/* Only 0 maps: the caller's own ids, written by ourselves. */
static int map_self(uid_t uid, gid_t gid, struct vzt_error **err)
{
  char map[64];
  if (write_proc("/proc/self/setgroups", "deny", err) < 0)
    return -1;
  snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
  if (write_proc("/proc/self/uid_map", map, err) < 0)
    return -1;
  snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
  return write_proc("/proc/self/gid_map", map, err);
}

int vzt_userns_enter(bool need_range, struct vzt_error **err)
{
  if (geteuid() == 0)
    return 0;
  uid_t uid = getuid();
  gid_t gid = getgid();
  struct passwd *pw = getpwuid(uid);
  _cleanup_free_ char *user = vzt_strdup(pw ? pw->pw_name : "");
  uint32_t sub_uid = 0, n_uid = 0, sub_gid = 0, n_gid = 0;
  int has_uid = vzt_userns_subid_range(SUBUID_FILE, *user ? user : NULL, uid, &sub_uid, &n_uid, err);
  if (has_uid < 0)
    return -1;
  int has_gid = vzt_userns_subid_range(SUBGID_FILE, *user ? user : NULL, gid, &sub_gid, &n_gid, err);
  if (has_gid < 0)
    return -1;
  _cleanup_free_ char *newuidmap = find_helper("newuidmap");
  _cleanup_free_ char *newgidmap = find_helper("newgidmap");

  bool full = has_uid && has_gid && newuidmap && newgidmap;
  if (!full) {
    _cleanup_free_ char *missing = NULL;
    if (!newuidmap || !newgidmap)
      missing = vzt_strdup("newuidmap and newgidmap are not installed (Debian package uidmap)");
    if (!has_uid || !has_gid) {
      char *m = vzt_strdupf("%s%s%s has no subordinate %s range in %s (as root: usermod "
                            "--add-subuids 100000-165535 --add-subgids 100000-165535 %s)",
                            missing ? missing : "", missing ? "; " : "", *user ? user : "this user",
                            !has_uid ? "uid" : "gid", !has_uid ? SUBUID_FILE : SUBGID_FILE,
                            *user ? user : "USER");
      free(missing);
      missing = m;
    }
    if (need_range)
      return vzt_fail(err, "without root this needs a user namespace over a subordinate id range, "
                           "and %s; or run it as root",
                      missing);
    vzt_debug("only uid and gid 0 are mapped in the user namespace: %s", missing);
  }

  int go[2] = {-1, -1};
  _cleanup_kill_ pid_t helper = -1;
  if (full) {
    if (pipe2(go, O_CLOEXEC) < 0)
      return vzt_fail_errno(err, errno, "cannot create a pipe");
    pid_t self = getpid();
    helper = fork();
    if (helper < 0) {
      int e = errno;
      close(go[0]);
      close(go[1]);
      return vzt_fail_errno(err, e, "cannot fork the id-mapping helper");
    }
    if (helper == 0) {
      close(go[1]);
      map_from_outside(go[0], self, newuidmap, newgidmap, uid, gid, sub_uid,
                       n_uid < MAX_SUB_IDS ? n_uid : MAX_SUB_IDS, sub_gid,
                       n_gid < MAX_SUB_IDS ? n_gid : MAX_SUB_IDS);
    }
    close(go[0]);
  }

  int ret = -1;
  if (unshare(CLONE_NEWUSER) < 0) {
    vzt_fail_errno(err, errno, "cannot create a user namespace as uid %u (the host may forbid them "
                               "to unprivileged users: sysctl user.max_user_namespaces, "
                               "kernel.unprivileged_userns_clone or AppArmor's "
                               "kernel.apparmor_restrict_unprivileged_userns); or run it as root",
                   (unsigned) uid);
    goto out;
  }
  if (full) {
    if (write(go[1], "g", 1) != 1) {
      vzt_fail_errno(err, errno, "cannot start the id-mapping helper");
      goto out;
    }
    close(go[1]);
    go[1] = -1;
    int st;
    vzt_reap(&helper, &st);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      vzt_fail(err, "%s refused to map %s's subordinate ids (%u+%u, %u+%u): see its message above",
               WIFEXITED(st) && WEXITSTATUS(st) == 3 ? newgidmap : newuidmap, *user ? user : "the caller",
               sub_uid, n_uid, sub_gid, n_gid);
      goto out;
    }
    /* Supplementary groups of the host are unmapped here (nogroup): drop them. */
    (void) setgroups(0, NULL);
  } else if (map_self(uid, gid, err) < 0) {
    goto out;
  }
  if (unshare(CLONE_NEWNS) < 0) {
    vzt_fail_errno(err, errno, "cannot create a mount namespace in the user namespace");
    goto out;
  }
  userns_active = true;
  host_uid = uid;
  vzt_debug("running as root of a user namespace: 0 is uid %u%s", (unsigned) uid,
            full ? ", 1.. the subordinate range" : " (only 0 is mapped)");
  ret = 0;
out:
  if (go[1] >= 0)
    close(go[1]);
  return ret;
}
