/* Worker processes chrooted into a target root, so untrusted payloads resolve every path inside it. */
#include "config.h"
#include "kernel-support/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"

/* The child's error on the pipe: "status\nerrnum\nmessage". Bounded so
 * the message never makes the child wait on a parent that is not reading. */
#define CONFINE_MSG_MAX 4000

static void confine_report(int fd, const struct vzt_error *e)
{
  char buf[CONFINE_MSG_MAX + 64];
  int n = snprintf(buf, sizeof(buf), "%d\n%d\n%.*s", e->status, e->errnum, CONFINE_MSG_MAX,
                   e->msg ? e->msg : "unknown error");
  if (n < 0)
    return;
  if ((size_t) n >= sizeof(buf))
    n = sizeof(buf) - 1;
  for (size_t off = 0; off < (size_t) n;) {
    ssize_t w = write(fd, buf + off, (size_t) n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    off += (size_t) w;
  }
}

__attribute__((format(printf, 4, 5))) static int confine_error(struct vzt_error **err, int status,
                                                             int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vzt_error_setv(err, status, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

static __attribute__((noreturn)) void confine_child(const char *root, vzt_confined_fn fn, void *arg,
                                                    int wfd, pid_t parent)
{
  struct vzt_error *err = NULL;

  /* The worker dies with us, also if we died before the prctl. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(1);
  /* A mount namespace of its own: whatever the worker mounts stays here. */
  if (unshare(CLONE_NEWNS) < 0) {
    vzt_fail_errno(&err, errno, "confined worker: cannot unshare the mount namespace");
    goto fail;
  }
  if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
    vzt_fail_errno(&err, errno, "confined worker: cannot make the mounts of / private");
    goto fail;
  }
  if (chroot(root) < 0) {
    vzt_fail_errno(&err, errno, "confined worker: cannot chroot into %s", root);
    goto fail;
  }
  if (chdir("/") < 0) {
    vzt_fail_errno(&err, errno, "confined worker: cannot chdir to / in %s", root);
    goto fail;
  }
  if (fn(arg, &err) < 0) {
    if (!err)
      vzt_fail(&err, "confined worker in %s failed without saying why", root);
    goto fail;
  }
  fflush(NULL);
  _exit(0);

fail:
  fflush(NULL);
  confine_report(wfd, err);
  _exit(1);
}

int vzt_confine_spawn(const char *root, vzt_confined_fn fn, void *arg, struct vzt_confined *out,
                      struct vzt_error **err)
{
  int p[2];

  out->pid = -1;
  out->errfd = -1;
  if (pipe2(p, O_CLOEXEC) < 0)
    return vzt_fail_errno(err, errno, "cannot create a pipe for a worker in %s", root);
  /* The child flushes its stdio on exit: it must not inherit our unwritten
   * output and write it a second time. */
  fflush(NULL);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    return vzt_fail_errno(err, e, "cannot fork a worker for %s", root);
  }
  if (pid == 0) {
    close(p[0]);
    confine_child(root, fn, arg, p[1], parent);
  }
  close(p[1]);
  out->pid = pid;
  out->errfd = p[0];
  return 0;
}

int vzt_confine_wait(struct vzt_confined *c, struct vzt_error **err)
{
  char buf[CONFINE_MSG_MAX + 64];
  size_t len = 0;
  int st;

  if (c->pid <= 0)
    return vzt_fail(err, "no confined worker to wait for");

  /* Read first: the report is written before the child exits. */
  if (c->errfd >= 0) {
    for (;;) {
      ssize_t n = read(c->errfd, buf + len, sizeof(buf) - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t) n;
      if (len == sizeof(buf) - 1)
        break;
    }
    close(c->errfd);
    c->errfd = -1;
  }
  buf[len] = '\0';

  pid_t pid = c->pid;
  c->pid = -1;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR)
      return vzt_fail_errno(err, errno, "cannot wait for confined worker %d", (int) pid);
  }

  if (WIFSIGNALED(st))
    return vzt_fail(err, "confined worker %d was killed by signal %d (%s)", (int) pid, WTERMSIG(st),
                    strsignal(WTERMSIG(st)));
  if (!WIFEXITED(st))
    return vzt_fail(err, "confined worker %d ended abnormally", (int) pid);
  if (WEXITSTATUS(st) == 0 && len == 0)
    return 0;

  char *e1 = NULL, *e2 = NULL;
  long status = strtol(buf, &e1, 10);
  long errnum = e1 && *e1 == '\n' ? strtol(e1 + 1, &e2, 10) : 0;
  if (len > 0 && e2 && *e2 == '\n') {
    /* The exit class travels with the message: a refusal stays one. */
    if (status <= VZT_EXIT_OK || status > VZT_EXIT_REFUSED)
      status = VZT_EXIT_FAILED;
    return confine_error(err, (int) status, (int) errnum, "%s", e2 + 1);
  }
  return vzt_fail(err, "confined worker %d exited with status %d", (int) pid, WEXITSTATUS(st));
}

int vzt_confine_run(const char *root, vzt_confined_fn fn, void *arg, struct vzt_error **err)
{
  struct vzt_confined c;
  if (vzt_confine_spawn(root, fn, arg, &c, err) < 0)
    return -1;
  return vzt_confine_wait(&c, err);
}
