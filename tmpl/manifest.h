/* Template manifests: the JSON record written beside every template. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "kernel-support/beancounter.h"
#include "lib/error.h"

struct vzt_manifest_package {
  char *name, *version, *architecture, *sha256;
  uint64_t size;
  char *url;  /* where it was fetched from (first mirror); NULL in older manifests */
};

struct vzt_manifest {
  char *name;               /* debian-13-x86_64[-variant] */
  char *distribution, *release, *codename, *variant;
  char *architecture;       /* canonical */
  char *family_architecture;
  char *family;             /* deb, rpm-md, urpmi; NULL in manifests from before it was recorded */
  char *recipe_path, *recipe_sha256;   /* recipe_path absolute since inputs are recorded */
  /* What the build was given beyond the recipe, so `vztmpl update` can
   * resolve the same request again. has_inputs is false for manifests from
   * before they were recorded. */
  bool has_inputs;
  char **include, **exclude;  /* --include / --exclude */
  char **mirror_override;     /* --mirror or VZTMPL_MIRROR_<DISTRO>; NULL or empty: none */
  char *keyring_override;     /* --keyring */
  time_t source_date_epoch;
  double build_seconds;
  char **verified;          /* "suite fingerprint" */
  char **mirrors;
  struct vzt_manifest_package *packages;
  size_t npackages;
  char *archive_file, *archive_sha256;
  uint64_t archive_size, unpacked_size, entries;
  char *init;               /* systemd, sysvinit, none */
  /* How the target's packages were configured: "native", "emulated" (its own
   * programs under qemu-user) or "chrootless" (the host's dpkg, none of the
   * target's programs run); NULL in manifests from before it was recorded. */
  char *configure;
  /* Chrootless, whose dpkg and helpers configured it: "host", or the
   * native template of the target's release as "<name>@sha256:<archive's>". */
  char *configure_tools;
  char **customizations;    /* files (with sha256), users, services, settings, hooks (with sha256) */
  char **first_boot;        /* what runs or applies at a container's first start: "ssh-host-keys systemd PATH" */
  bool has_limits;          /* the configure stage's limits and usage below are known */
  struct vzt_bc_row limits[VZT_BC_NRES];
  char *limits_note;        /* why they were rlimits only (no cgroup) */
};

/* Serializes m as pretty JSON (sorted by our own field order, stable). */
char *vzt_manifest_to_json(const struct vzt_manifest *m);
/* Reads a manifest file back: names, recipe, inputs, packages, archive. */
int vzt_manifest_load(const char *path, struct vzt_manifest *m, struct vzt_error **err);
void vzt_manifest_clear(struct vzt_manifest *m);
