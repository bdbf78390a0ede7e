// One supervised service: what runit's runsv does for /etc/service/<name>.
// Keeps `./run` running, runs `./finish` after each exit, obeys the control
// FIFO, and writes supervise/ exactly as runsv does, so runit's `sv` works.
import { type Child, type Children, type ExitStatus, SpawnError } from '../children.ts';
import { SIGNALS, type SignalName } from '../linux-signals.ts';
import * as log from '../log.ts';
import { unwritableReason } from '../runtime-dir.ts';
import { isRunnable } from '../scripts.ts';
import { codeOf, must, SystemError } from '../system/errors.ts';
import {
  close as closeFd, exists, lock, makeDirectories, mkdir, mkfifo, O_APPEND, O_CREAT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY,
  open, pipe, readlink, readText, rename, stat, statIfAny, unlink, writeFile,
} from '../system/files.ts';
import { type Reader, readFrom } from '../system/input.ts';
import { clearTimeout, queueMicrotask, setTimeout, type Timer } from '../system/loop.ts';
import { join, resolve } from '../system/path.ts';
import { euid, kill } from '../system/processes.ts';
import { fromLatin1 } from '../system/text.ts';
import { CHANNEL_ENV, CHANNEL_FD } from '../svlogd/handoff-protocol.ts';
import { delay } from '../waiting.ts';
import { cannotHoldHere, type SuperviseFallback } from './location.ts';
import { encodeStatus, renderPid, renderStat, type Status } from './status.ts';
import type { NotifyMessage } from './notify-message.ts';
import type { LoggerHandoff } from './logger-handoff.ts';
import { type NotifySocket, openNotifySocket, sessionOf } from './notify-socket.ts';
import { READINESS_FILE, type Readiness, type ReadinessMechanism, renderReadiness } from './readiness.ts';
import { ServiceOptions } from './service-options.ts';

export interface ServiceContext {
  readonly children: Children;
  readonly env: ReadonlyMap<string, string>;
  readonly killProcessTimeout: number;
  /** Seconds to wait before restarting a run that lived under a second; doubles while that repeats. */
  readonly restartDelay: number;
  readonly restartDelayMax: number;
  /** fd of /dev/null, the stdin of every service but a logger. */
  readonly devNull: number;
  /** Where supervise/ goes for a directory that cannot hold it; null: such a directory is not supervised. */
  readonly superviseFallback: SuperviseFallback | null;
  /** A service marked `critical` has failed too often in a row. */
  readonly onCriticalFailure: (directory: string, failures: number) => void;
}

/** A service's stdin and stdout; a logger's stdin is the pipe from its service. */
export interface ServiceIo {
  isLogger: boolean;
  stdin: number;
  stdout: number;
  /** A logger's: an svlogd its run execs may hand its work to us. */
  handoff?: LoggerHandoff;
  /** Do not start `./run` when opened, until `release()`: the supervisor waits for its dependencies. */
  holdStart?: boolean;
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
  private readonly handoff: LoggerHandoff | null;
  private status: Status;
  private runStartedAt = 0;
  private shortRuns = 0;
  private failuresInARow = 0;
  /** The last failure to start each file (run, finish) reported: a retry that fails the same way says nothing. */
  private readonly lastStartFailure = new Map<string, string>();
  /** The content of `critical` last warned about: each restart reads it again. */
  private criticalWarned: string | null = null;
  private restartTimer: Timer | null = null;
  /** The supervise/ directory in use: the service directory's, or the runtime directory's for it. */
  private supervise = '';
  /** What reads supervise/control: it keeps the process alive while we supervise, as runsv lives for it. */
  private controlReader: Reader | null = null;
  private readonly heldFds: number[] = [];
  private queue: Promise<void> = Promise.resolve();
  private downWaiters: Array<() => void> = [];
  private closed = false;
  /** Its first start waits for the supervisor's `release()`; an `sv up` meanwhile starts it anyway. */
  private held: boolean;
  /** Called once supervision has ended after `sv exit`. */
  onExit: (() => void) | null = null;
  private readonly options: ServiceOptions;
  private readinessValue: Readiness = 'unready';
  private mechanism: ReadinessMechanism = 'running';
  private statusText: string | null = null;
  private readonly readinessListeners = new Set<(readiness: Readiness) => void>();
  /** The process of ./run (status.pid may be the MAINPID it announced). */
  private runPid = 0;
  private mainPid = 0;
  private notifySocket: NotifySocket | null = null;
  /** Stops reading a `notification-fd` pipe (and closes it), until the newline comes. */
  private stopNotification: (() => void) | null = null;
  private watchdogTimer: Timer | null = null;
  /** This run was stopped by its watchdog: a failure, however it exits. */
  private watchdogFired = false;
  /** SIGKILL at the end of the run's grace period (timeout-kill, or a watchdog's stop). */
  private killTimer: Timer | null = null;
  /** The supervise/readiness file has been written (and must be removed if the service stops using it). */
  private readinessFileWritten = false;
  /** For the status endpoint (src/health/): read only there, never acted on. */
  readonly counters: ServiceCounters = { starts: 0, failures: 0, lastExit: null };

