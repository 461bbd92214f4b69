/* A terminal of its own for a sandboxed command: a new pty whose bytes we
 * relay to and from the caller's terminal, so that the command never holds
 * the caller's (no TIOCSTI into the caller's shell, no job control over it). */
#pragma once
#include <sys/types.h>
#include "lib/error.h"

/* Opens a new pty in the devpts instance of ptmx ("/dev/pts/ptmx" inside
 * the sandbox, so that the command's terminal has a name there): the
 * master and the slave, both O_CLOEXEC, the slave nobody's controlling
 * terminal yet. Allocates nothing (it runs in the sandbox's pid 1);
 * -1 with errno. */
int vzt_pty_open(const char *ptmx, int *master, int *slave);
/* Hands the master over a unix socket to the relay's side, and takes it
 * there (-1 when the other side closed the socket first: it failed and
 * says why elsewhere). The sender allocates nothing. */
int vzt_pty_send(int sock, int master);
int vzt_pty_receive(int sock, int *master, struct vzt_error **err);

/* Relays term_in -> master and master -> term_out until the process pid has
 * exited (it is not reaped), with term_in in raw mode meanwhile (restored
 * before returning) and its window size, now and after each change, passed on. */
int vzt_pty_relay(int master, int term_in, int term_out, pid_t pid, struct vzt_error **err);
