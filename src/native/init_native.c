/*
 * The few system calls an init needs that Node does not offer.
 *
 * spawn() exists here, not in libuv, because libuv can give a child a new
 * process group only by giving it a new session, and a new session has no
 * controlling terminal: `my_init -- bash -l` would lose job control. Creating
 * every child here also means one reaper owns every exit status.
 *
 * The child is started as vfork() does (clone with CLONE_VM|CLONE_VFORK): a
 * fork() of this process copies the page tables of a hundred megabytes of
 * Node, and execve then throws the copy away, which cost every spawn more
 * than a millisecond. Sharing our memory until its execve, the child touches
 * nothing but its own stack and calls only async-signal-safe functions; the
 * parent prepares all memory beforehand. A failed exec is reported through a
 * close-on-exec pipe, not the shared memory: qemu-user runs such a clone as a
 * plain fork.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>  /* sigprocmask: per-thread on Linux, and GLIBC_2.2.5 where pthread_sigmask is 2.32 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

#define MAX_FDS 16

/* Where a child's process group is: ours, a new group, or a new session (as runsvdir -P does). */
enum { GROUP_INHERIT = 0, GROUP_NEW = 1, GROUP_NEW_SESSION = 2 };

/* The JS side names the errno (strerrorname_np would need glibc 2.32). */
static napi_value throw_errno(napi_env env, int err, const char *syscall_name) {
  napi_value msg, error, errno_value, syscall_value;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", syscall_name, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_int32(env, err, &errno_value);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The first argument as an int32; false (with a TypeError thrown) when it is not one. */
static bool int_argument(napi_env env, napi_callback_info info, int32_t *value, const char *usage) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, args[0], value) != napi_ok) {
    throw_type(env, usage);
    return false;
  }
  return true;
}

/* Two ints (a pair of fds, a range) as a JS array [first, second]. */
static napi_value int_pair(napi_env env, const int pair[2]) {
  napi_value result, first, second;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, pair[0], &first);
  napi_create_int32(env, pair[1], &second);
  napi_set_element(env, result, 0, first);
  napi_set_element(env, result, 1, second);
  return result;
}

/* A JS string as a malloc'd C string, or NULL when the value is not a string. */
static char *dup_string(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

/* The first argument as a malloc'd C string (the caller frees it); NULL, with a TypeError thrown, when it is not one. */
static char *string_argument(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  char *text = argc == 1 ? dup_string(env, args[0]) : NULL;
  if (text == NULL) throw_type(env, usage);
  return text;
}

/* A JS array of strings as a NULL-terminated vector; NULL on a bad element. */
static char **dup_string_array(napi_env env, napi_value array) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **vector = calloc(count + 1, sizeof *vector);
  if (vector == NULL) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    napi_get_element(env, array, i, &element);
    vector[i] = dup_string(env, element);
    if (vector[i] == NULL) {
      for (uint32_t j = 0; j < i; j++) free(vector[j]);
      free(vector);
      return NULL;
    }
  }
  return vector;
}

static void free_vector(char **vector) {
  if (vector == NULL) return;
  for (char **p = vector; *p != NULL; p++) free(*p);
  free(vector);
}

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

/* The child's stack: it runs until its execve, on its own stack, while the parent waits. */
#define CHILD_STACK_BYTES (64 * 1024)

/* Ends a child that could not exec, telling the parent why. */
static int child_fail(struct spawn_request *request, int err) {
  ssize_t ignored = write(request->report_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

/* Runs in the child, in our memory, until execve; never returns. Signals are blocked on entry. */
static int child_exec(void *argument) {
  struct spawn_request *request = argument;
  /* Keep the report pipe clear of the fds about to be installed. */
  int high_report = fcntl(request->report_fd, F_DUPFD_CLOEXEC, MAX_FDS + 3);
  if (high_report >= 0) request->report_fd = high_report;
  /* Not our handlers (their table is the child's own copy: no CLONE_SIGHAND). */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);

  if (request->group_mode == GROUP_NEW && setpgid(0, 0) < 0) return child_fail(request, errno);
  if (request->group_mode == GROUP_NEW_SESSION && setsid() < 0) return child_fail(request, errno);
  /* SIGTTOU is still blocked, so a background group may take the terminal. */
  if (request->tty_fd >= 0 && tcsetpgrp(request->tty_fd, getpid()) < 0) return child_fail(request, errno);
  if (request->cwd != NULL && chdir(request->cwd) < 0) return child_fail(request, errno);

  /* Move every source fd out of the way first, so no dup2 clobbers a later source (the fd table is the child's own). */
  int moved[MAX_FDS];
  for (int i = 0; i < request->fd_count; i++) {
    int fd = request->fds[i];
    moved[i] = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, MAX_FDS + 3);
    if (fd >= 0 && moved[i] < 0) return child_fail(request, errno);
  }
  for (int i = 0; i < request->fd_count; i++) {
    if (moved[i] < 0) {
      close(i);
    } else if (dup2(moved[i], i) < 0) {
      return child_fail(request, errno);
    }
  }
  /* Whatever else the parent had open stays out of the child (Linux >= 5.11;
     older kernels rely on libuv opening everything close-on-exec). */
  syscall(SYS_close_range, (unsigned)request->fd_count, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);

  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  execve(request->file, request->argv, request->envp);
  return child_fail(request, errno);
}

