// One supervised service: what runit's runsv does for /etc/service/<name>.
// Keeps `./run` running, runs `./finish` after each exit, obeys the control
// FIFO, and writes supervise/ exactly as runsv does, so runit's `sv` works.
import {
  closeSync, constants, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { type Child, type Children, type ExitStatus, SpawnError } from '../children.ts';
import * as log from '../log.ts';
import type { Native } from '../native.ts';
import { unwritableReason } from '../runtime-dir.ts';
import { isRunnable } from '../scripts.ts';
import { delay } from '../waiting.ts';
import { CHANNEL_ENV, CHANNEL_FD } from '../svlogd/handoff-protocol.ts';
import type { LoggerHandoff } from './logger-handoff.ts';
import { cannotHoldHere, type SuperviseFallback } from './location.ts';
import { encodeStatus, renderPid, renderStat, type Status } from './status.ts';

export interface ServiceContext {
  readonly children: Children;
  readonly native: Native;
  readonly env: ReadonlyMap<string, string>;
  readonly killProcessTimeout: number;
  /** Seconds to wait before restarting a run that lived under a second; doubles while that repeats. */
  readonly restartDelay: number;
  readonly restartDelayMax: number;
  /** fd of /dev/null, the stdin of every service but a logger. */
  readonly devNull: number;
  /** fd the services' stderr goes to (runsvdir's log argument); default 2. */
  readonly stderr?: number;
  /** Where supervise/ goes for a directory that cannot hold it; null: such a directory is not supervised. */
  readonly superviseFallback: SuperviseFallback | null;
  /** A service marked `critical` has failed too often in a row. */
  readonly onCriticalFailure: (directory: string, failures: number) => void;
}

/** A service's stdin and stdout; a logger's stdin is the pipe from its service, and an svlogd it runs may hand its work to us. */
export interface ServiceIo {
  isLogger: boolean;
  stdin: number;
  stdout: number;
  handoff?: LoggerHandoff;
}

/** A run that lived this long was healthy: runit's throttle and our backoff start over. */
const HEALTHY_RUN_MS = 1000;
/** A run of a critical service that lives this long breaks its row of failures. */
const CRITICAL_RESET_MS = 60_000;
const DEFAULT_CRITICAL_FAILURES = 3;
/** How much of a `critical` file that is not a number its warning quotes: a line, not the file. */
const CRITICAL_SHOWN = 40;


export class Service {
  readonly directory: string;
  private readonly context: ServiceContext;
  private readonly isLogger: boolean;
  private readonly stdin: number;
  private readonly stdout: number;
  /** A logger's: an svlogd it runs may hand its work to us. */
  private readonly handoff: LoggerHandoff | null;
  private readonly stderr: number;
  private status: Status;
  private runStartedAt = 0;
  private shortRuns = 0;
  private failuresInARow = 0;
  /** The last failure to start each file (run, finish) reported: a retry that fails the same way says nothing. */
  private readonly lastStartFailure = new Map<string, string>();
  /** The content of `critical` last warned about: each restart reads it again. */
  private criticalWarned: string | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** The supervise/ directory in use: the service directory's, or the runtime directory's for it. */
  private supervise = '';
  private control: Socket | null = null;
  private readonly heldFds: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private downWaiters: Array<() => void> = [];
  private closed = false;
  /** Called once supervision has ended after `sv exit`. */
  onExit: (() => void) | null = null;
  /** For the status endpoint (src/health/): read only there, never acted on. */
  readonly counters: ServiceCounters = { starts: 0, failures: 0, lastExit: null };

  private constructor(directory: string, context: ServiceContext, io: ServiceIo) {
    this.directory = directory;
    this.context = context;
    this.isLogger = io.isLogger;
    this.stdin = io.stdin;
    this.stdout = io.stdout;
    this.stderr = context.stderr ?? 2;
    this.handoff = io.handoff ?? null;
    this.status = { changedAt: Date.now(), pid: 0, paused: false, want: 'up', gotTerm: false, state: 'down' };
  }

  /**
   * Takes over a service directory: supervise/ with its lock and FIFOs, then
   * `./run` unless a `down` file says otherwise. An Error when the directory
   * cannot be supervised (another supervisor holds its lock, say).
   */
  static open(directory: string, context: ServiceContext, io: ServiceIo): Service | SuperviseError {
    const service = new Service(directory, context, io);
    const problem = service.claim();
    if (problem) {
      service.releaseFds();
      return problem;
    }
    service.status.want = exists(join(directory, 'down')) ? 'down' : 'up';
    service.writeStatus(true);
    if (service.status.want === 'up') service.startRun();
    return service;
  }

  get pid(): number {
    return this.status.pid;
  }

  /** What supervise/status says, for the status endpoint. */
  get current(): Readonly<Status> {
    return this.status;
  }

  /** A control byte from within (runsv's TERM is `x`), queued as one read from supervise/control. */
  request(byte: string): void {
    this.enqueue(() => this.command(byte));
  }

  /**
   * supervise/ in the service directory, as runsv keeps it; when the
   * directory cannot hold it (read-only, or not ours), under the runtime
   * directory instead (see location.ts), where our sv looks too.
   */
  private claim(): SuperviseError | null {
    const here = this.setUp(join(this.directory, 'supervise'), false);
    if (here === null) return null;
    const fallback = this.context.superviseFallback;
    if (!cannotHoldHere(here.code) || fallback === null) return here.error;
    this.releaseFds();
    const elsewhere = fallback(this.directory, unwritableReason(here.code, process.geteuid?.() ?? 0));
    if (elsewhere instanceof Error) {
      return new SuperviseError(`${here.error.message}, and ${elsewhere.message}`, here.error.runitMessage);
    }
    return this.setUp(elsewhere, true)?.error ?? null;
  }

  /** Takes `supervise` (its lock, FIFOs and files); the error, with the errno code behind it, when it cannot. */
  private setUp(supervise: string, inRuntime: boolean): { error: SuperviseError; code?: string } | null {
    this.supervise = supervise;
    try {
      // In the service directory, supervise may be a symlink (to a tmpfs, say): create what it points to.
      const link = inRuntime ? undefined : lstatSync(supervise, { throwIfNoEntry: false });
      if (link?.isSymbolicLink()) {
        mkdirSync(resolve(this.directory, readlinkSync(supervise)), { recursive: true, mode: 0o700 });
      } else {
        // One level in the service directory, as runsv makes it (a recursive mkdir says ENOENT where it meant EROFS).
        makeDirectory(supervise, inRuntime);
      }
      const lock = openSync(join(supervise, 'lock'), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o600);
      this.heldFds.push(lock);
      if (!this.context.native.flock(lock, false)) {
        return {
          error: new SuperviseError(
            `${this.directory} is supervised by another process (${inRuntime ? join(supervise, 'lock') : 'supervise/lock'} is held)`,
            'unable to lock supervise/lock: temporary failure',
          ),
        };
      }
      for (const fifo of ['control', 'ok']) {
        try {
          this.context.native.mkfifo(join(supervise, fifo), 0o600);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
      // Open for reading and writing: we then never see end-of-file, as runsv.
      const control = openSync(join(supervise, 'control'), constants.O_RDWR | constants.O_NONBLOCK);
      this.heldFds.push(control);
      // Held open for reading: `sv` tells a live supervisor by being able to open it for writing.
      this.heldFds.push(openSync(join(supervise, 'ok'), constants.O_RDONLY | constants.O_NONBLOCK));
      this.control = new Socket({ fd: control, readable: true, writable: false });
      this.control.on('data', (bytes: Buffer) => {
        for (const byte of bytes.toString('latin1')) this.enqueue(() => this.command(byte));
      });
      this.control.on('error', () => {});
      return null;
    } catch (error) {
      const message = (error as Error).message;
      return {
        error: new SuperviseError(`cannot supervise ${this.directory}: ${message}`, `unable to set up supervise/: ${message}`),
        code: (error as NodeJS.ErrnoException).code,
      };
    }
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task, task);
  }

  /** One control byte, as runsv reads it from supervise/control. */
  private async command(byte: string): Promise<void> {
    if (this.closed) return;
    switch (byte) {
      case 'u':
        this.status.want = 'up';
        this.writeStatus();
        if (this.status.state === 'down' && this.restartTimer === null) this.startRun();
        return;
      case 'o':
        this.status.want = 'down';
        this.writeStatus();
        if (this.status.state === 'down') {
          this.cancelRestart();
          this.startRun();
        }
        return;
      case 'd':
        this.status.want = 'down';
        this.cancelRestart();
        await this.terminate('d');
        return;
      case 'x':
        if (this.isLogger) return; // runsv ignores exit on log/supervise/control.
        this.status.want = 'exit';
        this.cancelRestart();
        await this.terminate('x');
        if (this.status.state === 'down') this.close();
        return;
      case 'p':
      case 'c':
        if (!(await this.override(byte))) this.signal(byte === 'p' ? 'SIGSTOP' : 'SIGCONT');
        this.status.paused = byte === 'p';
        this.writeStatus();
        return;
      default: {
        const signal = SIGNAL_COMMANDS[byte];
        if (signal === undefined) return; // Unknown bytes are ignored, as by runsv.
        if (await this.override(byte)) return;
        this.signal(signal);
        if (signal === 'SIGTERM' && this.status.state === 'run') {
          this.status.gotTerm = true;
          this.writeStatus();
        }
      }
    }
  }

  /** For `d` and `x`: control/t (or SIGTERM), SIGCONT, then control/d or control/x. */
  private async terminate(byte: 'd' | 'x'): Promise<void> {
    if (this.status.state === 'run') {
      if (!(await this.override('t'))) {
        this.signal('SIGTERM');
        this.status.gotTerm = true;
      }
      this.signal('SIGCONT');
    }
    this.writeStatus();
    await this.override(byte);
  }

  /** Runs control/<byte> when it is executable; true when it succeeded (and replaces our own action). */
  private async override(byte: string): Promise<boolean> {
    const script = join(this.directory, 'control', byte);
    if (!isRunnable(script)) return false;
    try {
      const child = this.spawnInDirectory([`control/${byte}`]);
      return (await child.exited).code === 0;
    } catch (error) {
      log.warn(this.describeStartFailure(`control/${byte}`, error));
      return false;
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (this.status.state !== 'run' || this.status.pid === 0) return;
    try {
      process.kill(this.status.pid, signal);
    } catch {
      // Exited just now; the exit handler will see to it.
    }
  }

  /** `channel`: a logger's end of the hand-off channel, its fd 3. */
  private spawnInDirectory(argv: string[], channel?: number): Child {
    return this.context.children.spawn({
      argv,
      env: channel === undefined ? this.context.env : new Map(this.context.env).set(CHANNEL_ENV, String(CHANNEL_FD)),
      cwd: this.directory,
      stdio: channel === undefined ? [this.stdin, this.stdout, this.stderr] : [this.stdin, this.stdout, this.stderr, channel],
      // As under `runsvdir -P`: out of the terminal's foreground group, so Ctrl-C reaches only the main command.
      group: 'own-session',
    });
  }

  private startRun(): void {
    if (this.closed) return;
    this.runStartedAt = Date.now();
    let child: Child;
    const channel = this.handoff?.channel();
    try {
      child = this.spawnInDirectory(['./run'], channel?.childEnd);
    } catch (error) {
      channel?.abandon();
      this.reportStartFailure('./run', error);
      this.afterDown();
      return;
    }
    channel?.attach(child.pid);
    this.counters.starts++;
    this.lastStartFailure.delete('./run');
    this.status = { ...this.status, pid: child.pid, state: 'run', gotTerm: false, changedAt: Date.now() };
    this.writeStatus(true);
    void child.exited.then((exit) => this.enqueue(async () => this.runExited(exit)));
  }

  /** Why a file of the service could not be started, naming it by its full path. */
  private describeStartFailure(file: string, error: unknown): string {
    if (!(error instanceof SpawnError)) return String(error);
    return error.message.replace(file, join(this.directory, file));
  }

  /** Says why `file` (run or finish) could not start, unless the last attempt failed the same way. */
  private reportStartFailure(file: string, error: unknown): void {
    const message = this.describeStartFailure(file, error);
    if (this.lastStartFailure.get(file) !== message) log.warn(message);
    this.lastStartFailure.set(file, message);
  }

  private async runExited(exit: ExitStatus): Promise<void> {
    this.counters.lastExit = exit;
    // As `critical` counts them: an exit nobody asked for, not with 0.
    if (this.status.want === 'up' && !this.status.gotTerm && exit.code !== 0) this.counters.failures++;
    this.countFailure(exit);
    this.status = { ...this.status, pid: 0, gotTerm: false };
    if (isRunnable(join(this.directory, 'finish'))) {
      // ./finish <exit code | -1> <signal | 0>, as runsv passes them.
      const args = exit.signal === null ? [String(exit.code), '0'] : ['-1', String(exit.raw & 0xff)];
      try {
        const finish = this.spawnInDirectory(['./finish', ...args]);
        this.lastStartFailure.delete('./finish');
        this.status = { ...this.status, pid: finish.pid, state: 'finish', changedAt: Date.now() };
        this.writeStatus(true);
        await finish.exited;
      } catch (error) {
        this.reportStartFailure('./finish', error);
      }
    }
    this.status = { ...this.status, pid: 0, state: 'down', changedAt: Date.now() };
    this.writeStatus(true);
    this.afterDown();
  }

  /**
   * A service with a `critical` file (holding how many failures in a row to
   * bear, default 3) stops the container when its run keeps failing: an exit
   * that nobody asked for, with a non-zero code or by a signal.
   */
  private countFailure(exit: ExitStatus): void {
    const limit = this.criticalLimit();
    if (limit === null) return;
    const unexpected = this.status.want === 'up' && !this.status.gotTerm;
    if (Date.now() - this.runStartedAt >= CRITICAL_RESET_MS || exit.code === 0) this.failuresInARow = 0;
    if (!unexpected || exit.code === 0) return;
    this.failuresInARow++;
    if (this.failuresInARow >= limit) this.context.onCriticalFailure(this.directory, this.failuresInARow);
  }

  private criticalLimit(): number | null {
    let text: string;
    try {
      text = readFileSync(join(this.directory, 'critical'), 'utf8').trim();
    } catch {
      return null;
    }
    if (text === '') return DEFAULT_CRITICAL_FAILURES;
    if (/^[1-9]\d*$/.test(text)) return Number(text);
    if (text !== this.criticalWarned) {
      this.criticalWarned = text;
      const shown = text.length > CRITICAL_SHOWN ? `${text.slice(0, CRITICAL_SHOWN)}...` : text;
      log.warn(`Warning: ${join(this.directory, 'critical')} should hold a number of failures, not ${JSON.stringify(shown)}; using ${DEFAULT_CRITICAL_FAILURES}.`);
    }
    return DEFAULT_CRITICAL_FAILURES;
  }

  /** Ready: not wanted up, or running and passing `./check` (when there is one), as `sv check` sees it. */
  async isReady(): Promise<boolean> {
    if (this.status.want !== 'up') return true;
    if (this.status.state !== 'run') return false;
    if (!exists(join(this.directory, 'check'))) return true;
    try {
      const child = this.context.children.spawn({
        argv: ['./check'], env: this.context.env, cwd: this.directory, stdio: [this.context.devNull, this.context.devNull, 2], group: 'own-session',
      });
      return (await child.exited).code === 0;
    } catch {
      return false;
    }
  }

  private afterDown(): void {
    for (const resolve of this.downWaiters.splice(0)) resolve();
    if (this.status.want === 'exit') {
      this.close();
      return;
    }
    if (this.status.want !== 'up' || this.closed) return;
    const lived = Date.now() - this.runStartedAt;
    if (lived >= HEALTHY_RUN_MS) {
      this.shortRuns = 0;
      this.startRun();
      return;
    }
    // runit waits a second before restarting a run that lived less than one;
    // while that keeps happening, the wait doubles, up to restartDelayMax.
    this.shortRuns++;
    const seconds = Math.min(this.context.restartDelay * 2 ** (this.shortRuns - 1), this.context.restartDelayMax);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.status.want === 'up' && this.status.state === 'down') this.startRun();
    }, seconds * 1000);
  }

  private cancelRestart(): void {
    if (this.restartTimer !== null) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  private untilDown(seconds: number): Promise<boolean> {
    if (this.status.state === 'down') return Promise.resolve(true);
    const timer = delay(seconds);
    return Promise.race([
      new Promise<boolean>((resolve) => this.downWaiters.push(() => resolve(true))),
      timer.promise.then(() => false),
    ]).finally(() => timer.cancel());
  }

  /**
   * At shutdown: as `sv force-stop` did in the reference, SIGTERM (and
   * SIGCONT), then SIGKILL after KILL_PROCESS_TIMEOUT. A logger is first given
   * up to KILL_PROCESS_TIMEOUT to drain its pipe and stop at end of input (its
   * service is down by then, so that comes at once), so that no line is lost.
   */
  async stop(): Promise<void> {
    if (this.closed) return;
    // A logger waiting out its restart delay starts now: what its service wrote is still in the pipe.
    const drainNow = this.isLogger && this.restartTimer !== null && this.status.state === 'down';
    this.status.want = 'down';
    this.cancelRestart();
    if (drainNow) this.startRun();
    if (this.isLogger && (await this.untilDown(this.context.killProcessTimeout))) {
      this.close();
      return;
    }
    await new Promise<void>((resolve) => this.enqueue(async () => resolve(await this.terminate('d'))));
    if (!(await this.untilDown(this.context.killProcessTimeout))) {
      const pid = this.status.pid;
      log.warn(`${this.directory} (PID ${pid}) did not shut down in time. Forcing it to exit.`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
      await this.untilDown(this.context.killProcessTimeout);
    }
    this.close();
  }

  /** Ends supervision: the FIFOs and the lock are let go. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelRestart();
    this.control?.destroy();
    this.control = null;
    this.releaseFds();
    this.onExit?.();
  }

  private releaseFds(): void {
    for (const fd of this.heldFds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // The Socket closed it already.
      }
    }
  }

  /** status, stat and (when the pid changed) pid, each replaced atomically as runsv does. */
  private writeStatus(pidChanged = false): void {
    const supervise = this.supervise;
    try {
      replaceFile(join(supervise, 'status'), encodeStatus(this.status));
      replaceFile(join(supervise, 'stat'), renderStat(this.status));
      if (pidChanged) replaceFile(join(supervise, 'pid'), renderPid(this.status.pid));
    } catch (error) {
      // ENOENT: the service directory was removed, and its supervision is ending.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log.warn(`Warning: cannot update ${supervise}: ${code ?? error}`);
    }
  }
}

export interface ServiceCounters {
  /** Runs of ./run started: restarts are all but the first. */
  starts: number;
  /** Exits of ./run that nobody asked for (want up, no TERM sent), other than with 0. */
  failures: number;
  lastExit: ExitStatus | null;
}

/** A directory that cannot be supervised; `runitMessage` is runsv's wording for it, after `fatal: `. */
export class SuperviseError extends Error {
  readonly runitMessage: string;
  constructor(message: string, runitMessage: string) {
    super(message);
    this.runitMessage = runitMessage;
  }
}

const SIGNAL_COMMANDS: Record<string, NodeJS.Signals> = {
  t: 'SIGTERM', k: 'SIGKILL', h: 'SIGHUP', a: 'SIGALRM', i: 'SIGINT', q: 'SIGQUIT', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

/** mkdir with mode 0700; an existing directory is fine. `parents`: make the missing ones too, 0700 as well. */
function makeDirectory(path: string, parents: boolean): void {
  try {
    mkdirSync(path, { recursive: parents, mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) throw error;
  }
}

function replaceFile(path: string, content: string | Uint8Array): void {
  const temp = `${path}.new`;
  writeFileSync(temp, content, { mode: 0o644 });
  renameSync(temp, path);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
