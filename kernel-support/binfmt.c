/* Foreign binaries through binfmt_misc and qemu-user. */
#include "config.h"
#include "kernel-support/binfmt.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
/* Where qemu-user-static (through binfmt-support) describes its handlers. */
#define BINFMTS_DATA "/usr/share/binfmts"

static const struct {
  const char *canonical, *qemu;
} names[] = {
    {"x86_64", "x86_64"}, {"i686", "i386"},     {"aarch64", "aarch64"}, {"armv7l", "arm"},
    {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"},
};

const char *vzt_binfmt_qemu_name(const char *canonical)
{
  for (size_t i = 0; i < VZT_ARRAY_SIZE(names); i++)
    if (!strcmp(names[i].canonical, canonical))
      return names[i].qemu;
  return NULL;
}

bool vzt_binfmt_native(const char *canonical)
{
  struct utsname u;
  if (uname(&u) < 0)
    return false;
  if (!strcmp(u.machine, canonical))
    return true;
  /* 64-bit x86 and Arm kernels run their 32-bit ABIs as a rule. */
  return (!strcmp(u.machine, "x86_64") && !strcmp(canonical, "i686")) ||
         (!strcmp(u.machine, "aarch64") && !strcmp(canonical, "armv7l"));
}

/* "enabled" and an F among the flags. */
static int handler_state(const char *qemu, bool *enabled, bool *fixed)
{
  _cleanup_free_ char *path = vzt_strdupf(BINFMT_DIR "/qemu-%s", qemu);
  _cleanup_free_ char *text = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(path, &text, NULL, &e) < 0) {
    vzt_error_free(&e);
    return -1;
  }
  *enabled = vzt_startswith(text, "enabled");
  const char *flags = strstr(text, "\nflags: ");
  *fixed = flags && strchr(flags + 8, 'F') && strchr(flags + 8, 'F') < strchr(flags + 8, '\n');
  return 0;
}

/* binfmt-support's description: "interpreter X", "magic M", "mask K", "offset N". */
static int register_from_data(const char *qemu, struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_strdupf(BINFMTS_DATA "/qemu-%s", qemu);
  _cleanup_free_ char *text = NULL;
  if (vzt_read_file(path, &text, NULL, err) < 0)
    return -1;
  char *interp = NULL, *magic = NULL, *mask = NULL, *offset = NULL, *save = NULL;
  for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(l, ' ');
    if (!sp)
      continue;
    *sp = 0;
    if (!strcmp(l, "interpreter"))
      interp = sp + 1;
    else if (!strcmp(l, "magic"))
      magic = sp + 1;
    else if (!strcmp(l, "mask"))
      mask = sp + 1;
    else if (!strcmp(l, "offset"))
      offset = sp + 1;
  }
  if (!interp || !magic || access(interp, X_OK) < 0)
    return vzt_fail(err, "%s does not name a usable qemu interpreter", path);
  /* F: the interpreter is opened now, so it works inside chroots and new roots. */
  _cleanup_free_ char *line = vzt_strdupf(":qemu-%s:M:%s:%s:%s:%s:FP", qemu, offset ? offset : "",
                                          magic, mask ? mask : "", interp);
  _cleanup_close_ int fd = open(BINFMT_DIR "/register", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || vzt_write_all(fd, line, strlen(line)) < 0)
    return vzt_fail_errno(err, errno, "cannot register qemu-%s with binfmt_misc", qemu);
  return 0;
}

int vzt_binfmt_ensure(const char *canonical, const char **how, struct vzt_error **err)
{
  *how = "native";
  if (vzt_binfmt_native(canonical))
    return 0;
  const char *qemu = vzt_binfmt_qemu_name(canonical);
  if (!qemu)
    return vzt_fail(err, "no qemu-user emulator is known for %s", canonical);
  if (access(BINFMT_DIR "/status", F_OK) < 0 && geteuid() == 0)
    mount("binfmt_misc", BINFMT_DIR, "binfmt_misc", 0, NULL);
  if (access(BINFMT_DIR "/status", F_OK) < 0)
    return vzt_fail(err, "binfmt_misc is not mounted at %s: %s programs cannot run here "
                         "(mount -t binfmt_misc binfmt_misc %s)", BINFMT_DIR, canonical, BINFMT_DIR);
  static __thread char name[64];
  snprintf(name, sizeof(name), "qemu-%s", qemu);
  *how = name;
  bool enabled = false, fixed = false;
  if (handler_state(qemu, &enabled, &fixed) == 0) {
    if (enabled && fixed)
      return 0;
    if (!enabled)
      return vzt_fail(err, "the binfmt_misc handler %s is disabled (echo 1 > %s/%s)", name,
                      BINFMT_DIR, name);
    return vzt_fail(err, "the binfmt_misc handler %s lacks the F flag, so it cannot work inside "
                         "the build's root: install qemu-user-static, whose handlers have it", name);
  }
  _cleanup_free_ char *data = vzt_strdupf(BINFMTS_DATA "/qemu-%s", qemu);
  if (access(data, R_OK) < 0)
    return vzt_fail(err, "%s programs cannot run on this host: install qemu-user-static "
                         "(apt-get install qemu-user-static)", canonical);
  if (geteuid() != 0)
    return vzt_fail(err, "%s is not registered with binfmt_misc and only root can register it", name);
  if (register_from_data(qemu, err) < 0)
    return -1;
  if (handler_state(qemu, &enabled, &fixed) < 0 || !enabled)
    return vzt_fail(err, "registering %s with binfmt_misc did not take", name);
  return 0;
}
