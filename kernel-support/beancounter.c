/* Beancounters on cgroups: per-run groups in the v1 or v2 hierarchy that
 * holds each controller, limits written by OpenVZ's names, counters read back. */
#include "config.h"
#include "kernel-support/beancounter.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

/* The cgroup controllers the resources live in. */
enum bc_ctrl { CTRL_PIDS, CTRL_MEMORY, CTRL_CPU, CTRL_IO, CTRL_N };
/* v2's names; v1 calls the I/O controller blkio. */
static const char *const ctrl_names[CTRL_N] = {"pids", "memory", "cpu", "io"};
static const char *const ctrl_v1_names[CTRL_N] = {"pids", "memory", "cpu", "blkio"};

static const struct {
  const char *name;
  const char *unit;
  int ctrl; /* -1: an rlimit */
} bc_res[VZT_BC_NRES] = {
    [VZT_BC_NUMPROC] = {"numproc", "tasks", CTRL_PIDS},
    [VZT_BC_PHYSPAGES] = {"physpages", "bytes", CTRL_MEMORY},
    [VZT_BC_SWAPPAGES] = {"swappages", "bytes", CTRL_MEMORY},
    [VZT_BC_NUMFILE] = {"numfile", "files", -1},
    [VZT_BC_CPULIMIT] = {"cpulimit", "percent", CTRL_CPU},
    [VZT_BC_CPUUNITS] = {"cpuunits", "units", CTRL_CPU},
    [VZT_BC_KMEMSIZE] = {"kmemsize", "bytes", CTRL_MEMORY},
    [VZT_BC_IOWEIGHT] = {"ioweight", "weight", CTRL_IO},
};

/* The default scheduling weight of OpenVZ (cpuunits), cgroup v1 (cpu.shares) and v2 (cpu.weight). */
#define CPUUNITS_DEFAULT 1000
#define SHARES_DEFAULT 1024
#define CFS_PERIOD_US 100000

/* v1 reports "no limit" as a page-rounded LONG_MAX. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)
static uint64_t v1_limit(uint64_t v) { return v >= V1_UNLIMITED_FLOOR ? VZT_BC_UNLIMITED : v; }

struct bc_hier {
  int version;       /* 1 or 2 */
  char *mount;       /* where it is mounted */
  char *mount_root;  /* which subtree of the hierarchy that mount shows */
  char *controllers; /* v1: the mount's options ("rw,cpu,cpuacct"); v2: cgroup.controllers */
  char *path;        /* our group, once created */
  bool created;
};

struct vzt_bc_group {
  struct bc_hier hier[CTRL_N];
  size_t n;
  int ctrl_hier[CTRL_N]; /* index into hier, -1: controller unavailable */
  struct vzt_bc_limits limits;
};

void vzt_bc_limits_init(struct vzt_bc_limits *l)
{
  for (int i = 0; i < VZT_BC_NRES; i++)
    l->value[i] = VZT_BC_UNLIMITED;
}

const char *vzt_bc_name(enum vzt_bc_resource r) { return r < VZT_BC_NRES ? bc_res[r].name : "?"; }

bool vzt_bc_uses_cgroup(enum vzt_bc_resource r) { return r < VZT_BC_NRES && bc_res[r].ctrl >= 0; }

