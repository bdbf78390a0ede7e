// Runs dist/my_init as a real PID 1 (unshare) over a throw-away /etc, so that
// tests use the real paths and leave nothing behind on the machine.
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
/** The executable under test: dist/my_init, or MY_INIT_TEST_BINARY (npm run test:arm64 sets it to the arm64 one). */
export const BINARY = resolve(ROOT, process.env.MY_INIT_TEST_BINARY || join('dist', 'my_init'));

/**
 * How many times longer each wait of the harness and of the tests may last:
 * MY_INIT_TEST_TIME_SCALE, a whole number, 1 unless set. Under qemu each start
 * of the executable costs over a second of CPU instead of 30 ms, and all of its
 * JavaScript runs many times slower; the waits are bounds, never measurements.
 */
export const TIME_SCALE = readTimeScale(process.env.MY_INIT_TEST_TIME_SCALE ?? '1');
function readTimeScale(text: string): number {
  // Whole: the shell's wait_for does integer arithmetic with it.
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`MY_INIT_TEST_TIME_SCALE must be a whole number of at least 1, not "${text}"`);
  return Number(text);
}
export const scaled = (ms: number): number => ms * TIME_SCALE;
const SANDBOX = join(import.meta.dirname, 'sandbox.sh');

export const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  HOSTNAME: 'sandbox',
};

export type FileSpec =
  | string
  | { content: string | Uint8Array; mode?: number; gid?: number }
  | { directory: true; mode?: number }
  | { symlink: string };

/** Shell helpers for a test's main command: `wait_for CONDITION [SECONDS]` polls a condition (default 8 s; both scaled). */
export const PRELUDE = `
wait_for() {
  deadline=$(( $(date +%s) + \${2:-8} * ${TIME_SCALE} ))
  until eval "$1"; do
    if [ "$(date +%s)" -gt "$deadline" ]; then echo "wait_for timed out: $1"; return 1; fi
    sleep 0.02
  done
}
`;

/** A shell script, executable. */
export function script(body: string): FileSpec {
  return { content: `#!/bin/sh\n${body}\n`, mode: 0o755 };
}

/** The layout the image provides: the environment directory and its dumps. */
export const IMAGE_ENV_LAYOUT: Record<string, FileSpec> = {
  '/etc/container_environment': { directory: true, mode: 0o700 },
  '/etc/container_environment.sh': { content: '', mode: 0o640, gid: 8377 },
  '/etc/container_environment.json': { content: '', mode: 0o640, gid: 8377 },
};

