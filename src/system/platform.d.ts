// The platform's modules (src/platform/*.c), as the engine gives them to
// src/system/. Every call returns its result, or the negated errno as a number;
// the modules beside this file turn that into a SystemError. Nothing outside
// src/system/ imports these directly.

declare module 'sys:files' {
  /** A path as text (UTF-8), or as the raw bytes of a name that is not UTF-8. */
  export type Path = string | Uint8Array;
  export interface RawStat {
    dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number;
    rdev: number; size: number; mtimeMs: number; ctimeMs: number;
  }
  export const O_RDONLY: number, O_WRONLY: number, O_RDWR: number, O_CREAT: number, O_EXCL: number,
    O_NOCTTY: number, O_TRUNC: number, O_APPEND: number, O_NONBLOCK: number, O_DIRECTORY: number,
    O_NOFOLLOW: number, F_OK: number, R_OK: number, W_OK: number, X_OK: number,
    LOCK_SH: number, LOCK_EX: number, LOCK_NB: number, LOCK_UN: number,
    IN_CREATE: number, IN_DELETE: number, IN_MOVED_FROM: number, IN_MOVED_TO: number,
    IN_DELETE_SELF: number, IN_MOVE_SELF: number, IN_ATTRIB: number, IN_ONLYDIR: number, IN_Q_OVERFLOW: number;
  export function open(path: Path, flags: number, mode: number): number;
  export function close(fd: number): number;
  export function read(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  export function write(fd: number, bytes: Uint8Array, offset: number, length: number): number;
  export function stat(path: Path): RawStat | number;
  export function lstat(path: Path): RawStat | number;
  export function fstat(fd: number): RawStat | number;
  export function readdir(path: Path): string[] | number;
  export function readdirBytes(path: Path): Uint8Array[] | number;
  export function mkdir(path: Path, mode: number): number;
  export function chmod(path: Path, mode: number): number;
  export function access(path: Path, mode: number): number;
  export function mkfifo(path: Path, mode: number): number;
  export function unlink(path: Path): number;
  export function rmdir(path: Path): number;
  export function chdir(path: Path): number;
  export function chroot(path: Path): number;
  export function rename(from: Path, to: Path): number;
  export function symlink(target: Path, path: Path): number;
  export function link(existing: Path, path: Path): number;
  export function chown(path: Path, uid: number, gid: number): number;
  export function lchown(path: Path, uid: number, gid: number): number;
  export function readlink(path: Path): string | number;
  export function realpath(path: Path): string | number;
  export function fchmod(fd: number, mode: number): number;
  export function flock(fd: number, operation: number): number;
  export function ftruncate(fd: number, length: number): number;
  export function dup2(fd: number, target: number): number;
  export function fchown(fd: number, uid: number, gid: number): number;
  export function fsync(fd: number): number;
  export function pipe(): [number, number] | number;
  export function getFlags(fd: number): number;
  export function setFlags(fd: number, flags: number): number;
  export function setCloseOnExec(fd: number, on: boolean): number;
  export function isatty(fd: number): boolean;
  export function umask(mask: number): number;
  export function getcwd(): string | number;
  export function inotifyOpen(): number;
  export function inotifyWatch(fd: number, path: Path, mask: number): number;
  export function inotifyRead(fd: number): Array<[number, number, string]> | number;
}

declare module 'sys:processes' {
  export function spawn(
    file: string, argv: readonly string[], envp: readonly string[], cwd: string | null,
    fds: readonly number[], groupMode: 0 | 1 | 2, ttyFd: number,
  ): number;
  export function waitpid(pid: number): number | null;
  export function listChildren(pid: number): number[] | number;
  export function kill(pid: number, signal: number): number;
  export function getpid(): number;
  export function getppid(): number;
  export function getuid(): number;
  export function geteuid(): number;
  export function getgid(): number;
  export function getegid(): number;
  export function getpgrp(): number;
  export function setuid(uid: number): number;
  export function setgid(gid: number): number;
  export function getsid(pid: number): number;
  export function getpgid(pid: number): number;
  export function tcgetpgrp(fd: number): number;
  export function setgroups(groups: readonly number[]): number;
  export function setsid(): number;
  export function takeTerminal(fd: number): number;
  export function setChildSubreaper(): number;
  export function setName(name: string): number;
  export function arguments(): string[];
  export function environment(): string[];
  export function rewriteArgument(index: number, text: string | Uint8Array): number;
  export function exec(file: string, argv: readonly string[], envp: readonly string[]): number;
  export function getrlimit(resource: number): [bigint, bigint] | number;
  export function setrlimit(resource: number, soft: bigint, hard: bigint): number;
  export function getpriority(which: number, who: number): number;
  export function setpriority(which: number, who: number, nice: number): number;
  export function exit(code: number): never;
}

declare module 'sys:signals' {
  export function block(signals: readonly number[]): number;
  export function unblock(signals: readonly number[]): number;
  export function ignore(signals: readonly number[]): number;
  export function setDefault(signals: readonly number[]): number;
  export function signalfd(fd: number, signals: readonly number[]): number;
  export function readSignals(fd: number): Array<[number, number, number]> | number;
}

declare module 'sys:loop' {
  export function watch(fd: number, events: number, id: number): number;
  export function unwatch(fd: number): number;
  export function now(): number;
  export function wallClockMicroseconds(): number;
  export function poll(fd: number, events: number, timeoutMs: number): number;
  export function setHandlers(ready: (id: number, events: number) => void, next: () => number): void;
}

declare module 'sys:sockets' {
  export function bindNotify(name: string): number;
  export function receiveNotify(fd: number, buffer: Uint8Array): [number, number, boolean] | number;
  export function socketpair(): [number, number] | number;
  export function ipVersion(text: string): 0 | 4 | 6;
  export function sendUdp(ip: string, port: number, bytes: Uint8Array): number;
  export function listenTcp(ip: string, port: number, backlog: number): number;
  export function accept(fd: number): number;
  export function shutdownWrite(fd: number): number;
}

declare module 'sys:text' {
  export function zeroedPages(length: number): Uint8Array | number;
  export function encodeUtf8(text: string): Uint8Array;
  export function utf8Length(text: string): number;
  export function decodeUtf8(bytes: Uint8Array, fatal: boolean): string | null;
  export function decodeLatin1(bytes: Uint8Array): string;
  export function encodeLatin1(text: string): Uint8Array;
}
