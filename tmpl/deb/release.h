/* Debian Release files: the signed list of index files and their hashes. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "lib/error.h"

struct vzt_release_file {
  char *path;        /* main/binary-amd64/Packages.xz */
  uint64_t size;
  char sha256[65];
};

struct vzt_release {
  char *suite, *codename;
  time_t date;         /* 0 when absent */
  time_t valid_until;  /* 0 when absent */
  char **architectures;
  char **components;
  bool acquire_by_hash;
  struct vzt_release_file *files;
  size_t nfiles;
};

/* Parses the verified plaintext. `what` names the file in errors. */
int vzt_release_parse(const char *text, size_t len, const char *what, struct vzt_release *out,
                      struct vzt_error **err);
void vzt_release_clear(struct vzt_release *r);
const struct vzt_release_file *vzt_release_find(const struct vzt_release *r, const char *path);
/* Refuses (exit 3) a Release whose Valid-Until is before now. */
int vzt_release_check_valid(const struct vzt_release *r, time_t now, const char *what,
                            struct vzt_error **err);
/* RFC 2822 dates as Release files write them; (time_t)-1 when malformed. */
time_t vzt_release_parse_date(const char *s);
