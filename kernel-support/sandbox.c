/* Runs target code (maintainer scripts) in new namespaces with the root pivoted to a staging tree. */
#include "config.h"
#include "kernel-support/sandbox.h"
#include "kernel-support/sandbox-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-support/idmap.h"
#include "kernel-support/userns.h"
#include "kernel-support/pty-relay.h"
#include "kernel-support/seccomp.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/log.h"

/* The set-up is a list of operations executed in order in the child, the way
 * bubblewrap does it: the list says what the sandbox looks like, one
 * function says how each kind of step is done. */
enum sb_op_type {
  SB_MAKE_PRIVATE, /* no mount event of ours may reach the host */
  SB_BIND_ROOT,    /* the root becomes a mount point (pivot_root needs one) and our cwd;
                    * idmapped when target code runs over vztmpl's own ids */
  SB_MOUNT,        /* a fresh file system on a directory, created if missing */
  SB_BIND_DEV,     /* a host device node bound over an empty file */
  SB_SYMLINK,
  SB_MOUNT_SYS,    /* sysfs read-only; where the kernel refuses it, none */
  SB_READ_ONLY,    /* bound onto itself, read-only; skipped where the kernel has none */
  SB_MASK,         /* a file under /dev/null, a directory under an empty read-only tmpfs */
  SB_PIVOT_ROOT,
  SB_HOSTNAME,
  SB_STAGE_ROOT,   /* an empty tmpfs over the root's path, the root moved under it to root_at;
                    * our cwd */
  SB_HOST_RO,      /* a host directory bound read-only */
  SB_HOST_LINK,    /* a merged-/usr link as the host has it (or its directory, read-only) */
};

struct sb_op {
  enum sb_op_type type;
  const char *source; /* file system type, host path or link target */
  const char *dest;   /* relative to the new root */
  unsigned long flags;
  const char *data;
  mode_t mode; /* of a mount point we create */
};

#define SB_PTS_OPTS "newinstance,ptmxmode=0666,mode=620"

/* The root becomes /: target code runs. */
static const struct sb_op sb_root_ops[] = {
  {SB_MAKE_PRIVATE, NULL, "/", MS_REC | MS_PRIVATE, NULL, 0},
  {SB_BIND_ROOT, NULL, NULL, MS_BIND | MS_REC, NULL, 0},
};

/* The host's programs work on the root at root_at: only /usr (and the
 * merged-/usr links into it) and /etc (the dynamic linker's cache,
 * /etc/alternatives) of the host, read-only; none of its /run, /var, /home
 * or /tmp, where the sockets of its services are. (The host's dpkg reads
 * the host's /etc/dpkg, as it does under mmdebstrap --mode=chrootless.) */
