/*
 * The event loop (module sys:loop): epoll over the descriptors the program
 * watches, and the driver that main() runs once the program's module is
 * evaluated. The loop decides nothing: src/system/loop.ts keeps the timers,
 * knows what keeps the process alive, and exits when nothing does. Here:
 *
 *   run the promise jobs; ask next() for the wait (running the timers that
 *   are due); wait that long for descriptors; hand each one that is ready to
 *   ready(id, events); again.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

/* next() ran callbacks: their promise jobs run, and descriptors are looked at without waiting, before it is called again. */
#define NEXT_AGAIN (-2)

static int epoll_fd = -1;
/* Set by setHandlers (a JSValue cannot be initialized statically). */
static bool handlers_set;
static JSValue ready_handler;
static JSValue next_handler;

static int ensure_epoll(void) {
  if (epoll_fd < 0) epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  return epoll_fd;
}

/* watch(fd, events, id): epoll_ctl ADD, or MOD when the fd is watched already. `id` comes back with each event. */
static JSValue js_watch(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd, events, id;
  if (!get_int(ctx, argv[0], &fd) || !get_int(ctx, argv[1], &events) || !get_int(ctx, argv[2], &id)) return JS_EXCEPTION;
  if (ensure_epoll() < 0) return errno_value(ctx);
  struct epoll_event event = {.events = (uint32_t)events, .data.u64 = (uint64_t)(uint32_t)id};
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) == 0) return JS_NewInt32(ctx, 0);
  if (errno != EEXIST) return errno_value(ctx);
  return done_or_errno(ctx, epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &event));
}

/* unwatch(fd) */
static JSValue js_unwatch(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  if (epoll_fd < 0) return JS_NewInt32(ctx, -ENOENT);
  return done_or_errno(ctx, epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL));
}

/* poll(fd, events, timeoutMs) -> the events that came (0 after the timeout): a wait outside the loop, for one fd. */
static JSValue js_poll(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd, events, timeout;
  if (!get_int(ctx, argv[0], &fd) || !get_int(ctx, argv[1], &events) || !get_int(ctx, argv[2], &timeout)) return JS_EXCEPTION;
  struct pollfd one = {.fd = fd, .events = (short)events};
  int ready = poll(&one, 1, timeout);
  return ready < 0 ? errno_value(ctx) : JS_NewInt32(ctx, ready == 0 ? 0 : one.revents);
}

/* now() -> milliseconds on the monotonic clock, with their fraction. */
static JSValue js_now(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return JS_NewFloat64(ctx, (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6);
}

/* wallClockMicroseconds() -> microseconds since the epoch: the wall clock as gettimeofday gives it (svlogd's stamps and file names). */
static JSValue js_wall_clock_microseconds(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return JS_NewFloat64(ctx, (double)now.tv_sec * 1e6 + (double)(now.tv_nsec / 1000));
}

/*
 * setHandlers(ready, next): ready(id, events) for each descriptor that is
 * ready; next() runs what is due and returns how long to wait in ms (-1: until
 * a descriptor is ready; -2: call again at once). next() exits the process
 * itself when nothing is left to wait for.
 */
static JSValue js_set_handlers(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  if (handlers_set) {
    JS_FreeValue(ctx, ready_handler);
    JS_FreeValue(ctx, next_handler);
  }
  handlers_set = true;
  ready_handler = JS_DupValue(ctx, argv[0]);
  next_handler = JS_DupValue(ctx, argv[1]);
  return JS_UNDEFINED;
}

/* Calls a handler; an uncaught error in it ends the process, as it would in Node. */
static JSValue call_handler(JSContext *ctx, JSValueConst handler, int argc, JSValueConst *argv) {
  JSValue result = JS_Call(ctx, handler, JS_UNDEFINED, argc, argv);
  if (JS_IsException(result)) die_of_exception(ctx);
  return result;
}

void loop_run(JSContext *ctx) {
  struct epoll_event events[64];
  for (;;) {
    run_jobs(ctx);
    /* A program that never loaded src/system/loop.ts has nothing to wait for. */
    if (!handlers_set) exit(0);
    JSValue wait = call_handler(ctx, next_handler, 0, NULL);
    int32_t timeout = -1;
    JS_ToInt32(ctx, &timeout, wait);
    JS_FreeValue(ctx, wait);
    /* It ran callbacks: their jobs first, then a look at the descriptors that does not wait,
       so that timers and immediates that keep coming never starve the descriptors. */
    if (timeout == NEXT_AGAIN) {
      run_jobs(ctx);
      timeout = 0;
    }
    if (ensure_epoll() < 0) die("cannot create the event loop's epoll instance");
    int count = epoll_wait(epoll_fd, events, countof(events), timeout);
    if (count < 0 && errno == EINTR) continue;
    for (int i = 0; i < count; i++) {
      JSValue args[2] = {JS_NewInt32(ctx, (int32_t)events[i].data.u64), JS_NewInt32(ctx, (int32_t)events[i].events)};
      JS_FreeValue(ctx, call_handler(ctx, ready_handler, 2, args));
      run_jobs(ctx);
    }
  }
}

const JSCFunctionListEntry loop_functions[] = {
    JS_CFUNC_DEF("watch", 3, js_watch),
    JS_CFUNC_DEF("unwatch", 1, js_unwatch),
    JS_CFUNC_DEF("now", 0, js_now),
    JS_CFUNC_DEF("wallClockMicroseconds", 0, js_wall_clock_microseconds),
    JS_CFUNC_DEF("poll", 3, js_poll),
    JS_CFUNC_DEF("setHandlers", 2, js_set_handlers),
};
const size_t loop_function_count = countof(loop_functions);