  private constructor(directory: string, context: ServiceContext, io: ServiceIo) {
    this.directory = directory;
    this.context = context;
    this.isLogger = io.isLogger;
    this.stdin = io.stdin;
    this.stdout = io.stdout;
    this.handoff = io.handoff ?? null;
    this.held = io.holdStart ?? false;
    this.status = { changedAt: Date.now(), pid: 0, paused: false, want: 'up', gotTerm: false, state: 'down' };
    this.options = new ServiceOptions(directory);
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
    // One left by an earlier supervisor would describe a run that is gone.
    service.removeReadinessFile(true);
    // Starting now writes the status files itself.
    if (service.status.want === 'up' && !service.held) service.startRun();
    else service.writeStatus(true);
    return service;
  }

  get pid(): number {
    return this.status.pid;
  }

  get isRunning(): boolean {
    return this.status.state === 'run';
  }

  /** Still waiting for `release()`: neither released nor started by `sv up`. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Ends the hold; `start`: start `./run` now, if it is still wanted up (an `sv down` meanwhile wins). */
  release(start: boolean): void {
    if (!this.held) return;
    this.held = false;
    if (start && !this.closed && this.status.want === 'up' && this.status.state === 'down' && this.restartTimer === null) this.startRun();
  }

  /**
   * What the service last said about itself: `ready` (it said so, or it runs and has no
   * way to say it), `starting` (running, not yet ready; also while RELOADING=1),
   * `unready` (not running, or stopping). With a `check` script it stays `starting`
   * until a call of isReady() has seen the check pass.
   */
  get readiness(): Readiness {
    return this.readinessValue;
  }

  /** How this run tells its readiness (set at each start from the service's files). */
  get readinessMechanism(): ReadinessMechanism {
    return this.mechanism;
  }

  /** The last STATUS= the service sent in this run; null when none. */
  get statusMessage(): string | null {
    return this.statusText;
  }

  /** Called with the new readiness at each change; returns the function that stops it. */
  onReadinessChange(listener: (readiness: Readiness) => void): () => void {
    this.readinessListeners.add(listener);
    return () => this.readinessListeners.delete(listener);
  }

  private setReadiness(readiness: Readiness, force = false): void {
    if (readiness === this.readinessValue && !force) return;
    const changed = readiness !== this.readinessValue;
    this.readinessValue = readiness;
    this.writeReadinessFile();
    if (!changed) return;
    for (const listener of [...this.readinessListeners]) {
      try {
        listener(readiness);
      } catch (error) {
        log.warn(`Warning: a readiness listener of ${this.directory} failed: ${(error as Error).message}`);
      }
    }
  }

  private writeReadinessFile(): void {
    if (this.mechanism !== 'notify' && this.mechanism !== 'notification-fd') return;
    const failed = replaceFile(join(this.supervise, READINESS_FILE), renderReadiness(this.readinessValue, this.statusText));
    if (failed === undefined) this.readinessFileWritten = true;
    else if (failed.code !== 'ENOENT') log.warn(`Warning: cannot update ${join(this.supervise, READINESS_FILE)}: ${failed.code}`);
  }

