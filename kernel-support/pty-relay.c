/* The pty between a sandboxed command and the caller's terminal, and the relay over it. */
#include "config.h"
#include "kernel-support/pty-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"

static void pty_copy_winsize(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}

int vzt_pty_open(const char *ptmx, int *master, int *slave)
{
  int m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return -1;
  int unlock = 0, n;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
    goto fail;
  /* TIOCGPTPEER opens the slave of this very master, with no path lookup
   * another process could race; a kernel before 4.13 goes by the number. */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0 && ioctl(m, TIOCGPTN, &n) == 0) {
    char name[64];
    snprintf(name, sizeof(name), "/dev/pts/%d", n);
    s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (s < 0)
    goto fail;
  *master = m;
  *slave = s;
  return 0;
fail:;
  int e = errno;
  close(m);
  errno = e;
  return -1;
}

int vzt_pty_send(int sock, int master)
{
  char byte = 'm';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &master, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n == 1 ? 0 : -1;
}

int vzt_pty_receive(int sock, int *master, struct vzt_error **err)
{
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  ssize_t n;
  do
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return vzt_fail_errno(err, errno, "cannot receive the command's terminal");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (n == 0 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
      cm->cmsg_len != CMSG_LEN(sizeof(int)))
    return vzt_fail(err, "the sandbox sent no terminal");
  memcpy(master, CMSG_DATA(cm), sizeof(int));
  return 0;
}

/* Writes all of buf, waiting while a non-blocking fd is full. */
static int pty_write_all(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      poll(&p, 1, -1);
      continue;
    }
    if (w <= 0)
      return -1;
    buf += w;
    len -= (size_t) w;
  }
  return 0;
}

/* Moves what is readable now: the bytes moved, -1 when there are none yet,
 * 0 at the end (EIO on a master: no slave is open any more). */
static ssize_t pty_pump(int from, int to)
{
  char buf[4096];
  ssize_t n;
  do
    n = read(from, buf, sizeof(buf));
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN)
    return -1;
  if (n <= 0)
    return 0;
  if (pty_write_all(to, buf, (size_t) n) < 0)
    return 0;
  return n;
}

struct pty_term {
  int fd;
  bool saved;
  struct termios orig;
};

static void pty_term_restore(struct pty_term *t)
{
  if (t->saved)
    tcsetattr(t->fd, TCSADRAIN, &t->orig);
}

int vzt_pty_relay(int master, int term_in, int term_out, pid_t pid, struct vzt_error **err)
{
  _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    return vzt_fail_errno(err, errno, "cannot watch process %d", (int) pid);

  /* Window changes arrive as SIGWINCH, read here as data. */
  sigset_t winch, old_mask;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  sigprocmask(SIG_BLOCK, &winch, &old_mask);
  _cleanup_close_ int sfd = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);

  /* Raw: every key, ^C and ^Z included, goes to the command's terminal,
   * whose own line discipline turns them into its signals. */
  __attribute__((cleanup(pty_term_restore))) struct pty_term term = {.fd = term_in};
  if (tcgetattr(term_in, &term.orig) == 0) {
    struct termios raw = term.orig;
    cfmakeraw(&raw);
    if (tcsetattr(term_in, TCSADRAIN, &raw) == 0)
      term.saved = true;
  }
  pty_copy_winsize(term_in, master);
  int mflags = fcntl(master, F_GETFL);
  fcntl(master, F_SETFL, mflags | O_NONBLOCK);

  bool in_open = true, master_open = true;
  for (;;) {
    struct pollfd p[4] = {
        {.fd = pidfd, .events = POLLIN},
        {.fd = master_open ? master : -1, .events = POLLIN},
        {.fd = in_open ? term_in : -1, .events = POLLIN},
        {.fd = sfd, .events = POLLIN},
    };
    if (poll(p, 4, -1) < 0) {
      if (errno == EINTR)
        continue; /* a forwarded signal */
      break;
    }
    if (p[1].revents && pty_pump(master, term_out) == 0)
      master_open = false;
    /* A resize before the keys typed after it. */
    if (p[3].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
        ;
      pty_copy_winsize(term_in, master);
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && pty_pump(term_in, master) == 0)
      in_open = false;
    if (p[0].revents) {
      /* The namespace is gone, so is every writer: what is left in the
       * master is the command's last output. */
      while (master_open && pty_pump(master, term_out) > 0)
        ;
      break;
    }
  }
  sigprocmask(SIG_SETMASK, &old_mask, NULL);
  return 0;
}