/*
 * spawn(file, argv, envp, cwd | null, fds, groupMode, ttyFd) -> pid
 * fds[i] becomes the child's fd i (-1: closed). ttyFd >= 0 makes the new
 * process group the terminal's foreground group. Throws with the errno of a
 * failed exec; such a child has already been reaped.
 */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 7) return throw_type(env, "spawn: expected 7 arguments");

  struct spawn_request request = {0};
  int fds[MAX_FDS];
  char *file = dup_string(env, args[0]);
  char **argv = dup_string_array(env, args[1]);
  char **envp = dup_string_array(env, args[2]);
  char *cwd = NULL;
  napi_valuetype cwd_type;
  napi_typeof(env, args[3], &cwd_type);
  if (cwd_type == napi_string) cwd = dup_string(env, args[3]);

  uint32_t fd_count = 0;
  napi_get_array_length(env, args[4], &fd_count);
  int32_t group_mode = GROUP_INHERIT;
  int32_t tty_fd = -1;
  napi_get_value_int32(env, args[5], &group_mode);
  napi_get_value_int32(env, args[6], &tty_fd);

  napi_value result = NULL;
  void *stack = MAP_FAILED;
  if (file == NULL || argv == NULL || envp == NULL || (cwd_type == napi_string && cwd == NULL) ||
      fd_count > MAX_FDS) {
    throw_type(env, "spawn: bad file, argv, envp, cwd or fds");
    goto out;
  }
  for (uint32_t i = 0; i < fd_count; i++) {
    napi_value element;
    napi_get_element(env, args[4], i, &element);
    if (napi_get_value_int32(env, element, &fds[i]) != napi_ok) {
      throw_type(env, "spawn: fds must be integers");
      goto out;
    }
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    throw_errno(env, errno, "pipe2");
    goto out;
  }
  request = (struct spawn_request){file, argv, envp, cwd, fds, (int)fd_count, group_mode, tty_fd, report[1]};

  stack = mmap(NULL, CHILD_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    throw_errno(env, errno, "mmap");
    close(report[0]);
    close(report[1]);
    goto out;
  }
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &previous);
  /* Returns once the child has exec'd or exited: CLONE_VFORK holds us until then. */
  pid_t pid = clone(child_exec, (char *)stack + CHILD_STACK_BYTES, CLONE_VM | CLONE_VFORK | SIGCHLD, &request);
  int clone_errno = errno;
  sigprocmask(SIG_SETMASK, &previous, NULL);
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    throw_errno(env, clone_errno, "fork");
    goto out;
  }
  int child_errno = 0;
  ssize_t got;
  do {
    got = read(report[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == sizeof child_errno) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw_errno(env, child_errno, "execve");
    goto out;
  }
  napi_create_int32(env, pid, &result);

out:
  if (stack != MAP_FAILED) munmap(stack, CHILD_STACK_BYTES);
  free(file);
  free(cwd);
  free_vector(argv);
  free_vector(envp);
  return result;
}

/*
 * Where the signals of forwardSignals() go: the main command's pid, 0 for
 * nowhere. Read in the handler, which may run on any thread.
 */
static volatile sig_atomic_t forward_target;

/*
 * A signal the kernel raised on one of our own threads, as for a write to a
 * closed pipe (SIGPIPE) or past RLIMIT_FSIZE (SIGXFSZ), carries SI_USER and
 * our own pid as if we had sent it: it is about our write, and the write
 * fails with EPIPE or EFBIG anyway, so it is not passed on. A sender outside
 * our PID namespace shows as pid 0, any other as its own pid.
 */
static void forward_signal(int sig, siginfo_t *info, void *context) {
  (void)context;
  int saved = errno;
  pid_t target = forward_target;
  if (target > 0 && !(info->si_code == SI_USER && info->si_pid == getpid())) kill(target, sig);
  errno = saved;
}

/* The signal numbers in a JS array, each installed with `action`; false (an error thrown) on failure. */
static bool install_for_each(napi_env env, napi_callback_info info, const struct sigaction *action, const char *usage) {
  size_t argc = 1;
  napi_value args[1];
  uint32_t count = 0;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 1 || napi_get_array_length(env, args[0], &count) != napi_ok) {
    throw_type(env, usage);
    return false;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    int32_t signo;
    napi_get_element(env, args[0], i, &element);
    if (napi_get_value_int32(env, element, &signo) != napi_ok) {
      throw_type(env, usage);
      return false;
    }
    if (sigaction(signo, action, NULL) < 0) {
      throw_errno(env, errno, "sigaction");
      return false;
    }
  }
  return true;
}

/*
 * forwardSignals([signo...]): each is passed on to the forward target from
 * the handler itself, for the signals Node cannot take: the real-time ones it
 * has no names for, and SIGPIPE and SIGXFSZ, which it ignores so that our own
 * writes fail with an error instead.
 */
static napi_value js_forward_signals(napi_env env, napi_callback_info info) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = forward_signal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  install_for_each(env, info, &action, "forwardSignals: expected an array of signal numbers");
  return NULL;
}

/* ignoreSignals([signo...]): SIG_IGN, which a handler cannot stand in for (see signals.ts). */
static napi_value js_ignore_signals(napi_env env, napi_callback_info info) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_IGN;
  sigemptyset(&action.sa_mask);
  install_for_each(env, info, &action, "ignoreSignals: expected an array of signal numbers");
  return NULL;
}

/* setForwardTarget(pid): where forwardSignals' signals go from now on; 0 drops them. */
static napi_value js_set_forward_target(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_argument(env, info, &pid, "setForwardTarget: expected a pid")) return NULL;
  forward_target = pid > 0 ? pid : 0;
  return NULL;
}

/* realtimeSignals() -> [SIGRTMIN, SIGRTMAX]: the real-time signals this glibc leaves to programs (it keeps 32 and 33). */
static napi_value js_realtime_signals(napi_env env, napi_callback_info info) {
  (void)info;
  int range[2] = {SIGRTMIN, SIGRTMAX};
  return int_pair(env, range);
}

