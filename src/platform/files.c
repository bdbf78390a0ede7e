/*
 * Files, directories, descriptors and inotify (module sys:files). Each
 * function is one system call. A path is a string (as UTF-8) or a Uint8Array
 * of its bytes, for names that are not UTF-8; contents are Uint8Arrays.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform.h"

#define PATH_ARGUMENT(index, name)           \
  char *name = get_path(ctx, argv[index]);   \
  if (name == NULL) return JS_EXCEPTION;

#define INT_ARGUMENT(index, name) \
  int32_t name;                   \
  if (!get_int(ctx, argv[index], &name)) return JS_EXCEPTION;

/* open(path, flags, mode) -> fd. O_CLOEXEC is always added: only a spawn passes fds on. */
static JSValue js_open(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(1, flags);
  INT_ARGUMENT(2, mode);
  PATH_ARGUMENT(0, path);
  int fd = open(path, flags | O_CLOEXEC, (mode_t)mode);
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return int_or_errno(ctx, fd);
}

static JSValue js_close(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  return done_or_errno(ctx, close(fd));
}

/*
 * read(fd, bytes, offset, length) -> count, into bytes[offset...];
 * write(fd, bytes, offset, length) -> count, from bytes[offset...].
 */
static JSValue js_transfer(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int writing) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  INT_ARGUMENT(2, offset);
  INT_ARGUMENT(3, length);
  size_t size;
  uint8_t *bytes = get_bytes(ctx, argv[1], &size);
  if (bytes == NULL) return JS_EXCEPTION;
  if (offset < 0 || length < 0 || (size_t)offset + (size_t)length > size) return JS_ThrowRangeError(ctx, "outside the buffer");
  ssize_t count;
  do {
    count = writing ? write(fd, bytes + offset, (size_t)length) : read(fd, bytes + offset, (size_t)length);
  } while (count < 0 && errno == EINTR);
  return int_or_errno(ctx, count);
}

static JSValue stat_object(JSContext *ctx, const struct stat *s) {
  JSValue o = JS_NewObject(ctx);
  JS_SetPropertyStr(ctx, o, "dev", JS_NewFloat64(ctx, (double)s->st_dev));
  JS_SetPropertyStr(ctx, o, "ino", JS_NewFloat64(ctx, (double)s->st_ino));
  JS_SetPropertyStr(ctx, o, "mode", JS_NewInt64(ctx, s->st_mode));
  JS_SetPropertyStr(ctx, o, "nlink", JS_NewInt64(ctx, (int64_t)s->st_nlink));
  JS_SetPropertyStr(ctx, o, "uid", JS_NewInt64(ctx, s->st_uid));
  JS_SetPropertyStr(ctx, o, "gid", JS_NewInt64(ctx, s->st_gid));
  JS_SetPropertyStr(ctx, o, "rdev", JS_NewFloat64(ctx, (double)s->st_rdev));
  JS_SetPropertyStr(ctx, o, "size", JS_NewFloat64(ctx, (double)s->st_size));
  JS_SetPropertyStr(ctx, o, "mtimeMs", JS_NewFloat64(ctx, (double)s->st_mtim.tv_sec * 1e3 + (double)s->st_mtim.tv_nsec / 1e6));
  JS_SetPropertyStr(ctx, o, "ctimeMs", JS_NewFloat64(ctx, (double)s->st_ctim.tv_sec * 1e3 + (double)s->st_ctim.tv_nsec / 1e6));
  return o;
}

/* stat(path) / lstat(path) -> { dev, ino, mode, nlink, uid, gid, rdev, size, mtimeMs, ctimeMs } */
static JSValue js_stat(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int follow) {
  (void)this, (void)argc;
  PATH_ARGUMENT(0, path);
  struct stat s;
  int rc = follow ? stat(path, &s) : lstat(path, &s);
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return rc < 0 ? errno_value(ctx) : stat_object(ctx, &s);
}

static JSValue js_fstat(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  struct stat s;
  return fstat(fd, &s) < 0 ? errno_value(ctx) : stat_object(ctx, &s);
}

