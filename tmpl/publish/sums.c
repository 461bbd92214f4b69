/* Reading and checking signed SHA256SUMS lists. */
#include "config.h"
#include "tmpl/publish/sums.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_hex64(const char *p)
{
  for (int i = 0; i < 64; i++)
    if (!isxdigit((unsigned char) p[i]))
      return false;
  return true;
}

int vzt_sums_parse(const char *text, size_t len, const char *what, struct vzt_sums *out,
                   struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  const char *p = text, *end = text + len;
  size_t lineno = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t) (end - p));
    const char *le = nl ? nl : end;
    lineno++;
    size_t n = (size_t) (le - p);
    if (n && p[n - 1] == '\r')
      n--;
    if (n == 0) {
      p = nl ? nl + 1 : end;
      continue;
    }
    if (n < 67 || !is_hex64(p) || p[64] != ' ' || (p[65] != ' ' && p[65] != '*') ||
        memchr(p + 66, '\0', n - 66)) {
      vzt_sums_clear(out);
      return vzt_refuse(err, "%s line %zu is not \"<sha256>  <path>\"", what, lineno);
    }
    struct vzt_sums_entry *nv = vzt_realloc(out->v, (out->n + 1) * sizeof(*nv));
    out->v = nv;
    struct vzt_sums_entry *e = &out->v[out->n++];
    for (int i = 0; i < 64; i++)
      e->sha256[i] = (char) tolower((unsigned char) p[i]);
    e->sha256[64] = 0;
    e->path = vzt_strndup(p + 66, n - 66);
    p = nl ? nl + 1 : end;
  }
  return 0;
}

const struct vzt_sums_entry *vzt_sums_find(const struct vzt_sums *s, const char *path)
{
  if (vzt_startswith(path, "./"))
    path += 2;
  for (size_t i = 0; i < s->n; i++) {
    const char *q = s->v[i].path;
    if (vzt_startswith(q, "./"))
      q += 2;
    if (!strcmp(q, path))
      return &s->v[i];
  }
  return NULL;
}

bool vzt_sums_lists(const struct vzt_sums *s, const char *basename, const char *sha256)
{
  for (size_t i = 0; i < s->n; i++) {
    const char *slash = strrchr(s->v[i].path, '/');
    const char *b = slash ? slash + 1 : s->v[i].path;
    if (!strcmp(b, basename) && !strcasecmp(s->v[i].sha256, sha256))
      return true;
  }
  return false;
}

void vzt_sums_clear(struct vzt_sums *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i].path);
  free(s->v);
  memset(s, 0, sizeof(*s));
}

int vzt_sums_verify(const char *keyring, const char *text, size_t len, const char *sig, size_t siglen,
                    const char *what, struct vzt_sums *out, char **fingerprint, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  if (fingerprint)
    *fingerprint = NULL;
  if (!sig || siglen == 0)
    return vzt_refuse(err, "%s has no signature (%s.gpg is missing or empty)", what, what);
  struct vzt_gpg_result res = {0};
  if (vzt_gpg_verify(keyring, NULL, text, len, sig, siglen, what, &res, err) < 0)
    return -1;
  if (fingerprint)
    *fingerprint = steal_pointer(&res.fingerprint);
  vzt_gpg_result_free(&res);
  /* Only now is the text worth reading: it is what the key signed. */
  return vzt_sums_parse(text, len, what, out, err);
}
