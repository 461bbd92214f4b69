/* The printed forms of an update's result, shared by `update` and
 * `build --update`: a line per change, or one JSON object. */
#include "config.h"
#include "src/update-output.h"
#include "src/diff-output.h"
#include "lib/json-out.h"
#include "lib/log.h"

#include <json-c/json.h>
#include <stdio.h>

static const char *state_name(enum vzt_update_state s, bool json)
{
  switch (s) {
  case VZT_UPDATE_UP_TO_DATE: return json ? "up-to-date" : "up to date";
  case VZT_UPDATE_STALE: return json ? "outdated" : "outdated (dry run: not rebuilt)";
  case VZT_UPDATE_REBUILT: return "updated";
  case VZT_UPDATE_NEW: return json ? "new" : "not cached before: built";
  }
  return "?";
}

int vzt_update_print(const struct vzt_ctx *ctx, const struct vzt_update_result *r, bool dry_run)
{
  const char *name = r->current.name;
  if (ctx->json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(name));
    json_object_object_add(o, "status", json_object_new_string(state_name(r->state, true)));
    json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
    json_object_object_add(o, "recipe_changed", json_object_new_boolean(r->recipe_changed));
    json_object *inputs = json_object_new_array();
    for (char **c = r->inputs_changed; c && *c; c++)
      json_object_array_add(inputs, json_object_new_string(*c));
    json_object_object_add(o, "inputs_changed", inputs);
    json_object_object_add(o, "template", r->template_path ? json_object_new_string(r->template_path) : NULL);
    json_object_object_add(o, "packages", vzt_diff_packages_json(&r->diff));
    vzt_json_print_put(o);
    return 0;
  }
  if (r->state == VZT_UPDATE_NEW && dry_run)
    printf("%s: not cached: would be built\n", name);
  else
    printf("%s: %s\n", name, state_name(r->state, false));
  for (char **c = r->inputs_changed; c && *c; c++)
    printf("%s\n", *c);
  if (r->state != VZT_UPDATE_UP_TO_DATE)
    vzt_diff_print_lines(&r->diff, NULL, NULL);
  if (r->template_path)
    vzt_info("Built %s in %.1f s: %s", name, r->current.build_seconds, r->template_path);
  return 0;
}
