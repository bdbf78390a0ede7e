// sv: runit's control client, for the services my_init supervises (and any
// runsv). Same commands, output lines and exit codes as runit 2.1.2's sv.
//   sv [-v] [-w SECONDS] COMMAND SERVICE...
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeStderr } from '../log.ts';
import { decodeStatus } from '../supervise/status.ts';

const USAGE = 'usage: sv [-v] [-w sec] command service ...\n';
const POLL_MS = 420;
const EXIT_USAGE = 100;

/** The command words, each with the bytes it writes and the state it waits for. */
interface Action {
  bytes: string;
  /** What -v / -w wait for; null: nothing to wait for. */
  waitFor: 'up' | 'down' | 'exit' | 'restart' | 'check' | null;
  /** Always wait (start, stop, ...), not only with -v or -w. */
  waits: boolean;
  /** On timeout, send `k` and report `kill:`. */
  force: boolean;
}

function action(word: string): Action | null {
  const simple = (bytes: string, waitFor: Action['waitFor']): Action => ({ bytes, waitFor, waits: false, force: false });
  const always = (bytes: string, waitFor: Action['waitFor'], force = false): Action => ({ bytes, waitFor, waits: true, force });
  switch (word) {
    case 'status': return { bytes: '', waitFor: null, waits: false, force: false };
    case 'start': return always('u', 'up');
    case 'stop': return always('d', 'down');
    case 'restart': return always('tcu', 'restart');
    case 'shutdown': return always('x', 'exit');
    case 'reload': return always('h', null);
    case 'force-stop': return always('d', 'down', true);
    case 'force-reload': return always('tc', 'restart', true);
    case 'force-restart': return always('tcu', 'restart', true);
    case 'force-shutdown': return always('x', 'exit', true);
    case 'try-restart': return always('tc', 'restart');
    case 'check': return always('', 'check');
  }
  // The rest are known by their first letter, as runit's sv reads them.
  switch (word[0]) {
    case 'u': return simple('u', 'up');
    case 'd': return simple('d', 'down');
    case 'o': return simple('o', 'up');
    case 'x': case 'e': return simple('x', 'exit');
    case 't': return simple('t', 'restart');
    case 'k': return simple('k', 'restart');
    case 'p': case 'c': case 'h': case 'a': case 'i': case 'q': case '1': case '2':
      return simple(word[0], null);
  }
  return null;
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'file does not exist', EACCES: 'access denied', ENOTDIR: 'not a directory', EAGAIN: 'temporary failure',
};
const errnoText = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return ERRNO_TEXT[code] ?? code;
};

class Failure extends Error {}

/** One service as sv sees it: its directory and the name it was called by. */
class Target {
  readonly name: string;
  readonly directory: string;
  startedAt = Math.floor(Date.now() / 1000);

  constructor(name: string, serviceDirectory: string) {
    this.name = name;
    const qualified = name.startsWith('/') || name.startsWith('.') || name.endsWith('/');
    this.directory = qualified ? name : join(serviceDirectory, name);
  }

  private path(...parts: string[]): string {
    return join(this.directory, ...parts);
  }