int vzt_bc_limits_parse(struct vzt_bc_limits *l, const char *spec, struct vzt_error **err)
{
  const char *eq = strchr(spec, '=');
  if (!eq)
    return vzt_usage_error(err, "--limit %s: want NAME=VALUE (numproc=32, physpages=64M)", spec);
  int r = -1;
  for (int i = 0; i < VZT_BC_NRES; i++)
    if (strlen(bc_res[i].name) == (size_t) (eq - spec) && !strncmp(spec, bc_res[i].name, (size_t) (eq - spec)))
      r = i;
  if (r < 0)
    return vzt_usage_error(err,
                           "--limit %s: unknown resource; known: numproc, physpages, swappages, "
                           "numfile, cpulimit, cpuunits, kmemsize, ioweight",
                           spec);
  const char *v = eq + 1;
  if (!strcmp(v, "unlimited")) {
    l->value[r] = VZT_BC_UNLIMITED;
    return 0;
  }
  if (!isdigit((unsigned char) *v))
    return vzt_usage_error(err, "--limit %s: the value is not a number", spec);
  errno = 0;
  char *end;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno)
    return vzt_usage_error(err, "--limit %s: the value is too large", spec);
  unsigned shift = 0;
  switch (toupper((unsigned char) *end)) {
  case 'K': shift = 10; end++; break;
  case 'M': shift = 20; end++; break;
  case 'G': shift = 30; end++; break;
  case 'T': shift = 40; end++; break;
  default: break;
  }
  if (r == VZT_BC_CPULIMIT && *end == '%')
    end++;
  if (*end)
    return vzt_usage_error(err, "--limit %s: unexpected \"%s\" after the number (suffixes: K, M, G, T)",
                           spec, end);
  if (shift && n > (UINT64_MAX >> shift))
    return vzt_usage_error(err, "--limit %s: the value is too large", spec);
  n <<= shift;
  switch (r) {
  case VZT_BC_NUMPROC:
  case VZT_BC_NUMFILE:
    if (n < 1 || n > INT32_MAX)
      return vzt_usage_error(err, "--limit %s: wants 1 to %d", spec, INT32_MAX);
    break;
  case VZT_BC_PHYSPAGES:
  case VZT_BC_SWAPPAGES:
  case VZT_BC_KMEMSIZE:
    if (r != VZT_BC_SWAPPAGES && n < 4096)
      return vzt_usage_error(err, "--limit %s: at least 4K (the value is in bytes)", spec);
    break;
  case VZT_BC_CPULIMIT:
    if (n < 1 || n > 100000)
      return vzt_usage_error(err, "--limit %s: a percentage of one CPU, 1 to 100000", spec);
    break;
  case VZT_BC_CPUUNITS:
    if (n < 8 || n > 500000)
      return vzt_usage_error(err, "--limit %s: OpenVZ's cpuunits, 8 to 500000 (1000 is the default)", spec);
    break;
  case VZT_BC_IOWEIGHT:
    if (n < 1 || n > 10000)
      return vzt_usage_error(err, "--limit %s: an I/O weight, 1 to 10000 (100 is the default)", spec);
    break;
  }
  l->value[r] = n;
  return 0;
}

size_t vzt_bc_rlimits(const struct vzt_bc_limits *l, struct vzt_sandbox_rlimit out[VZT_BC_NRES])
{
  size_t n = 0;
  if (l->value[VZT_BC_NUMFILE] != VZT_BC_UNLIMITED)
    out[n++] = (struct vzt_sandbox_rlimit){RLIMIT_NOFILE, l->value[VZT_BC_NUMFILE], l->value[VZT_BC_NUMFILE]};
  return n;
}

/* --- finding the hierarchies --- */

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s)
{
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
        r[3] <= '7') {
      *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else
      *w++ = *r++;
  }
  *w = '\0';
}

/* Is word in list (separated by any of seps)? */
static bool list_has(const char *list, const char *word, const char *seps)
{
  size_t wl = strlen(word);
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, seps);
    if (n == wl && !strncmp(p, word, wl))
      return true;
    p += n;
    p += strspn(p, seps);
  }
  return false;
}

static void hier_clear(struct bc_hier *h)
{
  free(h->mount);
  free(h->mount_root);
  free(h->controllers);
  free(h->path);
  memset(h, 0, sizeof(*h));
}

static char *read_trimmed(const char *path)
{
  char *data = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(path, &data, NULL, &e) < 0) {
    vzt_error_free(&e);
    return NULL;
  }
  return vzt_strstrip(data);
}

/* Finds the mount of the hierarchy holding ctrl: v2 where cgroup.controllers
 * lists it, else a v1 mount with it among its options. */