  private removeReadinessFile(always = false): void {
    if (!this.readinessFileWritten && !always) return;
    this.readinessFileWritten = false;
    const path = join(this.supervise, READINESS_FILE);
    // Gone meanwhile (or never there): nothing to remove.
    const found = statIfAny(path, false);
    if (found !== null && !(found instanceof SystemError)) unlink(path);
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
    const elsewhere = fallback(this.directory, unwritableReason(here.code, euid()));
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
      const link = inRuntime ? null : must(statIfAny(supervise, false));
      if (link?.isSymbolicLink()) {
        must(makeDirectories(resolve(this.directory, must(readlink(supervise))), 0o700));
      } else {
        // One level in the service directory, as runsv makes it (a recursive mkdir says ENOENT where it meant EROFS).
        makeDirectory(supervise, inRuntime);
      }
      const lockFd = must(open(join(supervise, 'lock'), O_WRONLY | O_CREAT | O_APPEND, 0o600));
      this.heldFds.push(lockFd);
      if (!must(lock(lockFd))) {
        return {
          error: new SuperviseError(
            `${this.directory} is supervised by another process (${inRuntime ? join(supervise, 'lock') : 'supervise/lock'} is held)`,
            'unable to lock supervise/lock: temporary failure',
          ),
        };
      }
      for (const fifo of ['control', 'ok']) {
        const made = mkfifo(join(supervise, fifo), 0o600);
        if (made !== undefined && made.code !== 'EEXIST') throw made;
      }
      // Open for reading and writing: we then never see end-of-file, as runsv.
      const control = must(open(join(supervise, 'control'), O_RDWR | O_NONBLOCK));
      this.heldFds.push(control);
      // Held open for reading: `sv` tells a live supervisor by being able to open it for writing.
      this.heldFds.push(must(open(join(supervise, 'ok'), O_RDONLY | O_NONBLOCK)));
      this.controlReader = must(readFrom(control, (bytes) => {
        for (const byte of fromLatin1(bytes)) this.enqueue(() => this.command(byte));
      }, () => {}));
      return null;
    } catch (error) {
      const message = (error as Error).message;
      return {
        error: new SuperviseError(`cannot supervise ${this.directory}: ${message}`, `unable to set up supervise/: ${message}`),
        code: codeOf(error),
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

  /**
   * For `d` and `x`: control/t (or the down-signal, SIGTERM by default), SIGCONT, then
   * control/d or control/x. `armTimeoutKill`: with a `timeout-kill` file, SIGKILL follows
   * after it, as s6-supervise does (the shutdown has its own deadline).
   */
  private async terminate(byte: 'd' | 'x', armTimeoutKill = true): Promise<void> {
    if (this.status.state === 'run') {
      this.setReadiness('unready');
      if (!(await this.override('t'))) {
        this.signal(this.options.downSignal());
        this.status.gotTerm = true;
      }
      this.signal('SIGCONT');
      const timeoutKill = armTimeoutKill ? this.options.timeoutKillMs('no SIGKILL') : null;
      if (timeoutKill !== null) this.armKill(timeoutKill);
    }
    this.writeStatus();
    await this.override(byte);
  }

  /** SIGKILL to this run's processes after `ms`, unless it ends first. */
  private armKill(ms: number): void {
    if (this.killTimer !== null || this.status.state !== 'run') return;
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (this.status.state !== 'run') return;
      // An error is ESRCH: gone.
      for (const pid of new Set([this.runPid, this.mainPid])) if (pid !== 0) kill(pid, SIGNALS.SIGKILL);
    }, ms);
  }

