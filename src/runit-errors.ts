// The words runit's programs use for an errno (its error_str), so that our
// messages read as theirs: `unable to change to service directory: file does not exist`.

const TEXT: Record<string, string> = {
  EINTR: 'interrupted system call', ENOMEM: 'out of memory', ENOENT: 'file does not exist', ETXTBSY: 'text busy',
  EIO: 'input/output error', EEXIST: 'file already exists', ETIMEDOUT: 'timed out', EINPROGRESS: 'operation in progress',
  EAGAIN: 'temporary failure', EPIPE: 'broken pipe', EPERM: 'permission denied', EACCES: 'access denied',
  ENXIO: 'device not configured', EISDIR: 'is a directory', ENOTDIR: 'not a directory', ELOOP: 'symbolic link loop',
  ENAMETOOLONG: 'file name too long', EROFS: 'read-only file system', ENOSPC: 'out of disk space',
  EBADF: 'file descriptor not open', EINVAL: 'invalid argument', ESRCH: 'no such process', ECHILD: 'no child processes',
  ENOEXEC: 'exec format error', EMFILE: 'out of file descriptors', ENFILE: 'file table overflow', EBUSY: 'device busy',
  ENOTEMPTY: 'directory not empty', EXDEV: 'cross-device link', ENODEV: 'device not configured',
};

/** runit's words for the errno of `error` (a Node error with a code); the code itself when runit's table is not known here. */
export function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return TEXT[code] ?? code;
}