static int find_hier(FILE *mi, enum bc_ctrl ctrl, struct bc_hier *out)
{
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  struct bc_hier v1 = {0};
  rewind(mi);
  while (getline(&line, &cap, mi) > 0) {
    char *sep = strstr(line, " - ");
    if (!sep)
      continue;
    char fstype[32], source[256];
    _cleanup_free_ char *super = vzt_calloc(1, strlen(sep) + 1);
    if (sscanf(sep + 3, "%31s %255s %s", fstype, source, super) < 2)
      continue;
    char root[4096], mnt[4096];
    if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
      continue;
    unescape_octal(root);
    unescape_octal(mnt);
    if (!strcmp(fstype, "cgroup2")) {
      _cleanup_free_ char *cpath = vzt_strdupf("%s/cgroup.controllers", mnt);
      _cleanup_free_ char *ctrls = read_trimmed(cpath);
      if (ctrls && list_has(ctrls, ctrl_names[ctrl], " \n")) {
        hier_clear(&v1);
        *out = (struct bc_hier){2, vzt_strdup(mnt), vzt_strdup(root), steal_pointer(&ctrls), NULL, false};
        return 0;
      }
    } else if (!strcmp(fstype, "cgroup") && !v1.mount && list_has(super, ctrl_v1_names[ctrl], ",")) {
      v1 = (struct bc_hier){1, vzt_strdup(mnt), vzt_strdup(root), vzt_strdup(super), NULL, false};
    }
  }
  if (!v1.mount)
    return -1;
  *out = v1;
  return 0;
}

/* Our own cgroup in that hierarchy, from /proc/self/cgroup ("id:ctrls:path"). */
static char *self_path(const char *self_cgroup, const struct bc_hier *h, enum bc_ctrl ctrl)
{
  _cleanup_fclose_ FILE *f = fopen(self_cgroup, "re");
  if (!f)
    return vzt_strdup("/");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2)
      continue;
    *c2 = '\0';
    bool match = h->version == 2 ? (!strcmp(line, "0") && c1[1] == '\0')
                                 : list_has(c1 + 1, ctrl_v1_names[ctrl], ",");
    if (match)
      return vzt_strdup(c2 + 1);
  }
  return vzt_strdup("/");
}

/* --- reading and writing control files --- */

static int write_ctl(const char *dir, const char *file, const char *value, struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_path_join(dir, file);
  /* O_CREAT only matters for the unit tests' fake trees: cgroupfs has the file or refuses. */
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  if (vzt_write_all(fd, value, strlen(value)) < 0)
    return vzt_fail_errno(err, errno, "cannot write \"%s\" to %s", value, path);
  return 0;
}

static int write_ctl_u64(const char *dir, const char *file, uint64_t v, struct vzt_error **err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%" PRIu64, v);
  return write_ctl(dir, file, buf, err);
}

/* A counter file: a number, "max" (unlimited) or missing (unknown). */
static uint64_t read_ctl_u64(const char *dir, const char *file)
{
  _cleanup_free_ char *path = vzt_path_join(dir, file);
  _cleanup_free_ char *s = read_trimmed(path);
  if (!s || !*s || !strcmp(s, "max"))
    return VZT_BC_UNLIMITED;
  char *end;
  errno = 0;
  uint64_t v = strtoull(s, &end, 10);
  if (errno || (*end && !isspace((unsigned char) *end)))
    return VZT_BC_UNLIMITED;
  return v;
}

