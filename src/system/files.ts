// Files, directories and descriptors. Every call returns its result or a
// SystemError (never throws one): `undefined` is success for calls with no
// result. The whole-file helpers at the end are built from the single calls.
import * as platform from 'sys:files';
import { checked, SystemError } from './errors.ts';
import { concatBytes, fromUtf8, utf8 } from './text.ts';

/** A path as text, or as the raw bytes of a name that is not UTF-8 (from readdirBytes). */
export type Path = platform.Path;
/** A path as an error message shows it. */
const shown = (path: Path): string => (typeof path === 'string' ? path : fromUtf8(path));

export const {
  O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW,
  F_OK, R_OK, W_OK, X_OK, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN,
} = platform;

/** A call with no result: undefined, or why it failed. */
export type Done = SystemError | undefined;

function done(result: number, syscall: string, path?: string): Done {
  return result < 0 ? new SystemError(-result, syscall, path) : undefined;
}

export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

export class Stat {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;

  constructor(raw: platform.RawStat) {
    this.dev = raw.dev;
    this.ino = raw.ino;
    this.mode = raw.mode;
    this.nlink = raw.nlink;
    this.uid = raw.uid;
    this.gid = raw.gid;
    this.rdev = raw.rdev;
    this.size = raw.size;
    this.mtimeMs = raw.mtimeMs;
    this.ctimeMs = raw.ctimeMs;
  }

  private is(type: number): boolean {
    return (this.mode & S_IFMT) === type;
  }

  isFile(): boolean { return this.is(S_IFREG); }
  isDirectory(): boolean { return this.is(S_IFDIR); }
  isSymbolicLink(): boolean { return this.is(S_IFLNK); }
  isFIFO(): boolean { return this.is(S_IFIFO); }
  isSocket(): boolean { return this.is(S_IFSOCK); }
  isCharacterDevice(): boolean { return this.is(S_IFCHR); }
  isBlockDevice(): boolean { return this.is(S_IFBLK); }
}

function statOf(raw: platform.RawStat | number, syscall: string, path?: string): Stat | SystemError {
  const result = checked(raw, syscall, path);
  return result instanceof SystemError ? result : new Stat(result);
}

export const stat = (path: Path): Stat | SystemError => statOf(platform.stat(path), 'stat', shown(path));
export const lstat = (path: Path): Stat | SystemError => statOf(platform.lstat(path), 'lstat', shown(path));
export const fstat = (fd: number): Stat | SystemError => statOf(platform.fstat(fd), 'fstat');

/** stat, with nothing there (ENOENT, ENOTDIR) as null rather than an error. */
export function statIfAny(path: string, follow = true): Stat | null | SystemError {
  const result = follow ? stat(path) : lstat(path);
  return result instanceof SystemError && (result.code === 'ENOENT' || result.code === 'ENOTDIR') ? null : result;
}

/** `test -e`: something is there (links followed). */
export const exists = (path: string): boolean => platform.access(path, F_OK) === 0;

/** Close-on-exec always: only spawn() passes descriptors on. */
export const open = (path: string, flags: number, mode = 0o666): number | SystemError =>
  checked(platform.open(path, flags, mode), 'open', path);
export const close = (fd: number): Done => done(platform.close(fd), 'close');

/** Up to `length` bytes into bytes[offset...]; 0 at end of file. */
export const read = (fd: number, bytes: Uint8Array, offset = 0, length = bytes.length - offset): number | SystemError =>
  checked(platform.read(fd, bytes, offset, length), 'read');
/** Some of bytes[offset...] (a pipe or socket may take less than all). */
export const write = (fd: number, bytes: Uint8Array, offset = 0, length = bytes.length - offset): number | SystemError =>
  checked(platform.write(fd, bytes, offset, length), 'write');

/** All of `content`, however many writes it takes. */
export function writeAll(fd: number, content: Uint8Array | string): Done {
  const bytes = typeof content === 'string' ? utf8(content) : content;
  for (let offset = 0; offset < bytes.length;) {
    const wrote = write(fd, bytes, offset);
    if (wrote instanceof SystemError) return wrote;
    offset += wrote;
  }
  return undefined;
}

export const readdir = (path: string): string[] | SystemError => checked(platform.readdir(path), 'scandir', path);
/** The names as the file system holds them, bytes that need not be UTF-8. */
export const readdirBytes = (path: Path): Uint8Array[] | SystemError => checked(platform.readdirBytes(path), 'scandir', shown(path));
export const mkdir = (path: string, mode = 0o777): Done => done(platform.mkdir(path, mode), 'mkdir', path);
export const chmod = (path: string, mode: number): Done => done(platform.chmod(path, mode), 'chmod', path);
export const access = (path: string, mode: number): Done => done(platform.access(path, mode), 'access', path);
export const mkfifo = (path: string, mode: number): Done => done(platform.mkfifo(path, mode), 'mkfifo', path);
export const unlink = (path: Path): Done => done(platform.unlink(path), 'unlink', shown(path));
export const rmdir = (path: Path): Done => done(platform.rmdir(path), 'rmdir', shown(path));
export const changeDirectory = (path: string): Done => done(platform.chdir(path), 'chdir', path);
export const changeRoot = (path: string): Done => done(platform.chroot(path), 'chroot', path);
export const rename = (from: string, to: string): Done => done(platform.rename(from, to), 'rename', from);
export const symlink = (target: string, path: string): Done => done(platform.symlink(target, path), 'symlink', path);
export const link = (existing: string, path: string): Done => done(platform.link(existing, path), 'link', path);
export const chown = (path: string, uid: number, gid: number): Done => done(platform.chown(path, uid, gid), 'chown', path);
export const lchown = (path: string, uid: number, gid: number): Done => done(platform.lchown(path, uid, gid), 'lchown', path);
export const readlink = (path: string): string | SystemError => checked(platform.readlink(path), 'readlink', path);
export const realpath = (path: string): string | SystemError => checked(platform.realpath(path), 'realpath', path);
export const fchmod = (fd: number, mode: number): Done => done(platform.fchmod(fd, mode), 'fchmod');
export const fchown = (fd: number, uid: number, gid: number): Done => done(platform.fchown(fd, uid, gid), 'fchown');
export const ftruncate = (fd: number, length: number): Done => done(platform.ftruncate(fd, length), 'ftruncate');
export const fsync = (fd: number): Done => done(platform.fsync(fd), 'fsync');
/** Puts `fd` at number `target` too, not close-on-exec there: for a program about to be exec'd. */
export const duplicateTo = (fd: number, target: number): number | SystemError => checked(platform.dup2(fd, target), 'dup2');

