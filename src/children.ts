// Every process my_init starts, and every orphan that comes to it, ends here.
//
// Reaping never calls waitpid(-1): the reaper lists our children from
// /proc/self/task/*/children and waits for each by pid, so it could never take
// an exit status that belongs to someone else. Each pass is bounded in time so
// an orphan storm cannot stall the event loop: a pass that runs out of time
// leaves the rest of its list to the next turn. SIGCHLD asks for a fresh list,
// and a sweep every 30 s covers anything a coalesced signal might hide.
import { SIGNALS } from './linux-signals.ts';
import * as log from './log.ts';
import { SystemError } from './system/errors.ts';
import { access, stat, X_OK } from './system/files.ts';
import { monotonicMs, setImmediate, setInterval, type Timer } from './system/loop.ts';
import { join, resolve as resolvePath } from './system/path.ts';
import { childrenOf, spawn as platformSpawn, startEnvironment, waitFor, type GroupMode } from './system/processes.ts';
import { onSignal } from './system/signals.ts';
import { byteLength } from './system/text.ts';

export interface ExitStatus {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  /** Number of the signal that ended the process, or null. */
  signal: number | null;
  /** The raw wait status, as runit's `finish` reports it. */
  raw: number;
}

export function decodeWaitStatus(raw: number): ExitStatus {
  const signal = raw & 0x7f;
  if (signal === 0) return { code: (raw >> 8) & 0xff, signal: null, raw };
  return { code: null, signal, raw };
}

/** The shell's convention: a death by signal N is 128 + N. */
export function exitCodeOf(status: ExitStatus): number {
  return status.code ?? 128 + (status.signal ?? 0);
}

export interface SpawnSpec {
  argv: readonly string[];
  /** The file to execute, when it is not argv[0] looked up in PATH (svlogd runs `/bin/sh` as `sh`). */
  file?: string;
  env: ReadonlyMap<string, string>;
  cwd?: string;
  /** The child's fds 0, 1, 2 (and more); default: ours. */
  stdio?: readonly number[];
  /** Our process group (default), a group of its own, or a session of its own. */
  group?: GroupMode;
  /** A terminal fd whose foreground group the child's new group becomes. */
  foregroundTerminal?: number;
}

export interface Child {
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
}

/** Why a command could not be started, worded for the person who wrote it. */
export class SpawnError extends Error {
  readonly code: string;
  constructor(file: string, code: string) {
    super(`Cannot execute ${file}: ${describeExecError(code)}`);
    this.code = code;
  }
}

function describeExecError(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file, or not found in PATH';
    case 'EACCES':
      return 'permission denied (is it executable, on a mount that allows execution?)';
    case 'ENOEXEC':
      return 'exec format error (a script needs a #! line)';
    case 'EAGAIN':
      return 'no process can be created now (EAGAIN: the limit on processes is reached)';
    case 'ENOMEM':
      return 'out of memory (ENOMEM)';
    default:
      return code;
  }
}

/** Exit code for a command that could not be started, as shells use them. */
export function exitCodeForSpawnError(error: SpawnError): number {
  return error.code === 'ENOENT' ? 127 : 126;
}

/** This process's own environment, as the map every spawn takes. */
export const processEnvironment = startEnvironment;

/** Linux's limit on one NAME=VALUE string passed to execve (MAX_ARG_STRLEN), NUL included. */
const MAX_ENV_STRING_BYTES = 128 * 1024;
const tooLargeWarned = new Set<string>();

/**
 * The environment strings for execve. A variable too large for the kernel to
 * pass (only a file in /etc/container_environment can make one) is left out,
 * with a warning, rather than failing every command.
 */
