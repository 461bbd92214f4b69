/* A terminal of its own for a sandboxed command: a new pty whose bytes we
 * relay to and from the caller's terminal, so that the command never holds
 * the caller's (no TIOCSTI into the caller's shell, no job control over it). */
#pragma once
#include <sys/types.h>
#include "lib/error.h"

/* Opens a pty pair, both ends O_CLOEXEC, the slave not yet anyone's
 * controlling terminal, with the window size of the terminal on term_fd. */
int vzt_pty_open(int term_fd, int *master, int *slave, struct vzt_error **err);

/* Relays term_in -> master and master -> term_out until the process pid has
 * exited (it is not reaped), with term_in in raw mode meanwhile (restored
 * before returning) and window size changes passed on. */
int vzt_pty_relay(int master, int term_in, int term_out, pid_t pid, struct vzt_error **err);