/* One "key value" line of a flat-keyed file (pids.events, memory.events, cpu.stat). */
static uint64_t read_ctl_key(const char *dir, const char *file, const char *key)
{
  _cleanup_free_ char *path = vzt_path_join(dir, file);
  _cleanup_free_ char *s = read_trimmed(path);
  if (!s)
    return VZT_BC_UNLIMITED;
  size_t kl = strlen(key);
  for (char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (!strncmp(p, key, kl) && p[kl] == ' ')
      return strtoull(p + kl + 1, NULL, 10);
  return VZT_BC_UNLIMITED;
}

static const struct bc_hier *hier_of(const struct vzt_bc_group *g, enum bc_ctrl c)
{
  return g && g->ctrl_hier[c] >= 0 ? &g->hier[g->ctrl_hier[c]] : NULL;
}

/* --- the group --- */

static int write_limits(struct vzt_bc_group *g, struct vzt_error **err)
{
  const struct vzt_bc_limits *l = &g->limits;
  const struct bc_hier *h;
  uint64_t v;

  if ((v = l->value[VZT_BC_NUMPROC]) != VZT_BC_UNLIMITED && (h = hier_of(g, CTRL_PIDS)))
    if (write_ctl_u64(h->path, "pids.max", v, err) < 0)
      return -1;
  h = hier_of(g, CTRL_MEMORY);
  uint64_t phys = l->value[VZT_BC_PHYSPAGES], swap = l->value[VZT_BC_SWAPPAGES];
  if (h && phys != VZT_BC_UNLIMITED)
    if (write_ctl_u64(h->path, h->version == 2 ? "memory.max" : "memory.limit_in_bytes", phys, err) < 0)
      return -1;
  if (h && swap != VZT_BC_UNLIMITED) {
    if (h->version == 2) {
      if (write_ctl_u64(h->path, "memory.swap.max", swap, err) < 0)
        return vzt_error_prefix(err, "swappages (is swap accounting on?)");
    } else {
      /* v1 limits memory+swap together; its limit may not be below memory's. */
      uint64_t memsw = phys != VZT_BC_UNLIMITED && swap <= UINT64_MAX - phys ? phys + swap : swap;
      if (write_ctl_u64(h->path, "memory.memsw.limit_in_bytes", memsw, err) < 0)
        return vzt_error_prefix(err, "swappages (v1 needs swap accounting: boot with swapaccount=1)");
    }
  }
  if (h && (v = l->value[VZT_BC_KMEMSIZE]) != VZT_BC_UNLIMITED) {
    /* v2 has no kernel memory limit of its own: it counts in memory.max. */
    if (h->version == 2)
      return vzt_fail(err, "kmemsize: cgroup v2 has no separate kernel memory limit (kernel memory "
                           "counts in physpages): set physpages instead");
    /* Kernels from 5.16 on accept the write and ignore it: read it back. */
    if (write_ctl_u64(h->path, "memory.kmem.limit_in_bytes", v, err) < 0 ||
        v1_limit(read_ctl_u64(h->path, "memory.kmem.limit_in_bytes")) == VZT_BC_UNLIMITED) {
      vzt_error_free(err);
      return vzt_fail(err, "kmemsize: this kernel only accounts kernel memory, it no longer limits "
                           "it (Linux 5.16 on): set physpages instead");
    }
  }
  h = hier_of(g, CTRL_IO);
  if (h && (v = l->value[VZT_BC_IOWEIGHT]) != VZT_BC_UNLIMITED) {
    if (h->version == 2) {
      char buf[32];
      snprintf(buf, sizeof(buf), "default %" PRIu64, v);
      if (write_ctl(h->path, "io.weight", buf, err) < 0)
        return vzt_error_prefix(err, "ioweight (io.weight needs the BFQ scheduler or io.cost)");
    } else {
      /* BFQ's blkio.bfq.weight shares v2's default of 100 (range 1-1000);
       * CFQ's blkio.weight is 10-1000 around 500. */
      _cleanup_free_ char *cfq = vzt_path_join(h->path, "blkio.weight");
      _cleanup_free_ char *bfq = vzt_path_join(h->path, "blkio.bfq.weight");
      uint64_t w;
      const char *file;
      if (access(bfq, F_OK) == 0) {
        file = "blkio.bfq.weight";
        w = v > 1000 ? 1000 : v;
      } else if (access(cfq, F_OK) == 0) {
        file = "blkio.weight";
        w = v * 5 < 10 ? 10 : v * 5 > 1000 ? 1000 : v * 5;
      } else
        return vzt_fail(err, "ioweight: the blkio controller at %s has no weight (neither "
                             "blkio.bfq.weight nor blkio.weight: the disks' I/O scheduler has none)",
                        h->path);
      if (write_ctl_u64(h->path, file, w, err) < 0)
        return -1;
    }
  }
  h = hier_of(g, CTRL_CPU);
  if (h && (v = l->value[VZT_BC_CPULIMIT]) != VZT_BC_UNLIMITED) {
    uint64_t quota = v * CFS_PERIOD_US / 100;
    if (h->version == 2) {
      char buf[64];
      snprintf(buf, sizeof(buf), "%" PRIu64 " %d", quota, CFS_PERIOD_US);
      if (write_ctl(h->path, "cpu.max", buf, err) < 0)
        return -1;
    } else if (write_ctl_u64(h->path, "cpu.cfs_period_us", CFS_PERIOD_US, err) < 0 ||
               write_ctl_u64(h->path, "cpu.cfs_quota_us", quota, err) < 0)
      return -1;
  }
  if (h && (v = l->value[VZT_BC_CPUUNITS]) != VZT_BC_UNLIMITED) {
    if (h->version == 2) {
      uint64_t w = v * 100 / CPUUNITS_DEFAULT;
      w = w < 1 ? 1 : w > 10000 ? 10000 : w;
      if (write_ctl_u64(h->path, "cpu.weight", w, err) < 0)
        return -1;
    } else {
      uint64_t s = v * SHARES_DEFAULT / CPUUNITS_DEFAULT;
      if (write_ctl_u64(h->path, "cpu.shares", s < 2 ? 2 : s, err) < 0)
        return -1;
    }
  }
  return 0;
}

/* A run killed with SIGKILL cannot remove its group: the next one removes
 * every "<prefix><pid>" beside its own whose process is gone (name is
 * "<prefix><our pid>", as vztmpl-build-1234). */
static void remove_group(const char *path);

static void remove_stale_groups(const char *parent, const char *name)
{
  size_t plen = strlen(name);
  while (plen > 0 && isdigit((unsigned char) name[plen - 1]))
    plen--;
  if (plen == 0 || plen == strlen(name))
    return;
  DIR *d = opendir(parent);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, name, plen) || !de->d_name[plen] || !strcmp(de->d_name, name))
      continue;
    char *end;
    long pid = strtol(de->d_name + plen, &end, 10);
    if (*end || pid <= 0 || (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
      continue;
    _cleanup_free_ char *stale = vzt_path_join(parent, de->d_name);
    remove_group(stale);
  }
  closedir(d);
}

