// node:child_process for the test host: spawnSync, for the tests that run a
// shell (or python3, touch, qemu) and read what it printed. The child's output
// goes to temporary files, read once it has exited: no pipe to drain while
// waiting, so nothing can fill up and block it. The wait polls: spawnSync
// holds the whole process, as Node's does.
import { SystemError } from '../../../src/system/errors.ts';
import * as files from '../../../src/system/files.ts';
import { waitUntilReady } from '../../../src/system/loop.ts';
import { signalName } from '../../../src/linux-signals.ts';
import { pid as ownPid, spawn, waitFor } from '../../../src/system/processes.ts';
import { NodeBytes, process } from './globals.ts';
import { tmpdir } from './os.ts';

type Stdio = 'pipe' | 'ignore' | 'inherit';

export interface SpawnSyncOptions {
  stdio?: Stdio | readonly [Stdio, Stdio, Stdio];
  env?: Record<string, string | undefined>;
  cwd?: string;
  encoding?: 'utf8' | 'buffer';
  input?: string | Uint8Array;
  /** Accepted, and without effect: the output goes to files. */
  maxBuffer?: number;
}

export interface SpawnSyncResult<T> {
  pid: number;
  status: number | null;
  signal: string | null;
  stdout: T;
  stderr: T;
  output: [null, T, T];
  error?: Error;
}

const KNOWN_OPTIONS = ['stdio', 'env', 'cwd', 'encoding', 'input', 'maxBuffer'];

function must<T>(result: T | SystemError): T {
  if (result instanceof SystemError) throw result;
  return result;
}

/** execvp's search, for the command as Node takes it. */
function findCommand(command: string, path: string | undefined): string {
  if (command.includes('/')) return command;
  for (const directory of (path ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = `${directory === '' ? '.' : directory}/${command}`;
    const info = files.stat(candidate);
    if (!(info instanceof SystemError) && info.isFile() && files.access(candidate, files.X_OK) === undefined) return candidate;
  }
  return command;
}

let scratchCount = 0;
/** A new temporary file, open for reading and writing, and its path. */
function scratchFile(): [number, string] {
  for (;;) {
    const path = `${tmpdir()}/my_init-spawnSync-${ownPid}-${scratchCount++}-${Math.random().toString(36).slice(2)}`;
    const fd = files.open(path, files.O_RDWR | files.O_CREAT | files.O_EXCL, 0o600);
    if (!(fd instanceof SystemError)) return [fd, path];
    if (fd.code !== 'EEXIST') throw fd;
  }
}

/** Sleeps `ms`: poll(2) on no descriptor. */
const sleep = (ms: number): void => void waitUntilReady(-1, 0, ms);

export function spawnSync(command: string, args: readonly string[] = [], options: SpawnSyncOptions = {}): SpawnSyncResult<NodeBytes | string> {
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(name)) throw new Error(`spawnSync in the test host has no option ${name} (test/host/shims/child_process.ts)`);
  }
  const stdio = typeof options.stdio === 'string' || options.stdio === undefined ? [options.stdio ?? 'pipe', options.stdio ?? 'pipe', options.stdio ?? 'pipe'] : options.stdio;
  const env = options.env ?? process.env;
  const opened: number[] = [];
  const captures: Array<string | null> = [null, null];
  try {
    const fds = stdio.map((mode, i) => {
      if (mode === 'inherit') return i;
      if (i === 0) {
        if (mode === 'ignore' || options.input === undefined) {
          const fd = must(files.open('/dev/null', files.O_RDONLY));
          opened.push(fd);
          return fd;
        }
        const [fd, path] = scratchFile();
        opened.push(fd);
        must(files.writeAll(fd, options.input));
        const reader = must(files.open(path, files.O_RDONLY));
        opened.push(reader);
        must(files.unlink(path));
        return reader;
      }
      if (mode === 'ignore') {
        const fd = must(files.open('/dev/null', files.O_WRONLY));
        opened.push(fd);
        return fd;
      }
      const [fd, path] = scratchFile();
      opened.push(fd);
      captures[i - 1] = path;
      return fd;
    });
    const envp = Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined).map(([name, value]) => `${name}=${value}`);
    const pid = spawn({ file: findCommand(command, env.PATH), argv: [command, ...args], envp, cwd: options.cwd ?? null, fds, group: 'inherit', terminal: -1 });
    const encode = (bytes: Uint8Array): NodeBytes | string => {
      const wrapped = new NodeBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);
      return options.encoding === 'utf8' ? wrapped.toString() : wrapped;
    };
    if (pid instanceof SystemError) {
      const none = encode(new Uint8Array(0));
      const error = new SystemError(pid.errno, `spawnSync ${command}`, command);
      return { pid: 0, status: null, signal: null, stdout: none, stderr: none, output: [null, none, none], error };
    }
    let raw: number | null = null;
    for (let pause = 1; raw === null; pause = Math.min(pause * 2, 20)) {
      raw = must(waitFor(pid));
      if (raw === null) sleep(pause);
    }
    const [stdout, stderr] = captures.map((path) => encode(path === null ? new Uint8Array(0) : must(files.readFile(path)))) as [NodeBytes | string, NodeBytes | string];
    const signal = raw & 0x7f;
    return {
      pid, status: signal === 0 ? (raw >> 8) & 0xff : null, signal: signal === 0 ? null : signalName(signal),
      stdout, stderr, output: [null, stdout, stderr],
    };
  } finally {
    for (const fd of opened) files.close(fd);
    for (const path of captures) if (path !== null) files.unlink(path);
  }
}
