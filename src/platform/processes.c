/*
 * Processes (module sys:processes): starting, waiting for and signalling
 * them, their ids, sessions and terminals, limits and priority, and this
 * process's own arguments, environment, names and exit.
 *
 * spawn() starts a child as vfork() does (clone with CLONE_VM|CLONE_VFORK):
 * the child shares our memory until its execve, touches nothing but its own
 * stack and calls only async-signal-safe functions; the parent prepared all
 * memory beforehand. A failed exec is reported through a close-on-exec pipe,
 * not the shared memory: qemu-user runs such a clone as a plain fork.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

#include "platform.h"

#define INT_ARGUMENT(index, name) \
  int32_t name;                   \
  if (!get_int(ctx, argv[index], &name)) return JS_EXCEPTION;

/* The most fds a child is given at fixed numbers (0, 1, 2 and a few more). */
#define MAX_FDS 16
/*
 * The child's stack: it runs until its execve, on its own stack, while the
 * parent waits. One for every spawn (the parent is blocked while a child uses
 * it, and we have one thread); the pages it touches stay, not an mmap each time.
 */
#define CHILD_STACK_BYTES (64 * 1024)
static char child_stack[CHILD_STACK_BYTES] __attribute__((aligned(16)));

/* Where a child's process group is: ours, a new group, or a new session (as runsvdir -P does). */
enum { GROUP_INHERIT = 0, GROUP_NEW = 1, GROUP_NEW_SESSION = 2 };

/* What the child needs, prepared by the parent. */
struct spawn_request {
  const char *file;
  char **argv;
  char **envp;
  const char *cwd;
  const int *fds;
  int fd_count;
  int group_mode;
  int tty_fd;
  /* The write end of the pipe that gets the errno of a failed exec (close-on-exec: no errno, it exec'd). */
  int report_fd;
};