int vzt_bc_group_create(const struct vzt_bc_limits *l, const char *name, const char *mountinfo,
                        const char *self_cgroup, struct vzt_bc_group **out, struct vzt_error **err)
{
  *out = NULL;
  if (!mountinfo)
    mountinfo = "/proc/self/mountinfo";
  if (!self_cgroup)
    self_cgroup = "/proc/self/cgroup";
  _cleanup_fclose_ FILE *mi = fopen(mountinfo, "re");
  if (!mi)
    return vzt_fail_errno(err, errno, "cannot read %s", mountinfo);

  struct vzt_bc_group *g = vzt_calloc(1, sizeof(*g));
  g->limits = *l;
  bool want[CTRL_N] = {true, true, false, false}; /* pids and memory for the report */
  for (int r = 0; r < VZT_BC_NRES; r++)
    if (bc_res[r].ctrl >= 0 && l->value[r] != VZT_BC_UNLIMITED)
      want[bc_res[r].ctrl] = true;

  for (int c = 0; c < CTRL_N; c++) {
    g->ctrl_hier[c] = -1;
    if (!want[c])
      continue;
    struct bc_hier h;
    if (find_hier(mi, (enum bc_ctrl) c, &h) < 0) {
      for (int r = 0; r < VZT_BC_NRES; r++)
        if (bc_res[r].ctrl == c && l->value[r] != VZT_BC_UNLIMITED) {
          vzt_bc_group_destroy(g);
          return vzt_fail(err,
                          "cannot limit %s: no cgroup hierarchy has the %s controller (neither "
                          "cgroup2's cgroup.controllers nor a v1 mount; see vztmpl check-kernel)",
                          bc_res[r].name, ctrl_names[c]);
        }
      continue;
    }
    /* Co-mounted controllers (v1 "cpu,cpuacct", or all of v2) share one group. */
    size_t i;
    for (i = 0; i < g->n; i++)
      if (!strcmp(g->hier[i].mount, h.mount))
        break;
    if (i < g->n) {
      hier_clear(&h);
      g->ctrl_hier[c] = (int) i;
      continue;
    }
    _cleanup_free_ char *self = self_path(self_cgroup, &h, (enum bc_ctrl) c);
    const char *rel = self;
    /* The mount may show a subtree only (inside a container): strip its root. */
    if (strcmp(h.mount_root, "/") && vzt_startswith(self, h.mount_root))
      rel = self + strlen(h.mount_root);
    _cleanup_free_ char *parent = vzt_strdupf("%s%s%s", h.mount, *rel == '/' ? "" : "/", rel);
    size_t pl = strlen(parent);
    while (pl > 1 && parent[pl - 1] == '/')
      parent[--pl] = '\0';
    remove_stale_groups(parent, name);
    h.path = vzt_strdupf("%s/%s", parent, name);
    g->hier[g->n] = h;
    g->ctrl_hier[c] = (int) g->n++;
  }

  for (size_t i = 0; i < g->n; i++) {
    struct bc_hier *h = &g->hier[i];
    if (h->version == 2) {
      /* v2 hands a controller to children only through the parent's
       * subtree_control, which a cgroup holding processes (ours, usually)
       * refuses with EBUSY; the root cgroup is exempt, so there, as root,
       * the group goes directly below it. */
      _cleanup_free_ char *parent = vzt_strndup(h->path, (size_t) (strrchr(h->path, '/') - h->path));
      for (int c = 0; c < CTRL_N; c++) {
        if (g->ctrl_hier[c] != (int) i)
          continue;
        char buf[32];
        snprintf(buf, sizeof(buf), "+%s", ctrl_names[c]);
        int r = write_ctl(parent, "cgroup.subtree_control", buf, err);
        if (r < 0 && (*err)->errnum == EBUSY && strcmp(parent, h->mount)) {
          vzt_error_free(err);
          free(parent);
          parent = vzt_strdup(h->mount);
          free(h->path);
          h->path = vzt_strdupf("%s/%s", h->mount, name);
          c = -1; /* again, from the first controller, below the root */
          continue;
        }
        if (r < 0) {
          vzt_error_prefix(err,
                           "cannot delegate the %s controller to the children of %s (cgroup v2 "
                           "allows that only in a cgroup without processes of its own)",
                           ctrl_names[c], parent);
          vzt_bc_group_destroy(g);
          return -1;
        }
      }
    }
    if (mkdir(h->path, 0755) < 0 && !(errno == EEXIST && rmdir(h->path) == 0 && mkdir(h->path, 0755) == 0)) {
      vzt_fail_errno(err, errno, "cannot create the cgroup %s", h->path);
      vzt_bc_group_destroy(g);
      return -1;
    }
    h->created = true;
  }
  if (write_limits(g, err) < 0) {
    vzt_bc_group_destroy(g);
    return vzt_error_prefix(err, "cannot set the limits");
  }
  *out = g;
  return 0;
}