export function environmentStrings(env: ReadonlyMap<string, string>): string[] {
  const strings: string[] = [];
  for (const [name, value] of env) {
    const entry = `${name}=${value}`;
    const bytes = byteLength(entry) + 1;
    if (bytes > MAX_ENV_STRING_BYTES) {
      if (!tooLargeWarned.has(name)) {
        tooLargeWarned.add(name);
        log.warn(`${name} is too large to pass to processes (${bytes} bytes; Linux allows ${MAX_ENV_STRING_BYTES}); it stays in the dumps only.`);
      }
      continue;
    }
    strings.push(entry);
  }
  return strings;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * execvp's search, done before fork so the child has nothing to allocate.
 * A relative directory in PATH is looked up from `cwd`, the directory the
 * child starts in (ours when not given).
 */
export function resolveExecutable(name: string, path: string | undefined, cwd?: string): string | SpawnError {
  if (name === '') return new SpawnError(name, 'ENOENT');
  // With a slash, the child's execve finds it from its own directory.
  if (name.includes('/')) return name;
  let denied = false;
  for (const directory of (path ?? DEFAULT_PATH).split(':')) {
    const candidate = cwd === undefined ? join(directory === '' ? '.' : directory, name) : resolvePath(cwd, directory, name);
    const found = stat(candidate);
    if (found instanceof SystemError) {
      if (found.code === 'EACCES') denied = true;
      continue;
    }
    if (!found.isFile()) continue;
    const runnable = access(candidate, X_OK);
    if (runnable === undefined) return candidate;
    if (runnable.code === 'EACCES') denied = true;
  }
  return new SpawnError(name, denied ? 'EACCES' : 'ENOENT');
}

const PASS_BUDGET_MS = 5;
// Every exit raises SIGCHLD, which starts a pass; the sweep is only a safety
// net, kept rare so that an idle init costs no CPU.
const SWEEP_INTERVAL_MS = 30_000;

export class Children {
  private readonly waiting = new Map<number, (status: ExitStatus) => void>();
  private passScheduled = false;
  /** Listed, not yet waited for: what a pass that ran out of time left. */
  private unwaited: number[] = [];
  /** Something may have exited since the last listing. */
  private listingStale = true;
  /** Ref'd exactly while someone waits for a child, so that the wait keeps the process alive. */
  private readonly sweep: Timer;
  private procAvailable = true;
  /** Where a child starts when its spec names no directory; undefined: ours. */
  private readonly defaultCwd: string | undefined;
  orphansReaped = 0;

  constructor({ defaultCwd }: { defaultCwd?: string } = {}) {
    this.defaultCwd = defaultCwd;
    this.sweep = setInterval(() => this.wake(), SWEEP_INTERVAL_MS).unref();
    onSignal(SIGNALS.SIGCHLD, () => this.wake());
  }

  spawn(spec: SpawnSpec): Child {
    const file = spec.file ?? spec.argv[0];
    const cwd = spec.cwd ?? this.defaultCwd;
    const resolved = resolveExecutable(file ?? '', spec.env.get('PATH'), cwd);
    if (resolved instanceof SpawnError) throw resolved;
    const pid = platformSpawn({
      file: resolved,
      argv: spec.argv,
      envp: environmentStrings(spec.env),
      cwd: cwd ?? null,
      fds: spec.stdio ?? [0, 1, 2],
      group: spec.group ?? 'inherit',
      terminal: spec.foregroundTerminal ?? -1,
    });
    if (pid instanceof SystemError) throw new SpawnError(file ?? '', pid.code);
    const exited = new Promise<ExitStatus>((resolve) => this.waiting.set(pid, resolve));
    this.sweep.ref();
    // No pass now: were it gone already, its SIGCHLD (blocked, and read from the signalfd) brings one.
    return { pid, exited };
  }

  /** Pids of our direct children, live or zombie. */
  list(): number[] {
    if (!this.procAvailable) return [...this.waiting.keys()];
    const listed = this.childrenOf(0);
    if (!(listed instanceof SystemError)) return listed;
    // No /proc: only the children we started can be waited for.
    this.procAvailable = false;
    return [...this.waiting.keys()];
  }

  /** The children of `pid` (0: ours), live or zombie; an error when /proc cannot tell (`pid` is gone, say). */
  childrenOf(pid: number): number[] | SystemError {
    return childrenOf(pid);
  }

  get canReapOrphans(): boolean {
    return this.procAvailable;
  }

  private wake(): void {
    this.listingStale = true;
    this.schedulePass();
  }

  private schedulePass(): void {
    if (this.passScheduled) return;
    this.passScheduled = true;
    setImmediate(() => {
      this.passScheduled = false;
      this.pass();
    });
  }

  private pass(): void {
    const deadline = monotonicMs() + PASS_BUDGET_MS;
    for (;;) {
      if (this.unwaited.length === 0) {
        if (!this.listingStale) return;
        this.listingStale = false;
        this.unwaited = this.list();
      }
      const pid = this.unwaited.pop();
      if (pid === undefined) return;
      // An error is ECHILD: gone between listing and waiting.
      const raw = waitFor(pid);
      if (raw !== null && !(raw instanceof SystemError)) {
        const resolve = this.waiting.get(pid);
        if (resolve) {
          this.waiting.delete(pid);
          if (this.waiting.size === 0) this.sweep.unref();
          resolve(decodeWaitStatus(raw));
        } else {
          this.orphansReaped++;
        }
      }
      if (monotonicMs() > deadline) {
        this.schedulePass();
        return;
      }
    }
  }
}