  /** How long the service is given between its down-signal and SIGKILL. */
  private graceMs(): number {
    return this.options.timeoutKillMs(`KILL_PROCESS_TIMEOUT (${this.context.killProcessTimeout} s)`) ?? this.context.killProcessTimeout * 1000;
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

  private signal(signal: SignalName): void {
    if (this.status.state !== 'run' || this.status.pid === 0) return;
    // An error is ESRCH: exited just now; the exit handler will see to it.
    kill(this.status.pid, SIGNALS[signal]);
  }

  /** `extra`: variables and fds (at their numbers) that readiness gives ./run. */
  private spawnInDirectory(argv: string[], extra?: RunExtras): Child {
    let env: ReadonlyMap<string, string> = this.context.env;
    if (extra !== undefined && extra.env.length > 0) {
      const copy = new Map(this.context.env);
      for (const [name, value] of extra.env) copy.set(name, value);
      env = copy;
    }
    const stdio = [this.stdin, this.stdout, 2];
    for (const [fd, source] of extra?.fds ?? []) {
      while (stdio.length < fd) stdio.push(-1);
      stdio[fd] = source;
    }
    return this.context.children.spawn({
      argv,
      env,
      cwd: this.directory,
      stdio,
      // As under `runsvdir -P`: out of the terminal's foreground group, so Ctrl-C reaches only the main command.
      group: 'own-session',
    });
  }

  private startRun(): void {
    if (this.closed) return;
    this.held = false;
    this.runStartedAt = Date.now();
    let child: Child;
    const channel = this.handoff?.channel() ?? null;
    const plan = this.planReadiness(channel !== null);
    if (channel !== null) {
      plan.extras.env.push([CHANNEL_ENV, String(CHANNEL_FD)]);
      plan.extras.fds.push([CHANNEL_FD, channel.childEnd]);
    }
    this.notifySocket = plan.socket;
    try {
      child = this.spawnInDirectory(['./run'], plan.extras);
    } catch (error) {
      channel?.abandon();
      if (plan.pipe !== null) plan.pipe.forEach((fd) => closeFd(fd));
      this.notifySocket?.close();
      this.notifySocket = null;
      this.reportStartFailure('./run', error);
      // The status files say down, as after a run that exited: without them sv could not even `sv down` it.
      if (this.status.state !== 'down') this.status = { ...this.status, pid: 0, state: 'down', changedAt: Date.now() };
      this.writeStatus(true);
      this.afterDown();
      return;
    }
    channel?.attach(child.pid);
    this.counters.starts++;
    this.lastStartFailure.delete('./run');
    this.runPid = child.pid;
    this.mainPid = 0;
    this.watchdogFired = false;
    this.statusText = null;
    this.status = { ...this.status, pid: child.pid, state: 'run', gotTerm: false, changedAt: Date.now() };
    this.writeStatusSoon();
    this.mechanism = plan.mechanism;
    if (plan.mechanism !== 'notify' && plan.mechanism !== 'notification-fd') this.removeReadinessFile();
    this.setReadiness(plan.mechanism === 'running' ? 'ready' : 'starting', true);
    if (plan.pipe !== null) this.awaitNotification(plan.pipe);
    if (plan.watchdogMs !== null) this.startWatchdog(plan.watchdogMs);
    void child.exited.then((exit) => this.enqueue(async () => this.runExited(exit)));
  }

  /** What this start's files ask for: the readiness mechanism, and what ./run gets for it. `hasChannel`: a logger's fd 3 is taken. */
  private planReadiness(hasChannel: boolean): ReadinessPlan {
    const plan: ReadinessPlan = { mechanism: 'running', extras: { env: [], fds: [] }, pipe: null, socket: null, watchdogMs: null };
    const notify = this.options.notify();
    plan.watchdogMs = this.options.watchdogMs();
    if (notify || plan.watchdogMs !== null) {
      const socket = openNotifySocket({
        // NotifyAccess=all, bounded by the session: ./run, what it starts (unless it leaves the session), its MAINPID.
        // A sender already gone cannot be looked at; its datagram came to this run's own address, so it is taken.
        accepts: (pid, session) => this.runPid !== 0 && (pid === this.runPid || pid === this.mainPid || session === this.runPid || session === null),
        receive: (message) => this.notified(message),
      }, this.directory);
      if (socket instanceof Error) {
        this.warnOnce('notify', `Warning: ${this.directory} asks for notifications (${notify ? 'notify' : 'watchdog'}), but ${socket.message}; it is ready when running, with no watchdog.`);
        plan.watchdogMs = null;
      } else {
        plan.socket = socket;
        plan.extras.env.push(['NOTIFY_SOCKET', socket.address]);
        if (plan.watchdogMs !== null) plan.extras.env.push(['WATCHDOG_USEC', String(plan.watchdogMs * 1000)]);
        if (notify) plan.mechanism = 'notify';
      }
    }
    if (plan.mechanism === 'running') {
      let fd = this.options.notificationFd();
      if (fd !== null && hasChannel && fd === CHANNEL_FD) {
        this.warnOnce('notification-fd', `Warning: ${join(this.directory, 'notification-fd')} names fd ${fd}, which a logger's hand-off channel uses; not using it.`);
        fd = null;
      }
      const made = fd === null ? null : pipe();
      if (made instanceof SystemError) {
        this.warnOnce('notification-fd', `Warning: ${this.directory} asks for readiness on fd ${fd} (notification-fd), but cannot make its pipe: ${made.code}; it is ready when running.`);
      } else if (fd !== null && made !== null) {
        plan.pipe = made;
        plan.extras.fds.push([fd, made[1]]);
        plan.mechanism = 'notification-fd';
      }
    }
    if (plan.mechanism === 'running' && exists(join(this.directory, 'check'))) plan.mechanism = 'check';
    return plan;
  }

  private readonly warnedOnce = new Set<string>();
  private warnOnce(key: string, message: string): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    log.warn(message);
  }