int vzt_bc_group_attach(struct vzt_bc_group *g, pid_t pid, struct vzt_error **err)
{
  for (size_t i = 0; i < g->n; i++)
    if (write_ctl_u64(g->hier[i].path, "cgroup.procs", (uint64_t) pid, err) < 0)
      return vzt_error_prefix(err, "cannot move process %d into its cgroup", (int) pid);
  return 0;
}

char *vzt_bc_group_describe(const struct vzt_bc_group *g)
{
  _cleanup_strv_ char **lines = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; g && i < g->n; i++) {
    _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
    for (int c = 0; c < CTRL_N; c++)
      if (g->ctrl_hier[c] == (int) i)
        vzt_strv_push(&names, g->hier[i].version == 2 ? ctrl_names[c] : ctrl_v1_names[c]);
    _cleanup_free_ char *n = vzt_strv_join(names, ",");
    vzt_strv_push_take(&lines, vzt_strdupf("cgroup v%d %s: %s", g->hier[i].version, n, g->hier[i].path));
  }
  return vzt_strv_join(lines, "\n");
}

/* Kills what is left and removes the directory. A killed task keeps its
 * group busy until it has finished exiting, which on a loaded machine (or
 * for a task the memory controller has just OOM-killed) can take seconds:
 * wait up to ten, then say what is left rather than leave it silently. */
