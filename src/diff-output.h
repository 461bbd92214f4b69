/* The printed forms of a template diff, shared by `diff` and `update`. */
#pragma once
#include <json-c/json.h>
#include <stddef.h>
#include "tmpl/lifecycle/diff.h"

/* One line per package (and per path when compared) on stdout:
 * "+ name version (arch)", "- ...", "^ name old -> new", "v ...", "~ ...",
 * "A path", "D path", "M path (what)". Fills the counts per kind when given. */
void vzt_diff_print_lines(const struct vzt_diff *d, size_t pkg_count[VZT_DIFF_CHANGED + 1],
                          size_t path_count[VZT_DIFF_CHANGED + 1]);
/* The package changes as a JSON array of {name, change, old_version, ...}. */
json_object *vzt_diff_packages_json(const struct vzt_diff *d);