/* Ends a child that could not exec, telling the parent why. */
static int child_fail(struct spawn_request *request, int err) {
  ssize_t ignored = write(request->report_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

/* Runs in the child, in our memory, until execve; never returns. Signals are blocked on entry. */
static int child_exec(void *argument) {
  struct spawn_request *request = argument;
  /*
   * Keep the report pipe clear of the fds about to be installed (0 to
   * fd_count - 1): any number from fd_count up will do, so a low RLIMIT_NOFILE
   * (docker run --ulimit nofile=20) still leaves room.
   */
  int high_report = fcntl(request->report_fd, F_DUPFD_CLOEXEC, request->fd_count);
  if (high_report >= 0) request->report_fd = high_report;
  /* Every signal at its default action: what we ignore or take must not stay so in the child. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) sigaction(sig, &dfl, NULL);

  if (request->group_mode == GROUP_NEW && setpgid(0, 0) < 0) return child_fail(request, errno);
  if (request->group_mode == GROUP_NEW_SESSION && setsid() < 0) return child_fail(request, errno);
  /* SIGTTOU is still blocked, so a background group may take the terminal. */
  if (request->tty_fd >= 0 && tcsetpgrp(request->tty_fd, getpid()) < 0) return child_fail(request, errno);
  if (request->cwd != NULL && chdir(request->cwd) < 0) return child_fail(request, errno);

  /* Move every source fd out of the way first, so no dup2 clobbers a later source (the fd table is the child's own). */
  int moved[MAX_FDS];
  for (int i = 0; i < request->fd_count; i++) {
    int fd = request->fds[i];
    moved[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, request->fd_count);
    if (fd >= 0 && moved[i] < 0) return child_fail(request, errno);
  }
  for (int i = 0; i < request->fd_count; i++) {
    if (moved[i] < 0) {
      close(i);
    } else if (dup2(moved[i], i) < 0) {
      return child_fail(request, errno);
    }
  }
  /* Whatever else we had open stays out of the child (Linux >= 5.11; everything we open is close-on-exec anyway). */
  syscall(SYS_close_range, (unsigned)request->fd_count, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);

  sigset_t empty;
  sigemptyset(&empty);
  mask_signals(SIG_SETMASK, &empty, NULL);
  execve(request->file, request->argv, request->envp);
  return child_fail(request, errno);
}

/*
 * spawn(file, argv, envp, cwd | null, fds, groupMode, ttyFd) -> pid
 * fds[i] becomes the child's fd i (-1: closed). ttyFd >= 0 makes the new
 * process group the terminal's foreground group. -errno when it could not be
 * started: from clone (-EAGAIN) or from the child's exec; such a child has been reaped.
 */
static JSValue js_spawn(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int fds[MAX_FDS];
  int fd_count = get_int_array(ctx, argv[4], fds, MAX_FDS);
  if (fd_count < 0) return JS_EXCEPTION;
  INT_ARGUMENT(5, group_mode);
  INT_ARGUMENT(6, tty_fd);
  const char *file = get_string(ctx, argv[0]);
  if (file == NULL) return JS_EXCEPTION;
  const char *cwd = JS_IsNull(argv[3]) ? NULL : get_string(ctx, argv[3]);
  char **child_argv = get_string_vector(ctx, argv[1]);
  char **child_envp = child_argv == NULL ? NULL : get_string_vector(ctx, argv[2]);
  JSValue result = JS_EXCEPTION;
  int report[2] = {-1, -1};
  if (child_argv == NULL || child_envp == NULL || (!JS_IsNull(argv[3]) && cwd == NULL)) goto out;

  if (pipe2(report, O_CLOEXEC) < 0) {
    result = errno_value(ctx);
    goto out;
  }
  struct spawn_request request = {file, child_argv, child_envp, cwd, fds, fd_count, group_mode, tty_fd, report[1]};
  sigset_t all, previous;
  memset(&all, 0xff, sizeof all);
  mask_signals(SIG_SETMASK, &all, &previous);
  /* Returns once the child has exec'd or exited: CLONE_VFORK holds us until then. */
  pid_t pid = clone(child_exec, child_stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, &request);
  int clone_errno = errno;
  mask_signals(SIG_SETMASK, &previous, NULL);
  close(report[1]);
  report[1] = -1;
  if (pid < 0) {
    errno = clone_errno;
    result = errno_value(ctx);
    goto out;
  }
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == sizeof child_errno) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result = JS_NewInt32(ctx, -child_errno);
    goto out;
  }
  result = JS_NewInt32(ctx, pid);

out:
  for (int i = 0; i < 2; i++) {
    if (report[i] >= 0) close(report[i]);
  }
  JS_FreeCString(ctx, file);
  if (cwd != NULL) JS_FreeCString(ctx, cwd);
  free_vector(ctx, child_argv);
  free_vector(ctx, child_envp);
  return result;
}

/* waitpid(pid) -> the raw wait status, or null while the child runs (WNOHANG). */
static JSValue js_waitpid(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, pid);
  if (pid <= 0) return JS_ThrowRangeError(ctx, "waitpid: expected a positive pid");
  int status;
  pid_t got;
  do {
    got = waitpid(pid, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return errno_value(ctx);
  return got == 0 ? JS_NULL : JS_NewInt32(ctx, status);
}

/* Appends the pids in one /proc/PID/task/TID/children file (any length) to `array`; false with errno set. */
static bool append_children(JSContext *ctx, const char *path, JSValue array, uint32_t *count) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  int32_t pid = -1; /* the number being read, across reads */
  ssize_t got;
  while ((got = read(fd, buffer, sizeof buffer)) != 0) {
    if (got < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      errno = err;
      return false;
    }
    for (ssize_t i = 0; i < got; i++) {
      char c = buffer[i];
      if (c >= '0' && c <= '9') {
        pid = (pid < 0 ? 0 : pid * 10) + (c - '0');
      } else if (pid >= 0) {
        JS_SetPropertyUint32(ctx, array, (*count)++, JS_NewInt32(ctx, pid));
        pid = -1;
      }
    }
  }
  close(fd);
  if (pid >= 0) JS_SetPropertyUint32(ctx, array, (*count)++, JS_NewInt32(ctx, pid));
  return true;
}

