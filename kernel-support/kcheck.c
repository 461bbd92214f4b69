/* Kernel feature checks: namespaces, user namespaces, cgroups, overlayfs,
 * reflinks, binfmt_misc; each with what its absence costs. */
#include "config.h"
#include "kernel-support/kcheck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "kernel-support/idmap.h"
#include "kernel-support/userns.h"
#include "lib/alloc.h"

static void add(struct vzt_kcheck *k, const char *group, char *name, bool ok, char *detail, const char *cost)
{
  struct vzt_kcheck_item *n = vzt_realloc(k->items, (k->n + 1) * sizeof(*n));
  k->items = n;
  k->items[k->n++] = (struct vzt_kcheck_item){group, name, ok, detail, ok ? NULL : cost};
}

static char *read_line(const char *path)
{
  char *data = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(path, &data, NULL, &e) < 0) {
    vzt_error_free(&e);
    return NULL;
  }
  data[strcspn(data, "\n")] = '\0';
  return data;
}

static const struct {
  const char *file, *name, *cost;
} namespaces[] = {
    {"mnt", "mount namespace", "no private mounts: vztmpl build and exec cannot run"},
    {"pid", "pid namespace", "no pid 1 of its own: vztmpl build and exec cannot run"},
    {"uts", "uts namespace", "no host name of its own: vztmpl build and exec cannot run"},
    {"ipc", "ipc namespace", "shared System V IPC: vztmpl build and exec cannot run"},
    {"net", "network namespace", "no network isolation: builds and exec --net none cannot run"},
    {"user", "user namespace", "no rootless builds or exec, no --uid-shift containers"},
    {"cgroup", "cgroup namespace", "containers see the host's cgroup paths; exec cannot run"},
};

static void check_namespaces(const char *proc, struct vzt_kcheck *k)
{
  for (size_t i = 0; i < VZT_ARRAY_SIZE(namespaces); i++) {
    _cleanup_free_ char *p = vzt_strdupf("%s/self/ns/%s", proc, namespaces[i].file);
    struct stat st;
    bool ok = lstat(p, &st) == 0;
    add(k, "namespaces", vzt_strdup(namespaces[i].name), ok, ok ? NULL : vzt_strdupf("no %s", p),
        namespaces[i].cost);
  }
}

/* Whether this process may create a user namespace, tried for real in a child. */
static int try_userns(void)
{
  pid_t pid = fork();
  if (pid < 0)
    return errno;
  if (pid == 0)
    _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : (errno & 0x7f) ? (errno & 0x7f) : 1);
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : EINVAL;
}

static void check_userns(const char *proc, struct vzt_kcheck *k)
{
  const char *cost = "vztmpl build and exec need root here";
  _cleanup_free_ char *maxp = vzt_strdupf("%s/sys/user/max_user_namespaces", proc);
  _cleanup_free_ char *max = read_line(maxp);
  add(k, "user namespaces", vzt_strdup("max_user_namespaces"), max && atol(max) > 0,
      vzt_strdup(max ? max : "not readable"), cost);
  _cleanup_free_ char *up = vzt_strdupf("%s/sys/kernel/unprivileged_userns_clone", proc);
  _cleanup_free_ char *u = read_line(up);
  if (u)
    add(k, "user namespaces", vzt_strdup("unprivileged_userns_clone"), !strcmp(u, "1"), vzt_strdup(u),
        "only root may create user namespaces: no rootless build or exec");
  _cleanup_free_ char *ap = vzt_strdupf("%s/sys/kernel/apparmor_restrict_unprivileged_userns", proc);
  _cleanup_free_ char *a = read_line(ap);
  if (a)
    add(k, "user namespaces", vzt_strdup("apparmor_restrict_unprivileged_userns"), !strcmp(a, "0"),
        vzt_strdup(a), "AppArmor denies unprivileged user namespaces: no rootless build or exec");
  int e = try_userns();
  add(k, "user namespaces", vzt_strdupf("user namespace for uid %d", (int) getuid()), e == 0,
      e ? vzt_strdupf("unshare(CLONE_NEWUSER): %s", strerror(e)) : vzt_strdup("unshare works"),
      geteuid() == 0 ? "root cannot run target code at all: it never does so as the host's root"
                     : "no rootless build or exec");
  if (geteuid() == 0)
    return;
  /* What a rootless build needs beyond the kernel: ids to map owners to. */
  struct passwd *pw = getpwuid(getuid());
  const char *user = pw ? pw->pw_name : NULL;
  uint32_t start = 0, count = 0;
  struct vzt_error *err = NULL;
  int r = vzt_userns_subid_range("/etc/subuid", user, getuid(), &start, &count, &err);
  vzt_error_free(&err);
  add(k, "user namespaces", vzt_strdup("subordinate uids"), r > 0,
      r > 0 ? vzt_strdupf("%s: %u..%u", user ? user : "this user", start, start + count - 1)
            : vzt_strdupf("none for %s in /etc/subuid", user ? user : "this user"),
      "rootless build and deploy cannot own files other than root's (usermod --add-subuids)");
  bool helper = access("/usr/bin/newuidmap", X_OK) == 0;
  add(k, "user namespaces", vzt_strdup("newuidmap"), helper,
      vzt_strdup(helper ? "/usr/bin/newuidmap" : "not installed"),
      "no subordinate ids can be mapped: install the uidmap package");
}