/** flock: true when locked, false when `wait` is false and someone else holds it. */
export function lock(fd: number, { exclusive = true, wait = false } = {}): boolean | SystemError {
  const result = platform.flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
  if (result === -11) return false; // EWOULDBLOCK
  return result < 0 ? new SystemError(-result, 'flock') : true;
}

/** [read end, write end], both close-on-exec. */
export const pipe = (): [number, number] | SystemError => checked(platform.pipe(), 'pipe');

export function setNonBlocking(fd: number, on: boolean): Done {
  const flags = platform.getFlags(fd);
  if (flags < 0) return new SystemError(-flags, 'fcntl');
  return done(platform.setFlags(fd, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK), 'fcntl');
}

export const setCloseOnExec = (fd: number, on: boolean): Done => done(platform.setCloseOnExec(fd, on), 'fcntl');
export const isTerminal = (fd: number): boolean => platform.isatty(fd);
/** Sets the file mode creation mask; the one before. */
export const setUmask = (mask: number): number => platform.umask(mask);

/** The current directory; `/` when it cannot be named (it was removed). */
export function currentDirectory(): string {
  const cwd = platform.getcwd();
  return typeof cwd === 'string' ? cwd : '/';
}

/** A whole file's bytes. */
export function readFile(path: string): Uint8Array | SystemError {
  const fd = open(path, O_RDONLY);
  if (fd instanceof SystemError) return fd;
  try {
    return readToEnd(fd);
  } finally {
    close(fd);
  }
}

/** What is left to read from `fd`, to end of file. */
export function readToEnd(fd: number): Uint8Array | SystemError {
  const info = fstat(fd);
  // /proc files say 0 and hold more: read in chunks until end of file either way.
  let buffer = new Uint8Array(info instanceof SystemError || info.size === 0 ? 4096 : info.size + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = new Uint8Array(buffer.length * 2);
      bigger.set(buffer);
      buffer = bigger;
    }
    const got = read(fd, buffer, length);
    if (got instanceof SystemError) return got;
    if (got === 0) return buffer.subarray(0, length);
    length += got;
  }
}

/** A whole file as UTF-8 text (invalid bytes become U+FFFD). */
export function readText(path: string): string | SystemError {
  const bytes = readFile(path);
  return bytes instanceof SystemError ? bytes : fromUtf8(bytes);
}

/** Creates or truncates `path` (with `mode` less the umask when created) and writes `content`. */
export function writeFile(path: string, content: Uint8Array | string, mode = 0o666, flags = O_WRONLY | O_CREAT | O_TRUNC): Done {
  const fd = open(path, flags, mode);
  if (fd instanceof SystemError) return fd;
  const wrote = writeAll(fd, content);
  const closed = close(fd);
  return wrote ?? closed;
}

/** mkdir -p: each missing directory made with `mode`; one that exists is fine. */
export function makeDirectories(path: string, mode = 0o777): Done {
  const made = mkdir(path, mode);
  if (made === undefined) return undefined;
  if (made.code === 'EEXIST') {
    const info = stat(path);
    return info instanceof SystemError || info.isDirectory() ? (info instanceof SystemError ? info : undefined) : made;
  }
  if (made.code !== 'ENOENT') return made;
  const parent = path.slice(0, path.replace(/\/+$/, '').lastIndexOf('/'));
  if (parent === '' || parent === path) return made;
  const parentMade = makeDirectories(parent, mode);
  if (parentMade !== undefined) return parentMade;
  const again = mkdir(path, mode);
  return again?.code === 'EEXIST' ? undefined : again;
}

/**
 * rm -rf: `path` and everything under it; nothing there is fine. Links are
 * removed, never followed; names that are not UTF-8 are removed by their bytes.
 */
export function removeTree(path: Path): Done {
  const info = lstat(path);
  if (info instanceof SystemError) return info.code === 'ENOENT' ? undefined : info;
  if (!info.isDirectory()) return unlink(path);
  const names = readdirBytes(path);
  if (names instanceof SystemError) return names;
  const prefix = concatBytes([typeof path === 'string' ? utf8(path) : path, SLASH]);
  for (const name of names) {
    const removed = removeTree(concatBytes([prefix, name]));
    if (removed !== undefined) return removed;
  }
  return rmdir(path);
}

const SLASH = Uint8Array.of(0x2f);
