/* Running the target's own programs in the build sandbox. */
#include "config.h"
#include "tmpl/target-run.h"
#include "kernel-support/sandbox.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

char **vzt_target_env(time_t epoch)
{
  char **env = calloc(1, sizeof(char *));
  vzt_strv_push(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  vzt_strv_push(&env, "LC_ALL=C.UTF-8");
  vzt_strv_push(&env, "HOME=/root");
  vzt_strv_push(&env, "DEBIAN_FRONTEND=noninteractive");
  vzt_strv_push(&env, "DEBCONF_NONINTERACTIVE_SEEN=true");
  vzt_strv_push_take(&env, vzt_strdupf("SOURCE_DATE_EPOCH=%lld", (long long) epoch));
  return env;
}

int vzt_target_run(const char *root, char *const *argv, char *const *env, bool network,
                   const char *what, struct vzt_error **err)
{
  struct vzt_sandbox_opts o = {.root = root, .argv = argv, .envp = env, .hostname = "localhost",
                               .network = network, .stdout_fd = -1, .stderr_fd = -1};
  _cleanup_free_ char *log = vzt_strdupf("%s/../configure.log", root);
  _cleanup_close_ int logfd = -1;
  if (vzt_log_verbosity() < VZT_LOG_DEBUG) {
    logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0)
      return vzt_fail_errno(err, errno, "cannot create %s", log);
    o.stdout_fd = o.stderr_fd = logfd;
  }
  int status = 0;
  if (vzt_sandbox_run(&o, &status, err) < 0)
    return vzt_error_prefix(err, "%s", what);
  if (status == 0)
    return 0;
  /* Quote the end of the log: the failing program's own words. */
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  struct vzt_error *e = NULL;
  const char *tail = "";
  if (logfd >= 0 && vzt_read_file(log, &text, &len, &e) == 0) {
    size_t lines = 0, i = len;
    while (i > 0 && lines < 12)
      if (text[--i] == '\n')
        lines++;
    tail = text + i;
  }
  vzt_error_free(&e);
  return vzt_fail(err, "%s failed with exit status %d%s%s", what, status,
                  *tail ? "; its last output:\n" : " (run with -v to see its output)", tail);
}
