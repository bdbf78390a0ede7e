/*
 * Signals (module sys:signals). A signal a program takes is blocked and read
 * from a signalfd in the event loop, never run in a handler: a blocked signal
 * is queued even for PID 1, whose unhandled signals the kernel drops. A child
 * starts with every signal at its default action and none blocked (processes.c).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform.h"

/*
 * The signal numbers in a JS array as a set; false (TypeError thrown) on a bad
 * one. The bits are set directly: musl's sigaddset refuses 32 to 34, which it
 * keeps for its threads (we have none), and glibc programs take 34 as SIGRTMIN.
 */
static bool signal_set(JSContext *ctx, JSValueConst list, sigset_t *set) {
  int32_t numbers[_NSIG];
  int count = get_int_array(ctx, list, numbers, _NSIG);
  if (count < 0) return false;
  memset(set, 0, sizeof *set);
  unsigned long *bits = (unsigned long *)set;
  const unsigned per_word = 8 * sizeof *bits;
  for (int i = 0; i < count; i++) {
    int signal = numbers[i];
    if (signal < 1 || signal >= _NSIG) {
      JS_ThrowRangeError(ctx, "no signal %d", signal);
      return false;
    }
    bits[(unsigned)(signal - 1) / per_word] |= 1UL << ((unsigned)(signal - 1) % per_word);
  }
  return true;
}

int mask_signals(int how, const sigset_t *set, sigset_t *old) {
  return (int)syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8);
}

/* block(signals) / unblock(signals) */
static JSValue js_mask(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int how) {
  (void)this, (void)argc;
  sigset_t set;
  if (!signal_set(ctx, argv[0], &set)) return JS_EXCEPTION;
  return done_or_errno(ctx, mask_signals(how, &set, NULL));
}

/* ignore(signals) / setDefault(signals): SIG_IGN or SIG_DFL for each. */
static JSValue js_disposition(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int ignore) {
  (void)this, (void)argc;
  int32_t numbers[_NSIG];
  int count = get_int_array(ctx, argv[0], numbers, _NSIG);
  if (count < 0) return JS_EXCEPTION;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = ignore ? SIG_IGN : SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < count; i++) {
    if (sigaction(numbers[i], &action, NULL) < 0) return errno_value(ctx);
  }
  return JS_NewInt32(ctx, 0);
}

/*
 * signalfd(fd, signals) -> fd: a new non-blocking signalfd for the signals
 * (fd -1), or the same one now reading this set. They must be blocked too.
 */
static JSValue js_signalfd(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  sigset_t set;
  if (!signal_set(ctx, argv[1], &set)) return JS_EXCEPTION;
  return int_or_errno(ctx, signalfd(fd, &set, SFD_NONBLOCK | SFD_CLOEXEC));
}

/*
 * readSignals(fd) -> [[signal, pid, code], ...]: what is queued now. The
 * sender's pid (0 from outside our PID namespace) and si_code tell a signal
 * someone sent (SI_USER) from one the kernel raised for a call of ours.
 */
static JSValue js_read_signals(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  JSValue list = JS_NewArray(ctx);
  uint32_t count = 0;
  struct signalfd_siginfo info[16];
  for (;;) {
    ssize_t got = read(fd, info, sizeof info);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) break;
    if (got <= 0) {
      JS_FreeValue(ctx, list);
      return got < 0 ? errno_value(ctx) : JS_NewInt32(ctx, -EIO);
    }
    for (size_t i = 0; i < (size_t)got / sizeof info[0]; i++) {
      JSValue item = JS_NewArray(ctx);
      JS_SetPropertyUint32(ctx, item, 0, JS_NewInt32(ctx, (int32_t)info[i].ssi_signo));
      JS_SetPropertyUint32(ctx, item, 1, JS_NewInt32(ctx, (int32_t)info[i].ssi_pid));
      JS_SetPropertyUint32(ctx, item, 2, JS_NewInt32(ctx, info[i].ssi_code));
      JS_SetPropertyUint32(ctx, list, count++, item);
    }
  }
  return list;
}

const JSCFunctionListEntry signals_functions[] = {
    JS_CFUNC_MAGIC_DEF("block", 1, js_mask, SIG_BLOCK),
    JS_CFUNC_MAGIC_DEF("unblock", 1, js_mask, SIG_UNBLOCK),
    JS_CFUNC_MAGIC_DEF("ignore", 1, js_disposition, 1),
    JS_CFUNC_MAGIC_DEF("setDefault", 1, js_disposition, 0),
    JS_CFUNC_DEF("signalfd", 2, js_signalfd),
    JS_CFUNC_DEF("readSignals", 1, js_read_signals),
};
const size_t signals_function_count = countof(signals_functions);
