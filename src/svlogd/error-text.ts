// runit prints a failed call's errno in djb's words ("file does not exist"),
// not strerror's; svlogd's warnings must read the same.
const TEXT: Record<string, string> = {
  EINTR: 'interrupted system call', ENOMEM: 'out of memory', ENOENT: 'file does not exist',
  ETXTBSY: 'text busy', EIO: 'input/output error', EEXIST: 'file already exists',
  ETIMEDOUT: 'timed out', EINPROGRESS: 'operation in progress', EAGAIN: 'temporary failure',
  EWOULDBLOCK: 'temporary failure', EPIPE: 'broken pipe', EPERM: 'permission denied',
  EACCES: 'access denied', ENXIO: 'device not configured', EPROTO: 'protocol error',
  EISDIR: 'is a directory', ESRCH: 'no such process', E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error', EBADF: 'file descriptor not open', ECHILD: 'no child processes',
  EDEADLK: 'operation would cause deadlock', EFAULT: 'bad address', ENOTBLK: 'not a block device',
  EBUSY: 'device busy', EXDEV: 'cross-device link', ENODEV: 'device does not support operation',
  ENOTDIR: 'not a directory', EINVAL: 'invalid argument', ENFILE: 'system cannot open more files',
  EMFILE: 'process cannot open more files', ENOTTY: 'not a tty', EFBIG: 'file too big',
  ENOSPC: 'out of disk space', ESPIPE: 'unseekable descriptor', EROFS: 'read-only file system',
  EMLINK: 'too many links', EDOM: 'input out of range', ERANGE: 'output out of range',
  ELOOP: 'symbolic link loop', ENAMETOOLONG: 'file name too long', ENOTEMPTY: 'directory not empty',
  EDQUOT: 'disk quota exceeded', ECONNREFUSED: 'connection refused', EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable', EADDRINUSE: 'address already used', EMSGSIZE: 'message too long',
};

/** The errno of a failed fs call, worded as runit words it. */
export function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return TEXT[code] ?? (code === '' ? String(error) : code);
}