  /** Throws Failure with sv's wording when no supervisor runs there. */
  checkSupervisor(directory = this.directory): void {
    if (!isDirectory(directory)) throw new Failure(`unable to change to service directory: ${errnoText({ code: 'ENOENT' })}`);
    let fd: number;
    try {
      fd = openSync(join(directory, 'supervise', 'ok'), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw new Failure('runsv not running');
      throw new Failure(`unable to open supervise/ok: ${errnoText(error)}`);
    }
    closeSync(fd);
  }

  status(directory = this.directory): ReturnType<typeof decodeStatus> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(directory, 'supervise', 'status'));
    } catch (error) {
      throw new Failure(`unable to read supervise/status: ${errnoText(error)}`);
    }
    const status = decodeStatus(bytes);
    if (status === null) throw new Failure('unable to read supervise/status: bad format');
    return status;
  }

  /** `run: NAME: (pid 123) 45s, normally down`, and `; run: log: ...` when there is a logger. */
  describe(): string {
    let text = this.describeOne(this.name, this.directory);
    if (isDirectory(this.path('log'))) {
      try {
        this.checkSupervisor(this.path('log'));
        text += `; ${this.describeOne('log', this.path('log'))}`;
      } catch (error) {
        if (!(error instanceof Failure)) throw error;
        text += `; fail: log: ${error.message}`;
      }
    }
    return text;
  }

  private describeOne(name: string, directory: string): string {
    const status = this.status(directory)!;
    const normallyUp = !existsSync(join(directory, 'down'));
    const seconds = Math.max(0, Math.floor(Date.now() / 1000) - Math.floor(status.changedAt / 1000));
    let text = `${status.state}: ${name}: `;
    if (status.pid !== 0) text += `(pid ${status.pid}) `;
    text += `${seconds}s`;
    if (status.pid !== 0 && !normallyUp) text += ', normally down';
    if (status.pid === 0 && normallyUp) text += ', normally up';
    if (status.pid !== 0 && status.paused) text += ', paused';
    if (status.pid === 0 && status.want === 'up') text += ', want up';
    if (status.pid !== 0 && status.want === 'down') text += ', want down';
    if (status.pid !== 0 && status.gotTerm) text += ', got TERM';
    return text;
  }

  /** Writes the command's bytes, except where the status says they would change nothing. */
  control(bytes: string): void {
    if (bytes === '') return;
    const status = this.status();
    // As runit's sv: no `u` when up is wanted already; `d` only while no TERM is pending.
    if (bytes.length === 1 && status) {
      if (bytes === 'u' && status.want === 'up') return;
      if (bytes === 'd' && status.want === 'down' && status.gotTerm) return;
    }
    let fd: number;
    try {
      fd = openSync(this.path('supervise', 'control'), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw new Failure('runsv not running');
      throw new Failure(`unable to open supervise/control: ${errnoText(error)}`);
    }
    try {
      writeSync(fd, bytes);
    } catch (error) {
      throw new Failure(`unable to write to supervise/control: ${errnoText(error)}`);
    } finally {
      closeSync(fd);
    }
  }

  /** ./check, run in the service directory with stdout closed; absent means fine. */
  checkScript(): boolean {
    if (!existsSync(this.path('check'))) return true;
    const result = spawnSync('./check', [], { cwd: this.directory, stdio: ['ignore', 'ignore', 'inherit'] });
    return result.status === 0;
  }

  /** Whether the state that `waitFor` asks for has been reached. */
  reached(waitFor: NonNullable<Action['waitFor']>): boolean {
    if (waitFor === 'exit') {
      try {
        this.checkSupervisor();
        return false;
      } catch {
        return true;
      }
    }
    const status = this.status()!;
    const up = (): boolean => status.pid !== 0 && status.state === 'run' && this.checkScript();
    switch (waitFor) {
      case 'up':
        return up();
      case 'down':
        return status.pid === 0 && status.state === 'down';
      case 'restart':
        return Math.floor(status.changedAt / 1000) >= this.startedAt && status.pid !== 0 && !status.gotTerm && this.checkScript();
      case 'check':
        // As runit's sv: whatever state is wanted, a running service must pass ./check.
        return status.pid === 0 || this.checkScript();
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export function main(args: string[]): never {
  let verbose = false;
  let waitSeconds = Number(process.env.SVWAIT ?? 7);
  let words = args;
  while (words[0]?.startsWith('-') && words[0] !== '-') {
    const flag = words[0];
    if (flag === '-v') {
      verbose = true;
      words = words.slice(1);
    } else if (flag.startsWith('-w')) {
      const value = flag.length > 2 ? flag.slice(2) : words[1];
      if (value === undefined || !/^\d+$/.test(value)) return usage();
      waitSeconds = Number(value);
      verbose = true;
      words = words.slice(flag.length > 2 ? 1 : 2);
    } else {
      return usage();
    }
  }
  const [word, ...names] = words;
  const chosen = word === undefined ? null : action(word);
  if (chosen === null || names.length === 0) return usage();
  if (!Number.isFinite(waitSeconds)) waitSeconds = 7;
  const serviceDirectory = process.env.SVDIR || '/etc/service';

  let failures = 0;
  const say = (line: string): void => void writeSync(1, `${line}\n`);
  const pending: Target[] = [];
  for (const name of names) {
    const target = new Target(name, serviceDirectory);
    try {
      target.checkSupervisor();
      if (word === 'status') {
        say(target.describe());
        continue;
      }
      target.control(chosen.bytes);
      if (chosen.waitFor !== null && (verbose || chosen.waits)) pending.push(target);
    } catch (error) {
      if (!(error instanceof Failure)) throw error;
      say(`${word === 'exit' || word === 'shutdown' ? 'ok' : 'fail'}: ${name}: ${error.message}`);
      if (word !== 'exit' && word !== 'shutdown') failures++;
    }
  }

  const deadline = Date.now() + waitSeconds * 1000;
  while (pending.length > 0) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const target = pending[i]!;
      try {
        if (!target.reached(chosen.waitFor!)) continue;
        say(chosen.waitFor === 'exit' ? `ok: ${target.name}: runsv not running` : `ok: ${target.describe()}`);
      } catch (error) {
        if (!(error instanceof Failure)) throw error;
        say(`fail: ${target.name}: ${error.message}`);
        failures++;
      }
      pending.splice(i, 1);
    }
    if (pending.length === 0) break;
    if (Date.now() >= deadline) {
      for (const target of pending) {
        failures++;
        try {
          if (chosen.force) target.control('k');
          say(`${chosen.force ? 'kill' : 'timeout'}: ${target.describe()}`);
        } catch (error) {
          if (!(error instanceof Failure)) throw error;
          say(`${chosen.force ? 'kill' : 'timeout'}: ${target.name}: ${error.message}`);
        }
      }
      break;
    }
    sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
  process.exit(Math.min(failures, 99));
}

function usage(): never {
  writeStderr(USAGE);
  process.exit(EXIT_USAGE);
}
