/* The printed forms of a template diff: text lines and JSON. */
#include "config.h"
#include "src/diff-output.h"
#include "lib/cleanup.h"

#include <stdio.h>
#include <string.h>

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

void vzt_diff_print_lines(const struct vzt_diff *d, size_t pkg_count[VZT_DIFF_CHANGED + 1],
                          size_t path_count[VZT_DIFF_CHANGED + 1])
{
  for (size_t i = 0; i < d->npackages; i++) {
    const struct vzt_diff_package *p = &d->packages[i];
    if (pkg_count)
      pkg_count[p->kind]++;
    switch (p->kind) {
    case VZT_DIFF_ADDED: printf("+ %s %s (%s)\n", p->name, p->new_version, p->new_arch); break;
    case VZT_DIFF_REMOVED: printf("- %s %s (%s)\n", p->name, p->old_version, p->old_arch); break;
    case VZT_DIFF_UPGRADED:
    case VZT_DIFF_DOWNGRADED:
      printf("%c %s %s -> %s%s\n", p->kind == VZT_DIFF_UPGRADED ? '^' : 'v', p->name, p->old_version,
             p->new_version, strcmp(p->old_arch, p->new_arch) ? " (architecture changed)" : "");
      break;
    case VZT_DIFF_CHANGED:
      printf("~ %s %s (%s -> %s, other bytes)\n", p->name, p->new_version, p->old_arch, p->new_arch);
      break;
    }
  }
  for (size_t i = 0; i < d->npaths; i++) {
    const struct vzt_diff_path *p = &d->paths[i];
    if (path_count)
      path_count[p->kind]++;
    if (p->kind == VZT_DIFF_CHANGED) {
      _cleanup_free_ char *what = vzt_diff_what_string(p->what);
      printf("M %s (%s)\n", p->path, what);
    } else
      printf("%c %s\n", p->kind == VZT_DIFF_ADDED ? 'A' : 'D', p->path);
  }
}

json_object *vzt_diff_packages_json(const struct vzt_diff *d)
{
  json_object *pk = json_object_new_array();
  for (size_t i = 0; i < d->npackages; i++) {
    const struct vzt_diff_package *p = &d->packages[i];
    json_object *x = json_object_new_object();
    json_object_object_add(x, "name", json_object_new_string(p->name));
    json_object_object_add(x, "change", json_object_new_string(vzt_diff_kind_name(p->kind)));
    json_object_object_add(x, "old_version", str_or_null(p->old_version));
    json_object_object_add(x, "new_version", str_or_null(p->new_version));
    json_object_object_add(x, "old_architecture", str_or_null(p->old_arch));
    json_object_object_add(x, "new_architecture", str_or_null(p->new_arch));
    json_object_array_add(pk, x);
  }
  return pk;
}
