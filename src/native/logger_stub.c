/*
 * What an svlogd started by my_init's own supervisor becomes once it has handed
 * its work to PID 1: a process of a few hundred kilobytes that keeps the
 * logger's pid, so that `sv status`, `sv hup` and a plain `kill` keep their
 * meaning, while PID 1 reads the pipe and writes the log directories. A Node
 * process per logger would cost about 8 MB; this costs what a C svlogd does.
 *
 * It is exec'd with svlogd's own argv (so ps shows the same command line) and
 * the channel's fd in MY_INIT_LOGGER_FD.
 *
 * Each of the signals svlogd handles (HUP, ALRM, TERM) becomes one byte on the
 * channel (h, a, t) for PID 1 to act on. PID 1 ends the stub by writing `x`
 * and the exit code that svlogd would have exited with. If PID 1 goes away
 * (the channel closes), the stub exits 111, as svlogd does on a fatal error.
 * Every other signal keeps its default action, as in svlogd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

static const struct {
  int signal;
  char byte;
} forwarded[] = {{SIGHUP, 'h'}, {SIGALRM, 'a'}, {SIGTERM, 't'}};

#define COUNT (sizeof forwarded / sizeof forwarded[0])

int main(void) {
  const char *named = getenv("MY_INIT_LOGGER_FD");
  if (named == NULL) return 111;
  int channel = atoi(named);
  /* A channel that is not open (a bug on the other side) must not be mistaken for the signalfd made next. */
  if (fcntl(channel, F_GETFD) < 0) return 111;
  /* Exec'd from a memfd, the process would be named after the fd. */
  prctl(PR_SET_NAME, "svlogd");
  sigset_t set;
  sigemptyset(&set);
  for (unsigned i = 0; i < COUNT; i++) sigaddset(&set, forwarded[i].signal);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return 111;
  int signals = signalfd(-1, &set, SFD_CLOEXEC);
  if (signals < 0) return 111;

  bool ending = false;
  struct pollfd fds[2] = {{.fd = channel, .events = POLLIN}, {.fd = signals, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 111;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(signals, &info, sizeof info) == sizeof info) {
        for (unsigned i = 0; i < COUNT; i++) {
          if ((int)info.ssi_signo == forwarded[i].signal && write(channel, &forwarded[i].byte, 1) < 0) return 111;
        }
      }
    }
    if (fds[0].revents & POLLNVAL) return 111;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      unsigned char byte;
      ssize_t got = read(channel, &byte, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return 111;
      /* `x` then the code; anything else from PID 1 would be a bug there, and is passed over. */
      if (ending) return byte;
      ending = byte == 'x';
    }
  }
}