/*
 * setProcessName(name): the calling thread's name, which for the main thread
 * is what ps -C, pgrep and top show for the process (Node names it
 * node-MainThread). process.title would also rewrite the command line.
 */
static napi_value js_set_process_name(napi_env env, napi_callback_info info) {
  char *name = string_argument(env, info, "setProcessName: expected a name");
  if (name == NULL) return NULL;
  int rc = prctl(PR_SET_NAME, name, 0, 0, 0);
  int err = errno;
  free(name);
  if (rc < 0) return throw_errno(env, err, "prctl");
  return NULL;
}

/* waitpid(pid) -> raw wait status, or null while the child still runs. */
static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_argument(env, info, &pid, "waitpid: expected a pid")) return NULL;
  if (pid <= 0) return throw_type(env, "waitpid: expected a positive pid");
  int status;
  pid_t got;
  do {
    got = waitpid(pid, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return throw_errno(env, errno, "waitpid");
  /* Its pid may be reused from now on: no forwarded signal may find the newcomer. */
  if (got > 0 && got == forward_target) forward_target = 0;
  napi_value result;
  if (got == 0) {
    napi_get_null(env, &result);
  } else {
    napi_create_int32(env, status, &result);
  }
  return result;
}

/*
 * Appends the pids in one /proc/PID/task/TID/children file (space-separated, any
 * length: an orphan storm can make it many pages) to `array`; false, with errno
 * set, when it cannot be read.
 */
static void push_pid(napi_env env, napi_value array, uint32_t *count, int32_t pid) {
  napi_value number;
  napi_create_int32(env, pid, &number);
  napi_set_element(env, array, (*count)++, number);
}

static bool append_children(napi_env env, const char *path, napi_value array, uint32_t *count) {
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
        push_pid(env, array, count, pid);
        pid = -1;
      }
    }
  }
  close(fd);
  if (pid >= 0) push_pid(env, array, count, pid);
  return true;
}

/*
 * listChildren(pid) -> [pid...]: the children of process `pid` (0: ours), live
 * or zombie, from each of its threads' /proc/PID/task/TID/children. In C
 * because the reaper lists ours after every SIGCHLD, where Node's readdir and
 * reads of eight small files took 0.8 ms of a one-shot. A thread that ends
 * while we look is passed over; the process's main thread is not, so a kernel
 * without these files (CONFIG_PROC_CHILDREN) throws ENOENT.
 */
static napi_value js_list_children(napi_env env, napi_callback_info info) {
  int32_t pid;
  if (!int_argument(env, info, &pid, "listChildren: expected a pid (0: ours)")) return NULL;
  if (pid < 0) return throw_type(env, "listChildren: expected a pid (0: ours)");
  int32_t leader = pid == 0 ? getpid() : pid;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)leader);
  DIR *tasks = opendir(path);
  if (tasks == NULL) return throw_errno(env, errno, "opendir");
  napi_value result;
  napi_create_array(env, &result);
  uint32_t count = 0;
  int failure = 0;
  struct dirent *entry;
  while ((entry = readdir(tasks)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", (int)leader, entry->d_name);
    if (append_children(env, path, result, &count)) continue;
    if ((errno == ENOENT || errno == ESRCH) && atoi(entry->d_name) != leader) continue;
    failure = errno;
    break;
  }
  closedir(tasks);
  if (failure != 0) return throw_errno(env, failure, "open");
  return result;
}

/* Orphans of our descendants come to us even when we are not PID 1. */
static napi_value js_set_child_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return throw_errno(env, errno, "prctl");
  return NULL;
}

/*
 * unblockSignal(signo): Node started with --disable-sigusr1 blocks SIGUSR1 in
 * every thread, so the inspector can never start; once our own listener is
 * installed, the main thread may take the signal again.
 */
static napi_value js_unblock_signal(napi_env env, napi_callback_info info) {
  int32_t signo;
  if (!int_argument(env, info, &signo, "unblockSignal: expected a signal number")) return NULL;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  if (sigprocmask(SIG_UNBLOCK, &set, NULL) < 0) return throw_errno(env, errno, "sigprocmask");
  return NULL;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/*
 * releaseMemory() -> bytes advised: hands back what boot needed and an idle
 * init does not. malloc_trim returns the C heap's free pages; MADV_PAGEOUT
 * (Linux >= 5.4) lets the kernel reclaim the clean, file-backed pages of our
 * own executable, most of which only start-up touches. Whatever is needed
 * later faults back in from the page cache or the file.
 */
static napi_value js_release_memory(napi_env env, napi_callback_info info) {
  (void)info;
  malloc_trim(0);
  char exe[4096];
  ssize_t length = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (length < 0) return throw_errno(env, errno, "readlink");
  exe[length] = '\0';
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return throw_errno(env, errno, "fopen");
  char line[4096 + 256];
  double advised = 0;
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long start, end;
    char perms[8];
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &start, &end, perms, &path_at) < 3 || path_at == 0) continue;
    char *path = line + path_at;
    path[strcspn(path, "\n")] = '\0';
    /* Only read-only or executable mappings of the file: never writable (dirty) data. */
    if (strcmp(path, exe) != 0 || perms[1] == 'w') continue;
    if (madvise((void *)start, end - start, MADV_PAGEOUT) == 0) advised += (double)(end - start);
  }
  fclose(maps);
  napi_value result;
  napi_create_double(env, advised, &result);
  return result;
}

/* In compact_heap.cc: it needs V8's C++ API. */
napi_value js_compact_heap(napi_env env, napi_callback_info info);

