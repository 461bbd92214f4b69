/* Registry authentication: credentials from the containers/docker auth files, Basic, and bearer tokens. */
#include "config.h"
#include "fetch/fetch.h"
#include "fetch/registry/registry-internal.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <errno.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void json_putp(json_object **o)
{
  if (*o)
    json_object_put(*o);
}

static char *b64_encode(const char *s)
{
  size_t n = strlen(s);
  char *out = vzt_malloc(4 * ((n + 2) / 3) + 1);
  EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s, (int) n);
  return out;
}

static char *b64_decode(const char *s)
{
  size_t n = strlen(s);
  if (n % 4 || n > 8192)
    return NULL;
  unsigned char *out = vzt_malloc(n / 4 * 3 + 1);
  int len = EVP_DecodeBlock(out, (const unsigned char *) s, (int) n);
  if (len < 0) {
    free(out);
    return NULL;
  }
  /* EVP_DecodeBlock counts the padding as bytes. */
  while (n && s[n - 1] == '=' && len > 0)
    n--, len--;
  out[len] = 0;
  return (char *) out;
}

/* auths.<host>.auth of one auth file, also under the "https://host" spelling docker once wrote. */
static int from_file(struct vzt_reg *reg, const char *path, bool *found, struct vzt_error **err)
{
  *found = false;
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (vzt_read_file_max(path, 1 << 20, &data, &len, err) < 0) {
    if ((*err)->errnum == ENOENT) {
      vzt_error_free(err);
      return 0;
    }
    return -1;
  }
  __attribute__((cleanup(json_putp))) json_object *o = json_tokener_parse(data);
  json_object *auths = NULL, *entry = NULL, *auth = NULL;
  if (!o || !json_object_object_get_ex(o, "auths", &auths))
    return vzt_fail(err, "%s is not an auth file (no \"auths\" object)", path);
  _cleanup_free_ char *https = vzt_strdupf("https://%s", reg->host);
  if (!json_object_object_get_ex(auths, reg->host, &entry) && !json_object_object_get_ex(auths, https, &entry))
    return 0;
  if (!json_object_object_get_ex(entry, "auth", &auth) || !json_object_is_type(auth, json_type_string))
    return 0;
  char *up = b64_decode(json_object_get_string(auth));
  if (!up || !strchr(up, ':')) {
    free(up);
    return vzt_fail(err, "%s: the auth of %s is not base64 of user:password", path, reg->host);
  }
  reg->user_pass = up;
  reg->auth_source = vzt_strdup(path);
  *found = true;
  return 0;
}

int vzt_reg_auth_load(struct vzt_reg *reg, struct vzt_error **err)
{
  _cleanup_strv_ char **files = vzt_calloc(1, sizeof(char *));
  const char *e = getenv("REGISTRY_AUTH_FILE"), *run = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
  if (e && *e)
    vzt_strv_push(&files, e);
  if (run && *run)
    vzt_strv_push_take(&files, vzt_strdupf("%s/containers/auth.json", run));
  if (home && *home)
    vzt_strv_push_take(&files, vzt_strdupf("%s/.docker/config.json", home));
  for (char **f = files; *f; f++) {
    bool found;
    if (from_file(reg, *f, &found, err) < 0)
      return -1;
    if (found)
      return 0;
  }
  return 0;
}

/* key="value" pairs after the scheme of a challenge. */
static char *param(const char *challenge, const char *key)
{
  size_t n = strlen(key);
  for (const char *p = challenge; (p = strcasestr(p, key)); p += n) {
    if ((p > challenge && p[-1] != ' ' && p[-1] != ',') || p[n] != '=')
      continue;
    const char *v = p + n + 1;
    if (*v == '"') {
      const char *end = strchr(v + 1, '"');
      return end ? vzt_strndup(v + 1, (size_t) (end - v - 1)) : NULL;
    }
    return vzt_strndup(v, strcspn(v, ", "));
  }
  return NULL;
}

static size_t token_write(char *p, size_t size, size_t n, void *data)
{
  struct vzt_buf *b = data;
  if (b->len + size * n > (1u << 20))
    return 0;
  vzt_buf_append(b, p, size * n);
  return size * n;
}

static char *escape(CURL *c, const char *s)
{
  char *e = curl_easy_escape(c, s, 0);
  char *r = vzt_strdup(e ? e : "");
  curl_free(e);
  return r;
}

