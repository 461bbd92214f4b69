/* Cleanup attributes for owned resources, as crun and systemd use them. */
#pragma once
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

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

#define _cleanup_free_ __attribute__((cleanup(vzt_freep)))
#define _cleanup_close_ __attribute__((cleanup(vzt_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vzt_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(vzt_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(vzt_strv_freep)))

/* Hand ownership on: returns the value and leaves the variable empty. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#define VZT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