/* Make our own process group the terminal's foreground group again. */
static napi_value js_take_terminal(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_argument(env, info, &fd, "takeTerminal: expected an fd")) return NULL;
  sigset_t ttou, previous;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  sigprocmask(SIG_BLOCK, &ttou, &previous);
  int rc = tcsetpgrp(fd, getpgrp());
  int err = errno;
  sigprocmask(SIG_SETMASK, &previous, NULL);
  if (rc < 0) return throw_errno(env, err, "tcsetpgrp");
  return NULL;
}

/* The foreground process group of the terminal on fd, or -1 when fd is no terminal. */
static napi_value js_foreground_group(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_argument(env, info, &fd, "foregroundGroup: expected an fd")) return NULL;
  napi_value result;
  napi_create_int32(env, tcgetpgrp(fd), &result);
  return result;
}

/* pipe() -> [readFd, writeFd], both close-on-exec. */
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) < 0) return throw_errno(env, errno, "pipe2");
  return int_pair(env, ends);
}

static napi_value js_mkfifo(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  int32_t mode;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  char *path = argc == 2 ? dup_string(env, args[0]) : NULL;
  if (path == NULL || napi_get_value_int32(env, args[1], &mode) != napi_ok) {
    free(path);
    return throw_type(env, "mkfifo: expected a path and a mode");
  }
  int rc = mkfifo(path, (mode_t)mode);
  int err = errno;
  free(path);
  if (rc < 0) return throw_errno(env, err, "mkfifo");
  return NULL;
}

/*
 * The container environment's files at boot, each in one call rather than the
 * five or six of Node's fs functions (each about 25 us before its syscall):
 * what the few milliseconds of `my_init -- COMMAND` went to (issue 12).
 */

/*
 * replaceFile(temp, target, bytes, mode, uid, gid): writes `bytes` to the new file
 * `temp` (made with `mode`, less the umask), gives it uid:gid (-1: as made; EPERM,
 * as for a non-root my_init, is passed over) and, when uid >= 0, exactly `mode`,
 * then renames it over `target`. On failure `temp` is removed, and the error
 * thrown names the failing call.
 */
static napi_value js_replace_file(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  char *temp = argc == 6 ? dup_string(env, args[0]) : NULL;
  char *target = argc == 6 ? dup_string(env, args[1]) : NULL;
  void *bytes = NULL;
  size_t length = 0;
  int32_t mode, uid, gid;
  bool typed = false;
  if (argc == 6) napi_is_typedarray(env, args[2], &typed);
  if (temp == NULL || target == NULL || !typed || napi_get_buffer_info(env, args[2], &bytes, &length) != napi_ok ||
      napi_get_value_int32(env, args[3], &mode) != napi_ok || napi_get_value_int32(env, args[4], &uid) != napi_ok ||
      napi_get_value_int32(env, args[5], &gid) != napi_ok) {
    free(temp);
    free(target);
    return throw_type(env, "replaceFile: expected temp, target, bytes, mode, uid and gid");
  }
  const char *failed = NULL;
  int err = 0;
  int fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
  if (fd < 0) {
    failed = "open";
    err = errno;
    goto out;
  }
  for (size_t done = 0; done < length;) {
    ssize_t wrote = write(fd, (const char *)bytes + done, length - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) {
      failed = "write";
      err = errno;
      goto out;
    }
    done += (size_t)wrote;
  }
  if (uid >= 0) {
    if (fchown(fd, (uid_t)uid, (gid_t)gid) < 0 && errno != EPERM) {
      failed = "fchown";
      err = errno;
      goto out;
    }
    if (fchmod(fd, (mode_t)mode) < 0) {
      failed = "fchmod";
      err = errno;
      goto out;
    }
  }
  int closed = close(fd);
  fd = -1;
  if (closed < 0) {
    failed = "close";
    err = errno;
    goto out;
  }
  if (rename(temp, target) < 0) {
    failed = "rename";
    err = errno;
  }
out:
  if (fd >= 0) close(fd);
  if (failed != NULL && strcmp(failed, "open") != 0) unlink(temp);
  free(temp);
  free(target);
  if (failed != NULL) return throw_errno(env, err, failed);
  return NULL;
}

/*
 * readRegularFile(path) -> Buffer, or the st_mode (a number) of what is there
 * when it is not a regular file. Only a regular file is opened (opening a
 * device can do things), without blocking (a FIFO that became one meanwhile),
 * and checked again once open. Throws with the errno of a failed call.
 */
static napi_value js_read_regular_file(napi_env env, napi_callback_info info) {
  char *path = string_argument(env, info, "readRegularFile: expected a path");
  if (path == NULL) return NULL;
  struct stat before, opened;
  napi_value result = NULL;
  if (stat(path, &before) < 0) {
    throw_errno(env, errno, "stat");
    goto out;
  }
  if (!S_ISREG(before.st_mode)) {
    napi_create_uint32(env, before.st_mode, &result);
    goto out;
  }
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, errno, "open");
    goto out;
  }
  if (fstat(fd, &opened) < 0) {
    throw_errno(env, errno, "fstat");
    close(fd);
    goto out;
  }
  if (!S_ISREG(opened.st_mode)) {
    napi_create_uint32(env, opened.st_mode, &result);
    close(fd);
    goto out;
  }
  /* The size may change while we read: read to the end, growing as needed. */
  size_t capacity = opened.st_size > 0 ? (size_t)opened.st_size + 1 : 4096, length = 0;
  char *bytes = malloc(capacity);
  for (;;) {
    if (bytes == NULL) {
      close(fd);
      throw_errno(env, ENOMEM, "read");
      goto out;
    }
    ssize_t got = read(fd, bytes + length, capacity - length);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      int err = errno;
      free(bytes);
      close(fd);
      throw_errno(env, err, "read");
      goto out;
    }
    if (got == 0) break;
    length += (size_t)got;
    if (length == capacity) {
      char *grown = realloc(bytes, capacity *= 2);
      if (grown == NULL) free(bytes);
      bytes = grown;
    }
  }
  close(fd);
  void *copy;
  napi_create_buffer_copy(env, length, bytes, &copy, &result);
  free(bytes);