/*
 * listChildren(pid) -> [pid...]: the children of process `pid` (0: ours), live
 * or zombie, from each of its threads' /proc/PID/task/TID/children. A thread
 * that ends while we look is passed over; the process's main thread is not, so
 * a kernel without these files (CONFIG_PROC_CHILDREN) gives -ENOENT.
 */
static JSValue js_list_children(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, pid);
  if (pid < 0) return JS_ThrowRangeError(ctx, "listChildren: expected a pid (0: ours)");
  int leader = pid == 0 ? getpid() : pid;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", leader);
  DIR *tasks = opendir(path);
  if (tasks == NULL) return errno_value(ctx);
  JSValue result = JS_NewArray(ctx);
  uint32_t count = 0;
  int failure = 0;
  struct dirent *entry;
  while ((entry = readdir(tasks)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", leader, entry->d_name);
    if (append_children(ctx, path, result, &count)) continue;
    if ((errno == ENOENT || errno == ESRCH) && atoi(entry->d_name) != leader) continue;
    failure = errno;
    break;
  }
  closedir(tasks);
  if (failure != 0) {
    JS_FreeValue(ctx, result);
    return JS_NewInt32(ctx, -failure);
  }
  return result;
}

static JSValue js_kill(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, pid);
  INT_ARGUMENT(1, signal);
  return done_or_errno(ctx, kill(pid, signal));
}

/* Calls that take nothing and cannot fail: getpid, getppid, the ids, getpgrp. */
static JSValue js_id(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc, (void)argv;
  switch (which) {
    case 0: return JS_NewInt32(ctx, getpid());
    case 1: return JS_NewInt32(ctx, getppid());
    case 2: return JS_NewInt64(ctx, getuid());
    case 3: return JS_NewInt64(ctx, geteuid());
    case 4: return JS_NewInt64(ctx, getgid());
    case 5: return JS_NewInt64(ctx, getegid());
    default: return JS_NewInt32(ctx, getpgrp());
  }
}

/* Calls that take one integer: setuid, setgid, getsid, getpgid, tcgetpgrp. */
static JSValue js_int_call(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, number);
  switch (which) {
    case 0: return done_or_errno(ctx, setuid((uid_t)number));
    case 1: return done_or_errno(ctx, setgid((gid_t)number));
    case 2: return int_or_errno(ctx, getsid(number));
    case 3: return int_or_errno(ctx, getpgid(number));
    default: return int_or_errno(ctx, tcgetpgrp(number));
  }
}

