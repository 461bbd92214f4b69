/* Cleanup attributes for owned resources, as crun and systemd use them. */
#pragma once
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

static inline void vzt_freep(void *p) { free(*(void **) p); }
static inline void vzt_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void vzt_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void vzt_closedirp(DIR **d) { if (*d) closedir(*d); }
void vzt_strv_free(char **v);
static inline void vzt_strv_freep(char ***v) { vzt_strv_free(*v); }

/* Reaps pid, retrying when a signal interrupts; the status in *status when
 * given. *pidp becomes -1 either way: the child is gone. */
static inline int vzt_reap(pid_t *pidp, int *status)
{
  int st = 0, r;
  while ((r = waitpid(*pidp, &st, 0)) < 0 && errno == EINTR)
    ;
  *pidp = -1;
  if (status)
    *status = st;
  return r < 0 ? -1 : 0;
}
/* A child that must not outlive its scope: on an early return it is killed
 * and reaped, so no error path leaves a process running or a zombie. */
static inline void vzt_killp(pid_t *pidp)
{
  if (*pidp > 0) {
    int saved = errno;
    kill(*pidp, SIGKILL);
    vzt_reap(pidp, NULL);
    errno = saved;
  }
}

#define _cleanup_free_ __attribute__((cleanup(vzt_freep)))
#define _cleanup_kill_ __attribute__((cleanup(vzt_killp)))
#define _cleanup_close_ __attribute__((cleanup(vzt_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vzt_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(vzt_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(vzt_strv_freep)))

/* Hand ownership on: returns the value and leaves the variable empty. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#define VZT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
