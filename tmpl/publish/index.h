/* Reading a published directory's index.json, shared by publish (which
 * rewrites it) and download (which trusts it only once SHA256SUMS vouches). */
#pragma once
#include <json-c/json.h>

/* o[key] when it is a string, else NULL (also for a NULL o). */
const char *vzt_index_str(json_object *o, const char *key);
/* The first object of the array arr whose string key equals value; NULL
 * also when arr is not an array. */
json_object *vzt_index_find(json_object *arr, const char *key, const char *value);
