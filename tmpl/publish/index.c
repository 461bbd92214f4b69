/* index.json look-ups. */
#include "config.h"
#include "tmpl/publish/index.h"

#include <string.h>

const char *vzt_index_str(json_object *o, const char *key)
{
  json_object *v;
  return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

json_object *vzt_index_find(json_object *arr, const char *key, const char *value)
{
  /* arr comes from an index as published: anything but an array (json-c
   * asserts on those) has no entries. */
  if (!json_object_is_type(arr, json_type_array))
    return NULL;
  for (size_t i = 0; i < json_object_array_length(arr); i++) {
    json_object *t = json_object_array_get_idx(arr, i);
    const char *v = vzt_index_str(t, key);
    if (v && !strcmp(v, value))
      return t;
  }
  return NULL;
}
