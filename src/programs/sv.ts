// sv: runit's control client, for the services my_init supervises (and any
// runsv). Same commands, output lines and exit codes as runit 2.1.2's sv,
// down to its quirks (a log's warning in the middle of a status line).
//   sv [-v] [-w SECONDS] COMMAND SERVICE...
// Called by any other name (an init.d link), it is an LSB init script for the
// service of that name:  NAME [-w SECONDS] COMMAND, with LSB exit codes.
import { Children } from '../children.ts';
import { writeStderr, writeStdout } from '../log.ts';
import { errorText } from '../runit-errors.ts';
import { parseRunitOptions } from '../runit-options.ts';
import { passesCheck } from '../supervise/check-script.ts';
import { openLiveOk } from '../supervise/location.ts';
import { parseReadiness, READINESS_FILE } from '../supervise/readiness.ts';
import { STATUS_BYTES, TAI64_EPOCH } from '../supervise/status.ts';
import { SystemError } from '../system/errors.ts';
import { changeDirectory, close, currentDirectory, O_NONBLOCK, O_RDONLY, O_WRONLY, open, read, readText, stat, write } from '../system/files.ts';
import { setTimeout } from '../system/loop.ts';
import { basename, join } from '../system/path.ts';
import { env, exit } from '../system/processes.ts';
import { latin1 } from '../system/text.ts';

declare const MY_INIT_VERSION: string;

const POLL_MS = 420;
const DEFAULT_WAIT_SECONDS = 7;

/** What one pass over a service did: -1 failed (drop it), 0 not yet, 1 done. */
type Outcome = -1 | 0 | 1;

/** Ended early, with this exit code (runit's done()). */
class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

class Sv {
  readonly lsb: boolean;
  readonly program: string;
  /** The bytes of the last supervise/status read: runit's sv reuses them even when a later read fails. */
  private readonly svstatus = new Uint8Array(STATUS_BYTES);
  private readonly view = new DataView(this.svstatus.buffer);
  /** Started on the first ./check to run. */
  private children: Children | null = null;
  private output = '';
  private service = '';
  private islog = false;
  /** The supervise/ directory of the service being looked at, as statusGet found it. */
  private supervise = 'supervise';
  /** Failures so far: the exit code. */
  rc = 0;
  acts = 's';
  /** Milliseconds since the epoch at start, and at the latest pass (runit's tstart, tnow). */
  readonly startedMs = Date.now();
  nowMs = this.startedMs;
  readonly startedAt = Math.floor(this.startedMs / 1000);

  constructor(program: string) {
    this.program = program;
    this.lsb = program !== 'sv';
  }

  usage(): never {
    writeStderr(`usage: ${this.program} ${this.lsb ? '[-w sec] command' : '[-v] [-w sec] command service ...'}\n\n`);
    throw new Exit(this.lsb ? 2 : 100);
  }

  fatal(message: string, error: SystemError): never {
    this.flush('');
    writeStderr(`${this.program}: fatal: ${message}: ${errorText(error)}\n`);
    throw new Exit(this.lsb ? 151 : 100);
  }

  outs(text: string): void {
    this.output += text;
  }

  flush(text: string): void {
    this.output += text;
    if (this.output !== '') writeStdout(this.output);
    this.output = '';
  }

  /** `PREFIX: SERVICE[/log]: MESSAGE[: ERROR]`, ending the line. */
  private out(prefix: string, message: string, error?: SystemError): void {
    this.flush(`${prefix}${this.service}${this.islog ? '/log' : ''}: ${message}${error === undefined ? '' : `: ${errorText(error)}`}\n`);
  }

  fail(message: string, error?: SystemError): void {
    this.rc++;
    this.out('fail: ', message, error);
  }

  warn(message: string, error?: SystemError): void {
    this.rc++;
    this.out('warning: ', message, error);
  }

  ok(message: string): void {
    this.out('ok: ', message);
  }

  /**
   * Runs `act` in the service's directory, then returns. As runit's sv: relative to $SVDIR unless
   * the name starts with / or . (or, at the command's first pass, is empty or ends with /: its
   * waiting passes test only the first character).
   */
  async inService(name: string, serviceDirectory: string, act: () => Outcome | Promise<Outcome>, waiting = false): Promise<Outcome> {
    this.service = name;
    const home = currentDirectory();
    try {
      const underSvdir = !name.startsWith('/') && !name.startsWith('.') && (waiting || (name !== '' && !name.endsWith('/')));
      const entered = (underSvdir ? changeDirectory(serviceDirectory) : undefined) ?? changeDirectory(name);
      if (entered !== undefined) {
        this.fail('unable to change to service directory', entered);
        return -1;
      }
      return await act();
    } finally {
      const back = changeDirectory(home);
      if (back !== undefined) this.fatal('unable to change to original directory', back);
    }
  }

