// The svlogd engine: what runit's svlogd does with its standard input, as an
// object a process feeds, so that PID 1 can run any number of loggers in its
// own event loop (the `svlogd` program is a thin shell around it).
//
//   const options = parseSvlogdArguments(argv, argv0);   // Options | SvlogdUsageError
//   const logger = new Logger(options, cwd, host);
//   if (!logger.start()) exit(111)                        // no directory could be opened
//   logger.write(chunk)     // false: stop feeding until logger.onWritable() is called
//   logger.readSize()       // how many bytes to read next (1 after TERM in mid-line, as svlogd)
//   logger.rotate()         // ALRM
//   logger.reload()         // HUP: close, re-read config, reopen
//   logger.terminate()      // TERM; logger.end() at end of input; both return `done`
//   logger.done             // resolves with svlogd's exit code: 0, or 111 when a reload left no directory
//
// After terminate() in mid-line, keep feeding (readSize() bytes at a time)
// until `done` resolves: svlogd reads on to the end of that line. Once `done`
// has resolved the logger has closed its files and wants nothing more.
//
// host: { children, env, warn(line), lock(fd) }. `warn` gets each stderr line
// without its newline (svlogd's own messages and the lines `e` patterns
// select), `lock` is a non-blocking flock (the addon's), and processors are
// started through `children`, with the environment `env`.
//
// The engine never blocks: where svlogd would wait (for a processor before the
// next rotation, 3 s after a failed write) it stops taking input, write()
// returns false, and it calls onWritable when it can go on. It installs no
// signal handler and never exits the process.
//
// Input is cut into pieces of -b bytes and the directories' buffers are
// flushed between pieces, as svlogd's reads do: where writes end decides
// where a size rotation falls.
import { resolve } from 'node:path';
import type { Children } from '../children.ts';
import { EXIT_FATAL, type Options } from './arguments.ts';
import { Gate } from './gate.ts';
import { LogDirectory, type DirectoryContext } from './log-directory.ts';
import { patternMatches } from './pattern.ts';
import { lineStamp, now } from './timestamp.ts';

export interface LoggerHost {
  children: Children;
  env: ReadonlyMap<string, string>;
  /** One line for stderr, without its newline. */
  warn(line: string | Buffer): void;
  /** A non-blocking exclusive flock on fd: false when another process holds it. */
  lock(fd: number): boolean;
  /**
   * Sends one datagram now, returning the bytes sent or throwing (the addon's
   * sendUdp). Without it the engine uses node:dgram, which reports a failure
   * only after the lines that follow.
   */
  sendUdp?(ipv4: string, port: number, message: Buffer): number;
}

const NEWLINE = 0x0a;
const ELLIPSIS = Buffer.from('...');
const UDP_FAILURE = Buffer.from('warning: failure sending through udp: ');

export class Logger {
  /** Called when a write() that returned false may be followed by more. */
  onWritable: () => void = () => {};
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;
  private readonly options: Options;
  private readonly host: LoggerHost;
  private readonly gate = new Gate();
  private readonly directories: LogDirectory[];
  private readonly queue: Buffer[] = [];
  private interrupted: Buffer | null = null;
  /** The line being read (svlogd's line buffer, never cleared: its stale bytes matter to `+` patterns). */
  private readonly line: Buffer;
  private lineLength = 0;
  /** The line reached -l bytes: the rest of it goes to the logs unmatched. */
  private overflowing = false;
  private stamp: Buffer = Buffer.alloc(0);
  /** Did the last piece read end with a newline? */
  private lineComplete = true;
  private rotatePending = false;
  private childSignalPending = false;
  private reloadPending = false;
  /** TERM: stop at the end of the current line. */
  private exiting = false;
  /** End of input. */
  private ended = false;
  private finishing = false;
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private udp: import('node:dgram').Socket | null = null;
  private udpPending = 0;
  private udpDrained: (() => void) | null = null;

  constructor(options: Options, cwd: string, host: LoggerHost) {
    this.options = options;
    this.host = host;
    this.done = new Promise((resolveDone) => (this.resolveDone = resolveDone));
    this.line = Buffer.alloc(options.lineMax + 1);
    const context: DirectoryContext = {
      options,
      gate: this.gate,
      children: host.children,
      env: host.env,
      warn: (line) => host.warn(line),
      deadlinesChanged: () => this.scheduleDeadline(),
      lock: (fd) => host.lock(fd),
      processorExited: (waitedFor) => {
        // svlogd's SIGCHLD handler runs only while it waits for input, and not at all once it is exiting.
        if (this.finishing) return;
        if (waitedFor) this.childSignalPending = true;
        else this.info('sigchild received.');
      },
    };
    this.directories = options.directories.map((name) => new LogDirectory(name, resolve(cwd, name), context));
    this.gate.onOpen = () => {
      this.pump();
      this.scheduleDeadline();
      if (!this.gate.blocked && this.queue.length === 0 && this.interrupted === null) this.onWritable();
    };
  }