static const struct sb_op sb_host_ops[] = {
  {SB_MAKE_PRIVATE, NULL, "/", MS_REC | MS_PRIVATE, NULL, 0},
  {SB_STAGE_ROOT, "tmpfs", NULL, MS_NOSUID | MS_NODEV, "mode=0755", 0},
  {SB_HOST_RO, "/usr", "usr", 0, NULL, 0755},
  {SB_HOST_RO, "/etc", "etc", 0, NULL, 0755},
  {SB_HOST_LINK, "/bin", "bin", 0, NULL, 0755},
  {SB_HOST_LINK, "/sbin", "sbin", 0, NULL, 0755},
  {SB_HOST_LINK, "/lib", "lib", 0, NULL, 0755},
  {SB_HOST_LINK, "/lib64", "lib64", 0, NULL, 0755},
  {SB_HOST_LINK, "/lib32", "lib32", 0, NULL, 0755},
  {SB_HOST_LINK, "/libx32", "libx32", 0, NULL, 0755},
  {SB_MOUNT, "tmpfs", "tmp", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
};

/* What every sandbox gets once its / is in place. */
static const struct sb_op sb_ops[] = {
  /* proc, dev and sys are the mount points a Debian root already has, with
   * base-files' modes: the only things a run may leave in the root. */
  {SB_MOUNT, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
  /* proc is the host kernel's: what is not per-namespace in it is the host's.
   * Its knobs (kernel.core_pattern runs a program as host root), sysrq, irq
   * affinity and bus and fs settings are read-only; kernel memory, the
   * keyrings of every user, timers and scheduler internals (addresses that
   * defeat KASLR), the kernel log and hardware lists are hidden, as runc and
   * crun hide them. */
  {SB_READ_ONLY, NULL, "proc/sys", 0, NULL, 0},
  {SB_READ_ONLY, NULL, "proc/sysrq-trigger", 0, NULL, 0},
  {SB_READ_ONLY, NULL, "proc/irq", 0, NULL, 0},
  {SB_READ_ONLY, NULL, "proc/bus", 0, NULL, 0},
  {SB_READ_ONLY, NULL, "proc/fs", 0, NULL, 0},
  {SB_MASK, NULL, "proc/kcore", 0, NULL, 0},
  {SB_MASK, NULL, "proc/keys", 0, NULL, 0},
  {SB_MASK, NULL, "proc/key-users", 0, NULL, 0},
  {SB_MASK, NULL, "proc/timer_list", 0, NULL, 0},
  {SB_MASK, NULL, "proc/timer_stats", 0, NULL, 0},
  {SB_MASK, NULL, "proc/kmsg", 0, NULL, 0},
  {SB_MASK, NULL, "proc/latency_stats", 0, NULL, 0},
  {SB_MASK, NULL, "proc/sched_debug", 0, NULL, 0},
  {SB_MASK, NULL, "proc/kallsyms", 0, NULL, 0},
  {SB_MASK, NULL, "proc/interrupts", 0, NULL, 0},
  {SB_MASK, NULL, "proc/scsi", 0, NULL, 0},
  {SB_MASK, NULL, "proc/acpi", 0, NULL, 0},
  {SB_MASK, NULL, "proc/asound", 0, NULL, 0},
  {SB_MOUNT, "tmpfs", "dev", MS_NOSUID | MS_STRICTATIME, "mode=0755", 0755},
  {SB_BIND_DEV, "/dev/null", "dev/null", MS_BIND, NULL, 0},
  {SB_BIND_DEV, "/dev/zero", "dev/zero", MS_BIND, NULL, 0},
  {SB_BIND_DEV, "/dev/full", "dev/full", MS_BIND, NULL, 0},
  {SB_BIND_DEV, "/dev/random", "dev/random", MS_BIND, NULL, 0},
  {SB_BIND_DEV, "/dev/urandom", "dev/urandom", MS_BIND, NULL, 0},
  {SB_BIND_DEV, "/dev/tty", "dev/tty", MS_BIND, NULL, 0},
  {SB_MOUNT, "devpts", "dev/pts", MS_NOSUID | MS_NOEXEC, SB_PTS_OPTS, 0755},
  {SB_SYMLINK, "pts/ptmx", "dev/ptmx", 0, NULL, 0},
  {SB_MOUNT, "tmpfs", "dev/shm", MS_NOSUID | MS_NODEV, "mode=1777", 01777},
  {SB_SYMLINK, "/proc/self/fd", "dev/fd", 0, NULL, 0},
  {SB_SYMLINK, "/proc/self/fd/0", "dev/stdin", 0, NULL, 0},
  {SB_SYMLINK, "/proc/self/fd/1", "dev/stdout", 0, NULL, 0},
  {SB_SYMLINK, "/proc/self/fd/2", "dev/stderr", 0, NULL, 0},
  {SB_MOUNT_SYS, "sysfs", "sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 0555},
  /* Firmware tables and power capping counters (RAPL: a side channel). */
  {SB_MASK, NULL, "sys/firmware", 0, NULL, 0},
  {SB_MASK, NULL, "sys/devices/virtual/powercap", 0, NULL, 0},
  {SB_PIVOT_ROOT, NULL, NULL, 0, NULL, 0},
  {SB_HOSTNAME, NULL, NULL, 0, NULL, 0},
};

/* All a command keeps: Docker's default set, what package scripts use to
 * set owners and modes, switch users and bind low ports, without cap_mknod
 * (a node of its own for a host disk reads the disk; dpkg unpacks none in a
 * build, and a container's /dev is ours). Everything else goes, also what
 * kernels add later: cap_sys_admin, cap_sys_ptrace (another process's memory
 * and descriptors), cap_sys_module, cap_sys_rawio, cap_net_admin, ... */
static const cap_value_t sb_kept_caps[] = {
  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
  CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

const char *const vzt_sandbox_kept_cap_names =
    "cap_chown cap_dac_override cap_fsetid cap_fowner cap_net_raw cap_setgid cap_setuid "
    "cap_setfcap cap_setpcap cap_net_bind_service cap_sys_chroot cap_kill cap_audit_write";

static bool sb_cap_kept(cap_value_t v)
{
  for (size_t i = 0; i < VZT_ARRAY_SIZE(sb_kept_caps); i++)
    if (sb_kept_caps[i] == v)
      return true;
  return false;
}

/* A mount point in the root: a real directory, never a symlink that would
 * carry the mount somewhere else. */
static int sb_ensure_dir(const char *path, mode_t mode)
{
  struct stat st;
  if (mkdir(path, mode) == 0) {
    /* umask must not change base-files' modes */
    return chmod(path, mode);
  }
  if (errno != EEXIST)
    return -1;
  if (lstat(path, &st) < 0)
    return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* A /proc or /sys entry made read-only or hidden; an entry this kernel does
 * not have needs neither. */
static int sb_protect(const struct vzt_sandbox_child *c, const struct sb_op *op)
{
  struct stat st;
  if (lstat(op->dest, &st) < 0) {
    if (errno == ENOENT)
      return 0;
    vzt_sandbox_report(c->report_fd, errno, "cannot look at %s/%s", c->root, op->dest);
    return -1;
  }
  if (op->type == SB_READ_ONLY) {
    if (mount(op->dest, op->dest, "none", MS_BIND | MS_REC, NULL) < 0 ||
        mount("none", op->dest, "none", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot make %s/%s read-only", c->root, op->dest);
      return -1;
    }
    return 0;
  }
  int r = S_ISDIR(st.st_mode)
              ? mount("tmpfs", op->dest, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555")
              : mount("/dev/null", op->dest, "none", MS_BIND, NULL);
  if (r < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot mask %s/%s", c->root, op->dest);
    return -1;
  }
  return 0;
}

/* Every capability but the kept ones leaves the bounding set (so that no
 * exec can give it back) and our sets (prepared before the clone). */
static int sb_drop_caps(const struct vzt_sandbox_child *c)
{
  for (cap_value_t v = 0; CAP_IS_SUPPORTED(v); v++)
    if (!sb_cap_kept(v) && cap_drop_bound(v) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot drop capability %d from the bounding set", (int) v);
      return -1;
    }
  if (cap_set_proc(c->caps) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot drop capabilities");
    return -1;
  }
  return 0;
}

/* No device node of the root opens a device (a template's 0666 node for a
 * host disk would read the disk): only the sandbox's own /dev, mounted after
 * this, does. Every mount below the root too; its other flags stay. */
static int sb_root_nodev(const struct vzt_sandbox_child *c)
{
  struct mount_attr a = {.attr_set = MOUNT_ATTR_NODEV};
  if (syscall(SYS_mount_setattr, AT_FDCWD, ".", AT_RECURSIVE, &a, sizeof(a)) == 0)
    return 0;
  if (errno == ENOSYS && mount("none", ".", "none", MS_BIND | MS_REMOUNT | MS_NODEV, NULL) == 0)
    return 0;
  vzt_sandbox_report(c->report_fd, errno, "cannot make the devices of %s unusable (nodev)", c->root);
  return -1;
}

/* A host directory on its namesake in the stage, read-only all the way down. */
/* op's host path, under opts->tools when the stage's programs come from
 * there: on the stack, as nothing in the child allocates. */
static int sb_host_source(const struct vzt_sandbox_child *c, const struct sb_op *op, char *buf,
                          size_t size)
{
  const char *tools = c->opts->tools ? c->opts->tools : "";
  if (snprintf(buf, size, "%s%s", tools, op->source) >= (int) size) {
    vzt_sandbox_report(c->report_fd, ENAMETOOLONG, "%s%s is too long", tools, op->source);
    return -1;
  }
  return 0;
}

static int sb_host_bind(const struct vzt_sandbox_child *c, const struct sb_op *op, const char *source)
{
  struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
  if (sb_ensure_dir(op->dest, op->mode) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot create the mount point %s", op->dest);
    return -1;
  }
  if (mount(source, op->dest, "none", MS_BIND | MS_REC, NULL) < 0 ||
      syscall(SYS_mount_setattr, AT_FDCWD, op->dest, AT_RECURSIVE, &a, sizeof(a)) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot bind %s read-only into the stage", source);
    return -1;
  }
  return 0;
}

/* Types are "none" where the kernel ignores them: valgrind reads them as strings. */
static int sb_op_run(const struct vzt_sandbox_child *c, const struct sb_op *op)
{
  const char *root = c->root;
  int fd;

  switch (op->type) {
  case SB_MAKE_PRIVATE:
    if (mount("none", op->dest, "none", op->flags, NULL) < 0)
      goto fail_msg;
    return 0;
  case SB_BIND_ROOT:
    if (c->idmap_root) {
      if (vzt_sandbox_idmap_root(c) < 0)
        return -1;
    } else if (mount(root, root, "none", op->flags, NULL) < 0) {
      goto fail_msg;
    }
    /* From here on every path is relative to the bind mount's top. */
    if (chdir(root) < 0)
      goto fail_msg;
    if (sb_root_nodev(c) < 0)
      return -1;
    /* Mount points and device files we create belong to the namespace's
     * root, not to an owner it cannot use (or, idmapped, cannot write). */
    if (c->userns_fd >= 0) {
      setfsgid(c->host_gid);
      setfsuid(c->host_uid);
    }
    return 0;
  case SB_MOUNT:
    if (sb_ensure_dir(op->dest, op->mode) < 0)
      goto fail_mkdir;
    if (mount(op->source, op->dest, op->source, op->flags, op->data) < 0)
      goto fail_msg;
    return 0;
  case SB_BIND_DEV:
    fd = open(op->dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
      goto fail_mkdir;
    close(fd);
    if (mount(op->source, op->dest, "none", op->flags, NULL) < 0)
      goto fail_msg;
    return 0;
  case SB_SYMLINK:
    if (symlink(op->source, op->dest) < 0)
      goto fail_msg;
    return 0;
  case SB_MOUNT_SYS:
    if (sb_ensure_dir(op->dest, op->mode) < 0)
      goto fail_mkdir;
    if (mount(op->source, op->dest, op->source, op->flags, NULL) == 0)
      return 0;
    /* A sysfs mount can be refused (a network namespace the kernel ties
     * to another user namespace); a read-only bind of the host's is next. */
    if (mount("/sys", op->dest, "none", MS_BIND, NULL) == 0) {
      if (mount("none", op->dest, "none", MS_BIND | MS_REMOUNT | op->flags, NULL) == 0)
        return 0;
      umount2(op->dest, MNT_DETACH);
    }
    /* Nothing in a configure step needs /sys badly enough to fail for it
     * when it runs without network. */
    if (!c->opts->network)
      return 0;
    goto fail_msg;
  case SB_PIVOT_ROOT:
    /* A stage's tmpfs holds only mount points: read-only, so that the host's
     * programs write nowhere but the root at root_at and /tmp, rootless (the
     * stage is then the namespace's own, writable by its root) as for root. */
    if (c->opts->root_at) {
      struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
      if (syscall(SYS_mount_setattr, AT_FDCWD, ".", 0, &a, sizeof(a)) < 0) {
        vzt_sandbox_report(c->report_fd, errno, "cannot make the stage of %s read-only", root);
        return -1;
      }
    }
    /* pivot_root(".", ".") stacks the old root on the new one; detaching it
     * leaves no directory for it in the root (pivot_root(2)). */
    if (syscall(SYS_pivot_root, ".", ".") < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot pivot_root into %s", root);
      return -1;
    }
    if (umount2(".", MNT_DETACH) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot detach the old root from %s", root);
      return -1;
    }
    if (chdir("/") < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot chdir to / in %s", root);
      return -1;
    }
    return 0;
  case SB_READ_ONLY:
  case SB_MASK:
    return sb_protect(c, op);
  case SB_STAGE_ROOT:
    if (vzt_sandbox_stage_root(c, op->source, op->flags, op->data) < 0)
      return -1;
    if (chdir(root) < 0)
      goto fail_msg;
    return sb_root_nodev(c);
  case SB_HOST_RO: {
    char source[PATH_MAX];
    if (sb_host_source(c, op, source, sizeof(source)) < 0)
      return -1;
    return sb_host_bind(c, op, source);
  }
  case SB_HOST_LINK: {
    struct stat st;
    char source[PATH_MAX], target[PATH_MAX];
    if (sb_host_source(c, op, source, sizeof(source)) < 0)
      return -1;
    if (lstat(source, &st) < 0) {
      if (errno == ENOENT)
        return 0; /* lib32 and the like: only some hosts have them */
      vzt_sandbox_report(c->report_fd, errno, "cannot look at the host's %s", source);
      return -1;
    }
    if (!S_ISLNK(st.st_mode))
      return sb_host_bind(c, op, source);
    ssize_t len = readlink(source, target, sizeof(target) - 1);
    if (len < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot read the link %s", source);
      return -1;
    }
    target[len] = '\0';
    if (symlink(target, op->dest) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot create the link %s", op->dest);
      return -1;
    }
    return 0;
  }
  case SB_HOSTNAME:
    if (sethostname(c->hostname, strlen(c->hostname)) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot set the host name to \"%s\"", c->hostname);
      return -1;
    }
    return 0;
  }
  return 0;

fail_mkdir:
  vzt_sandbox_report(c->report_fd, errno, "cannot create the mount point %s/%s", root, op->dest);
  return -1;
fail_msg:
  switch (op->type) {
  case SB_MAKE_PRIVATE:
    vzt_sandbox_report(c->report_fd, errno, "cannot make the mounts of / private");
    break;
  case SB_BIND_ROOT:
    vzt_sandbox_report(c->report_fd, errno, "cannot bind-mount %s onto itself", root);
    break;
  case SB_BIND_DEV:
    vzt_sandbox_report(c->report_fd, errno, "cannot bind-mount %s on %s/%s", op->source, root, op->dest);
    break;
  case SB_SYMLINK:
    vzt_sandbox_report(c->report_fd, errno, "cannot create the symlink %s/%s", root, op->dest);
    break;
  default:
    vzt_sandbox_report(c->report_fd, errno, "cannot mount %s on %s/%s", op->source, root, op->dest);
    break;
  }
  return -1;
}

/* A session of its own, so that the caller's terminal is not its controlling
 * one (TIOCSTI works only there); with a pty, the pty is (0, 1 and 2 are
 * its slave already, see sb_child_main). */
static int sb_new_session(const struct vzt_sandbox_child *c)
{
  if (setsid() < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot start a session for %s", c->opts->argv[0]);
    return -1;
  }
  if (c->tty_fd >= 0 && ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot give %s its terminal", c->opts->argv[0]);
    return -1;
  }
  return 0;
}

/* No setuid bit or file capability can give any back. */
static int sb_set_no_new_privs(const struct vzt_sandbox_child *c)
{
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot set no_new_privs");
    return -1;
  }
  return 0;
}

/* The command, as pid 2: its own credentials and session, the environment
 * it asked for, default signal handling whatever ours is, and no descriptor
 * of ours but 0, 1 and 2. */
static __attribute__((noreturn)) void sb_exec_command(const struct vzt_sandbox_child *c)
{
  const struct vzt_sandbox_opts *o = c->opts;
  int out = -1, errfd = -1;

  if (vzt_sandbox_join_userns(c) < 0 || sb_drop_caps(c) < 0 || sb_set_no_new_privs(c) < 0 ||
      sb_new_session(c) < 0)
    _exit(127);
  /* Copy above 2 first so that swapped descriptors (out=2, err=1) work. */
  if (c->stdout_fd >= 0 && (out = fcntl(c->stdout_fd, F_DUPFD_CLOEXEC, 3)) < 0)
    goto fail_redirect;
  if (c->stderr_fd >= 0 && (errfd = fcntl(c->stderr_fd, F_DUPFD_CLOEXEC, 3)) < 0)
    goto fail_redirect;
  if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
    goto fail_redirect;
  if (errfd >= 0 && dup2(errfd, STDERR_FILENO) < 0)
    goto fail_redirect;

  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal(sig, SIG_DFL); /* SIGPIPE ignored by curl must not reach scripts */

  /* The report pipe stays open until exec succeeds. */
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);

  /* execvpe searches the PATH of environ, not of its envp argument: the
   * lookup must use the command's PATH, inside the new root. */
  environ = (char **) c->envp;
  /* The very last step: no code of the root runs without the filter. */
  if (vzt_seccomp_load(c->filter) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot load the system call filter for %s", o->argv[0]);
    _exit(127);
  }
  execvpe(o->argv[0], o->argv, c->envp);
  vzt_sandbox_report(c->report_fd, errno, "cannot run %s in %s", o->argv[0], c->root);
  _exit(127);

fail_redirect:
  vzt_sandbox_report(c->report_fd, errno, "cannot redirect the output of %s", o->argv[0]);
  _exit(127);
}

/* Signals to forward: pid 1 of a namespace gets only those it handles, and
 * hands them to the command; our own process hands them to pid 1. */
static const int sb_forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static volatile pid_t sb_forward_to;

static void sb_forward(int sig)
{
  int saved = errno;
  if (sb_forward_to > 0)
    kill(sb_forward_to, sig);
  errno = saved;
}

static void sb_set_forwarding(struct sigaction *old)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = sb_forward;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(sb_forwarded); i++)
    sigaction(sb_forwarded[i], &sa, old ? &old[i] : NULL);
}

/* Pid 1 is a copy of the caller, with every descriptor the caller had (a
 * directory outside the root among them): it keeps only 0, 1, 2 and those
 * it needs, moved to 3, 4, ... and closes the rest. */
static int sb_keep_fds(struct vzt_sandbox_child *c)
{
  int *keep[] = {&c->report_fd, &c->go_fd,    &c->stdout_fd,
                 &c->stderr_fd, &c->tty_sock, &c->userns_fd};
  int first = 3 + (int) VZT_ARRAY_SIZE(keep);

  /* Above the range first, so that moving them down overwrites none. */
  for (size_t i = 0; i < VZT_ARRAY_SIZE(keep); i++) {
    if (*keep[i] < 0)
      continue;
    int fd = fcntl(*keep[i], F_DUPFD_CLOEXEC, first);
    if (fd < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot move descriptor %d", *keep[i]);
      return -1;
    }
    *keep[i] = fd;
  }
  close_range(3, (unsigned) first - 1, 0);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(keep); i++) {
    if (*keep[i] < 0)
      continue;
    int to = 3 + (int) i;
    if (dup3(*keep[i], to, O_CLOEXEC) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot move descriptor %d", *keep[i]);
      return -1;
    }
    *keep[i] = to;
  }
  close_range((unsigned) first, ~0U, 0);
  return 0;
}

/* The command's own pty, made in the sandbox's devpts instance (so that it
 * has a name there, for tty(1) and ttyname) once the root is in place; its
 * master goes to our parent, which relays it to the caller's terminal. With
 * it on 0, 1 and 2 here, nothing in the sandbox holds the caller's terminal,
 * not even we. */
static int sb_open_terminal(struct vzt_sandbox_child *c)
{
  int master;
  if (c->tty_sock < 0)
    return 0;
  if (vzt_pty_open("/dev/pts/ptmx", &master, &c->tty_fd) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot open a terminal for the command in %s", c->root);
    return -1;
  }
  if (vzt_pty_send(c->tty_sock, master) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot hand the command's terminal over");
    return -1;
  }
  close(master);
  close(c->tty_sock);
  c->tty_sock = -1;
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(c->tty_fd, fd) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot use the command's terminal");
      return -1;
    }
  return 0;
}

/* Before the command can look at us: our memory (the caller's heap and
 * environment) and descriptors become unreadable through /proc/1 (that now
 * takes cap_sys_ptrace, which the command lacks), and the caller's
 * environment strings are wiped too. clearenv() would free, which a raw
 * clone must not. */
static void sb_hide_self(const struct vzt_sandbox_child *c)
{
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (environ && environ != (char **) c->envp)
    for (char **e = environ; *e; e++)
      memset(*e, 0, strlen(*e));
  environ = NULL;
}

/* Pid 1 of the new pid namespace: sets up the mounts, runs the command,
 * reaps whatever gets orphaned, and ends with the command's status; its
 * death takes every other process of the namespace with it. */
static __attribute__((noreturn)) void sb_child_main(const struct vzt_sandbox_child *from_parent)
{
  struct vzt_sandbox_child self = *from_parent;
  const struct vzt_sandbox_child *c = &self;

  /* The tree dies with us; outside processes cannot be our parent here
   * (getppid() is 0), so the race with an early death is left open. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (sb_keep_fds(&self) < 0)
    _exit(127);

  /* Before the capabilities go: raising a hard limit takes cap_sys_resource. */
  for (size_t i = 0; i < c->opts->nrlimits; i++) {
    const struct vzt_sandbox_rlimit *l = &c->opts->rlimits[i];
    struct rlimit rl = {l->soft, l->hard};
    if (setrlimit(l->resource, &rl) < 0) {
      vzt_sandbox_report(c->report_fd, errno, "cannot set resource limit %d to %llu", l->resource,
                (unsigned long long) rl.rlim_max);
      _exit(127);
    }
  }
  const struct sb_op *head = c->opts->root_at ? sb_host_ops : sb_root_ops;
  size_t nhead = c->opts->root_at ? VZT_ARRAY_SIZE(sb_host_ops) : VZT_ARRAY_SIZE(sb_root_ops);
  for (size_t i = 0; i < nhead; i++)
    if (sb_op_run(c, &head[i]) < 0)
      _exit(127);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(sb_ops); i++)
    if (sb_op_run(c, &sb_ops[i]) < 0)
      _exit(127);
  /* The mounts above were made while the parent moved us into the run's
   * cgroups (on cgroup v1 that waits for a grace period of the kernel's):
   * no process of the run starts before it says we are in. */
  if (c->go_fd >= 0) {
    char go;
    ssize_t n;
    do
      n = read(c->go_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
      _exit(127); /* the parent gave up; it says why */
    close(c->go_fd);
  }
  if (c->opts->cgroup_ns && unshare(CLONE_NEWCGROUP) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot create a cgroup namespace");
    _exit(127);
  }
  /* Sharing the command's user namespace, we must not be a way back to
   * what it gives up (it could ptrace us); outside it, as real root's pid 1
   * is, nothing in it can reach us. */
  if (c->userns_fd < 0 && (sb_drop_caps(c) < 0 || sb_set_no_new_privs(c) < 0))
    _exit(127);
  if (sb_open_terminal(&self) < 0)
    _exit(127);

  sb_hide_self(c);
  pid_t cmd = fork();
  if (cmd < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot fork the command in %s", c->root);
    _exit(127);
  }
  if (cmd == 0)
    sb_exec_command(c);
  /* What only the command needed: we hold nothing but 0-2 while it runs. */
  close(c->report_fd);
  int mine[] = {c->tty_fd, c->userns_fd, c->stdout_fd, c->stderr_fd};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(mine); i++)
    if (mine[i] >= 0)
      close(mine[i]);
  if (c->opts->forward_signals) {
    sb_forward_to = cmd;
    sb_set_forwarding(NULL);
  }

  int code = 127;
  for (;;) {
    int st;
    pid_t p = waitpid(-1, &st, 0);
    if (p < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    if (p == cmd) {
      code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
  }
  _exit(code);
}

/* The filter is the same for every run: compiled once per process. */
static pthread_mutex_t sb_filter_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vzt_seccomp sb_filter;
static bool sb_filter_ready;

static const struct vzt_seccomp *sb_filter_get(struct vzt_error **err)
{
  pthread_mutex_lock(&sb_filter_lock);
  if (!sb_filter_ready && vzt_seccomp_prepare(&sb_filter, err) == 0)
    sb_filter_ready = true;
  pthread_mutex_unlock(&sb_filter_lock);
  return sb_filter_ready ? &sb_filter : NULL;
}

__attribute__((destructor)) static void sb_filter_release(void)
{
  if (sb_filter_ready)
    vzt_seccomp_release(&sb_filter);
}

static void sb_cap_freep(cap_t *c)
{
  if (*c)
    cap_free(*c);
}

/* What the sandbox's init reported before it died, as *err; false when it
 * reported nothing. Called once every writer is gone. */
static bool sb_take_report(int rfd, struct vzt_error **err)
{
  struct vzt_sandbox_report r;
  ssize_t n;
  do
    n = read(rfd, &r, sizeof(r));
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t) sizeof(r))
    return false;
  r.msg[sizeof(r.msg) - 1] = '\0';
  if (r.refused)
    vzt_refuse(err, "sandbox: %s", r.msg);
  else
    vzt_fail_errno(err, r.errnum, "sandbox: %s", r.msg);
  return true;
}

