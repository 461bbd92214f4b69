/* The printed forms of an update's result (see update-output.c). */
#pragma once
#include <stdbool.h>
#include "src/context.h"
#include "tmpl/lifecycle/update.h"

/* What `update` and `build --update` print: the state, each changed input and
 * package, on stdout, or one JSON object with --json. Returns 0. */
int vzt_update_print(const struct vzt_ctx *ctx, const struct vzt_update_result *r, bool dry_run);
