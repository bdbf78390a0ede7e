// The svlogd engine: what runit's svlogd does with its standard input, as an
// object its program feeds: standalone.ts gives it stdin, the signals and
// the exit; for a handed-over svlogd, its supervisor gives it the log pipe
// and the stub's signals (src/supervise/handed-over-run.ts).
//
//   const options = parseSvlogdArguments(argv, argv0);   // Options | SvlogdUsageError
//   const logger = new Logger(options, cwd, host);
//   if (!logger.start()) ...                              // no directory could be opened: done is 111
//   logger.write(chunk)     // false: stop feeding until logger.onWritable() is called
//   logger.readSize()       // how many bytes to read next (1 after TERM in mid-line, as svlogd)
//   logger.rotate()         // ALRM
//   logger.reload()         // HUP: close, re-read config, reopen
//   logger.terminate()      // TERM; logger.end() at end of input; both return `done`
//   logger.done             // resolves with svlogd's exit code: 0, or 111 when a reload left no directory
//
// After terminate(), what was given to write() is written out; then, when
// that ended in mid-line, keep feeding (readSize() bytes at a time) until
// `done` resolves: svlogd reads on to the end of that line. Once `done` has
// resolved the logger has closed its files and wants nothing more.
//
// host: { children?, env, warn(line) }. `warn` gets each stderr line without
// its newline (svlogd's own messages and the lines `e` patterns select), and
// processors are started through `children` (or a Children of the logger's
// own, made for the first), with the environment `env`.
//
// The engine never blocks: where svlogd would wait (for a processor before the
// next rotation, 3 s after a failed write) it stops taking input, write()
// returns false, and it calls onWritable when it can go on. It installs no
// signal handler and never exits the process.
//
// Input is cut into pieces of -b bytes and the directories' buffers are
// flushed between pieces, as svlogd's reads do: where writes end decides
// where a size rotation falls.
//
// The per-line path allocates nothing: the chunk being consumed, the line
// buffer, the stamp and each directory's batch of writes (and output buffer)
// are parts of one array (the arena, whose pages are taken only once
// written: an idle logger holds almost nothing), lines are found with
// indexOf and moved with copyWithin, and one stamp serves every line that
// starts in the same chunk (one read).
// A reader may read straight into readBuffer() and write() that view.
import type { Children } from '../children.ts';
import { sendUdp } from '../system/sockets.ts';
import { clearTimeout, monotonicMs, setTimeout, wallClockMicroseconds, type Timer } from '../system/loop.ts';
import { resolve } from '../system/path.ts';
import { concatBytes, latin1, untouchedBytes, utf8 } from '../system/text.ts';
import { EXIT_FATAL, type Options } from './arguments.ts';
import { Gate } from './gate.ts';
import { directoryBytes, LogDirectory, type DirectoryContext, type ProcessorSupport } from './log-directory.ts';
import { patternMatches } from './pattern.ts';
import { lineStamp, now } from './timestamp.ts';

export interface LoggerHost {
  /** Where processors are started; without it, the logger makes its own when the first one is to run. */
  children?: Children;
  env: ReadonlyMap<string, string>;
  /** One line for stderr, without its newline. */
  warn(line: string | Uint8Array): void;
}

const NEWLINE = 0x0a;
const PLUS = 0x2b;
const NOTHING = new Uint8Array(0);
const ELLIPSIS = utf8('...');
const NEWLINE_BYTES = Uint8Array.of(NEWLINE);
const UDP_FAILURE = utf8('warning: failure sending through udp: ');
/** The most a read takes: a pipe's whole buffer, so that a read of whole lines ends with a whole line. */
const READ_BYTES = 65536;
/** Where the line buffer and the stamp are in the arena (the input is at 0); a stamp is 26 bytes. */
const LINE_AT = READ_BYTES;
const STAMP_BYTES = 64;
/**
 * How long input is consumed at a stretch: svlogd looks for signals before
 * each read, and a chunk of many reads that rotate (a small `s`, a processor)
 * must not keep TERM and HUP waiting for long.
 */
const STRETCH_MS = 50;