struct cg_mount {
  int version;
  char *mount, *controllers;
};

static void check_cgroups(const char *proc, struct vzt_kcheck *k)
{
  _cleanup_free_ char *mip = vzt_strdupf("%s/self/mountinfo", proc);
  _cleanup_fclose_ FILE *mi = fopen(mip, "re");
  struct cg_mount m[64];
  size_t n = 0;
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (mi && getline(&line, &cap, mi) > 0 && n < VZT_ARRAY_SIZE(m)) {
    char *sep = strstr(line, " - ");
    char mnt[4096], fstype[32], src[256], super[1024];
    if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 3, "%31s %255s %1023s", fstype, src, super) != 3)
      continue;
    if (!strcmp(fstype, "cgroup2")) {
      _cleanup_free_ char *cp = vzt_strdupf("%s/cgroup.controllers", mnt);
      char *c = read_line(cp);
      m[n++] = (struct cg_mount){2, vzt_strdup(mnt), c ? c : vzt_strdup("")};
    } else if (!strcmp(fstype, "cgroup")) {
      /* The options minus the generic ones are the controllers. */
      _cleanup_strv_ char **ctrls = vzt_calloc(1, sizeof(char *));
      char *save = NULL;
      for (char *t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, "rw") && strcmp(t, "ro") && !vzt_startswith(t, "name=") && !vzt_startswith(t, "release_agent") &&
            strcmp(t, "clone_children") && strcmp(t, "noprefix") && strcmp(t, "xattr"))
          vzt_strv_push(&ctrls, t);
      if (ctrls[0])
        m[n++] = (struct cg_mount){1, vzt_strdup(mnt), vzt_strv_join(ctrls, " ")};
    }
  }
  bool v1 = false, v2 = false;
  for (size_t i = 0; i < n; i++) {
    if (m[i].version == 2) {
      v2 = true;
      add(k, "cgroups", vzt_strdup("cgroup v2"), true,
          vzt_strdupf("at %s, controllers: %s", m[i].mount, *m[i].controllers ? m[i].controllers : "none"),
          NULL);
    } else
      v1 = true;
  }
  if (!v2)
    add(k, "cgroups", vzt_strdup("cgroup v2"), false, vzt_strdup("not mounted"),
        "only v1 controllers can be used (vztmpl supports both)");
  if (v1) {
    _cleanup_strv_ char **all = vzt_calloc(1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
      if (m[i].version == 1)
        vzt_strv_push(&all, m[i].controllers);
    _cleanup_free_ char *j = vzt_strv_join(all, ", ");
    add(k, "cgroups", vzt_strdup("cgroup v1"), true, vzt_strdupf("controllers: %s", j), NULL);
  }
  static const struct {
    const char *ctrl, *cost;
  } wanted[] = {
      {"pids", "numproc can be neither limited nor counted"},
      {"memory", "physpages and swappages can be neither limited nor counted"},
      {"cpu", "cpulimit and cpuunits cannot be applied"},
  };
  for (size_t w = 0; w < VZT_ARRAY_SIZE(wanted); w++) {
    const struct cg_mount *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
      _cleanup_strv_ char **c = vzt_strv_split(m[i].controllers);
      if (vzt_strv_contains(c, wanted[w].ctrl))
        found = &m[i];
    }
    add(k, "cgroups", vzt_strdupf("%s controller", wanted[w].ctrl), found != NULL,
        found ? vzt_strdupf("cgroup v%d at %s", found->version, found->mount) : vzt_strdup("in no hierarchy"),
        wanted[w].cost);
    if (found && !strcmp(wanted[w].ctrl, "memory") && found->version == 1) {
      _cleanup_free_ char *p = vzt_strdupf("%s/memory.memsw.limit_in_bytes", found->mount);
      bool ok = access(p, F_OK) == 0;
      add(k, "cgroups", vzt_strdup("swap accounting"), ok, vzt_strdup(ok ? "memory.memsw.*" : "no memory.memsw.*"),
          "swappages cannot be limited (boot with swapaccount=1)");
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(m[i].mount);
    free(m[i].controllers);
  }
}