  /** s6's notification-fd: ready at the first newline on the pipe; its write end is the service's now. */
  private awaitNotification([readEnd, writeEnd]: [number, number]): void {
    closeFd(writeEnd);
    let reader: Reader | null = null;
    const stop = (): void => {
      if (reader === null) return;
      reader.close();
      reader = null;
      closeFd(readEnd);
      if (this.stopNotification === stop) this.stopNotification = null;
    };
    const started = readFrom(readEnd, (bytes) => {
      if (!bytes.includes(0x0a)) return;
      stop();
      if (this.status.state === 'run' && this.readinessValue === 'starting') this.setReadiness('ready');
    }, stop); // End of file (or an error) without a newline: the service closed it, never ready in this run.
    if (started instanceof SystemError) {
      closeFd(readEnd);
      return;
    }
    reader = started;
    // The run keeps the process alive, not its pipe.
    reader.unref();
    this.stopNotification = stop;
  }

  private notified(message: NotifyMessage): void {
    if (this.status.state !== 'run') return;
    // Only a process of this service's session may become its main pid: nobody can point sv at another's.
    if (message.mainPid !== null && message.mainPid !== this.mainPid && sessionOf(message.mainPid) === this.runPid) {
      this.mainPid = message.mainPid;
      this.status.pid = message.mainPid;
      this.writeStatus(true);
    }
    if (message.watchdog) this.watchdogTimer?.refresh();
    const statusChanged = message.status !== null && message.status !== this.statusText;
    if (message.status !== null) this.statusText = message.status;
    if (this.mechanism === 'notify' && this.readinessValue !== 'unready') {
      if (message.stopping) this.setReadiness('unready');
      else if (message.reloading) this.setReadiness('starting');
      else if (message.ready) this.setReadiness('ready');
    } else if (message.stopping && this.readinessValue !== 'unready') {
      this.setReadiness('unready');
    }
    if (statusChanged) this.writeReadinessFile();
    if (message.watchdogTrigger) this.watchdogExpired('asked for it with WATCHDOG=trigger');
  }

  private startWatchdog(ms: number): void {
    this.watchdogTimer = setTimeout(() => this.watchdogExpired(`sent no WATCHDOG=1 for ${ms / 1000} s`), ms);
  }

