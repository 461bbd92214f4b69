/* Runs a fuzz target over every file of the corpus directories given (by
 * default the target's committed corpus), so the corpus is a regression test
 * without libFuzzer. */
#include "config.h"
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path)
{
  FILE *f = fopen(path, "rbe");
  if (!f) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  for (size_t r; buf && (r = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += r;
    if (n == cap)
      buf = realloc(buf, cap *= 2);
  }
  if (!buf || ferror(f)) {
    fprintf(stderr, "%s: cannot read\n", path);
    fclose(f);
    free(buf);
    return -1;
  }
  fclose(f);
  /* An exact-size copy, so ASan catches reads past the end as libFuzzer would. */
  uint8_t *exact = malloc(n ? n : 1);
  if (!exact)
    abort();
  memcpy(exact, buf, n);
  free(buf);
  LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  return 0;
}

int main(int argc, char **argv)
{
#ifdef FUZZ_CORPUS
  static char corpus[] = FUZZ_CORPUS;
  static char *dflt[] = {NULL, corpus, NULL};
  if (argc < 2) {
    dflt[0] = argv[0];
    argv = dflt;
    argc = 2;
  }
#endif
  if (argc < 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
    return 2;
  }
  size_t runs = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) < 0) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (run_file(argv[i]) < 0)
        return 1;
      runs++;
      continue;
    }
    struct dirent **names;
    int n = scandir(argv[i], &names, NULL, alphasort);
    if (n < 0) {
      fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
      return 1;
    }
    int ret = 0;
    for (int j = 0; j < n; j++) {
      char path[4096];
      snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
      if (names[j]->d_name[0] != '.' && !stat(path, &st) && S_ISREG(st.st_mode)) {
        printf("%s\n", path);
        fflush(stdout);
        if (run_file(path) < 0)
          ret = 1;
        runs++;
      }
      free(names[j]);
    }
    free(names);
    if (ret)
      return ret;
  }
  printf("%zu inputs replayed\n", runs);
  return runs ? 0 : 1;
}
