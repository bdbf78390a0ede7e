/*
 * Sockets (module sys:sockets): the sd_notify datagram socket, whose senders
 * the kernel vouches for; the status endpoint's TCP listener; svlogd's UDP
 * lines; and IP literals. All non-blocking and close-on-exec.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "platform.h"

/* The failure of a call on a socket just made: the socket closed, the call's errno returned. */
static JSValue close_failed(JSContext *ctx, int fd) {
  int err = errno;
  close(fd);
  errno = err;
  return errno_value(ctx);
}

/* bindNotify(name) -> fd: a datagram socket at the abstract address `name` (no leading NUL), with SO_PASSCRED. */
static JSValue js_bind_notify(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  size_t length;
  const char *name = JS_IsString(argv[0]) ? JS_ToCStringLen(ctx, &length, argv[0]) : NULL;
  if (name == NULL) return JS_ThrowTypeError(ctx, "bindNotify: expected a name");
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  if (length == 0 || length > sizeof address.sun_path - 1) {
    JS_FreeCString(ctx, name);
    return JS_NewInt32(ctx, -ENAMETOOLONG);
  }
  memcpy(address.sun_path + 1, name, length);
  JS_FreeCString(ctx, name);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_value(ctx);
  int on = 1;
  socklen_t size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length);
  if (bind(fd, (struct sockaddr *)&address, size) < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
    return close_failed(ctx, fd);
  }
  return JS_NewInt32(ctx, fd);
}

/*
 * receiveNotify(fd, buffer) -> [length, pid, truncated]: one datagram into
 * `buffer`, with the sender's pid as the kernel gives it (0 from another PID
 * namespace); -EAGAIN when none is queued. Descriptors sent along (FDSTORE=1)
 * are closed: we keep none.
 */
static JSValue js_receive_notify(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  size_t size;
  uint8_t *bytes = get_bytes(ctx, argv[1], &size);
  if (bytes == NULL) return JS_EXCEPTION;
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
  } control;
  struct iovec iov = {.iov_base = bytes, .iov_len = size};
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.space;
  message.msg_controllen = sizeof control.space;
  ssize_t got;
  do {
    got = recvmsg(fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return errno_value(ctx);
  pid_t pid = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred credentials;
      memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
      pid = credentials.pid;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t k = 0; k < count; k++) {
        int passed;
        memcpy(&passed, CMSG_DATA(c) + k * sizeof(int), sizeof passed);
        close(passed);
      }
    }
  }
  bool truncated = (message.msg_flags & MSG_TRUNC) || (size_t)got > size;
  JSValue result = JS_NewArray(ctx);
  JS_SetPropertyUint32(ctx, result, 0, JS_NewInt64(ctx, truncated ? (int64_t)size : got));
  JS_SetPropertyUint32(ctx, result, 1, JS_NewInt32(ctx, pid));
  JS_SetPropertyUint32(ctx, result, 2, JS_NewBool(ctx, truncated));
  return result;
}

/* socketpair() -> [fd, fd]: a connected pair of Unix stream sockets. */
static JSValue js_socketpair(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc, (void)argv;
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0) return errno_value(ctx);
  return new_int_pair(ctx, ends[0], ends[1]);
}

/* An IP literal and port as a socket address; its family, or 0 when the text is not an IP literal. */
static int ip_address(const char *text, int port, struct sockaddr_storage *address, socklen_t *size) {
  memset(address, 0, sizeof *address);
  struct sockaddr_in *v4 = (struct sockaddr_in *)address;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)address;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *size = sizeof *v4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *size = sizeof *v6;
    return AF_INET6;
  }
  return 0;
}

/* ipVersion(text) -> 4, 6, or 0 when it is not an IP literal. */
static JSValue js_ip_version(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  const char *text = get_string(ctx, argv[0]);
  if (text == NULL) return JS_EXCEPTION;
  struct sockaddr_storage address;
  socklen_t size;
  int family = ip_address(text, 0, &address, &size);
  JS_FreeCString(ctx, text);
  return JS_NewInt32(ctx, family == AF_INET ? 4 : family == AF_INET6 ? 6 : 0);
}

/* sendUdp(ip, port, bytes) -> bytes sent, from a fresh socket, as svlogd sends each line. */
static JSValue js_send_udp(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t port;
  if (!get_int(ctx, argv[1], &port)) return JS_EXCEPTION;
  size_t length;
  uint8_t *bytes = get_bytes(ctx, argv[2], &length);
  if (bytes == NULL) return JS_EXCEPTION;
  const char *text = get_string(ctx, argv[0]);
  if (text == NULL) return JS_EXCEPTION;
  struct sockaddr_storage address;
  socklen_t size;
  int family = ip_address(text, port, &address, &size);
  JS_FreeCString(ctx, text);
  if (family == 0) return JS_NewInt32(ctx, -EINVAL);
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_value(ctx);
  ssize_t sent = sendto(fd, bytes, length, 0, (struct sockaddr *)&address, size);
  int err = errno;
  close(fd);
  errno = err;
  return int_or_errno(ctx, sent);
}

/* listenTcp(ip, port, backlog) -> fd: a listening stream socket at an IP literal. */
static JSValue js_listen_tcp(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t port, backlog;
  if (!get_int(ctx, argv[1], &port) || !get_int(ctx, argv[2], &backlog)) return JS_EXCEPTION;
  const char *text = get_string(ctx, argv[0]);
  if (text == NULL) return JS_EXCEPTION;
  struct sockaddr_storage address;
  socklen_t size;
  int family = ip_address(text, port, &address, &size);
  JS_FreeCString(ctx, text);
  if (family == 0) return JS_NewInt32(ctx, -EINVAL);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_value(ctx);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 || bind(fd, (struct sockaddr *)&address, size) < 0 ||
      listen(fd, backlog) < 0) {
    return close_failed(ctx, fd);
  }
  return JS_NewInt32(ctx, fd);
}

/* accept(fd) -> the connection's fd, non-blocking; -EAGAIN when none waits. */
static JSValue js_accept(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  int connection;
  do {
    connection = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (connection < 0 && errno == EINTR);
  return int_or_errno(ctx, connection);
}

/* shutdownWrite(fd): sends the end of the stream (FIN); what the peer sends can still be read. */
static JSValue js_shutdown_write(JSContext *ctx, JSValueConst this, int argc, JSValueConst *argv) {
  (void)this, (void)argc;
  int32_t fd;
  if (!get_int(ctx, argv[0], &fd)) return JS_EXCEPTION;
  return done_or_errno(ctx, shutdown(fd, SHUT_WR));
}

const JSCFunctionListEntry sockets_functions[] = {
    JS_CFUNC_DEF("bindNotify", 1, js_bind_notify),
    JS_CFUNC_DEF("receiveNotify", 2, js_receive_notify),
    JS_CFUNC_DEF("socketpair", 0, js_socketpair),
    JS_CFUNC_DEF("ipVersion", 1, js_ip_version),
    JS_CFUNC_DEF("sendUdp", 3, js_send_udp),
    JS_CFUNC_DEF("listenTcp", 3, js_listen_tcp),
    JS_CFUNC_DEF("accept", 1, js_accept),
    JS_CFUNC_DEF("shutdownWrite", 1, js_shutdown_write),
};
const size_t sockets_function_count = countof(sockets_functions);