/* The token flow: GET realm?service=..&scope=.. (with the credentials when there are some). */
static int bearer(struct vzt_reg *reg, const char *challenge, struct vzt_error **err)
{
  _cleanup_free_ char *realm = param(challenge, "realm"), *service = param(challenge, "service"),
                      *scope = param(challenge, "scope");
  /* A push's first request (a HEAD) is challenged for pull only: ask for
   * push as well, or every upload would start with a second token. */
  _cleanup_free_ char *pull_only = vzt_strdupf("repository:%s:pull", reg->repo);
  if (reg->push && scope && !strcmp(scope, pull_only)) {
    free(scope);
    scope = vzt_strdupf("repository:%s:pull,push", reg->repo);
  }
  if (!realm || !(vzt_startswith(realm, "https://") || vzt_startswith(realm, "http://")))
    return vzt_fail(err, "registry %s: its token challenge names no usable realm", reg->host);
  /* Credentials go to the realm: never in clear text off this machine. */
  if (vzt_startswith(realm, "http://")) {
    _cleanup_free_ char *host = vzt_strndup(realm + 7, strcspn(realm + 7, "/?#"));
    if (strchr(host, '@') || !vzt_reg_host_is_loopback(host))
      return vzt_refuse(err, "registry %s sends token requests to %s over plain http: refusing to send "
                             "credentials or trust tokens there", reg->host, realm);
  }
  vzt_fetch_global_init();
  CURL *c = curl_easy_init();
  if (!c)
    return vzt_fail(err, "cannot set up libcurl");
  _cleanup_buf_ struct vzt_buf url = {0}, body = {0};
  vzt_buf_puts(&url, realm);
  char sep = strchr(realm, '?') ? '&' : '?';
  const char *const keys[] = {"service", "scope", "scope"};
  const char *vals[] = {service, scope, reg->extra_scope};
  for (size_t i = 0; i < 3; i++)
    if (vals[i]) {
      _cleanup_free_ char *v = escape(c, vals[i]);
      vzt_buf_printf(&url, "%c%s=%s", sep, keys[i], v);
      sep = '&';
    }
  vzt_reg_setup_handle(reg, c);
  curl_easy_setopt(c, CURLOPT_URL, url.data);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, token_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  if (reg->user_pass) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, reg->user_pass);
  }
  CURLcode res = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (res != CURLE_OK)
    return vzt_fail(err, "registry %s: token from %s: %s", reg->host, realm, curl_easy_strerror(res));
  if (status == 401 || status == 403)
    return vzt_fail(err, "registry %s: %s refused %s (HTTP %ld): %s", reg->host, realm,
                    reg->user_pass ? "the credentials" : "an anonymous token",
                    status, reg->user_pass ? "wrong user or password? log in again or fix the auth file"
                                           : "log in (podman/skopeo/docker login) or set REGISTRY_AUTH_FILE");
  __attribute__((cleanup(json_putp))) json_object *o = body.data ? json_tokener_parse(body.data) : NULL;
  json_object *tok = NULL;
  if (status != 200 || !o ||
      (!json_object_object_get_ex(o, "token", &tok) && !json_object_object_get_ex(o, "access_token", &tok)) ||
      !json_object_is_type(tok, json_type_string))
    return vzt_fail(err, "registry %s: %s gave no token (HTTP %ld)", reg->host, realm, status);
  free(reg->authz);
  reg->authz = vzt_strdupf("Authorization: Bearer %s", json_object_get_string(tok));
  return 0;
}

int vzt_reg_auth_answer(struct vzt_reg *reg, const char *challenge, struct vzt_error **err)
{
  if (!strncasecmp(challenge, "Bearer ", 7))
    return bearer(reg, challenge + 7, err);
  if (!strncasecmp(challenge, "Basic", 5)) {
    if (!reg->user_pass)
      return vzt_fail(err, "registry %s wants a user and password: log in (podman/skopeo/docker login "
                           "%s) or set REGISTRY_AUTH_FILE to an auth.json that names it", reg->host, reg->host);
    _cleanup_free_ char *b = b64_encode(reg->user_pass);
    free(reg->authz);
    reg->authz = vzt_strdupf("Authorization: Basic %s", b);
    return 0;
  }
  return vzt_fail(err, "registry %s asks for authentication vztmpl does not speak: %s", reg->host, challenge);
}