  /** A hung run: its down-signal, SIGKILL after its grace period, and the usual restart. */
  private watchdogExpired(why: string): void {
    if (this.watchdogTimer !== null) clearTimeout(this.watchdogTimer);
    this.watchdogTimer = null;
    if (this.status.state !== 'run' || this.watchdogFired) return;
    this.watchdogFired = true;
    const signal = this.options.downSignal();
    const grace = this.graceMs();
    log.warn(`${this.directory} (PID ${this.status.pid}) ${why}: stopping it with ${signal} (SIGKILL after ${grace / 1000} s) to restart it.`);
    this.setReadiness('unready');
    this.signal(signal);
    this.signal('SIGCONT');
    this.armKill(grace);
  }

  /** What only a run needed: the watchdog, the kill timer, the notification channels. */
  private endRunExtras(): void {
    if (this.watchdogTimer !== null) clearTimeout(this.watchdogTimer);
    this.watchdogTimer = null;
    if (this.killTimer !== null) clearTimeout(this.killTimer);
    this.killTimer = null;
    this.stopNotification?.();
    this.stopNotification = null;
    this.notifySocket?.close();
    this.notifySocket = null;
    this.runPid = 0;
    this.mainPid = 0;
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
    this.endRunExtras();
    this.setReadiness('unready');
    this.counters.lastExit = exit;
    // As `critical` counts them: an exit nobody asked for, not with 0.
    if (this.status.want === 'up' && !this.status.gotTerm && exit.code !== 0) this.counters.failures++;
    this.countFailure(exit);
    this.watchdogFired = false;
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
   * that nobody asked for, with a non-zero code or by a signal; or any end of a run
   * that its watchdog stopped.
   */
  private countFailure(exit: ExitStatus): void {
    const limit = this.criticalLimit();
    if (limit === null) return;
    const failed = this.watchdogFired || (this.status.want === 'up' && !this.status.gotTerm && exit.code !== 0);
    if (Date.now() - this.runStartedAt >= CRITICAL_RESET_MS || (exit.code === 0 && !this.watchdogFired)) this.failuresInARow = 0;
    if (!failed) return;
    this.failuresInARow++;
    if (this.failuresInARow >= limit) this.context.onCriticalFailure(this.directory, this.failuresInARow);
  }

  private criticalLimit(): number | null {
    const content = readText(join(this.directory, 'critical'));
    if (content instanceof SystemError) return null;
    const text = content.trim();
    if (text === '') return DEFAULT_CRITICAL_FAILURES;
    if (/^[1-9]\d*$/.test(text)) return Number(text);
    if (text !== this.criticalWarned) {
      this.criticalWarned = text;
      const shown = text.length > CRITICAL_SHOWN ? `${text.slice(0, CRITICAL_SHOWN)}...` : text;
      log.warn(`Warning: ${join(this.directory, 'critical')} should hold a number of failures, not ${JSON.stringify(shown)}; using ${DEFAULT_CRITICAL_FAILURES}.`);
    }
    return DEFAULT_CRITICAL_FAILURES;
  }

  /**
   * Ready: not wanted up, or running and ready by its mechanism: READY=1 (notify), the
   * newline (notification-fd), `./check` passing (run each call until it passes once in
   * this run), or merely running.
   */
  async isReady(): Promise<boolean> {
    if (this.status.want !== 'up') return true;
    if (this.status.state !== 'run') return false;
    if (this.mechanism !== 'check') return this.readinessValue === 'ready';
    if (this.readinessValue === 'ready') return true;
    const pid = this.runPid;
    let passed: boolean;
    try {
      const child = this.context.children.spawn({
        argv: ['./check'], env: this.context.env, cwd: this.directory, stdio: [this.context.devNull, this.context.devNull, 2], group: 'own-session',
      });
      passed = (await child.exited).code === 0;
    } catch {
      passed = false;
    }
    // Still the run the check looked at, and not stopping meanwhile.
    if (passed && this.runPid === pid && this.readinessValue === 'starting') this.setReadiness('ready');
    return passed;
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
   * `graceSeconds`: less than KILL_PROCESS_TIMEOUT when the stop of its
   * dependents used part of the one deadline of the whole stop.
   */
  async stop(graceSeconds = this.context.killProcessTimeout): Promise<void> {
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
    await new Promise<void>((resolve) => this.enqueue(async () => resolve(await this.terminate('d', false))));
    // Its own timeout-kill, or what the whole stop's one deadline leaves it.
    const ownMs = this.options.timeoutKillMs(`KILL_PROCESS_TIMEOUT (${this.context.killProcessTimeout} s)`);
    if (!(await this.untilDown(ownMs === null ? graceSeconds : ownMs / 1000))) {
      const pid = this.status.pid;
      log.warn(`${this.directory} (PID ${pid}) did not shut down in time. Forcing it to exit.`);
      // An error is ESRCH: gone.
      kill(pid, SIGNALS.SIGKILL);
      await this.untilDown(this.context.killProcessTimeout);
    }
    this.close();
  }

  /** Ends supervision: the FIFOs and the lock are let go. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelRestart();
    this.controlReader?.close();
    this.controlReader = null;
    this.releaseFds();
    this.onExit?.();
  }

  private releaseFds(): void {
    for (const fd of this.heldFds.splice(0)) closeFd(fd);
  }

  private statusPending = false;

  /**
   * The status files once the code running now is done (a microtask): at boot,
   * after the whole scan has started every service, so that the tenth service
   * does not wait for nine services' writes. They hold the state as it is then.
   */
  private writeStatusSoon(): void {
    if (this.statusPending) return;
    this.statusPending = true;
    queueMicrotask(() => this.writePendingStatus());
  }

  /**
   * The status files now, when a write is pending: runsv has written its
   * logger's before it starts the service's ./run, which may read log/supervise/pid.
   */
  writePendingStatus(): void {
    if (!this.statusPending) return;
    this.statusPending = false;
    if (!this.closed) this.writeStatus(true);
  }

  /** (When the pid changed) pid, stat and status, each replaced atomically as runsv does. */
  private writeStatus(pidChanged = false): void {
    const supervise = this.supervise;
    // status last, as runsv: once sv sees the change there (`sv -w 5 down` returns), stat and pid say it too.
    const failed = (pidChanged ? replaceFile(join(supervise, 'pid'), renderPid(this.status.pid)) : undefined)
      ?? replaceFile(join(supervise, 'stat'), renderStat(this.status))
      ?? replaceFile(join(supervise, 'status'), encodeStatus(this.status));
    // ENOENT: the service directory was removed, and its supervision is ending.
    if (failed !== undefined && failed.code !== 'ENOENT') log.warn(`Warning: cannot update ${supervise}: ${failed.code}`);
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

interface RunExtras {
  env: Array<[string, string]>;
  /** [the fd number in ./run, our fd to put there]. */
  fds: Array<[number, number]>;
}

interface ReadinessPlan {
  mechanism: ReadinessMechanism;
  extras: RunExtras;
  /** notification-fd's pipe: [read end, write end]. */
  pipe: [number, number] | null;
  /** The run's NOTIFY_SOCKET, when it gets one. */
  socket: NotifySocket | null;
  watchdogMs: number | null;
}

const SIGNAL_COMMANDS: Record<string, SignalName> = {
  t: 'SIGTERM', k: 'SIGKILL', h: 'SIGHUP', a: 'SIGALRM', i: 'SIGINT', q: 'SIGQUIT', '1': 'SIGUSR1', '2': 'SIGUSR2',
};

/** mkdir with mode 0700; an existing directory is fine. `parents`: make the missing ones too, 0700 as well. */
function makeDirectory(path: string, parents: boolean): void {
  const made = parents ? makeDirectories(path, 0o700) : mkdir(path, 0o700);
  if (made === undefined) return;
  if (made.code !== 'EEXIST' || !must(stat(path)).isDirectory()) throw made;
}

/** Written aside and renamed over `path`, as runsv replaces its files: a reader never sees half of one. */
function replaceFile(path: string, content: string | Uint8Array): SystemError | undefined {
  const temp = `${path}.new`;
  return writeFile(temp, content, 0o644) ?? rename(temp, path);
}