  /** 1: read; 0: no runsv (said so); -1: could not tell (warned). */
  statusGet(): Outcome {
    // The ok FIFO of the current directory's live supervise/ (see location.ts).
    const opened = openLiveOk();
    this.supervise = opened.supervise;
    if ('error' in opened) {
      if (opened.error.code === 'ENXIO') {
        if (this.acts.startsWith('x')) this.ok('runsv not running');
        else this.fail('runsv not running');
        return 0;
      }
      this.warn('unable to open supervise/ok', opened.error);
      return -1;
    }
    close(opened.fd);
    const fd = open(join(this.supervise, 'status'), O_RDONLY);
    if (fd instanceof SystemError) {
      this.warn('unable to open supervise/status', fd);
      return -1;
    }
    const got = read(fd, this.svstatus, 0, STATUS_BYTES);
    close(fd);
    if (got instanceof SystemError) {
      this.warn('unable to read supervise/status', got);
      return -1;
    }
    if (got !== STATUS_BYTES) {
      this.warn('unable to read supervise/status: bad format');
      return -1;
    }
    return 1;
  }

  get pid(): number {
    return this.view.getUint32(12, true);
  }

  /** When the state last changed, in seconds since the epoch (a TAI64 label: big-endian, 2^62 + 10 at the epoch). */
  private get changedAt(): number {
    return Number(this.label - TAI64_EPOCH);
  }

  private get label(): bigint {
    return (BigInt(this.view.getUint32(0)) << 32n) | BigInt(this.view.getUint32(4));
  }

  /** Appends `run: NAME: (pid N) Ss, ...`; 1 when a process runs, 2 when down, 0 when it could not tell. */
  statusPrint(name: string): 0 | 1 | 2 {
    let normallyUp = false;
    const down = stat('down');
    if (down instanceof SystemError) {
      if (down.code !== 'ENOENT') {
        writeStderr(`warning: unable to stat ${this.service}/down: ${errorText(down)}\n`);
        return 0;
      }
      normallyUp = true;
    }
    const pid = this.pid;
    const [paused, want, gotTerm, state] = [this.svstatus[16], this.svstatus[17], this.svstatus[18], this.svstatus[19]];
    // As runit's sv: the word and the pid follow the state byte, whatever the pid says (a record
    // runsv would not write, pid≠0 and down, shows no pid), and the pid is a C int printed unsigned long.
    if (state === 0) this.outs('down: ');
    if (state === 1) this.outs('run: ');
    if (state === 2) this.outs('finish: ');
    this.outs(`${name}: `);
    if (state !== 0) this.outs(`(pid ${BigInt.asUintN(64, BigInt(pid | 0))}) `);
    // In whole 64-bit labels, as runit's sv: a stamp far from now (garbage) is still exact to the second.
    const now = TAI64_EPOCH + BigInt(Math.floor(this.nowMs / 1000));
    this.outs(`${now < this.label ? 0n : now - this.label}s`);
    if (pid !== 0 && !normallyUp) this.outs(', normally down');
    if (pid === 0 && normallyUp) this.outs(', normally up');
    if (pid !== 0 && paused !== 0) this.outs(', paused');
    if (pid === 0 && want === 0x75) this.outs(', want up');
    if (pid !== 0 && want === 0x64) this.outs(', want down');
    if (pid !== 0 && gotTerm !== 0) this.outs(', got TERM');
    if (pid !== 0 && state === 1) this.outs(this.readinessSuffix());
    return pid !== 0 ? 1 : 2;
  }

  /**
   * The readiness a service with `notify` or `notification-fd` told my_init, from
   * supervise/readiness: `, ready` or `, starting`, then its STATUS= text in
   * parentheses. After runit's own words, so that what parses runit's line parses
   * ours; nothing for any other service, whose line is runit's exactly.
   */
  private readinessSuffix(): string {
    const told = this.readReadiness();
    if (told === null) return '';
    // `; ` separates the log's part of the line.
    const text = told.statusText === null ? '' : ` (${told.statusText.replaceAll(';', ',')})`;
    return `, ${told.readiness}${text}`;
  }

