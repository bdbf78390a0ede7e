// Differential tests: one case runs once with Debian's runit program and once
// with ours (the same executable under the program's name), each in a fresh
// copy of the same working directory, and everything observable is compared:
// stdout, stderr, the exit code or signal, and the files left behind. Only
// what differs by nature (pids, times, TAI64N stamps, the scratch path) is
// normalized, and each case says which.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BINARY } from '../system/harness.ts';

export { BINARY };

/** Where Debian's runit package puts each program (personalities are links to chpst, named as runit's docs name them). */
const REAL: Record<string, string> = {
  chpst: '/usr/bin/chpst', envdir: '/usr/bin/chpst', envuidgid: '/usr/bin/chpst', pgrphack: '/usr/bin/chpst',
  setlock: '/usr/bin/chpst', setuidgid: '/usr/bin/chpst', softlimit: '/usr/bin/chpst',
  svlogd: '/usr/bin/svlogd', sv: '/usr/bin/sv', runsv: '/usr/bin/runsv', runsvdir: '/usr/bin/runsvdir',
  'update-service': '/usr/sbin/update-service',
};

export type Side = 'real' | 'ours';

/** A file as left behind: a directory, a link, or content with its mode. */
export type Entry = { kind: 'dir'; mode: number } | { kind: 'link'; target: string } | { kind: 'file'; mode: number; content: string };

export interface Outcome {
  stdout: string;
  stderr: string;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Every path under the working directory, relative to it, sorted. */
  files: Record<string, Entry>;
}

/** What a case may do while the program runs. */
export interface Running {
  readonly dir: string;
  readonly side: Side;
  readonly pid: number;
  write(text: string | Buffer): Promise<void>;
  /**
   * Sends `name` once the program sleeps in a system call (waiting for input, its signals unblocked).
   * runit's programs take a signal in a handler that only sets a flag, read after their poll returns:
   * one that comes while they are still at work is acted on at their next input, not at once, and a
   * case that waits for the effect would wait for nothing (seen with svlogd on a busy machine).
   */
  signal(name: NodeJS.Signals): Promise<void>;
  /** Polls (every 10 ms) until `check` holds; fails the case after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Closes the program's stdin. */
  end(): void;
  /** What the program has written to stderr so far (to wait for a message before the next step). */
  stderr(): string;
}

export interface Case {
  /** The program's name, as runit installs it (the link our side runs under). */
  program: string;
  /** `$DIR` in an argument is replaced by the working directory (an absolute path differs per run). */
  args: string[];
  /**
   * Run through a further link of this name to the program's link (as
   * `/etc/init.d/NAME -> /usr/bin/sv`): for programs that read the name they
   * are called by, such as sv's LSB mode.
   */
  calledAs?: string;
  /** Written to stdin, which is then closed (unless `during` is given: it writes and ends). */
  stdin?: string | Buffer;
  /**
   * Give `stdin` as a regular file instead of a pipe: each read then returns
   * exactly what it asks for, whatever the load (a pipe's reads return what
   * the writer has written by then). Not with `during`.
   */
  stdinFile?: boolean;
  env?: Record<string, string>;
  /** Fills the working directory (the program's cwd) before each run. */
  setup?: (dir: string) => void;
  during?: (run: Running) => Promise<void>;
  /** Applied to stdout, stderr and file contents and names, after the scratch path became $DIR. */
  normalize?: (text: string) => string;
  /** Applied after `normalize` to a file's content, by its (normalized) path: for binary files such as supervise/status. */
  normalizeFile?: (path: string, content: string) => string;
  /** Runs once the program has ended, before the snapshot: waits for what it set in motion (a supervisor's reaction). */
  after?: (dir: string) => void | Promise<void>;
  /** Runs after the comparison's snapshot, even when the case failed: stops what `setup` started. */
  cleanup?: (dir: string) => void;
  /** Leave these paths (relative, exact or ending in /) out of the comparison. */
  ignoreFiles?: (path: string) => boolean;
  timeoutMs?: number;
}

/** How long output may still arrive after the program exited, from processes it left running. */
const LINGERING_OUTPUT_MS = 500;

const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C' };