/** processor.ts, and a reaper for its children when the host has none: parts of the executable of their own, read only by loggers with a processor. */
async function loadProcessorSupport(children: Children | undefined): Promise<ProcessorSupport> {
  const { Processor } = await import('./processor.ts');
  return { Processor, children: children ?? new (await import('../children.ts')).Children() };
}

export class Logger {
  /** Called when a write() that returned false may be followed by more. */
  onWritable: () => void = () => {};
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;
  private readonly options: Options;
  private readonly host: LoggerHost;
  private readonly gate = new Gate();
  private readonly directories: LogDirectory[];
  /** Input (at 0), line buffer (at LINE_AT), stamp (at stampAt), then each directory's share (see directoryBytes). */
  private readonly arena: Uint8Array;
  /** arena[0..inputEnd) is the chunk being consumed, up to inputAt; what is past it here. */
  private readonly input: Uint8Array;
  private inputAt = 0;
  private inputEnd = 0;
  /** Chunks given to write() while one was being consumed (copies). */
  private readonly queue: Uint8Array[] = [];
  /** The piece being consumed (svlogd's read): arena[pieceAt..pieceEnd) is left of it. */
  private pieceAt = 0;
  private pieceEnd = 0;
  /** The next newline at or after the last search; -1: search again (a new chunk). */
  private newlineAt = -1;
  /** The line being read (svlogd's line buffer, never cleared: its stale bytes matter to `+` patterns). */
  private readonly line: Uint8Array;
  private lineLength = 0;
  /** Where the line being read starts in the input, or -1 when it started in an earlier chunk. */
  private lineStart = -1;
  /** The line reached -l bytes: the rest of it goes to the logs unmatched. */
  private overflowing = false;
  /** The stamp of the line being read, at arena[stampAt...]; made again for the first line that starts in a new chunk. */
  private readonly stampAt: number;
  private stamp: Uint8Array = NOTHING;
  private stampStale = true;
  /** Did the last piece read end with a newline? */
  private lineComplete = true;
  private rotatePending = false;
  private childSignalPending = false;
  private reloadPending = false;
  /** TERM: stop at the end of the current line. */
  private exiting = false;
  /** After TERM, all that was given written: svlogd reads the rest of the line a byte at a time, and drops it. */
  private byteByByte = false;
  /** End of input. */
  private ended = false;
  private finishing = false;
  private finished = false;
  private deadlineTimer: Timer | null = null;
  /** When the current stretch of consuming ends, and the timer that goes on with the rest in the next turn of the loop (see STRETCH_MS). */
  private stretchEnd = 0;
  private resumeTimer: Timer | null = null;
  private processorSupport: Promise<ProcessorSupport> | null = null;

  constructor(options: Options, cwd: string, host: LoggerHost) {
    this.options = options;
    this.host = host;
    this.done = new Promise((resolveDone) => (this.resolveDone = resolveDone));
    this.stampAt = LINE_AT + options.lineMax + 1;
    // A multiple of 4: each directory's share starts with 32-bit numbers.
    const directoriesAt = Math.ceil((this.stampAt + STAMP_BYTES) / 4) * 4;
    const perDirectory = directoryBytes(options.bufferLength);
    // Mostly unused by a quiet logger: only the pages written are held.
    this.arena = untouchedBytes(directoriesAt + perDirectory * options.directories.length);
    this.input = this.arena.subarray(0, READ_BYTES);
    this.line = this.arena.subarray(LINE_AT, LINE_AT + options.lineMax + 1);
    const context: DirectoryContext = {
      options,
      arena: this.arena,
      gate: this.gate,
      processorSupport: () => (this.processorSupport ??= loadProcessorSupport(host.children)),
      env: host.env,
      warn: (line) => this.warn(line),
      deadlinesChanged: () => this.scheduleDeadline(),
      processorExited: (waitedFor) => {
        // svlogd's SIGCHLD handler runs only while it waits for input, and not at all once it is exiting.
        if (this.finishing) return;
        if (waitedFor) this.childSignalPending = true;
        else this.info('sigchild received.');
      },
    };
    this.directories = options.directories.map((name, index) => new LogDirectory(name, resolve(cwd, name), context, directoriesAt + perDirectory * index));
    this.gate.onOpen = () => {
      this.run();
      this.scheduleDeadline();
      if (this.writable()) this.onWritable();
    };
  }

