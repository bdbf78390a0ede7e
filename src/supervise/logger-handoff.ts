// PID 1's side of the svlogd hand-off (the protocol: ../svlogd/handoff-protocol.ts).
//
// One per logger: each run of `log/run` gets a fresh channel. When the svlogd
// at the other end asks, and it is the run's own process with our user and
// group, the same engine svlogd would run writes the log directories here,
// reading the pipe PID 1 already holds. Only whole lines are passed on; the
// part of a line not yet complete when a logger run ends waits for the next
// one, so a restart of the logger never splits or loses a line.
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Children } from '../children.ts';
import type { Native } from '../native.ts';
import {
  ACCEPTED, EXIT_BYTE, MAX_REQUEST_BYTES, parseRequest, REFUSED, type Request, SIGNAL_BYTES,
} from '../svlogd/handoff-protocol.ts';

/** What PID 1 needs of the svlogd engine. */
export interface LogEngine {
  /** false: stop feeding until `onWritable` is called. */
  write(chunk: Buffer): boolean;
  onWritable: () => void;
  reload(): void;
  rotate(): void;
  /** Writes out everything, lets the directories go; svlogd's exit code. */
  end(): Promise<number>;
}

/** An engine for a request, or an Error when svlogd would not start with it (it then runs on its own and says why). */
export type StartEngine = (request: Request) => Promise<LogEngine | Error>;

/**
 * The svlogd engine for a request, loaded at the first hand-off, so that an
 * init without loggers never pays for it (a part of its own in the executable,
 * about 1 ms of every boot when it was the supervisor's). Its messages go where
 * the svlogd's own stderr went (a new open of the stub's fd 2), as if it had
 * written them.
 */
export function startLogEngine(children: Children, native: Native): StartEngine {
  return async (request) => {
    const { parseSvlogdArguments, Logger } = await import('../svlogd/engine.ts');
    const options = parseSvlogdArguments(request.args);
    if (options instanceof Error) return options;
    const stderr = openStderrOf(request.pid);
    const logger = new Logger(options, request.cwd, {
      children,
      env: new Map(Object.entries(request.env)),
      warn: (line) => writeQuietly(stderr, Buffer.concat([typeof line === 'string' ? Buffer.from(line) : line, NEWLINE])),
      lock: (fd) => native.flock(fd, false),
      sendUdp: native.sendUdp,
    });
    // When no directory can be opened, the engine has said so and ends with 111, as svlogd would.
    logger.start();
    void logger.done.finally(() => closeSync(stderr));
    return logger;
  };
}

const NEWLINE = Buffer.of(0x0a);