static void remove_group(const char *path)
{
  _cleanup_free_ char *procs_path = vzt_path_join(path, "cgroup.procs");
  for (int attempt = 0; attempt < 1000; attempt++) {
    _cleanup_free_ char *procs = read_trimmed(procs_path);
    for (char *p = procs; p && *p;) {
      long pid = strtol(p, &p, 10);
      if (pid > 0)
        kill((pid_t) pid, SIGKILL);
      while (*p && !isdigit((unsigned char) *p))
        p++;
    }
    if (rmdir(path) == 0 || errno == ENOENT)
      return;
    if (errno != EBUSY && errno != EAGAIN)
      break;
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  }
  int e = errno;
  _cleanup_free_ char *procs = read_trimmed(procs_path);
  for (char *c = procs; c && *c; c++)
    if (*c == '\n')
      *c = ' ';
  vzt_warn("cannot remove the cgroup %s: %s (processes still in it: %s); remove it with rmdir once "
           "they have gone",
           path, strerror(e), procs && *procs ? procs : "none");
}

void vzt_bc_group_destroy(struct vzt_bc_group *g)
{
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++) {
    if (g->hier[i].created)
      remove_group(g->hier[i].path);
    hier_clear(&g->hier[i]);
  }
  free(g);
}

/* --- the report --- */


void vzt_bc_group_read(const struct vzt_bc_group *g, const struct vzt_bc_limits *l,
                       struct vzt_bc_row rows[VZT_BC_NRES])
{
  for (int r = 0; r < VZT_BC_NRES; r++) {
    uint64_t lim = l ? l->value[r] : VZT_BC_UNLIMITED;
    rows[r] = (struct vzt_bc_row){(enum vzt_bc_resource) r, false, VZT_BC_UNLIMITED, VZT_BC_UNLIMITED,
                                  lim, lim, VZT_BC_UNLIMITED, bc_res[r].unit};
  }
  const struct bc_hier *h;
  if ((h = hier_of(g, CTRL_PIDS))) {
    struct vzt_bc_row *row = &rows[VZT_BC_NUMPROC];
    row->accounted = true;
    row->held = read_ctl_u64(h->path, "pids.current");
    row->maxheld = read_ctl_u64(h->path, "pids.peak");
    row->barrier = row->limit = read_ctl_u64(h->path, "pids.max");
    row->failcnt = read_ctl_key(h->path, "pids.events", "max");
  }
  if ((h = hier_of(g, CTRL_MEMORY))) {
    struct vzt_bc_row *row = &rows[VZT_BC_PHYSPAGES], *sw = &rows[VZT_BC_SWAPPAGES];
    row->accounted = true;
    if (h->version == 2) {
      row->held = read_ctl_u64(h->path, "memory.current");
      row->maxheld = read_ctl_u64(h->path, "memory.peak");
      row->barrier = row->limit = read_ctl_u64(h->path, "memory.max");
      row->failcnt = read_ctl_key(h->path, "memory.events", "max");
      sw->held = read_ctl_u64(h->path, "memory.swap.current");
      sw->maxheld = read_ctl_u64(h->path, "memory.swap.peak");
      sw->barrier = sw->limit = read_ctl_u64(h->path, "memory.swap.max");
      sw->failcnt = read_ctl_key(h->path, "memory.swap.events", "max");
      sw->accounted = sw->held != VZT_BC_UNLIMITED;
    } else {
      row->held = read_ctl_u64(h->path, "memory.usage_in_bytes");
      row->maxheld = read_ctl_u64(h->path, "memory.max_usage_in_bytes");
      row->barrier = row->limit = v1_limit(read_ctl_u64(h->path, "memory.limit_in_bytes"));
      row->failcnt = read_ctl_u64(h->path, "memory.failcnt");
      uint64_t memsw = read_ctl_u64(h->path, "memory.memsw.usage_in_bytes");
      if (memsw != VZT_BC_UNLIMITED && row->held != VZT_BC_UNLIMITED) {
        /* v1 counts memory+swap: swap is the difference. */
        sw->accounted = true;
        sw->held = memsw > row->held ? memsw - row->held : 0;
        sw->barrier = sw->limit = v1_limit(read_ctl_u64(h->path, "memory.memsw.limit_in_bytes"));
        sw->failcnt = read_ctl_u64(h->path, "memory.memsw.failcnt");
      }
    }
    struct vzt_bc_row *km = &rows[VZT_BC_KMEMSIZE];
    if (h->version == 2) {
      /* memory.stat's "kernel" (6.x), else its biggest parts. */
      km->held = read_ctl_key(h->path, "memory.stat", "kernel");
      if (km->held == VZT_BC_UNLIMITED) {
        uint64_t slab = read_ctl_key(h->path, "memory.stat", "slab");
        uint64_t stack = read_ctl_key(h->path, "memory.stat", "kernel_stack");
        if (slab != VZT_BC_UNLIMITED && stack != VZT_BC_UNLIMITED)
          km->held = slab + stack;
      }
      km->accounted = km->held != VZT_BC_UNLIMITED;
    } else {
      km->held = read_ctl_u64(h->path, "memory.kmem.usage_in_bytes");
      km->accounted = km->held != VZT_BC_UNLIMITED;
      if (km->accounted) {
        km->maxheld = read_ctl_u64(h->path, "memory.kmem.max_usage_in_bytes");
        km->barrier = km->limit = v1_limit(read_ctl_u64(h->path, "memory.kmem.limit_in_bytes"));
        km->failcnt = read_ctl_u64(h->path, "memory.kmem.failcnt");
      }
    }
  }
  if ((h = hier_of(g, CTRL_CPU))) {
    struct vzt_bc_row *row = &rows[VZT_BC_CPULIMIT];
    /* The throttled periods are where a quota said no. */
    row->failcnt = read_ctl_key(h->path, "cpu.stat", "nr_throttled");
  }
}