  private readReadiness(): ReturnType<typeof parseReadiness> {
    const text = readText(join(this.supervise, READINESS_FILE));
    return text instanceof SystemError ? null : parseReadiness(text);
  }

  /** Ready for `sv start`/`check`: ./check passes, and a service that tells its readiness has said so. */
  private async ready(): Promise<boolean> {
    const told = this.readReadiness();
    if (told !== null && told.readiness !== 'ready') return false;
    return this.checkScript();
  }

  /** The status command: the service's line, and its log's after `; `. */
  status(): Outcome {
    const got = this.statusGet();
    if (got === -1 && this.lsb) throw new Exit(4);
    if (got !== 1) return 0;
    let shown = this.statusPrint(this.service);
    this.islog = true;
    const inLog = changeDirectory('log');
    if (inLog === undefined) {
      this.outs('; ');
      // As runit's sv: when only the log's status could not be read, the service's bytes are shown as the log's.
      if (this.statusGet() !== 0) {
        shown = this.statusPrint('log');
        this.outs('\n');
      }
    } else if (inLog.code === 'ENOENT') {
      this.outs('\n');
    } else {
      this.outs('; ');
      this.warn('unable to change directory', inLog);
    }
    this.islog = false;
    this.flush('');
    if (this.lsb) throw new Exit(shown === 1 ? 0 : shown === 2 ? 3 : 4);
    return 0;
  }

  /** Writes `bytes` to supervise/control, unless the status says the command would change nothing. */
  control(bytes: string): Outcome {
    if (this.statusGet() !== 1) return -1;
    const first = bytes.charCodeAt(0);
    if (this.svstatus[17] === first && (bytes[0] !== 'd' || this.svstatus[18] === 1)) return 0;
    const fd = open(join(this.supervise, 'control'), O_WRONLY | O_NONBLOCK);
    if (fd instanceof SystemError) {
      if (fd.code !== 'ENXIO') this.warn('unable to open supervise/control', fd);
      else if (bytes.startsWith('x')) this.ok('runsv not running');
      else this.fail('runsv not running');
      return -1;
    }
    const wrote = write(fd, latin1(bytes));
    close(fd);
    if (wrote instanceof SystemError) {
      this.warn('unable to write to supervise/control', wrote);
      return -1;
    }
    if (wrote !== bytes.length) {
      this.warn('unable to write to supervise/control');
      return -1;
    }
    return 1;
  }

  /** ./check of the current directory (see check-script.ts). */
  private checkScript(): Promise<boolean> {
    this.children ??= new Children();
    return passesCheck('.', this.service, this.children);
  }

  /** Whether each command of `acts` has taken effect; 1 prints `ok: STATUS`. */
  async check(acts: string): Promise<Outcome> {
    const got = this.statusGet();
    if (got === -1) return -1;
    for (const act of acts) {
      if (got === 0) return act === 'x' ? 1 : -1;
      const pid = this.pid;
      const [want, gotTerm, state] = [this.svstatus[17], this.svstatus[18], this.svstatus[19]];
      switch (act) {
        case 'x':
          return 0;
        case 'u':
          if (pid === 0 || state !== 1 || !(await this.ready())) return 0;
          break;
        case 'd':
          if (pid !== 0 || state !== 0) return 0;
          break;
        case 'C':
          if (pid !== 0 && !(await this.ready())) return 0;
          break;
        case 't':
        case 'k':
          if (pid === 0 && want === 0x64) break;
          if (this.startedAt > this.changedAt || pid === 0 || gotTerm !== 0 || !(await this.ready())) return 0;
          break;
        case 'o':
          if ((pid === 0 && this.startedAt > this.changedAt) || (pid !== 0 && want !== 0x64)) return 0;
          break;
        // As runit's sv: pause and cont wait for the paused byte of a running process.
        case 'p':
          if (pid !== 0 && this.svstatus[16] === 0) return 0;
          break;
        case 'c':
          if (pid !== 0 && this.svstatus[16] !== 0) return 0;
          break;
      }
    }
    this.outs('ok: ');
    this.statusPrint(this.service);
    this.flush('\n');
    return 1;
  }
}

/** What a command word asks: the bytes to send (null: none, as check), and whether to wait and kill on timeout. */
interface Command {
  acts: string;
  send: 'control' | 'status' | null;
  wait: boolean;
  kill: boolean;
}

