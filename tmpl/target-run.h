/* Running the target's own programs in the build sandbox, with their output
 * kept in <workdir>/configure.log and quoted when they fail. */
#pragma once
#include <stdbool.h>
#include <time.h>
#include "lib/error.h"

/* The environment target code runs with: PATH, C.UTF-8, noninteractive
 * debconf, SOURCE_DATE_EPOCH. */
char **vzt_target_env(time_t epoch);
/* Runs argv inside root (root's parent directory holds the log). A non-zero
 * exit is a failure naming `what` and the exit status. */
int vzt_target_run(const char *root, char *const *argv, char *const *env, bool network,
                   const char *what, struct vzt_error **err);