/** Non-blocking, so that a logger's stderr nobody reads never stalls PID 1 (a line is dropped instead). */
function openStderrOf(pid: number): number {
  try {
    return openSync(`/proc/${pid}/fd/2`, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
  } catch {
    return openSync('/dev/null', constants.O_WRONLY);
  }
}

function writeQuietly(fd: number, bytes: Buffer): void {
  try {
    writeSync(fd, bytes);
  } catch {
    // Full or gone: svlogd's stderr is best effort too.
  }
}

/** A line this long without a newline is passed on anyway: svlogd cuts long lines itself (-l). */
const MAX_CARRY_BYTES = 64 * 1024;

export class LoggerHandoff {
  private readonly pipeFd: number;
  private readonly native: Native;
  private readonly startEngine: StartEngine;
  /** Read from the pipe, not yet passed on: the start of a line. */
  private carry: Buffer = Buffer.alloc(0);
  /** Settles when the last engine has written everything and let its directories (and their locks) go. */
  private previous: Promise<void> = Promise.resolve();

  /** `pipeFd`: our copy of the read end of the pipe from the service to its logger. */
  constructor(pipeFd: number, native: Native, startEngine: StartEngine) {
    this.pipeFd = pipeFd;
    this.native = native;
    this.startEngine = startEngine;
  }

  /**
   * A channel for the next run of log/run: `childEnd` becomes its fd 3; once it
   * is started, `attach` is called with its pid (or `abandon` if it could not be).
   */
  channel(): { childEnd: number; attach(pid: number): void; abandon(): void } {
    const [ours, theirs] = this.native.socketpair();
    return {
      childEnd: theirs,
      attach: (pid) => {
        closeSync(theirs);
        this.serve(ours, pid);
      },
      abandon: () => {
        closeSync(theirs);
        closeSync(ours);
      },
    };
  }

  private serve(fd: number, pid: number): void {
    // node:net only here: an init whose services have no loggers to hand over never loads it.
    const { Socket } = process.getBuiltinModule('node:net');
    const channel = new Socket({ fd, readable: true, writable: true });
    let request = '';
    let run: HandedOver | null = null;
    /** The request has come: the stub says nothing more until it has our answer. */
    let answering = false;
    let closed = false;
    channel.on('error', () => {});
    channel.on('close', () => {
      closed = true;
      void run?.finish(false);
    });
    channel.on('data', (bytes: Buffer) => {
      if (run !== null) {
        for (const byte of bytes.toString('latin1')) run.signal(byte);
        return;
      }
      if (answering) return;
      request += bytes.toString('utf8');
      if (request.length > MAX_REQUEST_BYTES) return void channel.destroy();
      const newline = request.indexOf('\n');
      if (newline < 0) return;
      answering = true;
      const parsed = parseRequest(request.slice(0, newline));
      void (parsed ? this.accept(parsed, pid, channel) : Promise.resolve(null)).then((accepted) => {
        run = accepted;
        if (run === null) channel.end(REFUSED);
        // Killed while its engine was starting: nobody to serve, and the next logger must not wait for it.
        else if (closed) void run.finish(false);
      });
    });
  }

  /** The engine for a request from the run's own process, or null (refused). */
  private async accept(request: Request, pid: number, channel: Socket): Promise<HandedOver | null> {
    if (request.pid !== pid || !sameCredentials(pid)) return null;
    const engine = await this.startEngine(request);
    if (engine instanceof Error) return null;
    const run = new HandedOver(engine, channel, this);
    const before = this.previous;
    this.previous = run.ended;
    channel.write(ACCEPTED);
    void before.then(() => run.startReading(this.openPipe()));
    return run;
  }

  /**
   * A new open file description of the pipe, non-blocking for the event loop,
   * without changing the one log/run's processes share (they expect blocking reads).
   */
  private openPipe(): number {
    return openSync(`/proc/self/fd/${this.pipeFd}`, constants.O_RDONLY | constants.O_NONBLOCK);
  }

  /** Whole lines of `chunk` (after what was carried) to pass on now; the rest is carried. */
  takeLines(chunk: Buffer): Buffer {
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    const end = data.lastIndexOf(0x0a) + 1;
    if (end === 0 && data.length < MAX_CARRY_BYTES) {
      this.carry = data;
      return Buffer.alloc(0);
    }
    const cut = end === 0 ? data.length : end;
    this.carry = data.subarray(cut);
    return data.subarray(0, cut);
  }

  /** At the end of input for good: what was carried, for the engine to write as svlogd writes a last line. */
  takeRest(): Buffer {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return rest;
  }
}

/** One handed-over run of svlogd: its engine, the pipe it reads, and the stub at the other end of the channel. */
class HandedOver {
  private readonly engine: LogEngine;
  private readonly channel: Socket;
  private readonly owner: LoggerHandoff;
  private input: Socket | null = null;
  private finishing = false;
  private settle: () => void = () => {};
  readonly ended = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(engine: LogEngine, channel: Socket, owner: LoggerHandoff) {
    this.engine = engine;
    this.channel = channel;
    this.owner = owner;
  }

  startReading(fd: number): void {
    if (this.finishing) return void closeSync(fd);
    const { Socket } = process.getBuiltinModule('node:net');
    const input = new Socket({ fd, readable: true, writable: false });
    this.input = input;
    this.engine.onWritable = () => input.resume();
    input.on('error', () => {});
    input.on('data', (chunk: Buffer) => {
      const lines = this.owner.takeLines(chunk);
      if (lines.length > 0 && !this.engine.write(lines)) input.pause();
    });
    // Every writer has closed the pipe: the service is gone for good, as at shutdown.
    input.on('end', () => {
      const rest = this.owner.takeRest();
      if (rest.length > 0) this.engine.write(rest);
      void this.finish(true);
    });
  }

  signal(byte: string): void {
    switch (SIGNAL_BYTES[byte as keyof typeof SIGNAL_BYTES]) {
      case 'SIGHUP':
        return this.engine.reload();
      case 'SIGALRM':
        return this.engine.rotate();
      case 'SIGTERM':
        return void this.finish(true);
    }
  }

  /**
   * Stops reading (what is left stays in the pipe for the next logger), writes
   * out what was read, and ends the stub with svlogd's code; without
   * `tellStub` the stub is gone already (killed), and there is nobody to tell.
   */
  async finish(tellStub: boolean): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    this.input?.destroy();
    let code = EXIT_FATAL;
    try {
      code = await this.engine.end();
    } finally {
      if (tellStub) this.channel.end(Buffer.from([EXIT_BYTE.charCodeAt(0), code & 0xff]));
      else this.channel.destroy();
      this.settle();
    }
  }
}

/** svlogd's code for a fatal error. */
const EXIT_FATAL = 111;

/** Whether the process runs with our effective user and group: the log files are then the same files svlogd would make. */
function sameCredentials(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return false;
  }
  const effective = (field: string): number => Number(new RegExp(`^${field}:\\t\\d+\\t(\\d+)`, 'm').exec(status)?.[1] ?? -1);
  return effective('Uid') === process.geteuid?.() && effective('Gid') === process.getegid?.();
}