  /** A stderr line, after what the directories have written so far: the order svlogd's writes give. */
  private warn(line: string | Uint8Array): void {
    this.writeBatches();
    this.host.warn(line);
  }

  private info(text: string): void {
    if (this.options.verbose > 0) this.warn(`svlogd: info: ${text}`);
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
      this.warn('svlogd: fatal: no functional log directories.');
      this.stop(EXIT_FATAL);
    });
  }

  /** Bytes to read before the next write(): svlogd reads one at a time after TERM until the line is complete. */
  readSize(): number {
    return this.byteByByte ? 1 : READ_BYTES;
  }

  /** Where the next read may go: write() a view of it from its start, and the logger takes it without a copy. */
  readBuffer(): Uint8Array {
    return this.input;
  }

  write(chunk: Uint8Array): boolean {
    if (this.finished || this.ended || this.finishing) return false;
    if (chunk.length > 0) {
      const inPlace = chunk.buffer === this.arena.buffer && chunk.byteOffset === this.input.byteOffset;
      // Read into readBuffer() while nothing waits: it is where it is consumed. Anything else is kept as a copy.
      this.queue.push(inPlace && this.queue.length === 0 && this.inputConsumed() ? chunk : chunk.slice());
    }
    if (!this.gate.blocked) this.run();
    return this.writable();
  }

  private writable(): boolean {
    return !this.gate.blocked && this.queue.length === 0 && this.inputConsumed() && !this.finishing && !this.finished;
  }

  /** Has all of the chunk in the input been consumed (its last piece too)? */
  private inputConsumed(): boolean {
    return this.inputAt === this.inputEnd && this.pieceAt === this.pieceEnd;
  }

  rotate(): void {
    this.info('sigalarm received.');
    this.rotatePending = true;
    if (!this.gate.blocked) this.run();
  }

  reload(): void {
    this.info('sighangup received.');
    this.reloadPending = true;
    if (!this.gate.blocked) this.run();
  }

  terminate(): Promise<number> {
    this.info('sigterm received.');
    this.exiting = true;
    if (!this.gate.blocked) this.run();
    return this.done;
  }

  end(): Promise<number> {
    this.ended = true;
    if (!this.gate.blocked) this.run();
    return this.done;
  }

  /** Consumes what it can, then writes what the directories gathered: on disk before the logger waits again. */
  private run(): void {
    this.pump();
    this.writeBatches();
  }

  private writeBatches(): void {
    const { directories } = this;
    for (let index = 0; index < directories.length; index++) directories[index]!.writeBatch();
  }

  /** What svlogd does each time before it reads: flush, then act on ALRM, TERM, HUP and due rotations. */
  private beforeRead(): 'read' | 'stop' {
    const { directories } = this;
    let aging = false;
    for (let index = 0; index < directories.length; index++) {
      const directory = directories[index]!;
      // Flushing an empty buffer does nothing: no step for it.
      if (directory.room < this.options.bufferLength) this.gate.run(() => directory.flush());
      if (directory.config.ageMax > 0) aging = true;
    }
    if (this.childSignalPending && !this.gate.blocked) {
      this.childSignalPending = false;
      this.info('sigchild received.');
    }
    if (this.rotatePending) {
      this.rotatePending = false;
      for (const directory of this.directories) directory.rotate();
    }
    // What was given before TERM is written first: it was read, and would be lost.
    const drained = this.queue.length === 0 && this.inputConsumed();
    if (this.exiting && this.lineComplete && drained) return 'stop';
    if (this.reloadPending) {
      this.reloadPending = false;
      this.gate.run(() => {
        if (!this.finished) this.openAll();
      });
    }
    if (aging) {
      const at = wallClockMicroseconds();
      for (const directory of this.directories) {
        if (directory.config.ageMax > 0 && directory.rotateAt < at) directory.rotate();
      }
    }
    if (this.exiting && drained) this.byteByByte = true;
    return 'read';
  }

  private pump(): void {
    this.stretchEnd = monotonicMs() + STRETCH_MS;
    while (!this.finished && !this.finishing) {
      // A piece interrupted (by a block, or at the end of a stretch) goes on
      // where it stopped: svlogd had read it already, so no read (and none of
      // its flushing) comes between.
      if (this.pieceAt === this.pieceEnd) {
        if (this.beforeRead() === 'stop') return this.finish();
        if (this.gate.blocked || this.finished) return;
        if (!this.nextPiece()) break;
      }
      const stopped = this.consume(this.pieceAt, this.pieceEnd);
      if (stopped > this.pieceEnd) this.passedReads(stopped);
      this.pieceAt = stopped;
      if (this.finishing || this.gate.blocked) return;
      if (!this.inputConsumed() || this.queue.length > 0) {
        if (monotonicMs() > this.stretchEnd) return this.resumeLater();
      }
    }
    if (this.ended && !this.finished && !this.finishing) {
      // End of input: a line cut at -l still gets its newline; a partial line is dropped, as svlogd drops it.
      if (this.overflowing) this.endLine();
      this.finish();
    }
  }

  /** Lets the loop turn (signals, timers, the reaper) before the rest of the input is consumed. */
  private resumeLater(): void {
    if (this.resumeTimer !== null) return;
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      // While blocked, the gate's opening goes on.
      if (this.gate.blocked) return;
      this.run();
      if (this.writable()) this.onWritable();
    }, 0);
  }

  /** Cuts the next piece from the chunk, the next chunk from the queue into the input first: false when there is none. */
  private nextPiece(): boolean {
    if (this.inputAt === this.inputEnd) {
      const chunk = this.queue.shift();
      if (chunk === undefined) return false;
      const length = Math.min(chunk.length, READ_BYTES);
      if (chunk.buffer !== this.arena.buffer || chunk.byteOffset !== this.input.byteOffset) this.input.set(chunk.subarray(0, length));
      if (chunk.length > length) this.queue.unshift(chunk.subarray(length));
      this.inputAt = 0;
      this.inputEnd = length;
      this.newlineAt = -1;
      // What came before in the input is gone, and the lines this read starts get a stamp of this moment.
      this.lineStart = -1;
      this.stampStale = true;
    }
    const start = this.inputAt;
    const end = Math.min(this.inputEnd, start + (this.byteByByte ? 1 : this.options.bufferLength));
    this.pieceAt = start;
    this.pieceEnd = end;
    this.inputAt = end;
    this.lineComplete = this.arena[end - 1] === NEWLINE;
    return true;
  }

  /**
   * Whole plain lines went on past the piece, through later pieces of the
   * chunk: the reads svlogd makes there would have found nothing to flush,
   * no signal (signals come between turns of the loop) and, but for the
   * microseconds it took, the same clock. The piece is now the one `at` is in.
   */
  private passedReads(at: number): void {
    const size = this.options.bufferLength;
    this.pieceEnd = at % size === 0 ? at : Math.min(this.inputEnd, Math.ceil(at / size) * size);
    this.inputAt = this.pieceEnd;
    this.lineComplete = this.arena[this.pieceEnd - 1] === NEWLINE;
  }

  /** The first newline in the input's [at..to), or -1; a chunk is searched once however many pieces it is cut into. */
  private newline(at: number, to: number): number {
    if (this.newlineAt < at) {
      const found = this.input.indexOf(NEWLINE, at);
      this.newlineAt = found < 0 || found >= this.inputEnd ? this.inputEnd : found;
    }
    return this.newlineAt < to ? this.newlineAt : -1;
  }

  /** Does every open directory take every line as it is, and nothing else happen to it? */
  private plain(): boolean {
    if (this.options.replacement !== 0 || this.byteByByte) return false;
    const { directories } = this;
    for (let index = 0; index < directories.length; index++) {
      const directory = directories[index]!;
      if (directory.isOpen && !directory.plain) return false;
    }
    return true;
  }

  /**
   * Consumes the input's [from..to) line by line; where it stopped: before
   * `to` only when the gate closed or the logger is finishing, after it when
   * plain lines went on through the chunk (see passedReads).
   */
  private consume(from: number, to: number): number {
    const { lineMax, timestamp } = this.options;
    const plain = this.plain();
    let at = from;
    while (at < to) {
      if (this.overflowing) {
        at = this.overflow(at, to);
        if (this.overflowing || this.gate.blocked) return at;
        continue;
      }
      if (this.lineLength === 0) {
        this.lineStart = at;
        if (timestamp > 0 && this.stampStale) this.makeStamp();
      }
      if (plain && this.lineStart >= 0) {
        const reached = this.plainLines(at);
        if (reached > at) {
          at = reached;
          if (this.gate.blocked) return at;
          continue;
        }
      }
      const newline = this.newline(at, to);
      const count = Math.min((newline < 0 ? to : newline) - at, lineMax - this.lineLength);
      this.takeIntoLine(at, count);
      at += count;
      if (this.lineLength === lineMax) {
        this.dispatch();
        this.overflowing = true;
        if (this.gate.blocked) return at;
        continue;
      }
      if (at === newline) {
        at++;
        // After TERM svlogd reads the rest of the line a byte at a time, and
        // then, its buffer empty and its exit due, drops that line.
        if (this.byteByByte) {
          this.finish();
          return at;
        }
        this.dispatch();
        this.endLine();
        if (this.gate.blocked) return at;
      }
    }
    return at;
  }

  /**
   * Whole lines shorter than -l that go as they are to every log, from the
   * line being read (it started at lineStart; `from` is where it is read to)
   * for as long as they are in the chunk: where they stopped. Each leaves the
   * line buffer as svlogd's would be.
   */
  private plainLines(from: number): number {
    const { arena, input, directories, inputEnd, stampAt } = this;
    const { lineMax } = this.options;
    const stampLength = this.stamp.length;
    // With one directory (the usual logger), a run of lines goes into its batch in one call.
    const only = directories.length === 1 && directories[0]!.isOpen ? directories[0]! : null;
    let at = from;
    let start = this.lineStart;
    for (;;) {
      if (only !== null && at === start) {
        at = only.putLines(input, at, inputEnd, stampAt, stampLength, LINE_AT);
        start = at;
      }
      const newline = input.indexOf(NEWLINE, at);
      if (newline < 0 || newline >= inputEnd || newline - start >= lineMax) break;
      arena.copyWithin(LINE_AT + at - start, at, newline);
      for (let index = 0; index < directories.length; index++) {
        const directory = directories[index]!;
        if (directory.isOpen) directory.putLine(stampAt, stampLength, start, newline + 1);
      }
      at = newline + 1;
      start = at;
      // Lines that each rotate (a small `s`) are slow: the loop must turn now and then.
      if (this.gate.blocked || monotonicMs() > this.stretchEnd) break;
    }
    if (at > from) {
      this.lineLength = 0;
      this.lineStart = at;
    }
    return at;
  }

  /** The stamp for the lines that start from now on in this chunk (at a line's start: no line holds the one before). */
  private makeStamp(): void {
    const stamp = latin1(lineStamp(this.options.timestamp as 1 | 2 | 3, now()));
    this.arena.set(stamp, this.stampAt);
    this.stamp = this.arena.subarray(this.stampAt, this.stampAt + stamp.length);
    this.stampStale = false;
  }

  /** Appends `count` bytes of the input from `at` to the line, each replaced as -r/-R say. */
  private takeIntoLine(at: number, count: number): void {
    const { arena } = this;
    const { replacement, replaced } = this.options;
    if (replacement === 0) {
      arena.copyWithin(LINE_AT + this.lineLength, at, at + count);
      this.lineLength += count;
      return;
    }
    for (let index = at; index < at + count; index++) {
      const byte = arena[index]!;
      this.line[this.lineLength++] = byte < 32 || byte > 126 || replaced.includes(byte) ? replacement : byte;
    }
  }

  /** Takes the rest of the line to the logs that selected it: unmatched, as it came. */
  private takesOverflow(directory: LogDirectory): boolean {
    return directory.isOpen && directory.match === PLUS && !directory.config.udpOnly;
  }

  /**
   * Past -l bytes: svlogd puts each byte to the logs that selected the line,
   * and its newline ends the line. Done in runs that end where a directory's
   * buffer fills (it writes there, and the gate may close); where it stopped.
   */
  private overflow(from: number, to: number): number {
    const newline = this.newline(from, to);
    const stop = newline < 0 ? to : newline;
    let at = from;
    while (at < stop) {
      let run = stop - at;
      for (const directory of this.directories) {
        if (this.takesOverflow(directory)) run = Math.min(run, Math.max(directory.room, 1));
      }
      const bytes = this.arena.subarray(at, at + run);
      for (const directory of this.directories) {
        if (this.takesOverflow(directory)) directory.putBytes(bytes);
      }
      at += run;
      if (this.gate.blocked) return at;
    }
    if (newline < 0) return at;
    this.endLine();
    return newline + 1;
  }

  /** The line's first -l bytes are complete: match them, and send them where they are selected. */
  private dispatch(): void {
    const text = this.line.subarray(0, this.lineLength);
    const cut = this.lineLength === this.options.lineMax ? ELLIPSIS : NOTHING;
    for (const directory of this.directories) {
      if (!directory.isOpen) continue;
      const { config } = directory;
      if (config.instructions.length > 0) {
        directory.match = PLUS;
        directory.matchError = 0x45;
        for (const { op, pattern } of config.instructions) {
          if (!patternMatches(pattern, this.line, this.lineLength)) continue;
          if (op === '+' || op === '-') directory.match = op.charCodeAt(0);
          else directory.matchError = op.charCodeAt(0);
        }
      }
      if (directory.matchError === 0x65) this.warn(concatBytes([this.stamp, config.prefix, text, cut]));
      if (directory.match !== PLUS) continue;
      if (config.udpPort !== 0) this.sendUdp(directory, concatBytes([this.stamp, config.prefix, text, cut, NEWLINE_BYTES]));
      if (!config.udpOnly) {
        directory.put(this.stamp);
        directory.put(config.prefix);
        directory.put(text);
      }
    }
  }

  private endLine(): void {
    for (const directory of this.directories) {
      if (!directory.isOpen || directory.match !== PLUS || directory.config.udpOnly) continue;
      directory.putByte(NEWLINE);
      directory.flush();
    }
    this.lineLength = 0;
    this.overflowing = false;
  }

  /** One datagram per line, sent at once; one that could not be sent is noted in the log, before its line. */
  private sendUdp(directory: LogDirectory, message: Uint8Array): void {
    const sent = sendUdp(directory.config.udpAddress.join('.'), directory.config.udpPort, message);
    if (sent === message.length) return;
    directory.put(UDP_FAILURE);
    directory.put(message);
    directory.flush();
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
    const delay = Math.max(0, Math.ceil((next - wallClockMicroseconds()) / 1000) + 1);
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      // While blocked nothing can rotate; the gate's opening schedules again.
      if (this.gate.blocked) return;
      this.run();
      this.scheduleDeadline();
    }, delay);
    this.deadlineTimer.unref();
  }

  /** svlogd's exit: wait for each directory's processor, close it; then 0. */
  private finish(): void {
    if (this.finishing || this.finished) return;
    this.finishing = true;
    this.queue.length = 0;
    this.inputAt = this.inputEnd;
    this.pieceAt = this.pieceEnd;
    this.writeBatches();
    void (async () => {
      for (const directory of this.directories) {
        await directory.idle();
        await this.gate.idle();
        directory.close();
        await this.gate.idle();
      }
      this.stop(0);
    })();
  }

  private stop(code: number): void {
    this.finished = true;
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.resumeTimer);
    this.deadlineTimer = null;
    this.resumeTimer = null;
    this.resolveDone(code);
  }
}