  private info(text: string): void {
    if (this.options.verbose > 0) this.host.warn(`svlogd: info: ${text}`);
  }

  /** Opens every directory; false (after svlogd's fatal message) when none could be. */
  start(): boolean {
    this.openAll();
    return !this.finished;
  }

  /** svlogd's logdirs_reopen. Each step waits for the one before, which may pause (a full disk while flushing). */
  private openAll(): void {
    let usable = false;
    for (const directory of this.directories) {
      directory.close();
      this.gate.run(() => {
        if (directory.open()) usable = true;
      });
    }
    this.gate.run(() => {
      this.scheduleDeadline();
      if (usable) return;
      this.host.warn('svlogd: fatal: no functional log directories.');
      this.stop(EXIT_FATAL);
    });
  }

  /** Bytes to read before the next write(): svlogd reads one at a time after TERM until the line is complete. */
  readSize(): number {
    return this.exiting && !this.lineComplete ? 1 : 65536;
  }

  write(chunk: Buffer): boolean {
    if (this.finished || this.ended || this.finishing) return false;
    if (chunk.length > 0) this.queue.push(chunk);
    if (!this.gate.blocked) this.pump();
    return !this.gate.blocked && this.queue.length === 0 && this.interrupted === null && !this.finishing;
  }

  rotate(): void {
    this.info('sigalarm received.');
    this.rotatePending = true;
    if (!this.gate.blocked) this.pump();
  }

  reload(): void {
    this.info('sighangup received.');
    this.reloadPending = true;
    if (!this.gate.blocked) this.pump();
  }

  terminate(): Promise<number> {
    this.info('sigterm received.');
    this.exiting = true;
    if (!this.gate.blocked) this.pump();
    return this.done;
  }

  end(): Promise<number> {
    this.ended = true;
    if (!this.gate.blocked) this.pump();
    return this.done;
  }

  /** What svlogd does each time before it reads: flush, then act on ALRM, TERM, HUP and due rotations. */
  private beforeRead(): 'read' | 'stop' {
    for (const directory of this.directories) this.gate.run(() => directory.flush());
    if (this.childSignalPending && !this.gate.blocked) {
      this.childSignalPending = false;
      this.info('sigchild received.');
    }
    if (this.rotatePending) {
      this.rotatePending = false;
      for (const directory of this.directories) directory.rotate();
    }
    if (this.exiting && this.lineComplete) return 'stop';
    if (this.reloadPending) {
      this.reloadPending = false;
      this.gate.run(() => {
        if (!this.finished) this.openAll();
      });
    }
    const at = Date.now() * 1000;
    for (const directory of this.directories) {
      if (directory.config.ageMax > 0 && directory.rotateAt < at) directory.rotate();
    }
    return 'read';
  }

  private pump(): void {
    while (!this.finished && !this.finishing) {
      // A piece a block interrupted goes on where it stopped: svlogd had read it already, so no read (and none of its flushing) comes between.
      let piece = this.interrupted;
      this.interrupted = null;
      if (piece === null) {
        if (this.beforeRead() === 'stop') return this.finish();
        if (this.gate.blocked || this.finished) return;
        piece = this.nextPiece();
        if (piece === null) break;
        this.lineComplete = piece[piece.length - 1] === NEWLINE;
      }
      for (let index = 0; index < piece.length; index++) {
        this.consume(piece[index]!);
        if (this.finishing) return;
        if (this.gate.blocked) {
          if (index + 1 < piece.length) this.interrupted = piece.subarray(index + 1);
          return;
        }
      }
    }
    if (this.ended && !this.finished && !this.finishing) {
      // End of input: a line cut at -l still gets its newline; a partial line is dropped, as svlogd drops it.
      if (this.overflowing) this.endLine();
      this.finish();
    }
  }

  private nextPiece(): Buffer | null {
    const head = this.queue[0];
    if (head === undefined) return null;
    const size = this.exiting && !this.lineComplete ? 1 : this.options.bufferLength;
    if (head.length <= size) {
      this.queue.shift();
      return head;
    }
    this.queue[0] = head.subarray(size);
    return head.subarray(0, size);
  }

