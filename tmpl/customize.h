/* Golden-image customization from a recipe's [files] [groups] [users]
 * [services] [settings] and [hooks] sections. Order, after the packages are
 * configured: groups, users, files, services, settings, then the
 * after-configure hooks; hygiene follows; before-pack hooks run last.
 * after-extract hooks run between unpacking and configuring. */
#pragma once
#include <stdbool.h>
#include <time.h>
#include "tmpl/recipe.h"
#include "tmpl/target-run.h"

/* Hook points, as [hooks] keys name them ("host-" in front: on the host, with the root as $1). */
#define VZT_HOOK_AFTER_EXTRACT "after-extract"
#define VZT_HOOK_AFTER_CONFIGURE "after-configure"
#define VZT_HOOK_BEFORE_PACK "before-pack"

/* Applies the declarative sections and the after-configure hooks. Appends
 * what it did ("file /etc/motd <sha256>", "user support", ...) to *record
 * for the manifest. */
int vzt_customize_apply(const struct vzt_recipe *r, const struct vzt_target *t, char ***record,
                        struct vzt_error **err);
/* Runs the hooks of one point: the in-root ones in the sandbox (no network
 * unless "[hooks] network = yes"), then the host- ones. */
int vzt_customize_hooks(const struct vzt_recipe *r, const struct vzt_target *t, const char *point,
                        char ***record, struct vzt_error **err);
/* The hostname the recipe sets ([settings] hostname), or "localhost". */
const char *vzt_customize_hostname(const struct vzt_recipe *r);
/* Checks the sections' keys and that every named file and hook exists. */
int vzt_customize_check(const struct vzt_recipe *r, struct vzt_error **err);
/* What a build records of its inputs ("file DEST MODE OWNER SHA256",
 * "link DEST -> TARGET", "hook POINT PATH SHA256"), read from the recipe's
 * files and hooks as they are now, without a root: `vztmpl update` compares
 * it with the manifest's customizations. */
int vzt_customize_inputs(const struct vzt_recipe *r, char ***record, struct vzt_error **err);