out:
  free(path);
  return result;
}

/* flock(fd, wait) -> true when locked, false when another process holds it (and !wait). */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  int32_t fd;
  bool wait = false;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, args[0], &fd) != napi_ok ||
      napi_get_value_bool(env, args[1], &wait) != napi_ok)
    return throw_type(env, "flock: expected an fd and a boolean");
  int rc;
  do {
    rc = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EWOULDBLOCK) return throw_errno(env, errno, "flock");
  napi_value result;
  napi_get_boolean(env, rc == 0, &result);
  return result;
}

/* For chpst: the process state it changes that Node cannot. */

/* setsid() -> the new session's id. */
static napi_value js_setsid(napi_env env, napi_callback_info info) {
  (void)info;
  pid_t sid = setsid();
  if (sid < 0) return throw_errno(env, errno, "setsid");
  napi_value result;
  napi_create_int32(env, sid, &result);
  return result;
}

static napi_value js_chroot(napi_env env, napi_callback_info info) {
  char *path = string_argument(env, info, "chroot: expected a path");
  if (path == NULL) return NULL;
  int rc = chroot(path);
  int err = errno;
  free(path);
  if (rc < 0) return throw_errno(env, err, "chroot");
  return NULL;
}

/* getrlimit(resource) -> [soft, hard] as bigints (RLIM_INFINITY is 2^64-1). */
static napi_value js_getrlimit(napi_env env, napi_callback_info info) {
  int32_t resource;
  if (!int_argument(env, info, &resource, "getrlimit: expected a resource")) return NULL;
  struct rlimit limit;
  if (getrlimit(resource, &limit) < 0) return throw_errno(env, errno, "getrlimit");
  napi_value result, soft, hard;
  napi_create_array_with_length(env, 2, &result);
  napi_create_bigint_uint64(env, (uint64_t)limit.rlim_cur, &soft);
  napi_create_bigint_uint64(env, (uint64_t)limit.rlim_max, &hard);
  napi_set_element(env, result, 0, soft);
  napi_set_element(env, result, 1, hard);
  return result;
}

/* One [resource, soft, hard] triple of pathexec's limits; false (TypeError thrown) when malformed. */
static bool limit_argument(napi_env env, napi_value triple, int *resource, struct rlimit *limit) {
  napi_value element;
  int32_t value;
  uint64_t soft, hard;
  bool lossless;
  if (napi_get_element(env, triple, 0, &element) != napi_ok ||
      napi_get_value_int32(env, element, &value) != napi_ok) return false;
  *resource = value;
  if (napi_get_element(env, triple, 1, &element) != napi_ok ||
      napi_get_value_bigint_uint64(env, element, &soft, &lossless) != napi_ok) return false;
  if (napi_get_element(env, triple, 2, &element) != napi_ok ||
      napi_get_value_bigint_uint64(env, element, &hard, &lossless) != napi_ok) return false;
  limit->rlim_cur = (rlim_t)soft;
  limit->rlim_max = (rlim_t)hard;
  return true;
}

/*
 * pathexec(files, argv, envp, limits, lock): puts the lock's fd ([from, to],
 * or null) at the number the program is to find it under, sets the limits
 * ([resource, soft, hard] with bigints), then runs the first of files that
 * execve accepts, as runit's pathexec_run walks $PATH: a missing file is
 * passed over, and so is one that is denied (EACCES, EPERM) or a directory,
 * whose error is kept; any other error ends the walk. Returns only by
 * throwing: "setrlimit" or "execve", with the errno runit would report, and
 * with the fd at `to` and the limits put back. The limits come last and here, with
 * every string already copied, because a low memory limit would starve the JS
 * heap in between; the fd goes to its number only now, as that number may be
 * one of Node's own until exec.
 */
/*
 * Holding every other thread of the process while the limits are in force and
 * until execve replaces them all: under a memory limit smaller than what Node
 * already maps, any allocation by one of its threads (V8's platform workers,
 * libuv's pool) fails and aborts the whole process. Each thread is sent a
 * real-time signal whose handler waits on a futex; a thread that has the signal
 * blocked is an idle one, and is not waited for long. Released if exec fails.
 */
#define HOLD_SIGNAL (SIGRTMIN + 7)
#define HOLD_WAIT_NS 20000000L
static int threads_held;
static int threads_released;

static void hold_thread(int sig) {
  (void)sig;
  int saved = errno;
  __atomic_add_fetch(&threads_held, 1, __ATOMIC_SEQ_CST);
  while (!__atomic_load_n(&threads_released, __ATOMIC_ACQUIRE))
    syscall(SYS_futex, &threads_released, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
  __atomic_sub_fetch(&threads_held, 1, __ATOMIC_SEQ_CST);
  errno = saved;
}

static void hold_other_threads(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = hold_thread;
  sigfillset(&action.sa_mask);
  if (sigaction(HOLD_SIGNAL, &action, NULL) < 0) return;
  __atomic_store_n(&threads_released, 0, __ATOMIC_RELEASE);
  pid_t self = (pid_t)syscall(SYS_gettid);
  int sent = 0;
  DIR *tasks = opendir("/proc/self/task");
  if (tasks == NULL) return;
  for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
    pid_t tid = (pid_t)atoi(entry->d_name);
    if (tid > 0 && tid != self && syscall(SYS_tgkill, getpid(), tid, HOLD_SIGNAL) == 0) sent++;
  }
  closedir(tasks);
  struct timespec tick = {0, 100000};
  for (long waited = 0; __atomic_load_n(&threads_held, __ATOMIC_SEQ_CST) < sent && waited < HOLD_WAIT_NS; waited += tick.tv_nsec)
    nanosleep(&tick, NULL);
}

