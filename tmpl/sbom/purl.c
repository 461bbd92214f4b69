/* Package URLs for the packages of a template's SBOM. */
#include "config.h"
#include "tmpl/sbom/purl.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>

static bool purl_safe(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         strchr(".-_~:", c);
}

char *vzt_purl_encode(const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *out = vzt_malloc(3 * strlen(s) + 1), *o = out;
  if (!out)
    vzt_out_of_memory();
  for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
    if (purl_safe(*p)) {
      *o++ = (char) *p;
      continue;
    }
    *o++ = '%';
    *o++ = hex[*p >> 4];
    *o++ = hex[*p & 15];
  }
  *o = 0;
  return out;
}

/* Appends "?k=v&..." for each pair with a value, in key order (keys are
 * distinct: each round takes the smallest key after the last one). */
static void add_qualifiers(char **url, const char *const *q)
{
  const char *last = NULL;
  char sep = '?';
  for (;;) {
    const char *const *best = NULL;
    for (const char *const *p = q; p && *p; p += 2)
      if ((!last || strcmp(p[0], last) > 0) && (!best || strcmp(p[0], best[0]) < 0))
        best = p;
    if (!best)
      return;
    last = best[0];
    if (!best[1] || !*best[1])
      continue;
    _cleanup_free_ char *v = vzt_purl_encode(best[1]);
    char *next = vzt_strdupf("%s%c%s=%s", *url, sep, best[0], v);
    free(*url);
    *url = next;
    sep = '&';
  }
}

char *vzt_purl(const char *type, const char *namespace, const char *name, const char *version,
               const char *const *qualifiers)
{
  _cleanup_free_ char *ns = namespace ? vzt_purl_encode(namespace) : NULL;
  _cleanup_free_ char *n = vzt_purl_encode(name);
  _cleanup_free_ char *v = version ? vzt_purl_encode(version) : NULL;
  char *url = vzt_strdupf("pkg:%s/%s%s%s%s%s", type, ns ? ns : "", ns ? "/" : "", n, v ? "@" : "",
                          v ? v : "");
  add_qualifiers(&url, qualifiers);
  return url;
}
