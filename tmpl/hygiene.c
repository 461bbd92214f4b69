/* Template hygiene: nothing host- or build-specific left in the root. */
#include "config.h"
#include "tmpl/hygiene.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files removed when present: directory + glob of names in it, but for
 * one name that stays. */
static const struct {
  const char *dir;
  const char *glob;
  const char *keep;
} removals[] = {
    {"etc/ssh", "ssh_host_*"},
    {"var/lib/apt/lists", "*_*"},          /* index files, not lock or partial/ */
    {"var/lib/apt/lists/partial", "*"},
    {"var/cache/apt", "*.bin"},
    {"var/cache/apt/archives", "*.deb"},
    {"var/cache/apt/archives/partial", "*"},
    {"var/log", "*.log"},
    {"var/log/apt", "*"},
    {"var/log", "btmp"},
    {"var/log", "wtmp"},
    {"var/log", "lastlog"},
    {"var/log", "faillog"},
    {"var/cache/debconf", "*-old"},
    {"var/lib/dpkg", "*-old"},
    {"var/cache/ldconfig", "aux-cache"},
    {"var/lib/dbus", "machine-id"},
    {"var/lib/systemd", "random-seed"},
    {"etc", "resolv.conf"},
    {"etc", "*-"},                          /* passwd-, shadow-, group- backups */
    {"tmp", "*"},
    /* What maintainer scripts left in /run (a tmpfs in every booted
     * container, as mmdebstrap also cleans it), but /run/lock: /var/lock
     * links to it (Debian policy 9.1.4). */
    {"run", "*", "lock"},
    {"var/tmp", "*"},
    {"root", ".bash_history"},
    /* The rpmdb's transient files, rebuilt on the next open and never the
     * same twice: sqlite's shared-memory index (the -wal, which may hold
     * data, stays) and Berkeley DB's environment regions. */
    {"usr/lib/sysimage/rpm", "*.sqlite-shm"},
    {"usr/lib/sysimage/rpm", "__db.*"},
    {"var/lib/rpm", "*.sqlite-shm"},
    {"var/lib/rpm", "__db.*"},
};

static int remove_matching(int rootfd, const char *dir, const char *glob, const char *keep,
                           struct vzt_error **err)
{
  int dfd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return 0;
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    return 0;
  }
  struct dirent *de;
  int ret = 0;
  while ((de = readdir(d)) && !ret) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (keep && !strcmp(de->d_name, keep)))
      continue;
    if (fnmatch(glob, de->d_name, FNM_PERIOD) == 0 || (glob[0] == '*' && !glob[1]))
      ret = vzt_rm_rf_at(dirfd(d), de->d_name, err);
  }
  closedir(d);
  return ret;
}

int vzt_hygiene_apply(const char *root, const char *hostname, struct vzt_error **err)
{
  _cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", root);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(removals); i++)
    if (remove_matching(rootfd, removals[i].dir, removals[i].glob, removals[i].keep, err) < 0)
      return vzt_error_prefix(err, "cleaning the template");
  /* An empty machine-id makes each container generate its own at first boot. */
  struct stat st;
  if (fstatat(rootfd, "etc/machine-id", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      vzt_write_file_atomic(rootfd, "etc/machine-id", "", 0, 0444, err) < 0)
    return -1;
  _cleanup_free_ char *line = vzt_strdupf("%s\n", hostname);
  /* A package set may have no /etc of its own (a one-package test repository). */
  if (mkdirat(rootfd, "etc", 0755) < 0 && errno != EEXIST)
    return vzt_fail_errno(err, errno, "cannot create /etc");
  if (vzt_write_file_atomic(rootfd, "etc/hostname", line, strlen(line), 0644, err) < 0)
    return -1;
  return 0;
}