/* setgroups([gid...]) */
static JSValue js_setgroups(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  enum { MOST_GROUPS = 65536 }; /* Linux's NGROUPS_MAX */
  int32_t *groups = js_malloc(ctx, MOST_GROUPS * sizeof *groups);
  if (groups == NULL) return JS_ThrowOutOfMemory(ctx);
  int count = get_int_array(ctx, argv[0], groups, MOST_GROUPS);
  if (count < 0) {
    js_free(ctx, groups);
    return JS_EXCEPTION;
  }
  int rc = setgroups((size_t)count, (const gid_t *)groups);
  int err = errno;
  js_free(ctx, groups);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* setsid() -> the new session's id. */
static JSValue js_setsid(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  return int_or_errno(ctx, setsid());
}

/* takeTerminal(fd): our own process group becomes the terminal's foreground group again. */
static JSValue js_take_terminal(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  /* A background group that sets the foreground is sent SIGTTOU: not while it asks for that. */
  sigset_t ttou, previous;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  mask_signals(SIG_BLOCK, &ttou, &previous);
  int rc = tcsetpgrp(fd, getpgrp());
  int err = errno;
  mask_signals(SIG_SETMASK, &previous, NULL);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* setChildSubreaper(): orphans of our descendants come to us even when we are not PID 1. */
static JSValue js_set_child_subreaper(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  return done_or_errno(ctx, prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
}

/* setName(name): the main thread's name (comm), what ps -C and pgrep -x match; 15 bytes are kept. */
static JSValue js_set_name(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  const char *name = get_string(ctx, argv[0]);
  if (name == NULL) return JS_EXCEPTION;
  int rc = prctl(PR_SET_NAME, name, 0, 0, 0);
  JS_FreeCString(ctx, name);
  return done_or_errno(ctx, rc);
}

static int kept_argc;
static char **kept_argv;
/* The signals this process was started with ignored (nohup's HUP, say): an exec'd program inherits those. */
static bool started_ignored[_NSIG];

void processes_keep_arguments(int argc, char **argv) {
  kept_argc = argc;
  kept_argv = argv;
  struct sigaction action;
  for (int sig = 1; sig < _NSIG; sig++) {
    started_ignored[sig] = sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN;
  }
}

/* arguments() -> argv, as the kernel gave it (argv[0] as typed). */
static JSValue js_arguments(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  JSValue list = JS_NewArray(ctx);
  for (int i = 0; i < kept_argc; i++) {
    JS_SetPropertyUint32(ctx, list, (uint32_t)i, new_string_lossy(ctx, kept_argv[i], strlen(kept_argv[i])));
  }
  return list;
}

/* environment() -> ["NAME=value", ...], as the process started with it. */
static JSValue js_environment(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  extern char **environ;
  JSValue list = JS_NewArray(ctx);
  uint32_t count = 0;
  for (char **p = environ; *p != NULL; p++) JS_SetPropertyUint32(ctx, list, count++, new_string_lossy(ctx, *p, strlen(*p)));
  return list;
}

/*
 * rewriteArgument(index, text | bytes) -> the bytes written: `text` (as UTF-8)
 * or `bytes` over argv[index]'s own bytes, cut to their length and padded
 * with NULs, where ps and /proc/PID/cmdline read it (runsvdir's readproctitle
 * log, which scrolls bytes as they come).
 */
static JSValue js_rewrite_argument(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, index);
  if (index < 0 || index >= kept_argc) return JS_ThrowRangeError(ctx, "rewriteArgument: no such argument");
  size_t length;
  bool is_string = JS_IsString(argv[1]);
  const char *text = is_string ? JS_ToCStringLen(ctx, &length, argv[1]) : (const char *)get_bytes(ctx, argv[1], &length);
  if (text == NULL) return JS_EXCEPTION;
  char *target = kept_argv[index];
  size_t room = strlen(target);
  size_t n = length < room ? length : room;
  memmove(target, text, n);
  memset(target + n, '\0', room - n);
  if (is_string) JS_FreeCString(ctx, text);
  return JS_NewInt64(ctx, (int64_t)n);
}

/*
 * exec(file, argv, envp): replaces this process with the signals as this
 * process started: what we ignore for our own sake (SIGPIPE) back at its
 * default action, what was ignored when we started still ignored, and none
 * blocked. Returns -errno only when it fails, with what it changed put back.
 */
static JSValue js_exec(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  const char *file = get_string(ctx, argv[0]);
  if (file == NULL) return JS_EXCEPTION;
  char **args = get_string_vector(ctx, argv[1]);
  char **env = args == NULL ? NULL : get_string_vector(ctx, argv[2]);
  if (env == NULL) {
    JS_FreeCString(ctx, file);
    free_vector(ctx, args);
    return JS_EXCEPTION;
  }
  bool ignored[_NSIG] = {false};
  struct sigaction action, dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (!started_ignored[sig] && sigaction(sig, NULL, &action) == 0 && action.sa_handler == SIG_IGN) {
      ignored[sig] = true;
      sigaction(sig, &dfl, NULL);
    }
  }
  sigset_t empty, previous;
  sigemptyset(&empty);
  mask_signals(SIG_SETMASK, &empty, &previous);
  execve(file, args, env);
  int err = errno;
  mask_signals(SIG_SETMASK, &previous, NULL);
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (ignored[sig]) sigaction(sig, &ignore, NULL);
  }
  JS_FreeCString(ctx, file);
  free_vector(ctx, args);
  free_vector(ctx, env);
  return JS_NewInt32(ctx, -err);
}