static void fmt_num(char *buf, size_t size, uint64_t v, bool known)
{
  if (!known)
    snprintf(buf, size, "-");
  else if (v == VZT_BC_UNLIMITED)
    /* /proc/user_beancounters' "unlimited" */
    snprintf(buf, size, "%ld", (long) INT64_MAX);
  else
    snprintf(buf, size, "%" PRIu64, v);
}

char *vzt_bc_format_table(const struct vzt_bc_row rows[VZT_BC_NRES])
{
  _cleanup_strv_ char **lines = vzt_calloc(1, sizeof(char *));
  vzt_strv_push_take(&lines, vzt_strdupf("%-12s%20s%20s%20s%20s%12s", "resource", "held", "maxheld",
                                         "barrier", "limit", "failcnt"));
  for (int r = 0; r < VZT_BC_NRES; r++) {
    const struct vzt_bc_row *row = &rows[r];
    char held[32], maxheld[32], barrier[32], limit[32], failcnt[32];
    fmt_num(held, sizeof(held), row->held, row->accounted && row->held != VZT_BC_UNLIMITED);
    fmt_num(maxheld, sizeof(maxheld), row->maxheld, row->accounted && row->maxheld != VZT_BC_UNLIMITED);
    fmt_num(barrier, sizeof(barrier), row->barrier, true);
    fmt_num(limit, sizeof(limit), row->limit, true);
    fmt_num(failcnt, sizeof(failcnt), row->failcnt, row->failcnt != VZT_BC_UNLIMITED);
    vzt_strv_push_take(&lines, vzt_strdupf("%-12s%20s%20s%20s%20s%12s", bc_res[r].name, held, maxheld,
                                           barrier, limit, failcnt));
  }
  return vzt_strv_join(lines, "\n");
}