/** A command word as runit's sv reads it (mostly by its first letter); null: usage. */
function command(word: string, lsb: boolean, verbose: boolean): Command | null {
  const waiting = (acts: string, kill = false): Command => ({ acts, send: 'control', wait: true, kill });
  const byLetter = (): Command => ({ acts: word[0]!, send: 'control', wait: verbose, kill: false });
  switch (word[0]) {
    case 'x': case 'e': return { acts: 'x', send: 'control', wait: verbose, kill: false };
    case 'X': case 'E': return waiting('x', true);
    case 'D': return waiting('d', true);
    case 'T': return waiting('tc', true);
    case 'c': return word === 'check' ? { acts: 'C', send: null, wait: true, kill: false } : byLetter();
    case 't': return word === 'try-restart' ? waiting('tc') : byLetter();
    case 'u': case 'd': case 'o': case 'p': case 'h': case 'a': case 'i': case 'k': case 'q': case '1': case '2':
      return byLetter();
    case 's':
      if (word === 'shutdown') return waiting('x');
      if (word === 'start') return waiting('u');
      if (word === 'stop') return waiting('d');
      if (lsb && word !== 'status') return null;
      return { acts: 's', send: 'status', wait: false, kill: false };
    case 'r':
      if (word === 'restart') return waiting('tcu');
      if (word === 'reload') return waiting('h');
      return null;
    case 'f':
      if (word === 'force-reload') return waiting('tc', true);
      if (word === 'force-restart') return waiting('tcu', true);
      if (word === 'force-shutdown') return waiting('x', true);
      if (word === 'force-stop') return waiting('d', true);
      return null;
  }
  return null;
}

async function run(sv: Sv, args: string[]): Promise<number> {
  let verbose = false;
  let wait = scanUlong(env.SVWAIT ?? String(DEFAULT_WAIT_SECONDS));
  const parsed = parseRunitOptions(args, 'w:vV');
  for (const option of parsed.options) {
    if (option.kind === 'error') {
      writeStderr(`${sv.program}: ${option.message}\n`);
      sv.usage();
    }
    if (option.letter === 'V') {
      writeStderr(`my_init ${MY_INIT_VERSION}\n`);
      sv.usage();
    }
    if (option.letter === 'w') wait = scanUlong(option.value);
    verbose = true;
  }
  const [word, ...rest] = parsed.operands;
  if (word === undefined) sv.usage();
  // In LSB mode the service is the name it was called by, and further arguments are ignored.
  const names = sv.lsb ? [sv.program] : rest;
  if (names.length === 0) sv.usage();
  const chosen = command(word, sv.lsb, verbose) ?? sv.usage();
  sv.acts = chosen.acts;
  // Set but empty is runit's too: a $SVDIR that no service is under.
  const serviceDirectory = env.SVDIR ?? '/etc/service/';

  const pending: string[] = [];
  for (const name of names) {
    const outcome = await sv.inService(name, serviceDirectory, () => {
      if (chosen.send === 'status') return sv.status();
      if (chosen.send === 'control') return sv.control(chosen.acts);
      return 0;
    });
    if (outcome !== -1 && chosen.wait) pending.push(name);
  }

  // In the order given, each pass 420 ms after the last, as runit's sv.
  while (pending.length > 0) {
    const elapsedSeconds = (sv.nowMs - sv.startedMs) / 1000;
    for (const name of [...pending]) {
      const outcome = await sv.inService(name, serviceDirectory, async () => {
        const reached = await sv.check(chosen.acts);
        if (reached !== 0 || elapsedSeconds <= wait) return reached;
        sv.outs(chosen.kill ? 'kill: ' : 'timeout: ');
        if (sv.statusGet() === 1) {
          sv.statusPrint(name);
          sv.rc++;
          if (chosen.kill) sv.control('k');
        }
        sv.flush('\n');
        return -1;
      }, true);
      if (outcome !== 0) pending.splice(pending.indexOf(name), 1);
    }
    if (pending.length === 0) break;
    await sleep(POLL_MS);
    sv.nowMs = Date.now();
  }
  if (sv.lsb) return sv.rc === 0 ? 0 : 1;
  return Math.min(sv.rc, 99);
}

export async function main(args: string[], calledAs: string): Promise<void> {
  const sv = new Sv(basename(calledAs));
  let code: number;
  try {
    code = await run(sv, args);
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  sv.flush('');
  exit(code);
}

/** As runit's scan_ulong: the leading digits, 0 when there are none. */
function scanUlong(text: string): number {
  const digits = /^\d*/.exec(text)![0];
  return digits === '' ? 0 : Number(digits);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => void setTimeout(resolve, ms));