/* readdir(path) -> the names in it, without . and ..; readdirBytes(path): each name's own bytes, as a Uint8Array. */
static JSValue js_readdir(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int as_bytes) {
  (void)this, (void)argc;
  PATH_ARGUMENT(0, path);
  DIR *directory = opendir(path);
  int err = errno;
  js_free(ctx, path);
  if (directory == NULL) {
    errno = err;
    return errno_value(ctx);
  }
  JSValue names = JS_NewArray(ctx);
  uint32_t count = 0;
  struct dirent *entry;
  for (;;) {
    errno = 0;
    entry = readdir(directory);
    if (entry == NULL) break;
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    size_t length = strlen(name);
    JS_SetPropertyUint32(ctx, names, count++, as_bytes ? new_bytes(ctx, name, length) : new_string_lossy(ctx, name, length));
  }
  err = errno;
  closedir(directory);
  if (err != 0) {
    JS_FreeValue(ctx, names);
    errno = err;
    return errno_value(ctx);
  }
  return names;
}

/* One path and one integer: mkdir, chmod, access, mkfifo. */
static JSValue js_path_int(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  INT_ARGUMENT(1, number);
  PATH_ARGUMENT(0, path);
  int rc;
  switch (which) {
    case 0: rc = mkdir(path, (mode_t)number); break;
    case 1: rc = chmod(path, (mode_t)number); break;
    case 2: rc = access(path, number); break;
    default: rc = mkfifo(path, (mode_t)number); break;
  }
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* One path: unlink, rmdir, chdir, chroot. */
static JSValue js_path_only(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  PATH_ARGUMENT(0, path);
  int rc;
  switch (which) {
    case 0: rc = unlink(path); break;
    case 1: rc = rmdir(path); break;
    case 2: rc = chdir(path); break;
    default: rc = chroot(path); break;
  }
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* Two paths: rename(from, to), symlink(target, path), link(existing, path). */
static JSValue js_two_paths(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  PATH_ARGUMENT(0, first);
  char *second = get_path(ctx, argv[1]);
  if (second == NULL) {
    js_free(ctx, first);
    return JS_EXCEPTION;
  }
  int rc = which == 0 ? rename(first, second) : which == 1 ? symlink(first, second) : link(first, second);
  int err = errno;
  js_free(ctx, first);
  js_free(ctx, second);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* chown(path, uid, gid) / lchown(path, uid, gid) */
static JSValue js_chown(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int follow) {
  (void)this, (void)argc;
  INT_ARGUMENT(1, uid);
  INT_ARGUMENT(2, gid);
  PATH_ARGUMENT(0, path);
  int rc = follow ? chown(path, (uid_t)uid, (gid_t)gid) : lchown(path, (uid_t)uid, (gid_t)gid);
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return done_or_errno(ctx, rc);
}

/* readlink(path) -> target; realpath(path) -> the canonical path. */
static JSValue js_resolve(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  PATH_ARGUMENT(0, path);
  char buffer[PATH_MAX + 1];
  ssize_t length;
  if (which == 0) {
    length = readlink(path, buffer, PATH_MAX);
  } else {
    length = realpath(path, buffer) == NULL ? -1 : (ssize_t)strlen(buffer);
  }
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return length < 0 ? errno_value(ctx) : new_string_lossy(ctx, buffer, (size_t)length);
}

/* Descriptor calls with one integer: fchmod(fd, mode), flock(fd, operation), ftruncate(fd, length), dup3... */
static JSValue js_fd_int(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv, int which) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  INT_ARGUMENT(1, number);
  int rc;
  switch (which) {
    case 0: rc = fchmod(fd, (mode_t)number); break;
    case 1:
      do {
        rc = flock(fd, number);
      } while (rc < 0 && errno == EINTR);
      break;
    case 2: rc = ftruncate(fd, number); break;
    /* dup2 as dup3 without O_CLOEXEC: the new fd is for a program about to be exec'd. */
    default: return int_or_errno(ctx, fd == number ? fd : dup2(fd, number));
  }
  return done_or_errno(ctx, rc);
}

static JSValue js_fchown(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  INT_ARGUMENT(1, uid);
  INT_ARGUMENT(2, gid);
  return done_or_errno(ctx, fchown(fd, (uid_t)uid, (gid_t)gid));
}

static JSValue js_fsync(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  return done_or_errno(ctx, fsync(fd));
}

/* pipe() -> [readFd, writeFd], both close-on-exec. */
static JSValue js_pipe(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) < 0) return errno_value(ctx);
  return new_int_pair(ctx, ends[0], ends[1]);
}

