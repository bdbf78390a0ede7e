// Loads the C addon (src/native/init_native.c). Inside the single executable it
// is an embedded asset: written under a fresh name to the first directory that
// allows executable mappings, loaded, and unlinked at once, so nothing is left
// behind and a read-only image still works when any such directory exists.
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { getRawAsset, isSea } from 'node:sea';
import { join } from 'node:path';

export interface Native {
  spawn(
    file: string,
    argv: readonly string[],
    envp: readonly string[],
    cwd: string | null,
    fds: readonly number[],
    /** 0: our process group, 1: a new group, 2: a new session. */
    groupMode: 0 | 1 | 2,
    ttyFd: number,
  ): number;
  /** Raw wait status, or null while the child runs. Throws ECHILD when it is not ours. */
  waitpid(pid: number): number | null;
  /** The children of `pid` (0: ours), from /proc/PID/task/TID/children. Throws with the errno when they cannot be read. */
  listChildren(pid: number): number[];
  setChildSubreaper(): void;
  /** V8's last-resort GC, which compacts the heap and gives empty pages back. */
  compactHeap(): void;
  /** malloc_trim, then MADV_PAGEOUT on our executable's read-only mappings; the bytes advised. */
  releaseMemory(): number;
  /** Unblocks a signal on the calling (main) thread. */
  unblockSignal(signal: number): void;
  takeTerminal(fd: number): void;
  foregroundGroup(fd: number): number;
  pipe(): [number, number];
  mkfifo(path: string, mode: number): void;
  /**
   * Writes `bytes` to the new file `temp` (made with `mode`, less the umask), gives it uid:gid and
   * exactly `mode` when uid >= 0 (EPERM on the owner passed over), renames it over `target`; on
   * failure `temp` is gone and the error names the call (syscall).
   */
  replaceFile(temp: string, target: string, bytes: Uint8Array, mode: number, uid: number, gid: number): void;
  /** A regular file's bytes, or the st_mode of what is there instead; throws with the errno of a failed call. */
  readRegularFile(path: string): Buffer | number;
  flock(fd: number, wait: boolean): boolean;
  /** The new session's id. */
  setsid(): number;
  chroot(path: string): void;
  /** [soft, hard]; RLIM_INFINITY is 2n ** 64n - 1n. */
  getrlimit(resource: number): [bigint, bigint];
  /**
   * Puts the lock's fd ([from, to], or null) at its number for the program, sets the limits
   * ([resource, soft, hard]), then execs the first of `files` that execve takes, passing over
   * missing, denied and directory ones as runit's pathexec does. Returns only by throwing:
   * syscall "setrlimit" or "execve" (or "dup2"), with the errno to report.
   */
  pathexec(
    files: readonly string[],
    argv: readonly string[],
    envp: readonly string[],
    limits: readonly (readonly [number, bigint, bigint])[],
    lock: readonly [number, number] | null,
  ): never;
  /** Clears FD_CLOEXEC, so that the program execve runs inherits the fd. */
  keepOnExec(fd: number): void;
  /** sendto() on a fresh non-blocking UDP socket; the bytes sent. Throws with the errno. */
  sendUdp(ipv4: string, port: number, message: Buffer): number;
  /** A connected pair of Unix stream sockets, both close-on-exec. */
  socketpair(): [number, number];
  /** An anonymous file (close-on-exec) that can be written and then executed through /proc/self/fd. */
  memfdCreate(name: string): number;
  /**
   * Each signal is passed on by a C handler to the pid of setForwardTarget, except one the kernel
   * raised for a write of our own (SIGPIPE, SIGXFSZ). Reaping that pid clears the target.
   */
  forwardSignals(signals: readonly number[]): void;
  setForwardTarget(pid: number): void;
  ignoreSignals(signals: readonly number[]): void;
  /** [SIGRTMIN, SIGRTMAX]: the real-time signals glibc leaves to programs. */
  realtimeSignals(): [number, number];
  /** The main thread's name (comm), what `ps -C` and `pgrep -x` match; at most 15 bytes are kept. */
  setProcessName(name: string): void;
  /**
   * Binds a unix datagram socket at the abstract `name` (no leading NUL) with SO_PASSCRED and
   * calls `onMessage` for each datagram, with the sender's pid (0 when the kernel gave none).
   * Does not keep the event loop alive. Returns the id closeWatch takes.
   */
  listenNotify(name: string, onMessage: (pid: number, message: Buffer) => void): number;
  /**
   * Calls `onInput` with what each read of the non-blocking `fd` gives (an empty buffer at end of
   * file, after which it watches no more), from a uv_poll on Node's loop: no node:net, no stream.
   * Keeps the event loop alive until closeWatch, as a socket on the fd would. The fd stays the caller's,
   * to close after closeWatch.
   */
  watchInput(fd: number, onInput: (bytes: Buffer) => void): number;
  /** Ends a listenNotify (closing its socket) or a watchInput. */
  closeWatch(id: number): void;
}

const CANDIDATE_DIRECTORIES = ['/run', '/dev/shm', '/tmp', '/var/tmp', '/var/run'];
let attempt = 0;
const ASSET = 'init_native.node';

/** The addon throws errors carrying only errno; give them the usual Node code. */
function withErrnoCode<T extends (...args: never[]) => unknown>(fn: T): T {
  return ((...args: never[]) => {
    try {
      return fn(...args);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      // Looked up only on failure, so that no start loads node:os. Several names share a number
      // (EAGAIN, EWOULDBLOCK): the first is the one people know.
      const name = (errno: number) => Object.entries(process.getBuiltinModule('node:os').constants.errno).find(([, value]) => value === errno)?.[0];
      if (typeof e.errno === 'number' && e.code === undefined) e.code = name(e.errno) ?? 'EUNKNOWN';
      throw e;
    }
  }) as T;
}

function wrap(raw: Native): Native {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(raw)) {
    wrapped[name] = withErrnoCode(fn as (...args: never[]) => unknown);
  }
  return wrapped as unknown as Native;
}

function loadFromAsset(bytes: Uint8Array): Native | Error {
  const failures: string[] = [];
  for (const directory of CANDIDATE_DIRECTORIES) {
    // O_EXCL makes any fresh name safe (no following a planted link); no need for node:crypto's start-up cost.
    const path = join(directory, `.my_init-${process.pid}-${Date.now()}-${attempt++}.node`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o700);
    } catch (error) {
      failures.push(`${directory}: ${(error as NodeJS.ErrnoException).code}`);
      continue;
    }
    try {
      writeSync(fd, bytes);
      closeSync(fd);
      const module = { exports: {} as Native };
      process.dlopen(module, path);
      return wrap(module.exports);
    } catch (error) {
      failures.push(`${directory}: ${(error as Error).message.split('\n')[0]}`);
    } finally {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
  return new Error(`no directory allows loading the native helper (${failures.join('; ')})`);
}

/** `buildOutput`: where the addon is when not running as the single executable. */
export function loadNative(buildOutput = join(process.argv[1] ?? '.', '..', '..', 'build', 'Release', ASSET)): Native | Error {
  if (isSea()) return loadFromAsset(new Uint8Array(getRawAsset(ASSET)));
  try {
    // node:module only here: inside the executable, no program should pay for loading it.
    return wrap(process.getBuiltinModule('node:module').createRequire(process.execPath)(buildOutput) as Native);
  } catch (error) {
    return new Error(`cannot load the native helper: ${(error as Error).message.split('\n')[0]}`);
  }
}