/* clone(2) without a new stack, like fork(): the child goes on with a copy
 * of ours (as bubblewrap's raw_clone does), which a sanitizer also accepts.
 * s390 takes the stack first. */
static pid_t sb_raw_clone(unsigned long flags)
{
#if defined(__s390__) || defined(__CRIS__)
  return (pid_t) syscall(SYS_clone, 0L, flags);
#else
  return (pid_t) syscall(SYS_clone, flags, 0L, 0L, 0L, 0L);
#endif
}

int vzt_sandbox_run(const struct vzt_sandbox_opts *opts, int *exit_status, struct vzt_error **err)
{
  static char *const empty_env[] = {NULL};
  _cleanup_free_ char *root = NULL;
  _cleanup_close_ int rfd = -1, wfd = -1, go_r = -1, go_w = -1, pty_master = -1, tty_r = -1,
                      tty_w = -1;

  if (!opts->root || !opts->argv || !opts->argv[0])
    return vzt_fail(err, "sandbox: a root and a command are required");
  if (opts->root_at && (opts->root_at[0] != '/' || !opts->root_at[1] || strchr(opts->root_at + 1, '/')))
    return vzt_fail(err, "sandbox: %s is not an absolute path of one component", opts->root_at);
  root = realpath(opts->root, NULL);
  if (!root)
    return vzt_fail_errno(err, errno, "sandbox: cannot resolve the root %s", opts->root);

  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return vzt_fail_errno(err, errno, "sandbox: cannot create a pipe");
  rfd = p[0];
  wfd = p[1];
  if (opts->attach) {
    /* A socket, not a pipe: the init may have died of a failed mount
     * before it reads the go-ahead, and sending then must not raise
     * SIGPIPE (MSG_NOSIGNAL) but lead on to its report. */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
      return vzt_fail_errno(err, errno, "sandbox: cannot create a socket pair");
    go_r = p[0];
    go_w = p[1];
  }

  /* The child must not allocate (see sb_report): its capability sets are
   * made here. Unsupported values are skipped by cap_set_flag's caller. */
  __attribute__((cleanup(sb_cap_freep))) cap_t caps = cap_get_proc();
  if (!caps)
    return vzt_fail_errno(err, errno, "sandbox: cannot read our capabilities");
  for (cap_value_t v = 0; CAP_IS_SUPPORTED(v); v++) {
    if (sb_cap_kept(v))
      continue;
    cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
    cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_CLEAR);
    cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_CLEAR);
  }

  const struct vzt_seccomp *filter = sb_filter_get(err);
  if (!filter)
    return vzt_error_prefix(err, "sandbox");
  if (opts->tty) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
      return vzt_fail_errno(err, errno, "sandbox: cannot create a socket pair");
    tty_r = p[0];
    tty_w = p[1];
  }

  struct vzt_sandbox_child child = {
      .caps = caps,
      .filter = filter,
      .stdout_fd = opts->stdout_fd,
      .stderr_fd = opts->stderr_fd,
      .tty_sock = tty_w,
      .tty_fd = -1,
      .opts = opts,
      .root = root,
      .hostname = opts->hostname ? opts->hostname : "localhost",
      .envp = opts->envp ? opts->envp : empty_env,
      .report_fd = wfd,
      .go_fd = go_r,
  };
  if (vzt_sandbox_plan_userns(&child, err) < 0)
    return -1;
  _cleanup_close_ __attribute__((unused)) int userns_fd = child.userns_fd;

  unsigned long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (!opts->network)
    flags |= CLONE_NEWNET;
  /* Our own handlers must not run in the child before it has set its own. */
  sb_forward_to = 0;
  /* clone, not unshare + fork: the child is pid 1 of its namespace at once. */
  _cleanup_kill_ pid_t pid = sb_raw_clone(flags);
  if (pid == 0)
    sb_child_main(&child);
  if (pid < 0)
    return vzt_fail_errno(err, errno, "sandbox: cannot create namespaces for %s", root);
  close(steal_fd(&wfd));
  if (tty_w >= 0)
    close(steal_fd(&tty_w));

  int st;
  if (opts->attach) {
    close(steal_fd(&go_r));
    if (opts->attach(pid, opts->attach_arg, err) < 0) {
      /* An init whose set-up failed first (a root the kernel will not
       * idmap, ...) cannot be moved: its own report says why. */
      vzt_killp(&pid);
      struct vzt_error *why = NULL;
      if (sb_take_report(rfd, &why)) {
        vzt_error_free(err);
        *err = why;
      }
      return -1;
    }
    if (send(go_w, "g", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
      return vzt_fail_errno(err, errno, "sandbox: cannot start the process in %s", root);
    close(steal_fd(&go_w));
  }

  struct sigaction old[VZT_ARRAY_SIZE(sb_forwarded)];
  if (opts->forward_signals) {
    sb_forward_to = pid;
    sb_set_forwarding(old);
  }
  /* A relay that fails leaves the command without a terminal: it gets
   * EIO or SIGHUP from it, and we go on to wait for its end. */
  struct vzt_error *relay_err = NULL;
  /* No terminal comes when the set-up failed: the report says why. */
  if (tty_r >= 0 && vzt_pty_receive(tty_r, &pty_master, &relay_err) < 0)
    vzt_error_free(&relay_err);
  if (pty_master >= 0 && vzt_pty_relay(pty_master, STDIN_FILENO, STDOUT_FILENO, pid, &relay_err) < 0) {
    _cleanup_free_ char *text = vzt_error_text(relay_err);
    vzt_warn("%s: the command runs on without a terminal", text);
    close(steal_fd(&pty_master));
    vzt_error_free(&relay_err);
  }
  int wr = vzt_reap(&pid, &st);
  int werr = errno;
  if (opts->forward_signals) {
    sb_forward_to = 0;
    for (size_t i = 0; i < VZT_ARRAY_SIZE(sb_forwarded); i++)
      sigaction(sb_forwarded[i], &old[i], NULL);
  }
  if (wr < 0)
    return vzt_fail_errno(err, werr, "sandbox: cannot wait for the process in %s", root);

  /* Every writer is gone now (the namespace died with its pid 1), so the
   * reports, if any, are all in the pipe. */
  if (sb_take_report(rfd, err))
    return -1;

  if (WIFEXITED(st))
    *exit_status = WEXITSTATUS(st);
  else if (WIFSIGNALED(st))
    *exit_status = 128 + WTERMSIG(st);
  else
    *exit_status = 127;
  return 0;
}
