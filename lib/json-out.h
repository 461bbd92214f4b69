/* vztmpl's one JSON style, for the manifests and indices it writes and the
 * --json output of every command: indented, spaced, slashes as they are. */
#pragma once
#include <json-c/json.h>

#define VZT_JSON_STYLE (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

/* o in that style, owned by o. */
const char *vzt_json_text(json_object *o);
/* Prints o and a newline on stdout, then releases o (NULL prints nothing). */
void vzt_json_print_put(json_object *o);