export interface RunOptions {
  args: string[];
  env?: Record<string, string>;
  files?: Record<string, FileSpec>;
  /** Without the environment directory, as outside baseimage. Default: with it. */
  noEnvLayout?: boolean;
  timeoutMs?: number;
  /**
   * Keep stdout and stderr apart. By default both go to one pipe, so that `all`
   * is in the exact order written; `stderr` is then my_init's `*** ` lines and
   * `stdout` the rest.
   */
  separateStreams?: boolean;
  /** No writable directory allows executing a file (a read-only container with noexec tmpfs mounts). */
  noExecDirectories?: boolean;
  /** A cgroup directory (cgroup.procs inside) that my_init and everything it starts run in. */
  cgroup?: string;
  /**
   * A nearly full disk: the sandbox's writes land on a small tmpfs that is filled
   * before my_init starts, leaving this many bytes (a multiple of 4096) free.
   */
  diskFreeBytes?: number;
  /** The directory my_init starts in (default `/`), as an image's WORKDIR; create it with `files`. */
  cwd?: string;
  /** my_init as a child of the sandbox's shell, which stays PID 1, instead of PID 1 itself. */
  notPid1?: boolean;
  /** A command put before my_init's, which sets something up and execs the rest (so that my_init keeps its pid). */
  launcher?: string[];
  /**
   * As a restricted container runs: as `user` ("UID:GID", no groups, no
   * capabilities) and/or with a read-only root; /run and /tmp are then fresh
   * tmpfs of its own (/run root's, /tmp for all).
   */
  restricted?: { user?: string; readOnlyRoot?: boolean };
  /** Called once my_init runs; may signal it through `init.signal()`. */
  during?: (init: RunningInit) => Promise<void>;
  /**
   * Called with the fixture's root once `files` are in it, before the sandbox copies it over `/`:
   * for what a FileSpec cannot say (a FIFO, a name that is not UTF-8). Write only under its etc/.
   */
  setup?: (fixture: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved (in the exact order written, unless separateStreams). */
  all: string;
  exitCode: number;
  durationMs: number;
  /** Reads a file as my_init left it in the sandbox's /etc, or null. */
  etcFile(path: string): Buffer | null;
  /** The directory of the sandbox's writes, for a test that wants to look further. */
  scratch: string;
}

export interface RunningInit {
  /** PID of my_init as the machine (not the namespace) sees it. */
  hostPid(): Promise<number>;
  signal(name: NodeJS.Signals): Promise<void>;
  /** Resolves when the combined output matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  output(): string;
}

/** Where withMain puts a test's main command. */
export const MAIN = '/etc/test-main';

/**
 * Runs my_init --quiet with the given shell script (after PRELUDE) as its main command, kept
 * in a file so that the command line my_init prints cannot be mistaken for output, and
 * SVDIR=/etc/service, so that `sv status NAME` works with bare names.
 */
export function withMain(body: string, options: Omit<RunOptions, 'args'> = {}): RunOptions {
  return {
    ...options,
    args: ['--quiet', '--', MAIN],
    env: { SVDIR: '/etc/service', ...options.env },
    files: { ...options.files, [MAIN]: script(PRELUDE + body) },
  };
}

/** Only these are overlays in the sandbox: a fixture anywhere else would land on the machine. */
const SANDBOXED = ['/etc/', '/usr/sbin/'];

function writeFixture(root: string, files: Record<string, FileSpec>): void {
  for (const [path, spec] of Object.entries(files)) {
    if (!SANDBOXED.some((prefix) => path.startsWith(prefix))) {
      throw new Error(`fixture ${path} is outside the sandbox's overlays (${SANDBOXED.join(', ')})`);
    }
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof spec === 'string') {
      writeFileSync(target, spec);
    } else if ('directory' in spec) {
      mkdirSync(target, { recursive: true });
      chmodSync(target, spec.mode ?? 0o755);
    } else if ('symlink' in spec) {
      symlinkSync(spec.symlink, target);
    } else {
      writeFileSync(target, spec.content);
      chmodSync(target, spec.mode ?? 0o644);
      if (spec.gid !== undefined) chownSync(target, 0, spec.gid);
    }
  }
}

export async function runInit(options: RunOptions): Promise<RunResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'my_init-test-'));
  if (options.diskFreeBytes !== undefined) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SMALL_DISK_BYTES + options.diskFreeBytes},mode=0700`, 'tmpfs', scratch]);
  }
  const fixture = join(scratch, 'fixture');
  mkdirSync(fixture);
  writeFixture(fixture, { ...(options.noEnvLayout ? {} : IMAGE_ENV_LAYOUT), ...options.files });
  options.setup?.(fixture);

  const started = performance.now();
  const child = execa(
    'unshare',
    [
      '--pid', '--fork', '--mount-proc', '--mount', '--propagation', 'private', '--kill-child',
      SANDBOX,
      ...(options.separateStreams ? [] : ['--merge-output']),
      ...(options.noExecDirectories ? ['--no-exec-dirs'] : []),
      ...(options.cgroup === undefined ? [] : ['--cgroup', options.cgroup]),
      ...(options.diskFreeBytes === undefined ? [] : ['--fill-scratch', String(options.diskFreeBytes)]),
      ...(options.restricted === undefined ? [] : ['--private-tmp', dirname(BINARY)]),
      ...(options.restricted?.readOnlyRoot ? ['--read-only'] : []),
      ...(options.restricted?.user === undefined ? [] : ['--user', options.restricted.user]),
      ...(options.cwd === undefined ? [] : ['--cwd', options.cwd]),
      ...(options.notPid1 ? ['--not-pid1'] : []),
      scratch, fixture, ...(options.launcher ?? []), BINARY, ...options.args,
    ],
    {
      env: { ...BASE_ENV, ...options.env },
      extendEnv: false,
      all: true,
      reject: false,
      stdin: 'ignore',
      timeout: scaled(options.timeoutMs ?? 30_000),
      killSignal: 'SIGKILL',
    },
  );
  let output = '';
  child.all.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const running: RunningInit = {
    async hostPid() {
      // A sandbox with many fixture files takes a while to set up.
      const deadline = performance.now() + scaled(20_000);
      while (performance.now() < deadline) {
        const pid = child.pid === undefined ? null : findInit(child.pid, options.notPid1 ?? false);
        if (pid !== null) return pid;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('my_init did not start');
    },
    async signal(name) {
      process.kill(await running.hostPid(), name);
    },
    async waitForOutput(pattern, timeoutMs = 10_000) {
      const deadline = performance.now() + scaled(timeoutMs);
      while (!pattern.test(output)) {
        if (performance.now() > deadline) throw new Error(`no output matching ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    output: () => output,
  };
  if (options.during) await options.during(running);
  const result = await child;
  const durationMs = performance.now() - started;
  const lines = result.all.split('\n');
  const fromInit = (line: string) => line.startsWith('*** ');
  return {
    stdout: options.separateStreams ? result.stdout : lines.filter((line) => !fromInit(line)).join('\n'),
    stderr: options.separateStreams ? result.stderr : lines.filter(fromInit).join('\n'),
    all: result.all,
    exitCode: result.exitCode ?? 128 + 9,
    durationMs,
    scratch,
    etcFile(path: string) {
      try {
        return readFileSync(join(scratch, 'etc.upper', path.replace(/^\/etc\//, '')));
      } catch {
        return null;
      }
    },
  };
}

/**
 * my_init's pid under unshare (`root`). Its child, the sandbox's shell, becomes
 * my_init by exec, so its pid is my_init's as soon as it names the binary among
 * its arguments; with notPid1 that shell stays, and my_init is its child that
 * runs the binary (argv[0]).
 */
function findInit(root: number, notPid1: boolean): number | null {
  const children = (pid: number): number[] => {
    try {
      const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
      return text === '' ? [] : text.split(' ').map(Number);
    } catch {
      return []; // Gone meanwhile.
    }
  };
  const argv = (pid: number): string[] => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    } catch {
      return [];
    }
  };
  const shell = children(root)[0];
  if (shell === undefined || !argv(shell).includes(BINARY)) return null;
  if (!notPid1) return shell;
  // The executable itself, not a fork of the shell that has yet to exec (its argv names BINARY
  // among the sandbox's arguments). Under qemu-user the emulator comes first.
  return children(shell).find((pid) => {
    const [first, second] = argv(pid);
    return first === BINARY || second === BINARY;
  }) ?? null;
}

/** What the fixture and the sandbox's own files need on the small disk of `diskFreeBytes`. */
const SMALL_DISK_BYTES = 4 * 1024 * 1024;

function isMountPoint(path: string): boolean {
  const own = statSync(path, { throwIfNoEntry: false });
  return own !== undefined && own.dev !== statSync(dirname(path)).dev;
}

export function cleanUp(result: RunResult): void {
  // The small disk of `diskFreeBytes` is a tmpfs mounted on the scratch directory.
  if (isMountPoint(result.scratch)) execFileSync('umount', [result.scratch]);
  rmSync(result.scratch, { recursive: true, force: true });
}

/** runInit for a test that needs only the output and exit code. */
export async function runAndClean(options: RunOptions): Promise<RunResult> {
  const result = await runInit(options);
  cleanUp(result);
  return result;
}
