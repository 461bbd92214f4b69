/* One verified template as the export writers read it: its manifest and where its archive is. */
#pragma once
#include "lib/error.h"
#include "tmpl/manifest.h"

struct vzt_export_template {
  struct vzt_manifest m;
  char *archive; /* the tar.zst beside the manifest */
};

/* Loads the manifest at path and names its archive (as verify found it). */
int vzt_export_template_load(const char *path, struct vzt_export_template *t, struct vzt_error **err);
void vzt_export_template_clear(struct vzt_export_template *t);