/** Runs the case once on one side. */
export async function runSide(c: Case, side: Side): Promise<Outcome> {
  const scratch = mkdtempSync(join(tmpdir(), `differential-${side}-`));
  try {
    const dir = join(scratch, 'work');
    const bin = join(scratch, 'bin');
    mkdirSync(dir);
    mkdirSync(bin);
    const target = side === 'real' ? REAL[c.program] : BINARY;
    if (target === undefined) throw new Error(`no Debian program is known for ${c.program}`);
    let executable = join(bin, c.program);
    symlinkSync(target, executable);
    if (c.calledAs !== undefined) {
      symlinkSync(executable, join(bin, c.calledAs));
      executable = join(bin, c.calledAs);
    }
    c.setup?.(dir);
    let stdinFd: number | undefined;
    if (c.stdinFile) {
      writeFileSync(join(scratch, 'stdin'), c.stdin ?? '');
      stdinFd = openSync(join(scratch, 'stdin'), 'r');
    }
    let outcome: Omit<Outcome, 'files'>;
    try {
      outcome = await execute(c, side, executable, dir, stdinFd);
    } finally {
      if (stdinFd !== undefined) closeSync(stdinFd);
    }
    await c.after?.(dir);
    const normalize = (text: string): string => (c.normalize ?? ((t) => t))(text.replaceAll(dir, '$DIR').replaceAll(scratch, '$SCRATCH'));
    return {
      stdout: normalize(outcome.stdout),
      stderr: normalize(outcome.stderr),
      code: outcome.code,
      signal: outcome.signal,
      files: snapshot(dir, normalize, c.ignoreFiles ?? (() => false), c.normalizeFile ?? ((_, content) => content)),
    };
  } finally {
    try {
      c.cleanup?.(join(scratch, 'work'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** Whether `pid` sleeps (state S) inside a system call (/proc/PID/syscall names one, not `running`). */
function sleepsInSyscall(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat[stat.lastIndexOf(')') + 2] !== 'S') return false;
    return !readFileSync(`/proc/${pid}/syscall`, 'latin1').startsWith('running');
  } catch {
    return false; // Gone: the caller's wait says so.
  }
}

function execute(c: Case, side: Side, executable: string, dir: string, stdinFd?: number): Promise<Omit<Outcome, 'files'>> {
  return new Promise((resolve, reject) => {
    const args = c.args.map((arg) => arg.replaceAll('$DIR', dir));
    const child = spawn(executable, args, { cwd: dir, env: { ...BASE_ENV, ...c.env }, stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'] });
    // Both piped, so never null; the typings cannot tell once stdin may be a descriptor.
    const [childStdout, childStderr] = [child.stdout, child.stderr] as [Readable, Readable];
    let stdout = '';
    let stderr = '';
    childStdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('latin1')));
    childStderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('latin1')));
    child.stdin?.on('error', () => {}); // A program that exits without reading its stdin.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${side} ${c.program} ${c.args.join(' ')}: still running after ${c.timeoutMs ?? 10_000} ms`));
    }, c.timeoutMs ?? 10_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
    // A supervisor that exits may leave processes holding its stdout and
    // stderr (runsvdir's runsv processes live on after TERM): take what was
    // written by then, and do not wait for end-of-file.
    child.on('exit', () => {
      setTimeout(() => {
        childStdout.destroy();
        childStderr.destroy();
      }, LINGERING_OUTPUT_MS).unref();
    });
    const running: Running = {
      dir,
      side,
      pid: child.pid ?? -1,
      write: (text) => new Promise((done, fail) => child.stdin?.write(text, (error) => (error ? fail(error) : done()))),
      signal: async (name) => {
        await running.until(() => sleepsInSyscall(running.pid), `a program idle enough to take ${name}`);
        child.kill(name);
      },
      end: () => child.stdin?.end(),
      stderr: () => stderr,
      until: async (check, what, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`${side} ${c.program}: gave up waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    };
    if (c.during) {
      c.during(running).then(() => running.end(), (error: unknown) => {
        child.kill('SIGKILL');
        reject(error);
      });
    } else {
      child.stdin?.end(c.stdin ?? '');
    }
  });
}

function snapshot(
  dir: string, normalize: (text: string) => string, ignore: (path: string) => boolean, normalizeFile: (path: string, content: string) => string,
): Record<string, Entry> {
  const files: Record<string, Entry> = {};
  const walk = (relative: string): void => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      // A live supervisor's write in flight (status.new, renamed over status at once), not its state.
      if (/(^|\/)supervise\/[^/]+\.new$/.test(path)) continue;
      const full = join(dir, path);
      const stat = lstatSync(full, { throwIfNoEntry: false });
      if (stat === undefined) continue; // Gone since the listing: the same kind of write in flight.
      // Names that normalize alike (rotated logs' @TAI64N names) stay apart, numbered in name order.
      let key = normalize(path);
      for (let n = 2; Object.hasOwn(files, key); n++) key = `${normalize(path)}#${n}`;
      if (ignore(key) || (stat.isDirectory() && ignore(`${key}/`))) continue;
      if (stat.isSymbolicLink()) {
        files[key] = { kind: 'link', target: normalize(readlinkSync(full)) };
      } else if (stat.isDirectory()) {
        files[key] = { kind: 'dir', mode: stat.mode & 0o7777 };
        walk(path);
      } else {
        let content = `<${stat.isFIFO() ? 'fifo' : 'special'}>`;
        if (stat.isFile()) {
          try {
            content = readFileSync(full).toString('latin1');
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // Renamed away meanwhile.
            throw error;
          }
        }
        files[key] = { kind: 'file', mode: stat.mode & 0o7777, content: normalizeFile(key, normalize(content)) };
      }
    }
  };
  walk('');
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Runs both sides (one after the other: a case may use fixed paths) and asserts that they agree. */
export async function assertSameAsRunit(c: Case): Promise<Outcome> {
  const real = await runSide(c, 'real');
  const ours = await runSide(c, 'ours');
  assert.deepEqual(ours, real, `${c.program} ${c.args.join(' ')}: ours differs from Debian's`);
  return ours;
}

/** TAI64N labels (`@4000…` with 24 hex digits) as svlogd writes them, in names and in lines. */
export const normalizeTai64n = (text: string): string => text.replace(/@[0-9a-f]{24}/g, '@TAI64N');
