// Every process my_init starts, and every orphan that comes to it, ends here.
//
// Reaping never calls waitpid(-1): the reaper lists our children from
// /proc/self/task/*/children and waits for each by pid, so it could never take
// an exit status that belongs to someone else. Each pass is bounded in time so
// an orphan storm cannot stall the event loop: a pass that runs out of time
// leaves the rest of its list to the next turn. SIGCHLD asks for a fresh list,
// and a sweep every 30 s covers anything a coalesced signal might hide.
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { SIGNALS, isSignalName } from './linux-signals.ts';
import * as log from './log.ts';
import type { Native } from './native.ts';
import { monotonicMs } from './waiting.ts';

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
  group?: 'inherit' | 'own-group' | 'own-session';
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
export function processEnvironment(): Map<string, string> {
  return new Map(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

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
    const bytes = Buffer.byteLength(entry) + 1;
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
    try {
      // Most directories of PATH do not have it: no exception (and its stack) for each.
      if (!statSync(candidate, { throwIfNoEntry: false })?.isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  return new SpawnError(name, denied ? 'EACCES' : 'ENOENT');
}

const GROUP_MODES = { inherit: 0, 'own-group': 1, 'own-session': 2 } as const;
const PASS_BUDGET_MS = 5;
// Every exit raises SIGCHLD, which starts a pass; the sweep is only a safety
// net, kept rare so that an idle init costs no CPU.
const SWEEP_INTERVAL_MS = 30_000;

export class Children {
  /** null: the addon could not be loaded; libuv starts and reaps our own children, orphans stay zombies. */
  private readonly native: Native | null;
  private readonly waiting = new Map<number, (status: ExitStatus) => void>();
  private passScheduled = false;
  /** Listed, not yet waited for: what a pass that ran out of time left. */
  private unwaited: number[] = [];
  /** Something may have exited since the last listing. */
  private listingStale = true;
  /** Ref'd exactly while someone waits for a child, so that the wait keeps the process alive. */
  private readonly sweep: NodeJS.Timeout;
  private procAvailable = true;
  /** Where a child starts when its spec names no directory; undefined: ours. */
  private readonly defaultCwd: string | undefined;
  orphansReaped = 0;

  constructor(native: Native | null, { defaultCwd }: { defaultCwd?: string } = {}) {
    this.native = native;
    this.defaultCwd = defaultCwd;
    this.sweep = setInterval(() => this.wake(), SWEEP_INTERVAL_MS).unref();
    if (native === null) return;
    process.on('SIGCHLD', () => this.wake());
  }

  spawn(spec: SpawnSpec): Child {
    const file = spec.file ?? spec.argv[0];
    const cwd = spec.cwd ?? this.defaultCwd;
    const resolved = resolveExecutable(file ?? '', spec.env.get('PATH'), cwd);
    if (resolved instanceof SpawnError) throw resolved;
    const envp = environmentStrings(spec.env);
    if (this.native === null) return this.spawnWithLibuv(resolved, { ...spec, cwd }, envp);
    let pid: number;
    try {
      pid = this.native.spawn(
        resolved,
        spec.argv,
        envp,
        cwd ?? null,
        spec.stdio ?? [0, 1, 2],
        GROUP_MODES[spec.group ?? 'inherit'],
        spec.foregroundTerminal ?? -1,
      );
    } catch (error) {
      throw new SpawnError(file ?? '', (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN');
    }
    const exited = new Promise<ExitStatus>((resolve) => this.waiting.set(pid, resolve));
    this.sweep.ref();
    // No pass now: were it gone already, its SIGCHLD (our handler was in place first) brings one.
    return { pid, exited };
  }

  /**
   * Without the addon: no process group or terminal for the child, and libuv
   * reaps it. libuv reports a failed exec later; it becomes exit code 127/126.
   */
  private spawnWithLibuv(file: string, spec: SpawnSpec, envp: readonly string[]): Child {
    // Loaded only here: node:child_process (and the stream modules under it) cost start-up time.
    const { spawn: libuvSpawn } = require('node:child_process') as typeof import('node:child_process');
    const env = Object.fromEntries(envp.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
    const child = libuvSpawn(file, spec.argv.slice(1), {
      argv0: spec.argv[0],
      env,
      cwd: spec.cwd,
      // libuv cannot leave an fd closed; /dev/null is the nearest.
      stdio: (spec.stdio ?? [0, 1, 2]).map((fd) => (fd < 0 ? 'ignore' : fd)),
    });
    const exited = new Promise<ExitStatus>((resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        const failure = new SpawnError(spec.argv[0] ?? file, error.code ?? 'EUNKNOWN');
        log.error(failure.message);
        resolve(decodeWaitStatus(exitCodeForSpawnError(failure) << 8));
      });
      child.on('exit', (code, signal) => {
        const signalNumber = signal === null || !isSignalName(signal) ? 0 : SIGNALS[signal];
        resolve(decodeWaitStatus(signal === null ? (code ?? 0) << 8 : signalNumber));
      });
    });
    return { pid: child.pid ?? -1, exited };
  }

  /** Pids of our direct children, live or zombie. */
  list(): number[] {
    if (!this.procAvailable) return [...this.waiting.keys()];
    try {
      return this.childrenOf(0);
    } catch {
      // No /proc: only the children we started can be waited for.
      this.procAvailable = false;
      return [...this.waiting.keys()];
    }
  }

  /** The children of `pid` (0: ours), live or zombie; throws when /proc cannot tell (`pid` is gone, say). */
  childrenOf(pid: number): number[] {
    if (this.native !== null) return this.native.listChildren(pid);
    const pids: number[] = [];
    const tasks = `/proc/${pid === 0 ? 'self' : pid}/task`;
    for (const task of readdirSync(tasks)) {
      for (const word of readFileSync(`${tasks}/${task}/children`, 'latin1').split(' ')) if (word !== '') pids.push(Number(word));
    }
    return pids;
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
    if (this.native === null) return;
    const deadline = monotonicMs() + PASS_BUDGET_MS;
    for (;;) {
      if (this.unwaited.length === 0) {
        if (!this.listingStale) return;
        this.listingStale = false;
        this.unwaited = this.list();
      }
      const pid = this.unwaited.pop();
      if (pid === undefined) return;
      let raw: number | null;
      try {
        raw = this.native.waitpid(pid);
      } catch {
        raw = null; // ECHILD: gone between listing and waiting.
      }
      if (raw !== null) {
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
