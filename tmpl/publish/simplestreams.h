/* The simplestreams tree LXD and Incus read a remote image server from
 * (lxc remote add NAME https://HOST --protocol simplestreams). */
#pragma once
#include <json-c/json.h>

#define VZT_SIMPLESTREAMS_INDEX "streams/v1/index.json"
#define VZT_SIMPLESTREAMS_IMAGES "streams/v1/images.json"

/* From publish's index.json "templates" array: one product per template
 * whose last-good build has a unified image (its build's "lxd" object),
 * with that build as its only version, so LXD takes what publish vouches
 * for. Aliases: the template's name, <os>/<release>/<variant> and, where
 * there is a codename, <os>/<codename>/<variant>. Both texts end in a
 * newline; the order is the index's, so the same index gives the same bytes. */
void vzt_simplestreams_render(json_object *templates, char **index_json, char **images_json);