static void check_overlay(const char *proc, struct vzt_kcheck *k)
{
  _cleanup_free_ char *p = vzt_strdupf("%s/filesystems", proc);
  _cleanup_free_ char *data = NULL;
  struct vzt_error *e = NULL;
  bool ok = false;
  if (vzt_read_file(p, &data, NULL, &e) < 0)
    vzt_error_free(&e);
  else
    for (char *l = data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
      size_t len = strcspn(l, "\n");
      if (len >= 7 && !strncmp(l + len - 7, "overlay", 7) && (len == 7 || l[len - 8] == '\t'))
        ok = true;
    }
  add(k, "file systems", vzt_strdup("overlayfs"), ok,
      vzt_strdup(ok ? "in /proc/filesystems" : "not in /proc/filesystems (modprobe overlay?)"),
      "vztmpl deploy --mode overlay cannot mount roots; extract and reflink still work");
}

static void check_reflink(const char *dir, struct vzt_kcheck *k)
{
  const char *cost = "vztmpl deploy --mode reflink fails here; extract and overlay still work";
  if (!dir) {
    add(k, "file systems", vzt_strdup("reflink"), false, vzt_strdup("no cache directory to try"), cost);
    return;
  }
  _cleanup_free_ char *a = vzt_strdupf("%s/.kcheck-a.%d", dir, (int) getpid());
  _cleanup_free_ char *b = vzt_strdupf("%s/.kcheck-b.%d", dir, (int) getpid());
  _cleanup_close_ int fa = open(a, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  _cleanup_close_ int fb = open(b, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  int e = 0;
  if (fa < 0 || fb < 0)
    e = errno;
  else if (vzt_write_all(fa, "vztmpl", 6) < 0 || ioctl(fb, FICLONE, fa) < 0)
    e = errno;
  unlink(a);
  unlink(b);
  add(k, "file systems", vzt_strdup("reflink"), e == 0,
      e ? vzt_strdupf("FICLONE in %s: %s", dir, strerror(e)) : vzt_strdupf("FICLONE works in %s", dir), cost);
}

static void check_binfmt(const char *proc, struct vzt_kcheck *k)
{
  _cleanup_free_ char *dir = vzt_strdupf("%s/sys/fs/binfmt_misc", proc);
  _cleanup_free_ char *sp = vzt_path_join(dir, "status");
  _cleanup_free_ char *status = read_line(sp);
  add(k, "binfmt_misc", vzt_strdup("binfmt_misc"), status && !strcmp(status, "enabled"),
      vzt_strdup(status ? status : "not mounted"),
      "no foreign-architecture builds (vztmpl mounts it as root when the module exists)");
  _cleanup_strv_ char **with_f = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **without_f = vzt_calloc(1, sizeof(char *));
  _cleanup_closedir_ DIR *d = status ? opendir(dir) : NULL;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!vzt_startswith(de->d_name, "qemu-"))
      continue;
    _cleanup_free_ char *p = vzt_path_join(dir, de->d_name);
    _cleanup_free_ char *data = NULL;
    struct vzt_error *e = NULL;
    if (vzt_read_file(p, &data, NULL, &e) < 0) {
      vzt_error_free(&e);
      continue;
    }
    if (!vzt_startswith(data, "enabled"))
      continue;
    char *flags = strstr(data, "\nflags: ");
    bool f = flags && strchr(flags + 8, 'F') && strchr(flags + 8, 'F') < flags + 8 + strcspn(flags + 8, "\n");
    vzt_strv_push(f ? &with_f : &without_f, de->d_name + 5);
  }
  vzt_strv_sort(with_f);
  vzt_strv_sort(without_f);
  size_t nf = vzt_strv_len(with_f), nn = vzt_strv_len(without_f);
  _cleanup_free_ char *lf = vzt_strv_join(with_f, " ");
  _cleanup_free_ char *ln = vzt_strv_join(without_f, " ");
  char *detail;
  if (nf + nn == 0)
    detail = vzt_strdup("none registered (install qemu-user-static)");
  else if (nn == 0)
    detail = vzt_strdupf("%zu with F (usable in a chroot): %s", nf, lf);
  else
    detail = vzt_strdupf("%zu with F: %s; %zu without F (not usable in a chroot): %s", nf, nf ? lf : "-", nn, ln);
  add(k, "binfmt_misc", vzt_strdup("qemu-user interpreters"), nf > 0, detail,
      "no foreign-architecture builds (install qemu-user-static)");
}