static void release_other_threads(void) {
  __atomic_store_n(&threads_released, 1, __ATOMIC_RELEASE);
  syscall(SYS_futex, &threads_released, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static napi_value js_pathexec(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value args[5];
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 5) return throw_type(env, "pathexec: expected files, argv, envp, limits and lock");
  char **files = dup_string_array(env, args[0]);
  char **argv = dup_string_array(env, args[1]);
  char **envp = dup_string_array(env, args[2]);
  uint32_t limit_count = 0;
  napi_get_array_length(env, args[3], &limit_count);
  struct rlimit *limits = calloc(limit_count + 1, sizeof *limits);
  struct rlimit *previous = calloc(limit_count + 1, sizeof *previous);
  int *resources = calloc(limit_count + 1, sizeof *resources);
  uint32_t limits_set = 0;
  int32_t lock_from = -1, lock_to = -1;
  napi_valuetype lock_type;
  napi_typeof(env, args[4], &lock_type);
  if (lock_type == napi_object) {
    napi_value element;
    napi_get_element(env, args[4], 0, &element);
    napi_get_value_int32(env, element, &lock_from);
    napi_get_element(env, args[4], 1, &element);
    napi_get_value_int32(env, element, &lock_to);
  }
  napi_value result = NULL;
  if (files == NULL || argv == NULL || envp == NULL || limits == NULL || previous == NULL || resources == NULL) {
    throw_type(env, "pathexec: bad files, argv or envp");
    goto out;
  }
  for (uint32_t i = 0; i < limit_count; i++) {
    napi_value triple;
    napi_get_element(env, args[3], i, &triple);
    if (!limit_argument(env, triple, &resources[i], &limits[i])) {
      throw_type(env, "pathexec: limits must be [resource, soft, hard] with bigints");
      goto out;
    }
  }
  /* What Node leaves on our stdio must not keep it from the program. */
  for (int fd = 0; fd < 3; fd++) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC)) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  /* The lock at its number, without close-on-exec; what held that number is kept aside, above stdio. */
  int displaced = -1;
  if (lock_from >= 0 && lock_to >= 0) {
    if (lock_from == lock_to) {
      fcntl(lock_to, F_SETFD, 0);
    } else {
      if (fcntl(lock_to, F_GETFD) >= 0) displaced = fcntl(lock_to, F_DUPFD_CLOEXEC, 3);
      if (dup2(lock_from, lock_to) < 0) {
        throw_errno(env, errno, "dup2");
        goto restore;
      }
    }
  }
  for (uint32_t i = 0; i < limit_count; i++) getrlimit(resources[i], &previous[i]);
  int saved = 0, err = ENOENT;
  for (char **file = files; *file != NULL; file++) {
    /* Under a memory limit any allocation by Node's other threads fails (and aborts), so the
       limits are in force only for the one execve that can succeed: a file that does not open
       (missing, denied, a directory) is found by an execve whose argv cannot be read, which
       fails before anything is done. Kernels that read argv before opening always say EFAULT,
       and then every file is tried for real, as runit does. */
    if (limit_count > 0) {
      syscall(SYS_execve, *file, (void *)1 /* unreadable argv */, envp);
      err = errno;
    }
    if (limit_count == 0 || err == EFAULT) {
      if (limit_count > 0) hold_other_threads();
      for (; limits_set < limit_count; limits_set++) {
        if (setrlimit(resources[limits_set], &limits[limits_set]) < 0) {
          int setrlimit_errno = errno;
          release_other_threads();
          throw_errno(env, setrlimit_errno, "setrlimit");
          goto restore;
        }
      }
      execve(*file, argv, envp);
      err = errno;
      for (; limits_set > 0; limits_set--) setrlimit(resources[limits_set - 1], &previous[limits_set - 1]);
      if (limit_count > 0) release_other_threads();
    }
    if (err == ENOENT) continue;
    saved = err;
    if (err != EACCES && err != EPERM && err != EISDIR) break;
  }
  throw_errno(env, saved != 0 ? saved : err, "execve");

restore:
  /* Nothing after a failed exec can see them (runit's chpst only reports and exits), but Node
     must not run its error path under a memory limit meant for the program. */
  for (uint32_t i = 0; i < limits_set; i++) setrlimit(resources[i], &previous[i]);
  if (displaced >= 0) {
    dup3(displaced, lock_to, O_CLOEXEC);
    close(displaced);
  } else if (lock_from >= 0 && lock_to >= 0 && lock_from != lock_to) {
    close(lock_to);
  }
out:
  free_vector(files);
  free_vector(argv);
  free_vector(envp);
  free(limits);
  free(previous);
  free(resources);
  return result;
}

/* The fd stays open in the program execve runs (libuv opens every fd close-on-exec). */
static napi_value js_keep_on_exec(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (!int_argument(env, info, &fd, "keepOnExec: expected an fd")) return NULL;
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) return throw_errno(env, errno, "fcntl");
  return NULL;
}

/*
 * sendUdp(ipv4, port, buffer) -> bytes sent. One fresh non-blocking socket per
 * datagram, as svlogd sends them: synchronous, so that a failure is known (and
 * logged) before the next line, where Node's dgram reports it a tick later.
 */
