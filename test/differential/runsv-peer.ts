// Debian's runsv as the peer of the sv under test: a case's setup starts one on
// a service directory of its working directory (the same for both sides), and
// its cleanup stops it with everything it started.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const started = new Map<string, number[]>();

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** A FIFO, as runsv makes supervise/ok and control (Node's fs has no mkfifo). */
export function mkfifoSync(path: string): void {
  execFileSync('mkfifo', ['-m', '600', path]);
}

/** Writes an executable shell script. */
export function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A service directory with `./run` (and `log/run` when given), and other files by name. */
export function makeService(directory: string, run: string, extra: { log?: string; files?: Record<string, string> } = {}): void {
  mkdirSync(directory, { recursive: true });
  writeScript(join(directory, 'run'), run);
  if (extra.log !== undefined) {
    mkdirSync(join(directory, 'log'));
    writeScript(join(directory, 'log', 'run'), extra.log);
  }
  for (const [name, content] of Object.entries(extra.files ?? {})) writeFileSync(join(directory, name), content);
}

/** runsv holds supervise/ok open and has started ./run (unless a `down` file keeps it down). */
function supervised(directory: string): boolean {
  try {
    closeSync(openSync(join(directory, 'supervise', 'ok'), constants.O_WRONLY | constants.O_NONBLOCK));
    const status = readFileSync(join(directory, 'supervise', 'status'));
    return status.length === 20 && (status.readUInt32LE(12) !== 0 || existsSync(join(directory, 'down')));
  } catch {
    return false;
  }
}

/** What `runsv` (as the binary under `program`) is: which directory's processes to stop at cleanup. */
export function startRunsv(work: string, service: string, program = '/usr/bin/runsv'): number {
  const child = spawn(program, [service], { cwd: work, detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid ?? -1;
  started.set(work, [...(started.get(work) ?? []), pid]);
  const directory = join(work, service);
  for (let waited = 0; !supervised(directory) || (hasLog(directory) && !supervised(join(directory, 'log'))); waited += 10) {
    if (waited > 20_000) throw new Error(`runsv did not take over ${directory}`);
    sleep(10);
  }
  return pid;
}

function hasLog(directory: string): boolean {
  try {
    return readFileSync(join(directory, 'log', 'run')).length > 0;
  } catch {
    return false;
  }
}

/** Waits for a file a service's run makes once it is ready to be signalled: on a busy machine the signal could come first. */
export function untilMade(path: string): void {
  for (let waited = 0; !existsSync(path); waited += 10) {
    if (waited > 20_000) throw new Error(`${path} was never made`);
    sleep(10);
  }
}

/** Waits until Debian's sv sees the service in `state` (its status line starts so). */
export function untilStatus(work: string, service: string, pattern: RegExp): void {
  for (let waited = 0; ; waited += 20) {
    const line = spawnSync('/usr/bin/sv', ['status', service], { cwd: work, encoding: 'latin1', env: { SVDIR: work } }).stdout;
    if (pattern.test(line.trimEnd())) return;
    if (waited > 20_000) throw new Error(`${service} never matched ${pattern}: ${line}`);
    sleep(20);
  }
}

/** Runs Debian's sv (for a case's preconditions, not under test), then waits until every supervise/ is steady. */
export function realSv(work: string, ...args: string[]): void {
  spawnSync('/usr/bin/sv', args, { cwd: work, stdio: 'ignore', env: { SVDIR: work } });
  untilSteady(work);
}

/**
 * Waits until, in every supervise/ under `work`, stat and pid say what status
 * says: runsv replaces the three one after the other, and a snapshot must not
 * fall between them.
 */
export function untilSteady(work: string): void {
  const directories = findSupervise(work);
  for (let waited = 0; !directories.every(isSteady); waited += 10) {
    if (waited > 20_000) throw new Error(`supervise/ under ${work} never became steady`);
    sleep(10);
  }
}

function findSupervise(directory: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(directory, entry.name);
    if (entry.name === 'supervise') found.push(path);
    else found.push(...findSupervise(path));
  }
  return found;
}

function isSteady(supervise: string): boolean {
  let status: Buffer;
  let stat: string;
  let pid: string;
  try {
    status = readFileSync(join(supervise, 'status'));
    stat = readFileSync(join(supervise, 'stat'), 'latin1');
    pid = readFileSync(join(supervise, 'pid'), 'latin1');
  } catch {
    return true; // Not a live runsv's (stale, or never started).
  }
  if (status.length !== 20) return false;
  const number = status.readUInt32LE(12);
  let expected = ['down', 'run', 'finish'][status[19]!] ?? '?';
  if (status[16]) expected += ', paused';
  if (status[18]) expected += ', got TERM';
  const wants = status[19] !== 0 && status[17] === 0x64 ? [`${expected}, want down\n`, `${expected}, want exit\n`] : [`${expected}\n`];
  return wants.includes(stat) && pid === (number === 0 ? '' : `${number}\n`);
}

/** Kills every runsv started for `work` (or a directory in it), with their services (each runsv leads its own process group). */
export function stopRunsvs(work: string): void {
  for (const [directory, pids] of started) {
    if (directory !== work && !directory.startsWith(`${work}/`)) continue;
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    started.delete(directory);
  }
}

/** Status lines' pids and seconds, which differ from run to run. */
export const normalizeStatus = (text: string): string => text.replace(/\(pid \d+\)/g, '(pid PID)').replace(/ \d+s\b/g, ' Ns');

/**
 * supervise/ files without what differs by run: the pid's digits, and of the
 * binary status only its flags (whether a process runs, paused, want, TERM, state).
 */
export function normalizeSupervise(path: string, content: string): string {
  if (path.endsWith('supervise/pid')) return content.replace(/^\d+/, 'PID');
  if (!path.endsWith('supervise/status')) return content;
  const bytes = Buffer.from(content, 'latin1');
  if (bytes.length !== 20) return `<${bytes.length} bytes>`;
  return `pid=${bytes.readUInt32LE(12) === 0 ? 0 : 'PID'} paused=${bytes[16]} want=${String.fromCharCode(bytes[17]!)} term=${bytes[18]} state=${bytes[19]}`;
}

/** Whether a runsv (ours or Debian's) supervises `directory` and has started ./run (or it is down by a `down` file). */
export const isSupervised = supervised;

/** Appends what Debian's sv says (`sv ARGS`, its output, its exit code) to `observed` in `work`, for the comparison. */
export function observe(work: string, ...args: string[]): void {
  const result = spawnSync('/usr/bin/sv', args, { cwd: work, encoding: 'latin1', env: { SVDIR: work } });
  appendFileSync(join(work, 'observed'), `$ sv ${args.join(' ')}\n${result.stdout}${result.stderr}rc=${result.status}\n`);
}

/** Kills (SIGKILL) every process whose working directory is in `work`: what a supervisor that exited left running. */
export function killProcessesIn(work: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === work || cwd.startsWith(`${work}/`)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Gone, or not ours to look at.
    }
  }
}

/** Waits until no supervisor holds any supervise/ok under `work`. */
export function untilUnsupervised(work: string): void {
  for (let waited = 0; findSupervise(work).some((path) => isHeld(join(path, 'ok'))); waited += 20) {
    if (waited > 10_000) throw new Error(`a supervisor under ${work} did not exit`);
    sleep(20);
  }
}

function isHeld(fifo: string): boolean {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}