/* What real root runs target code over: vztmpl's id range, and idmapped
 * mounts of roots on the cache's file system (builds stage there). */
static void check_idmap(const char *dir, struct vzt_kcheck *k)
{
  if (geteuid() != 0 || vzt_userns_active())
    return;
  struct vzt_idmap_range r;
  struct vzt_error *err = NULL;
  int found = vzt_idmap_range_find("/etc/subuid", "/etc/subgid", &r, &err);
  _cleanup_free_ char *why = err ? vzt_error_text(err) : NULL;
  vzt_error_free(&err);
  char *detail;
  if (found > 0)
    detail = vzt_strdupf("%s: uids %u..%u, gids %u..%u", VZT_IDMAP_USER, r.uid, r.uid + r.count - 1, r.gid,
                         r.gid + r.count - 1);
  else if (found == 0)
    detail = vzt_strdupf("none yet: the first build or exec as root adds \"%s:START:%u\" to /etc/subuid "
                         "and /etc/subgid",
                         VZT_IDMAP_USER, VZT_IDMAP_COUNT);
  else
    detail = vzt_strdup(why);
  add(k, "user namespaces", vzt_strdup("id range for target code run by root"), found >= 0, detail,
      "root cannot run target code: fix /etc/subuid and /etc/subgid");

  const char *cost = "root cannot build or exec roots owned by 0 here (target code never runs as the host's "
                     "root): run vztmpl as an ordinary user, or exec roots deployed with --uid-shift";
  if (!dir) {
    add(k, "user namespaces", vzt_strdup("idmapped mounts in the cache"), false,
        vzt_strdup("no cache directory to try"), cost);
    return;
  }
  /* Any map does for the probe: the namespace maps no file of anyone's. */
  if (found <= 0)
    r = (struct vzt_idmap_range){VZT_IDMAP_MIN, VZT_IDMAP_MIN, VZT_IDMAP_COUNT};
  _cleanup_close_ int fd = vzt_idmap_userns_open(&r, &err);
  int e = 0, ok = fd < 0 ? -1 : vzt_idmap_mount_probe(dir, fd, &e, &err);
  if (ok < 0) {
    _cleanup_free_ char *text = vzt_error_text(err);
    vzt_error_free(&err);
    add(k, "user namespaces", vzt_strdup("idmapped mounts in the cache"), false, vzt_strdup(text), cost);
    return;
  }
  add(k, "user namespaces", vzt_strdup("idmapped mounts in the cache"), ok,
      ok ? vzt_strdupf("%s: root of a build runs as uid %u", dir, r.uid)
         : vzt_strdupf("%s: mount_setattr(MOUNT_ATTR_IDMAP): %s", dir, strerror(e)),
      cost);
}

void vzt_kcheck_run(const char *proc, const char *scratch_dir, struct vzt_kcheck *out)
{
  memset(out, 0, sizeof(*out));
  if (!proc)
    proc = "/proc";
  check_namespaces(proc, out);
  check_userns(proc, out);
  check_idmap(scratch_dir, out);
  check_cgroups(proc, out);
  check_overlay(proc, out);
  check_reflink(scratch_dir, out);
  check_binfmt(proc, out);
}

void vzt_kcheck_clear(struct vzt_kcheck *k)
{
  for (size_t i = 0; i < k->n; i++) {
    free(k->items[i].name);
    free(k->items[i].detail);
  }
  free(k->items);
  memset(k, 0, sizeof(*k));
}
