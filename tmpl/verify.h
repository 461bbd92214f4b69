/* Checking a template against its manifest: the archive's hash and size, and
 * the package database inside it against the manifest's package list. */
#pragma once
#include <stddef.h>
#include "lib/error.h"

struct vzt_verify_report {
  char *name;
  char *archive;        /* path of the archive checked */
  char sha256[65];
  size_t packages;      /* packages found installed as the manifest lists them */
};

/* Any mismatch is a refusal (VZT_EXIT_REFUSED) naming the file or package. */
int vzt_verify_template(const char *manifest_path, struct vzt_verify_report *rep,
                        struct vzt_error **err);
void vzt_verify_report_clear(struct vzt_verify_report *rep);