static napi_value js_send_udp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value args[3];
  char address[INET_ADDRSTRLEN];
  size_t address_length;
  int32_t port;
  void *data;
  size_t length;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  if (argc < 3 || napi_get_value_string_utf8(env, args[0], address, sizeof address, &address_length) != napi_ok ||
      napi_get_value_int32(env, args[1], &port) != napi_ok ||
      napi_get_buffer_info(env, args[2], &data, &length) != napi_ok)
    return throw_type(env, "sendUdp: expected an IPv4 address, a port and a buffer");
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, address, &to.sin_addr) != 1) return throw_type(env, "sendUdp: not an IPv4 address");
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  ssize_t sent = sendto(fd, data, length, 0, (struct sockaddr *)&to, sizeof to);
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, err, "sendto");
  napi_value result;
  napi_create_double(env, (double)sent, &result);
  return result;
}

/* socketpair(AF_UNIX, SOCK_STREAM) -> [fd, fd], both close-on-exec: the channel to a logger. */
static napi_value js_socketpair(napi_env env, napi_callback_info info) {
  (void)info;
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0) return throw_errno(env, errno, "socketpair");
  return int_pair(env, ends);
}

/* memfd_create(name) -> fd, close-on-exec: an executable that needs no file system. */
static napi_value js_memfd_create(napi_env env, napi_callback_info info) {
  char *name = string_argument(env, info, "memfdCreate: expected a name");
  if (name == NULL) return NULL;
  int fd = memfd_create(name, MFD_CLOEXEC);
  int err = errno;
  free(name);
  if (fd < 0) return throw_errno(env, err, "memfd_create");
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/*
 * Descriptors watched by a uv_poll on Node's own loop (no thread, no timer,
 * nothing while idle), each delivering what it reads to a JS callback: the
 * sd_notify sockets, and the supervise/control FIFOs, for which a net.Socket
 * would load node:net and its streams (3 ms) and cost each service a handle.
 */
#define WATCH_MESSAGE_MAX 4096
#define WATCH_BATCH 64

typedef struct {
  uv_poll_t poll; /* first: the handle's address is the watch's */
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int fd;
  bool owns_fd; /* closed with the watch (a notify socket is ours alone) */
  bool closing; /* closeWatch was called (perhaps by the callback): read no more */
} fd_watch;

/* One slot per watch: its id. */
static fd_watch *watches[4096];

/* Calls the watch's callback with `argc` values made by `make` (inside a handle scope). */
static void watch_deliver(fd_watch *watch, size_t argc, void (*make)(napi_env, napi_value *, void *), void *data) {
  napi_env env = watch->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback, receiver, args[2], ignored;
  napi_get_reference_value(env, watch->callback, &callback);
  napi_get_global(env, &receiver); /* napi_make_callback wants an object */
  make(env, args, data);
  if (callback != NULL) napi_make_callback(env, watch->context, receiver, callback, argc, args, &ignored);
  napi_close_handle_scope(env, scope);
}

static void watch_closed(uv_handle_t *handle) {
  fd_watch *watch = (fd_watch *)handle;
  napi_delete_reference(watch->env, watch->callback);
  napi_async_destroy(watch->env, watch->context);
  if (watch->owns_fd) close(watch->fd);
  free(watch);
}

/* Starts watching `fd` for input; its id, or -1 with errno set. `keep_alive`: the watch keeps the event loop alive. */
static int watch_start(napi_env env, int fd, bool owns_fd, bool keep_alive, napi_value callback, const char *name,
                       uv_poll_cb on_readable) {
  int slot = -1;
  for (int i = 0; i < (int)(sizeof watches / sizeof watches[0]); i++) {
    if (watches[i] == NULL) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    errno = EMFILE;
    return -1;
  }
  uv_loop_t *loop;
  fd_watch *watch = calloc(1, sizeof *watch);
  if (watch == NULL || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &watch->poll, fd) != 0) {
    free(watch);
    errno = ENOMEM;
    return -1;
  }
  watch->env = env;
  watch->fd = fd;
  watch->owns_fd = owns_fd;
  napi_create_reference(env, callback, 1, &watch->callback);
  napi_value resource_name, resource;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, resource_name, &watch->context);
  uv_poll_start(&watch->poll, UV_READABLE, on_readable);
  if (!keep_alive) uv_unref((uv_handle_t *)&watch->poll);
  watches[slot] = watch;
  return slot;
}

/* closeWatch(id): stops the watch and frees it (and a notify socket). */
static napi_value js_close_watch(napi_env env, napi_callback_info info) {
  int32_t slot;
  if (!int_argument(env, info, &slot, "closeWatch: expected an id")) return NULL;
  if (slot < 0 || slot >= (int)(sizeof watches / sizeof watches[0]) || watches[slot] == NULL)
    return throw_type(env, "closeWatch: no such watch");
  fd_watch *watch = watches[slot];
  watches[slot] = NULL;
  watch->closing = true;
  uv_poll_stop(&watch->poll);
  uv_close((uv_handle_t *)&watch->poll, watch_closed);
  return NULL;
}

struct notification {
  pid_t pid;
  const char *bytes;
  size_t length;
};

static void make_notification(napi_env env, napi_value *args, void *data) {
  struct notification *n = data;
  void *copy;
  napi_create_int32(env, n->pid, &args[0]);
  napi_create_buffer_copy(env, n->length, n->bytes, &copy, &args[1]);
}

/*
 * The sd_notify socket. Node's dgram has no unix sockets, and the sender's pid
 * comes only with recvmsg and SCM_CREDENTIALS, so the socket lives here.
 */