  private consume(byte: number): void {
    if (this.overflowing) {
      if (byte === NEWLINE) return this.endLine();
      for (const directory of this.directories) {
        if (directory.isOpen && directory.match === 0x2b && !directory.config.udpOnly) directory.putByte(byte);
      }
      return;
    }
    if (this.lineLength === 0 && this.options.timestamp > 0) {
      this.stamp = Buffer.from(lineStamp(this.options.timestamp as 1 | 2 | 3, now()));
    }
    if (byte === NEWLINE) {
      // After TERM svlogd reads the rest of the line a byte at a time, and
      // then, its buffer empty and its exit due, drops that line.
      if (this.exiting) return this.finish();
      this.dispatch();
      return this.endLine();
    }
    this.line[this.lineLength++] = this.replace(byte);
    if (this.lineLength === this.options.lineMax) {
      this.dispatch();
      this.overflowing = true;
    }
  }

  private replace(byte: number): number {
    const { replacement, replaced } = this.options;
    if (replacement === 0) return byte;
    if (byte < 32 || byte > 126 || replaced.includes(byte)) return replacement;
    return byte;
  }

  /** The line's first -l bytes are complete: match them, and send them where they are selected. */
  private dispatch(): void {
    const text = this.line.subarray(0, this.lineLength);
    const cut = this.lineLength === this.options.lineMax;
    for (const directory of this.directories) {
      if (!directory.isOpen) continue;
      const { config } = directory;
      if (config.instructions.length > 0) {
        directory.match = 0x2b;
        directory.matchError = 0x45;
        for (const { op, pattern } of config.instructions) {
          if (!patternMatches(pattern, this.line, this.lineLength)) continue;
          if (op === '+' || op === '-') directory.match = op.charCodeAt(0);
          else directory.matchError = op.charCodeAt(0);
        }
      }
      if (directory.matchError === 0x65) {
        this.host.warn(Buffer.concat([this.stamp, config.prefix, text, cut ? ELLIPSIS : Buffer.alloc(0)]));
      }
      if (directory.match !== 0x2b) continue;
      if (config.udpPort !== 0) {
        this.sendUdp(directory, Buffer.concat([this.stamp, config.prefix, text, cut ? ELLIPSIS : Buffer.alloc(0), Buffer.of(NEWLINE)]));
      }
      if (!config.udpOnly) {
        if (this.options.timestamp > 0) directory.put(this.stamp);
        if (config.prefix.length > 0) directory.put(config.prefix);
        directory.put(text);
      }
    }
  }

  private endLine(): void {
    for (const directory of this.directories) {
      if (!directory.isOpen || directory.match !== 0x2b || directory.config.udpOnly) continue;
      directory.putByte(NEWLINE);
      directory.flush();
    }
    this.lineLength = 0;
    this.overflowing = false;
  }

  private sendUdp(directory: LogDirectory, message: Buffer): void {
    const address = directory.config.udpAddress.join('.');
    if (this.host.sendUdp) {
      let sent = -1;
      try {
        sent = this.host.sendUdp(address, directory.config.udpPort, message);
      } catch {
        // Reported in the log, as below.
      }
      if (sent !== message.length) {
        directory.put(UDP_FAILURE);
        directory.put(message);
        directory.flush();
      }
      return;
    }
    if (this.udp === null) {
      // Loaded only here (start-up cost); getBuiltinModule works both bundled (CJS) and run as ESM by tests.
      const dgram = process.getBuiltinModule('node:dgram');
      this.udp = dgram.createSocket('udp4');
      this.udp.unref();
    }
    this.udpPending++;
    this.udp.send(message, directory.config.udpPort, address, (error) => {
      if (error) {
        this.gate.run(() => {
          if (!directory.isOpen) return;
          directory.put(UDP_FAILURE);
          directory.put(message);
          directory.flush();
        });
      }
      if (--this.udpPending === 0) this.udpDrained?.();
    });
  }

  /** When a directory's current next falls due by age (config `t`): svlogd's read waits at most until then. */
  private scheduleDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (this.finished) return;
    let next = Infinity;
    for (const directory of this.directories) {
      if (directory.isOpen && directory.config.ageMax > 0) next = Math.min(next, directory.rotateAt);
    }
    if (next === Infinity) return;
    const delay = Math.max(0, Math.ceil(next / 1000 - Date.now()) + 1);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      // While blocked nothing can rotate; the gate's opening schedules again.
      if (this.gate.blocked) return;
      this.pump();
      this.scheduleDeadline();
    }, delay);
    this.deadlineTimer.unref();
  }

  /** svlogd's exit: wait for each directory's processor, close it; then 0. */
  private finish(): void {
    if (this.finishing || this.finished) return;
    this.finishing = true;
    this.queue.length = 0;
    this.interrupted = null;
    void (async () => {
      for (const directory of this.directories) {
        await directory.idle();
        await this.gate.idle();
        directory.close();
        await this.gate.idle();
      }
      if (this.udpPending > 0) await new Promise<void>((drained) => (this.udpDrained = drained));
      this.stop(0);
    })();
  }

  private stop(code: number): void {
    this.finished = true;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.udp?.close();
    this.udp = null;
    this.resolveDone(code);
  }
}
