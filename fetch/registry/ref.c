/* Registry references: host[:port]/repository:tag or @sha256:digest, parsed strictly and printed back. */
#include "config.h"
#include "fetch/registry/registry.h"
#include "lib/strutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

bool vzt_reg_digest_valid(const char *d)
{
  if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!isdigit((unsigned char) *p) && !(*p >= 'a' && *p <= 'f'))
      return false;
  return true;
}

/* The spec's repository grammar: components joined by '/', each
 * [a-z0-9]+ with '.', '_', '__' or a run of '-' between alphanumerics. */
static bool repo_valid(const char *r)
{
  if (!*r || strlen(r) > 255)
    return false;
  for (const char *p = r;;) {
    if (!islower((unsigned char) *p) && !isdigit((unsigned char) *p))
      return false;
    while (islower((unsigned char) *p) || isdigit((unsigned char) *p))
      p++;
    if (!*p)
      return true;
    if (*p == '/' || *p == '.')
      p++;
    else if (*p == '_')
      p += p[1] == '_' ? 2 : 1;
    else if (*p == '-')
      while (*p == '-')
        p++;
    else
      return false;
  }
}

static bool tag_valid(const char *t)
{
  size_t n = strlen(t);
  if (n == 0 || n > 128 || !(isalnum((unsigned char) t[0]) || t[0] == '_'))
    return false;
  for (const char *p = t; *p; p++)
    if (!isalnum((unsigned char) *p) && !strchr("._-", *p))
      return false;
  return true;
}

static bool host_valid(const char *h)
{
  if (!*h)
    return false;
  const char *p = h;
  if (*p == '[') {
    p = strchr(h, ']');
    if (!p)
      return false;
    p++;
  } else
    while (*p && *p != ':')
      if (!isalnum((unsigned char) *p) && *p != '.' && *p != '-')
        return false;
      else
        p++;
  if (*p == ':') {
    p++;
    if (!*p || strlen(p) > 5)
      return false;
    for (; *p; p++)
      if (!isdigit((unsigned char) *p))
        return false;
  }
  return *p == 0;
}

bool vzt_reg_host_is_loopback(const char *host)
{
  _cleanup_free_ char *h = NULL;
  if (host[0] == '[') {
    const char *e = strchr(host, ']');
    h = e ? vzt_strndup(host + 1, (size_t) (e - host - 1)) : vzt_strdup("");
  } else {
    const char *c = strchr(host, ':');
    h = c ? vzt_strndup(host, (size_t) (c - host)) : vzt_strdup(host);
  }
  if (!strcmp(h, "localhost"))
    return true;
  struct in_addr a4;
  struct in6_addr a6;
  if (inet_pton(AF_INET, h, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, h, &a6) == 1)
    return !memcmp(&a6, &in6addr_loopback, sizeof(a6));
  return false;
}

int vzt_reg_ref_parse(const char *s, struct vzt_reg_ref *r, struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  const char *slash = strchr(s, '/');
  if (!slash)
    return vzt_usage_error(err, "'%s' is not a registry reference: write host[:port]/repository:tag "
                                "or host[:port]/repository@sha256:<digest>", s);
  r->host = vzt_strndup(s, (size_t) (slash - s));
  _cleanup_free_ char *rest = vzt_strdup(slash + 1);
  char *at = strchr(rest, '@');
  if (at) {
    *at = 0;
    r->digest = vzt_strdup(at + 1);
  }
  char *colon = strrchr(rest, ':');
  if (colon && !strchr(colon, '/')) {
    *colon = 0;
    r->tag = vzt_strdup(colon + 1);
  }
  r->repo = vzt_strdup(rest);
  const char *bad = !host_valid(r->host)                        ? "host"
                    : !repo_valid(r->repo)                      ? "repository (lowercase letters, digits, . _ - /)"
                    : r->tag && !tag_valid(r->tag)              ? "tag"
                    : r->digest && !vzt_reg_digest_valid(r->digest) ? "digest (sha256:<64 hex digits>)"
                                                                : NULL;
  if (bad) {
    vzt_reg_ref_clear(r);
    return vzt_usage_error(err, "'%s': bad %s in the registry reference", s, bad);
  }
  if (!r->tag && !r->digest)
    r->tag = vzt_strdup("latest");
  return 0;
}

char *vzt_reg_ref_format(const struct vzt_reg_ref *r)
{
  if (r->digest)
    return vzt_strdupf("%s/%s%s%s@%s", r->host, r->repo, r->tag ? ":" : "", r->tag ? r->tag : "", r->digest);
  return vzt_strdupf("%s/%s:%s", r->host, r->repo, r->tag);
}

const char *vzt_reg_ref_reference(const struct vzt_reg_ref *r) { return r->digest ? r->digest : r->tag; }

void vzt_reg_ref_clear(struct vzt_reg_ref *r)
{
  free(r->host);
  free(r->repo);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}