static void notify_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  fd_watch *watch = (fd_watch *)handle;
  if (status < 0 || watch->closing) return;
  static char bytes[WATCH_MESSAGE_MAX];
  /* A bounded batch: a flood cannot hold the loop; level-triggered, the rest comes next pass. */
  for (int i = 0; i < WATCH_BATCH; i++) {
    union {
      struct cmsghdr align;
      char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    } control;
    struct iovec iov = {.iov_base = bytes, .iov_len = sizeof bytes};
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.space;
    message.msg_controllen = sizeof control.space;
    ssize_t got = recvmsg(watch->fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (got < 0) return; /* EAGAIN: drained */
    pid_t pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
        struct ucred credentials;
        memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
        pid = credentials.pid;
      } else if (c->cmsg_type == SCM_RIGHTS) {
        /* FDSTORE=1 and the like: we keep no fds, and must not leak them. */
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count; k++) {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
          close(fd);
        }
      }
    }
    /* A truncated message is not one we can trust to have all its lines. */
    if ((message.msg_flags & MSG_TRUNC) || (size_t)got > sizeof bytes) continue;
    struct notification n = {pid, bytes, (size_t)got};
    watch_deliver(watch, 2, make_notification, &n);
    if (watch->closing) return;
  }
}

/*
 * listenNotify(name, callback(pid, buffer)) -> id (for closeWatch). `name` is an
 * abstract socket name (no file system, so read-only roots and services under
 * other uids work); the sender's pid is 0 when the kernel gave none (another
 * pid namespace).
 */
static napi_value js_listen_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
  size_t name_length;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  napi_valuetype callback_type = napi_undefined;
  if (argc == 2) napi_typeof(env, args[1], &callback_type);
  if (argc < 2 || napi_get_value_string_utf8(env, args[0], name, sizeof name, &name_length) != napi_ok ||
      name_length == 0 || name_length >= sizeof name - 1 || callback_type != napi_function)
    return throw_type(env, "listenNotify: expected an abstract socket name and a callback");
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path + 1, name, name_length);
  socklen_t address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + name_length);
  int on = 1;
  if (bind(fd, (struct sockaddr *)&address, address_length) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  /* Not keeping the loop alive: PID 1 has its own reasons to live, and a test's runsv must be able to end. */
  int slot = watch_start(env, fd, true, false, args[1], "my_init:notify", notify_readable);
  if (slot < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "listenNotify");
  }
  napi_value result;
  napi_create_int32(env, slot, &result);
  return result;
}

struct chunk {
  const char *bytes;
  size_t length;
};

static void make_chunk(napi_env env, napi_value *args, void *data) {
  struct chunk *c = data;
  void *copy;
  napi_create_buffer_copy(env, c->length, c->bytes, &copy, &args[0]);
}

/* A non-blocking descriptor's input, chunk by chunk; at end of file, one empty chunk, and the watch stops. */
static void fd_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  fd_watch *watch = (fd_watch *)handle;
  if (status < 0 || watch->closing) return;
  static char bytes[WATCH_MESSAGE_MAX];
  for (int i = 0; i < WATCH_BATCH; i++) {
    ssize_t got = read(watch->fd, bytes, sizeof bytes);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return; /* EAGAIN: drained */
    struct chunk c = {bytes, (size_t)got};
    if (got == 0) uv_poll_stop(&watch->poll);
    watch_deliver(watch, 1, make_chunk, &c);
    if (got == 0 || watch->closing) return;
  }
}

/* watchInput(fd, callback(buffer)) -> id (for closeWatch). The fd stays the caller's to close, after closeWatch. */
static napi_value js_watch_input(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  napi_valuetype callback_type = napi_undefined;
  if (argc == 2) napi_typeof(env, args[1], &callback_type);
  if (argc < 2 || napi_get_value_int32(env, args[0], &fd) != napi_ok || fd < 0 || callback_type != napi_function)
    return throw_type(env, "watchInput: expected a file descriptor and a callback");
  /* Keeping it alive, as a net.Socket on the fd would: runsv lives for its control FIFO while the service is down. */
  int slot = watch_start(env, fd, false, true, args[1], "my_init:input", fd_readable);
  if (slot < 0) return throw_errno(env, errno, "watchInput");
  napi_value result;
  napi_create_int32(env, slot, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"spawn", NULL, js_spawn, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitpid", NULL, js_waitpid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listChildren", NULL, js_list_children, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setChildSubreaper", NULL, js_set_child_subreaper, NULL, NULL, NULL, napi_enumerable, NULL},
      {"compactHeap", NULL, js_compact_heap, NULL, NULL, NULL, napi_enumerable, NULL},
      {"releaseMemory", NULL, js_release_memory, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unblockSignal", NULL, js_unblock_signal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"takeTerminal", NULL, js_take_terminal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"foregroundGroup", NULL, js_foreground_group, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pipe", NULL, js_pipe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mkfifo", NULL, js_mkfifo, NULL, NULL, NULL, napi_enumerable, NULL},
      {"replaceFile", NULL, js_replace_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readRegularFile", NULL, js_read_regular_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flock", NULL, js_flock, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setsid", NULL, js_setsid, NULL, NULL, NULL, napi_enumerable, NULL},
      {"chroot", NULL, js_chroot, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getrlimit", NULL, js_getrlimit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"pathexec", NULL, js_pathexec, NULL, NULL, NULL, napi_enumerable, NULL},
      {"keepOnExec", NULL, js_keep_on_exec, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendUdp", NULL, js_send_udp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"memfdCreate", NULL, js_memfd_create, NULL, NULL, NULL, napi_enumerable, NULL},
      {"forwardSignals", NULL, js_forward_signals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ignoreSignals", NULL, js_ignore_signals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setForwardTarget", NULL, js_set_forward_target, NULL, NULL, NULL, napi_enumerable, NULL},
      {"realtimeSignals", NULL, js_realtime_signals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setProcessName", NULL, js_set_process_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listenNotify", NULL, js_listen_notify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchInput", NULL, js_watch_input, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeWatch", NULL, js_close_watch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