/* getrlimit(resource) -> [soft, hard] as bigints (RLIM_INFINITY is 2n ** 64n - 1n). */
static JSValue js_getrlimit(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, resource);
  struct rlimit limit;
  if (getrlimit(resource, &limit) < 0) return errno_value(ctx);
  JSValue pair = JS_NewArray(ctx);
  JS_SetPropertyUint32(ctx, pair, 0, JS_NewBigUint64(ctx, limit.rlim_cur));
  JS_SetPropertyUint32(ctx, pair, 1, JS_NewBigUint64(ctx, limit.rlim_max));
  return pair;
}

/* setrlimit(resource, soft, hard) */
static JSValue js_setrlimit(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, resource);
  uint64_t soft, hard;
  if (!get_uint64(ctx, argv[1], &soft) || !get_uint64(ctx, argv[2], &hard)) return JS_EXCEPTION;
  struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
  return done_or_errno(ctx, setrlimit(resource, &limit));
}

/* getpriority(which, who) -> 20 - nice (1 to 40), as the system call returns it, so that no result is negative. */
static JSValue js_getpriority(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, which);
  INT_ARGUMENT(1, who);
  return int_or_errno(ctx, syscall(SYS_getpriority, which, who));
}

/* setpriority(which, who, nice) */
static JSValue js_setpriority(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, which);
  INT_ARGUMENT(1, who);
  INT_ARGUMENT(2, nice);
  return done_or_errno(ctx, setpriority(which, (id_t)who, nice));
}

/* exit(code): at once; nothing of ours is buffered. */
static JSValue js_exit(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, code);
  _exit(code & 0xff);
}

#define ID(name, which) JS_CFUNC_MAGIC_DEF(name, 0, js_id, which)
#define INT_CALL(name, which) JS_CFUNC_MAGIC_DEF(name, 1, js_int_call, which)

const JSCFunctionListEntry processes_functions[] = {
    JS_CFUNC_DEF("spawn", 7, js_spawn),
    JS_CFUNC_DEF("waitpid", 1, js_waitpid),
    JS_CFUNC_DEF("listChildren", 1, js_list_children),
    JS_CFUNC_DEF("kill", 2, js_kill),
    ID("getpid", 0),
    ID("getppid", 1),
    ID("getuid", 2),
    ID("geteuid", 3),
    ID("getgid", 4),
    ID("getegid", 5),
    ID("getpgrp", 6),
    INT_CALL("setuid", 0),
    INT_CALL("setgid", 1),
    INT_CALL("getsid", 2),
    INT_CALL("getpgid", 3),
    INT_CALL("tcgetpgrp", 4),
    JS_CFUNC_DEF("setgroups", 1, js_setgroups),
    JS_CFUNC_DEF("setsid", 0, js_setsid),
    JS_CFUNC_DEF("takeTerminal", 1, js_take_terminal),
    JS_CFUNC_DEF("setChildSubreaper", 0, js_set_child_subreaper),
    JS_CFUNC_DEF("setName", 1, js_set_name),
    JS_CFUNC_DEF("arguments", 0, js_arguments),
    JS_CFUNC_DEF("environment", 0, js_environment),
    JS_CFUNC_DEF("rewriteArgument", 2, js_rewrite_argument),
    JS_CFUNC_DEF("exec", 3, js_exec),
    JS_CFUNC_DEF("getrlimit", 1, js_getrlimit),
    JS_CFUNC_DEF("setrlimit", 3, js_setrlimit),
    JS_CFUNC_DEF("getpriority", 2, js_getpriority),
    JS_CFUNC_DEF("setpriority", 3, js_setpriority),
    JS_CFUNC_DEF("exit", 1, js_exit),
};
const size_t processes_function_count = countof(processes_functions);
