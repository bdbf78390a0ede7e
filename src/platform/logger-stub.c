/*
 * What an svlogd started by our own supervisor becomes once it has handed its
 * work to the supervisor (src/svlogd/handoff.ts; the supervisor's side is
 * src/supervise/logger-handoff.ts): the supervisor reads the log pipe and
 * writes the log directories, and this process only keeps the logger's pid.
 *
 * Why a process at all: `sv status`, `sv hup`/`alarm`/`term` and a plain
 * `kill -HUP` act on the pid in log/supervise/pid, which must stay the
 * logger's for as long as the logging goes on. Why in C, the one piece of
 * logic that is: a JavaScript engine per logger, with the engine's code
 * loaded, is what costs the memory (about 430 kB of anonymous memory each);
 * this costs a few pages. main.c runs it before any engine is made.
 *
 * svlogd execs our own executable with its own argv (so ps shows the same
 * command line) and the channel's fd in MY_INIT_LOGGER_STUB. Each of the
 * signals svlogd handles (HUP, ALRM, TERM) becomes one byte on the channel
 * (h, a, t). The supervisor ends the stub by writing `x` and the exit code
 * svlogd would have exited with; if the channel closes (the supervisor is
 * gone), the stub exits 111, as svlogd does on a fatal error. Every other
 * signal keeps its default action, as in svlogd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "logger-stub.h"

#define EXIT_FATAL 111

static const struct {
  int signal;
  char byte;
} forwarded[] = {{SIGHUP, 'h'}, {SIGALRM, 'a'}, {SIGTERM, 't'}};

#define COUNT (sizeof forwarded / sizeof forwarded[0])

int logger_stub(int channel) {
  /* A channel that is not open (a bug on the other side) must not be mistaken for the signalfd made next. */
  if (channel < 3 || fcntl(channel, F_GETFD) < 0) return EXIT_FATAL;
  /* Exec'd as /proc/self/exe, the process would be named `exe`: ps -C and pgrep -x know it as svlogd. */
  prctl(PR_SET_NAME, "svlogd");
  sigset_t set;
  sigemptyset(&set);
  for (unsigned i = 0; i < COUNT; i++) sigaddset(&set, forwarded[i].signal);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) return EXIT_FATAL;
  int signals = signalfd(-1, &set, SFD_CLOEXEC);
  if (signals < 0) return EXIT_FATAL;

  bool ending = false;
  struct pollfd fds[2] = {{.fd = channel, .events = POLLIN}, {.fd = signals, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return EXIT_FATAL;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(signals, &info, sizeof info) == sizeof info) {
        for (unsigned i = 0; i < COUNT; i++) {
          if ((int)info.ssi_signo != forwarded[i].signal) continue;
          /* MSG_NOSIGNAL: a supervisor gone is the channel closing (exit 111), not a SIGPIPE. */
          if (send(channel, &forwarded[i].byte, 1, MSG_NOSIGNAL) < 0) return EXIT_FATAL;
        }
      }
    }
    if (fds[0].revents & POLLNVAL) return EXIT_FATAL;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      unsigned char byte;
      ssize_t got = read(channel, &byte, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return EXIT_FATAL;
      /* `x` then the code; anything else from the supervisor would be a bug there, and is passed over. */
      if (ending) return byte;
      ending = byte == 'x';
    }
  }
}
