/* Loading a verified template for the export writers: the manifest, and the archive it names. */
#include "config.h"
#include "tmpl/export/template.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

int vzt_export_template_load(const char *path, struct vzt_export_template *t, struct vzt_error **err)
{
  memset(t, 0, sizeof(*t));
  if (vzt_manifest_load(path, &t->m, err) < 0)
    return -1;
  if (!t->m.archive_file || !t->m.name)
    return vzt_refuse(err, "%s names no archive: rebuild the template", path);
  _cleanup_free_ char *dir = vzt_strdup(path);
  t->archive = strchr(t->m.archive_file, '/') ? vzt_strdup(t->m.archive_file)
                                              : vzt_path_join(dirname(dir), t->m.archive_file);
  return 0;
}

void vzt_export_template_clear(struct vzt_export_template *t)
{
  vzt_manifest_clear(&t->m);
  free(t->archive);
  t->archive = NULL;
}
