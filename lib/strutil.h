/* String, string-vector and path helpers. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "cleanup.h"

/* NULL-terminated vectors of owned strings. */
size_t vzt_strv_len(char *const *v);
void vzt_strv_push(char ***v, const char *s);
void vzt_strv_push_take(char ***v, char *s);
bool vzt_strv_contains(char *const *v, const char *s);
char **vzt_strv_dup(char *const *v);
/* Split on spaces, tabs and commas (recipe lists accept either). */
char **vzt_strv_split(const char *s);
char *vzt_strv_join(char *const *v, const char *sep);
void vzt_strv_sort(char **v);

char *vzt_strdup(const char *s);              /* aborts on ENOMEM */
char *vzt_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *vzt_strndup(const char *s, size_t n);
char *vzt_strstrip(char *s);                   /* trims in place, returns s */
bool vzt_startswith(const char *s, const char *prefix);
bool vzt_endswith(const char *s, const char *suffix);
char *vzt_path_join(const char *a, const char *b);
/* An archive path past its leading "./" and "/": "./a/b", "/a/b" and "a/b"
 * all give "a/b", so the spellings compare. */
const char *vzt_path_skip_root(const char *p);
void vzt_hex(const unsigned char *in, size_t len, char *out); /* out: 2*len+1 */
