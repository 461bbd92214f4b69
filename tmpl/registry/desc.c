/* OCI descriptors and the JSON helpers push and pull read image manifests and indices with. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"

#include <string.h>

void vzt_regjson_putp(json_object **o)
{
  if (*o)
    json_object_put(*o);
}

const char *vzt_regjson_str(json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

int vzt_regdesc_parse(json_object *o, const char *what, struct vzt_regdesc *d, struct vzt_error **err)
{
  memset(d, 0, sizeof(*d));
  json_object *size = NULL, *platform = NULL;
  const char *digest = vzt_regjson_str(o, "digest");
  if (!digest || !vzt_reg_digest_valid(digest))
    return vzt_refuse(err, "%s: a descriptor's digest '%s' is not sha256:<64 hex digits>", what,
                      digest ? digest : "(none)");
  if (!json_object_object_get_ex(o, "size", &size) || !json_object_is_type(size, json_type_int) ||
      json_object_get_int64(size) < 0)
    return vzt_refuse(err, "%s: the descriptor of %s has no valid size", what, digest);
  strcpy(d->digest, digest);
  d->size = (uint64_t) json_object_get_int64(size);
  d->media_type = vzt_regjson_str(o, "mediaType");
  if (json_object_object_get_ex(o, "platform", &platform)) {
    d->arch = vzt_regjson_str(platform, "architecture");
    d->variant = vzt_regjson_str(platform, "variant");
  }
  return 0;
}
