/* Checking a template against its manifest: the archive's hash and size, the
 * signed SHA256SUMS beside it (published or downloaded), and the package
 * database inside it against the manifest's package list. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/error.h"

enum vzt_check_status { VZT_CHECK_PASSED, VZT_CHECK_FAILED, VZT_CHECK_SKIPPED };

/* The checks, in the order they run. Each later one is skipped when an
 * earlier one failed: a template whose bytes are not the manifest's is not
 * read any further. */
enum vzt_verify_check_id {
  VZT_VERIFY_ARCHIVE,   /* sha256 and size of the archive file */
  VZT_VERIFY_SIGNATURE, /* SHA256SUMS + .gpg beside it, with a keyring; else skipped */
  VZT_VERIFY_PACKAGES,  /* the family's package database against the manifest's packages */
  VZT_VERIFY_NCHECKS,
};

struct vzt_verify_check {
  enum vzt_check_status status;
  char *detail; /* one line: what was found, or the first problems */
};

struct vzt_verify_opts {
  const char *keyring; /* keys a SHA256SUMS.gpg beside the template must be signed by */
};

struct vzt_verify_report {
  char *name;
  char *archive;        /* path of the archive checked */
  char sha256[65];      /* of the archive, when it could be read */
  uint64_t size;
  size_t packages;      /* packages found installed as the manifest lists them */
  size_t problems;      /* package problems found (all of them are counted) */
  struct vzt_verify_check checks[VZT_VERIFY_NCHECKS];
};

/* Returns 0 when every check that ran passed; otherwise -1 with a refusal
 * (VZT_EXIT_REFUSED) naming the file or the first package, or a failure
 * (VZT_EXIT_FAILED) when a file is missing or unreadable. rep is filled as
 * far as the checks got, in both cases; o may be NULL. */
int vzt_verify_template(const char *manifest_path, const struct vzt_verify_opts *o,
                        struct vzt_verify_report *rep, struct vzt_error **err);
const char *vzt_verify_check_name(enum vzt_verify_check_id id);
const char *vzt_check_status_name(enum vzt_check_status s);
void vzt_verify_report_clear(struct vzt_verify_report *rep);