/* getFlags(fd) -> the status flags (O_NONBLOCK, O_APPEND...); setFlags(fd, flags). */
static JSValue js_get_flags(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  return int_or_errno(ctx, fcntl(fd, F_GETFL));
}

static JSValue js_set_flags(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  INT_ARGUMENT(1, flags);
  return done_or_errno(ctx, fcntl(fd, F_SETFL, flags));
}

/* setCloseOnExec(fd, on) */
static JSValue js_set_close_on_exec(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return errno_value(ctx);
  flags = JS_ToBool(ctx, argv[1]) ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  return done_or_errno(ctx, fcntl(fd, F_SETFD, flags));
}

static JSValue js_isatty(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  return JS_NewBool(ctx, isatty(fd));
}

static JSValue js_umask(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, mask);
  return JS_NewInt32(ctx, (int32_t)umask((mode_t)mask));
}

static JSValue js_getcwd(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  char buffer[PATH_MAX + 1];
  if (getcwd(buffer, sizeof buffer) == NULL) return errno_value(ctx);
  return new_string_lossy(ctx, buffer, strlen(buffer));
}

/* inotifyOpen() -> fd, non-blocking. */
static JSValue js_inotify_open(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  return int_or_errno(ctx, inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

/* inotifyWatch(fd, path, mask) -> watch descriptor. */
static JSValue js_inotify_watch(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  INT_ARGUMENT(2, mask);
  PATH_ARGUMENT(1, path);
  int wd = inotify_add_watch(fd, path, (uint32_t)mask);
  int err = errno;
  js_free(ctx, path);
  errno = err;
  return int_or_errno(ctx, wd);
}

/* inotifyRead(fd) -> [[wd, mask, name], ...] of what is queued now (empty when nothing is). */
static JSValue js_inotify_read(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  INT_ARGUMENT(0, fd);
  char buffer[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  JSValue events = JS_NewArray(ctx);
  uint32_t count = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) break;
    if (got <= 0) {
      JS_FreeValue(ctx, events);
      return got < 0 ? errno_value(ctx) : JS_NewInt32(ctx, -EIO);
    }
    for (char *p = buffer; p < buffer + got;) {
      struct inotify_event *event = (struct inotify_event *)p;
      JSValue item = JS_NewArray(ctx);
      JS_SetPropertyUint32(ctx, item, 0, JS_NewInt32(ctx, event->wd));
      JS_SetPropertyUint32(ctx, item, 1, JS_NewInt64(ctx, event->mask));
      JS_SetPropertyUint32(ctx, item, 2, new_string_lossy(ctx, event->name, event->len == 0 ? 0 : strlen(event->name)));
      JS_SetPropertyUint32(ctx, events, count++, item);
      p += sizeof *event + event->len;
    }
  }
  return events;
}

#define PATH_INT(name, which) JS_CFUNC_MAGIC_DEF(name, 2, js_path_int, which)
#define PATH_ONLY(name, which) JS_CFUNC_MAGIC_DEF(name, 1, js_path_only, which)
#define TWO_PATHS(name, which) JS_CFUNC_MAGIC_DEF(name, 2, js_two_paths, which)
#define FD_INT(name, which) JS_CFUNC_MAGIC_DEF(name, 2, js_fd_int, which)

#define CONSTANT(name) JS_PROP_INT32_DEF(#name, name, JS_PROP_ENUMERABLE)

const JSCFunctionListEntry files_functions[] = {
    /* The C library's numbers, some of which differ between architectures (O_DIRECTORY, O_NOFOLLOW). */
    CONSTANT(O_RDONLY), CONSTANT(O_WRONLY), CONSTANT(O_RDWR), CONSTANT(O_CREAT), CONSTANT(O_EXCL),
    CONSTANT(O_NOCTTY), CONSTANT(O_TRUNC), CONSTANT(O_APPEND), CONSTANT(O_NONBLOCK), CONSTANT(O_DIRECTORY),
    CONSTANT(O_NOFOLLOW), CONSTANT(F_OK), CONSTANT(R_OK), CONSTANT(W_OK), CONSTANT(X_OK),
    CONSTANT(LOCK_SH), CONSTANT(LOCK_EX), CONSTANT(LOCK_NB), CONSTANT(LOCK_UN),
    CONSTANT(IN_CREATE), CONSTANT(IN_DELETE), CONSTANT(IN_MOVED_FROM), CONSTANT(IN_MOVED_TO),
    CONSTANT(IN_DELETE_SELF), CONSTANT(IN_MOVE_SELF), CONSTANT(IN_ATTRIB), CONSTANT(IN_ONLYDIR), CONSTANT(IN_Q_OVERFLOW),
    JS_CFUNC_DEF("open", 3, js_open),
    JS_CFUNC_DEF("close", 1, js_close),
    JS_CFUNC_MAGIC_DEF("read", 4, js_transfer, 0),
    JS_CFUNC_MAGIC_DEF("write", 4, js_transfer, 1),
    JS_CFUNC_MAGIC_DEF("stat", 1, js_stat, 1),
    JS_CFUNC_MAGIC_DEF("lstat", 1, js_stat, 0),
    JS_CFUNC_DEF("fstat", 1, js_fstat),
    JS_CFUNC_MAGIC_DEF("readdir", 1, js_readdir, 0),
    JS_CFUNC_MAGIC_DEF("readdirBytes", 1, js_readdir, 1),
    PATH_INT("mkdir", 0),
    PATH_INT("chmod", 1),
    PATH_INT("access", 2),
    PATH_INT("mkfifo", 3),
    PATH_ONLY("unlink", 0),
    PATH_ONLY("rmdir", 1),
    PATH_ONLY("chdir", 2),
    PATH_ONLY("chroot", 3),
    TWO_PATHS("rename", 0),
    TWO_PATHS("symlink", 1),
    TWO_PATHS("link", 2),
    JS_CFUNC_MAGIC_DEF("chown", 3, js_chown, 1),
    JS_CFUNC_MAGIC_DEF("lchown", 3, js_chown, 0),
    JS_CFUNC_MAGIC_DEF("readlink", 1, js_resolve, 0),
    JS_CFUNC_MAGIC_DEF("realpath", 1, js_resolve, 1),
    FD_INT("fchmod", 0),
    FD_INT("flock", 1),
    FD_INT("ftruncate", 2),
    FD_INT("dup2", 3),
    JS_CFUNC_DEF("fchown", 3, js_fchown),
    JS_CFUNC_DEF("fsync", 1, js_fsync),
    JS_CFUNC_DEF("pipe", 0, js_pipe),
    JS_CFUNC_DEF("getFlags", 1, js_get_flags),
    JS_CFUNC_DEF("setFlags", 2, js_set_flags),
    JS_CFUNC_DEF("setCloseOnExec", 2, js_set_close_on_exec),
    JS_CFUNC_DEF("isatty", 1, js_isatty),
    JS_CFUNC_DEF("umask", 1, js_umask),
    JS_CFUNC_DEF("getcwd", 0, js_getcwd),
    JS_CFUNC_DEF("inotifyOpen", 0, js_inotify_open),
    JS_CFUNC_DEF("inotifyWatch", 3, js_inotify_watch),
    JS_CFUNC_DEF("inotifyRead", 1, js_inotify_read),
};
const size_t files_function_count = countof(files_functions);
