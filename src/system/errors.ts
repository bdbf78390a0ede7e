// A failed system call, as a value: what the platform returns as -errno,
// with the errno's name (ENOENT), the call and the path it was about. Its
// message reads as Node's did (`ENOENT: no such file or directory, open '/x'`),
// so the lines users and tests know stay the same.

/** Linux's errno numbers (the generic ones, which x86-64 and arm64 share), their names and Node's words for them. */
const ERRNO: Record<number, readonly [string, string]> = {
  1: ['EPERM', 'operation not permitted'],
  2: ['ENOENT', 'no such file or directory'],
  3: ['ESRCH', 'no such process'],
  4: ['EINTR', 'interrupted system call'],
  5: ['EIO', 'i/o error'],
  6: ['ENXIO', 'no such device or address'],
  7: ['E2BIG', 'argument list too long'],
  8: ['ENOEXEC', 'exec format error'],
  9: ['EBADF', 'bad file descriptor'],
  10: ['ECHILD', 'no child processes'],
  11: ['EAGAIN', 'resource temporarily unavailable'],
  12: ['ENOMEM', 'not enough memory'],
  13: ['EACCES', 'permission denied'],
  14: ['EFAULT', 'bad address in system call argument'],
  16: ['EBUSY', 'resource busy or locked'],
  17: ['EEXIST', 'file already exists'],
  18: ['EXDEV', 'cross-device link not permitted'],
  19: ['ENODEV', 'no such device'],
  20: ['ENOTDIR', 'not a directory'],
  21: ['EISDIR', 'illegal operation on a directory'],
  22: ['EINVAL', 'invalid argument'],
  23: ['ENFILE', 'file table overflow'],
  24: ['EMFILE', 'too many open files'],
  25: ['ENOTTY', 'inappropriate ioctl for device'],
  26: ['ETXTBSY', 'text file is busy'],
  27: ['EFBIG', 'file too large'],
  28: ['ENOSPC', 'no space left on device'],
  29: ['ESPIPE', 'invalid seek'],
  30: ['EROFS', 'read-only file system'],
  31: ['EMLINK', 'too many links'],
  32: ['EPIPE', 'broken pipe'],
  34: ['ERANGE', 'result too large'],
  35: ['EDEADLK', 'resource deadlock would occur'],
  36: ['ENAMETOOLONG', 'name too long'],
  37: ['ENOLCK', 'no locks available'],
  38: ['ENOSYS', 'function not implemented'],
  39: ['ENOTEMPTY', 'directory not empty'],
  40: ['ELOOP', 'too many symbolic links encountered'],
  71: ['EPROTO', 'protocol error'],
  88: ['ENOTSOCK', 'socket operation on non-socket'],
  90: ['EMSGSIZE', 'message too long'],
  95: ['EOPNOTSUPP', 'operation not supported on socket'],
  97: ['EAFNOSUPPORT', 'address family not supported'],
  98: ['EADDRINUSE', 'address already in use'],
  99: ['EADDRNOTAVAIL', 'address not available'],
  101: ['ENETUNREACH', 'network is unreachable'],
  103: ['ECONNABORTED', 'software caused connection abort'],
  104: ['ECONNRESET', 'connection reset by peer'],
  110: ['ETIMEDOUT', 'connection timed out'],
  111: ['ECONNREFUSED', 'connection refused'],
  113: ['EHOSTUNREACH', 'host is unreachable'],
  122: ['EDQUOT', 'disk quota exceeded'],
};

/** The errno's name (ENOENT), or `E<number>` for one not in the table. */
export function errnoCode(errno: number): string {
  return ERRNO[errno]?.[0] ?? `E${errno}`;
}

/** Node's words for an errno (EADDRINUSE -> "address already in use"), for messages shaped as Node's. */
export function errnoWords(errno: number): string {
  return ERRNO[errno]?.[1] ?? `unknown system error ${errno}`;
}

/** The errno of a name (EACCES -> 13), or undefined. */
export function errnoNumber(code: string): number | undefined {
  for (const [number, [name]] of Object.entries(ERRNO)) if (name === code) return Number(number);
  return undefined;
}

export class SystemError extends Error {
  readonly errno: number;
  /** The errno's name: ENOENT, EACCES, ... */
  readonly code: string;
  readonly syscall: string;
  readonly path: string | undefined;

  constructor(errno: number, syscall: string, path?: string) {
    const [code, words] = ERRNO[errno] ?? [`E${errno}`, `unknown system error ${errno}`];
    super(`${code}: ${words}, ${syscall}${path === undefined ? '' : ` '${path}'`}`);
    this.name = 'SystemError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.path = path;
  }
}

/** A platform result as a value: a negative number is the errno of a failure. */
export function checked<T>(result: T | number, syscall: string, path?: string): T | SystemError {
  return typeof result === 'number' && result < 0 ? new SystemError(-result, syscall, path) : (result as T);
}

/** The value, or the SystemError thrown: for a sequence of calls that fails as one (`try { must(a); must(b) }`). */
export function must<T>(result: T | SystemError): T {
  if (result instanceof SystemError) throw result;
  return result;
}

/** The errno code of anything thrown or returned (undefined when it is not a SystemError). */
export function codeOf(error: unknown): string | undefined {
  return error instanceof SystemError ? error.code : undefined;
}
