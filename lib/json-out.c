/* The JSON style every output of vztmpl shares (see json-out.h). */
#include "config.h"
#include "lib/json-out.h"

#include <stdio.h>

const char *vzt_json_text(json_object *o)
{
  return json_object_to_json_string_ext(o, VZT_JSON_STYLE);
}

void vzt_json_print_put(json_object *o)
{
  if (!o)
    return;
  puts(vzt_json_text(o));
  json_object_put(o);
}
