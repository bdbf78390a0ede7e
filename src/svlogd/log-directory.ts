// One log directory: its lock, its config, `current` and its rotation to
// `@<tai64n>.s` (or `.u` for its processor, see processor.ts), and
// the output buffer svlogd keeps for it. File names, modes and messages are
// svlogd 2.1.2's; see svlogd(8) and the steps' comments for the order of
// things, which the files left behind show.
//
// svlogd works from inside each directory in turn (fchdir); this one names
// its files by the directory's absolute path instead, which comes to the same
// but for a log directory renamed under a running logger.
//
// svlogd writes each line with a write(2) of its own, and where those writes
// end decides where a size rotation falls. Here the writes that cannot rotate
// are gathered into one batch and written together (a write per line would be
// most of the cost of a busy logger); a write that may rotate, or that finds
// the logger waiting, goes out on its own as svlogd's would, after the batch.
import type { Children } from '../children.ts';
import { errorText } from '../runit-errors.ts';
import { SystemError } from '../system/errors.ts';
import {
  access, close, type Done, fchmod, fstat, fsync, lock, O_APPEND, O_CREAT, O_NONBLOCK, O_RDONLY, O_WRONLY, open, readdir,
  readFile, rename, stat, unlink, write, X_OK,
} from '../system/files.ts';
import { join } from '../system/path.ts';
import type { Options } from './arguments.ts';
import { defaultConfig, parseConfig, type DirectoryConfig } from './config.ts';
import { sleep, type Gate } from './gate.ts';
import type { Processor } from './processor.ts';
import { now, tai64nLabel } from './timestamp.ts';

/** djb's open_read and open_append. */
const OPEN_READ = O_RDONLY | O_NONBLOCK;
const OPEN_APPEND = O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT;
/** djb's buffer writes a large put straight through in pieces of at least this. */
const BUFFER_OUTSIZE = 8192;
const PAUSE_MS = 3000;
const NEWLINE = 0x0a;
const ENOTDIR = 20;
const EWOULDBLOCK = 11;
/** The most one batch holds, and how many of svlogd's writes: a busy logger writes about this much at a time. */
export const BATCH_BYTES = 16384;
const BATCH_WRITES = 1024;
/** Where each write of the batch ends, 32 bits each: the first part of a directory's share of the arena. */
const WRITE_ENDS_BYTES = BATCH_WRITES * 4;

/**
 * How much of the logger's arena a directory takes: its write ends, its
 * batch and its output buffer (a multiple of 4, so that the next directory's
 * write ends are aligned). In the arena, a logger that writes little holds
 * little: only the pages written are taken.
 */
export const directoryBytes = (bufferLength: number): number => WRITE_ENDS_BYTES + BATCH_BYTES + Math.ceil(bufferLength / 4) * 4;

/** What a directory needs from the logger that owns it. */
export interface DirectoryContext {
  readonly options: Options;
  /** The logger's bytes: its input, its stamp, and each directory's share (directoryBytes from the `at` it is given, a multiple of 4). */
  readonly arena: Uint8Array;
  readonly gate: Gate;
  /** processor.ts and the reaper of processors, loaded when the first processor is to run. */
  processorSupport(): Promise<ProcessorSupport>;
  readonly env: ReadonlyMap<string, string>;
  /** One stderr line, without its newline. */
  warn(line: string | Uint8Array): void;
  /** The rotation deadlines changed. */
  deadlinesChanged(): void;
  /** A processor exited; `waitedFor`: a rotation was blocked on it (svlogd reaps it there, and hears SIGCHLD only at its next read). */
  processorExited(waitedFor: boolean): void;
}

export interface ProcessorSupport {
  Processor: typeof Processor;
  children: Children;
}

const microsecondsNow = (): number => {
  const instant = now();
  return instant.seconds * 1e6 + (instant.nanoseconds - 500) / 1000;
};

export class LogDirectory {
  /** As given on the command line: every message names it so. */
  readonly name: string;
  private readonly path: string;
  private readonly context: DirectoryContext;
  isOpen = false;
  config: DirectoryConfig = defaultConfig();
  /** From the config, for the per-line path: the prefix, and the most current may hold after a line that goes into the batch. */
  private prefix: Uint8Array = this.config.prefix;
  private lineLimit = Infinity;
  private readonly gate: Gate;
  /** Bytes in current, the batch not yet written included. */
  private size = 0;
  private current = -1;
  private lockFd = -1;
  /** svlogd's output buffer (-b bytes), in the arena after the batch. */
  private readonly buffer: Uint8Array;
  private buffered = 0;
  /** The batch: svlogd's writes not yet made, one after the other in arena[batchAt...], and where each ends. */
  private readonly arena: Uint8Array;
  private readonly batchAt: number;
  private batched = 0;
  private readonly writeEnds: Int32Array;
  private writes = 0;
  /** The last line's verdicts: `+`/`-` for the log, `e`/`E` for stderr (svlogd keeps the latter across a reload). */
  match = 0x2b;
  matchError = 0;
  /** When (µs since the epoch) current is due to rotate by age. */
  rotateAt = 0;
  /** svlogd's fnsave: the name of the last rotation (`@….u` while its processor works on it). */
  private saved = '';
  /** Made when the config first names a processor and a rotation calls for it. */
  private processor: Processor | null = null;
  /** svlogd learns a directory's name only once its lock is taken: until then its messages name none. */
  private named = false;

  /** `at`: where the directory's share of the arena starts (see directoryBytes). */
  constructor(name: string, path: string, context: DirectoryContext, at: number) {
    this.name = name;
    this.path = path;
    this.context = context;
    const arena = context.arena;
    this.arena = arena;
    this.writeEnds = new Int32Array(arena.buffer, arena.byteOffset + at, BATCH_WRITES);
    this.batchAt = at + WRITE_ENDS_BYTES;
    const bufferAt = this.batchAt + BATCH_BYTES;
    this.buffer = arena.subarray(bufferAt, bufferAt + context.options.bufferLength);
    this.gate = context.gate;
  }

  /**
   * Runs the config's processor on the rotated file, if it names one. The
   * first time, its code is loaded first (a logger without a processor never
   * holds it): the logger waits for that as svlogd waits for its fork.
   */
  private startProcessor(): void {
    if (this.config.processor === '') return;
    if (this.processor !== null) return this.processor.start(this.saved);
    const { context, name } = this;
    this.gate.block(context.processorSupport().then(({ Processor, children }) => {
      this.processor ??= new Processor({
        name,
        path: this.path,
        children,
        env: context.env,
        warn: (line) => context.warn(line),
        info: (text) => this.info(text),
        isOpen: () => this.isOpen,
        command: () => this.config.processor,
        exited: (waitedFor) => context.processorExited(waitedFor),
        pausing: (what, error) => context.warn(`svlogd: pausing: ${what}: ${name}: ${errorText(error)}`),
      });
    }));
    this.gate.run(() => this.processor?.start(this.saved));
  }

  private get verbose(): boolean {
    return this.context.options.verbose > 0;
  }

  private info(text: string): void {
    if (this.verbose) this.context.warn(`svlogd: info: ${text}`);
  }

  private warnErrno(what: string, error: unknown, subject = this.name): void {
    this.context.warn(`svlogd: warning: ${what}: ${subject}: ${errorText(error)}`);
  }

  private file(name: string): string {
    return join(this.path, name);
  }

  /** Does every line go to this directory's log as it is, and nowhere else (no patterns, UDP, stderr)? */
  get plain(): boolean {
    const { config } = this;
    return config.instructions.length === 0 && config.udpPort === 0 && !config.udpOnly && this.match === 0x2b && this.matchError !== 0x65;
  }

  /** logdir_open: false when the directory cannot be used (the warning is given). */
  open(): boolean {
    const directory = open(this.path, OPEN_READ);
    if (directory instanceof SystemError) {
      this.warnErrno('unable to open log directory', directory);
      return false;
    }
    const info = fstat(directory);
    const unusable = info instanceof SystemError ? info
      : !info.isDirectory() ? new SystemError(ENOTDIR, 'fchdir', this.path) : access(this.path, X_OK);
    close(directory);
    if (unusable !== undefined) {
      this.info(`close: ${this.named ? this.name : ''}`);
      this.warnErrno('unable to change directory', unusable);
      return false;
    }
    const locked = this.takeLock();
    if (locked !== undefined) {
      this.info(`close: ${this.named ? this.name : ''}`);
      this.warnErrno('unable to lock directory', locked);
      return false;
    }
    this.named = true;

    this.size = 0;
    this.match = 0x2b;
    this.processor?.forget();
    this.readConfig();

    let appending = false;
    const current = stat(this.file('current'));
    if (current instanceof SystemError) {
      if (current.code !== 'ENOENT') {
        // svlogd leaves the lock held here (its logdir_close stops before closing it).
        this.info(`close: ${this.name}`);
        this.warnErrno('unable to stat current', current);
        return false;
      }
    } else if (current.size > 0 && (current.mode & 0o100) === 0) {
      // Not marked finished (0744): a logger died while writing it. Keep it as `.u`.
      this.saved = this.freshName('u');
      this.persist('unable to rename current', () => rename(this.file('current'), this.file(this.saved)));
      this.afterward(() => this.removeOldest());
    } else {
      this.size = current.size;
      appending = true;
    }
    this.isOpen = true;
    this.openCurrent(appending ? 'append' : 'new');
    return true;
  }

  /** Opens `lock` and takes it (flock, not waiting): undefined, or why not (a lock held elsewhere is EWOULDBLOCK, as in svlogd). */
  private takeLock(): Done {
    const fd = open(this.file('lock'), OPEN_APPEND, 0o600);
    if (fd instanceof SystemError) return fd;
    const locked = lock(fd);
    if (locked === true) {
      this.lockFd = fd;
      return undefined;
    }
    close(fd);
    return locked === false ? new SystemError(EWOULDBLOCK, 'flock') : locked;
  }

  private readConfig(): void {
    let text = readFile(this.file('config'));
    this.configure(defaultConfig());
    if (text instanceof SystemError) {
      if (text.code === 'ENOENT') return;
      this.warnErrno('unable to read config', text);
      // svlogd goes on to "read" what it got, which is nothing.
      text = new Uint8Array(0);
    }
    this.info(`read: ${this.name}/config`);
    const { config, warnings } = parseConfig(text);
    for (const warning of warnings) this.context.warn(warning);
    this.configure(config);
    if (config.ageMax > 0) this.rotateAt = microsecondsNow() + config.ageMax * 1e6;
  }

  private configure(config: DirectoryConfig): void {
    this.config = config;
    this.prefix = config.prefix;
    const { sizeMax } = config;
    const { lineMax } = this.context.options;
    // A write that ends a line rotates once current holds sizeMax - lineMax (see writeAlone).
    this.lineLimit = sizeMax === 0 ? Infinity : sizeMax >= lineMax ? sizeMax - lineMax - 1 : sizeMax;
  }

  /** Opens current for appending, mode 0644 while written; svlogd retries every 3 s until it can. `said`: the -v line (none after a rotation). */
  private openCurrent(said: 'append' | 'new' | null): void {
    this.context.gate.run(() => {
      const what = said === null ? 'unable to create new current' : 'unable to open current';
      const fd = open(this.file('current'), OPEN_APPEND, 0o600);
      if (fd instanceof SystemError) return this.pause(what, fd, () => this.openCurrent(said));
      const made = fchmod(fd, 0o644);
      if (made !== undefined) {
        close(fd);
        return this.pause(what, made, () => this.openCurrent(said));
      }
      this.current = fd;
      if (said !== null) this.info(`${said}: ${this.name}/current`);
    });
  }

  /** svlogd's pause: a warning, 3 s in which nothing happens, then the step again. */
  private pause(what: string, error: unknown, again: () => void): void {
    this.context.warn(`svlogd: pausing: ${what}: ${this.name}: ${errorText(error)}`);
    this.context.gate.block(sleep(PAUSE_MS));
    this.context.gate.run(again);
  }

  /**
   * A step svlogd repeats until it works (rename, chmod, fsync), 3 s apart,
   * nothing else happening meanwhile: what follows it must go through afterward().
   */
  private persist(what: string, step: () => Done): void {
    const attempt = (): void => {
      const failed = step();
      if (failed !== undefined) this.pause(what, failed, attempt);
    };
    this.context.gate.run(attempt);
  }

  /** Runs `step` after the steps before it, however long they pause. */
  private afterward(step: () => void): void {
    this.context.gate.run(step);
  }

  /** A TAI64N name not yet taken in the directory. */
  private freshName(suffix: 'u' | 's'): string {
    for (;;) {
      const name = `${tai64nLabel(now())}.${suffix}`;
      const taken = stat(this.file(name));
      if (taken instanceof SystemError) return name;
    }
  }

  /** logdir_close: flushes, marks current finished (0744), lets go of the lock. */
  close(): void {
    this.afterward(() => {
      if (!this.isOpen) return;
      this.info(`close: ${this.name}`);
      this.isOpen = false;
      this.flush();
      this.writeBatch();
      const current = this.current;
      const lockFd = this.lockFd;
      this.current = -1;
      this.lockFd = -1;
      if (current >= 0) {
        this.persist('unable to fsync current logfile', () => fsync(current));
        this.persist('unable to set mode of current', () => fchmod(current, 0o744));
      }
      this.afterward(() => {
        if (current >= 0) close(current);
        if (lockFd >= 0) close(lockFd);
      });
    });
  }

  // The output buffer, as djb's buffer_put / buffer_PUTC / buffer_flush: where
  // writes split decides where a size rotation falls, so it is copied exactly.

  put(bytes: Uint8Array): void {
    const capacity = this.buffer.length;
    let rest = bytes;
    if (rest.length > capacity - this.buffered) {
      this.flush();
      let piece = Math.max(capacity, BUFFER_OUTSIZE);
      while (rest.length > capacity) {
        if (piece > rest.length) piece = rest.length;
        this.writeOne(rest.subarray(0, piece));
        rest = rest.subarray(piece);
      }
    }
    this.buffer.set(rest, this.buffered);
    this.buffered += rest.length;
  }

  putByte(byte: number): void {
    if (this.buffered < this.buffer.length) this.buffer[this.buffered++] = byte;
    else this.put(Uint8Array.of(byte));
  }

  /** What putByte would do with each of `bytes` in turn. */
  putBytes(bytes: Uint8Array): void {
    const capacity = this.buffer.length;
    for (let at = 0; at < bytes.length;) {
      if (this.buffered === capacity) this.flush();
      const count = Math.min(bytes.length - at, capacity - this.buffered);
      this.buffer.set(bytes.subarray(at, at + count), this.buffered);
      this.buffered += count;
      at += count;
    }
  }

  /** How many bytes putByte takes before the next one makes it write. */
  get room(): number {
    return this.buffer.length - this.buffered;
  }

  flush(): void {
    if (this.buffered === 0) return;
    const length = this.buffered;
    this.buffered = 0;
    this.writeOne(this.buffer.subarray(0, length));
  }

  /**
   * A whole line, arena[textAt..textEnd) with its newline, after the stamp
   * (arena[stampAt...], stampLength bytes) and the prefix, as put, put, put,
   * putByte and flush would write it; the common case is copied straight
   * into the batch.
   */
  putLine(stampAt: number, stampLength: number, textAt: number, textEnd: number): void {
    const { arena, prefix } = this;
    const length = stampLength + prefix.length + textEnd - textAt;
    const at = this.batched;
    const end = at + length;
    // What reserve() would say, for the usual line: it fits in the batch and cannot rotate current.
    if (end <= BATCH_BYTES && this.size + length <= this.lineLimit && this.buffered === 0 && length <= this.buffer.length
      && this.writes < BATCH_WRITES && !this.gate.blocked && this.current >= 0) {
      let to = this.batchAt + at;
      if (stampLength > 0) arena.copyWithin(to, stampAt, stampAt + stampLength);
      to += stampLength;
      if (prefix.length > 0) arena.set(prefix, to);
      arena.copyWithin(to + prefix.length, textAt, textEnd);
      this.batched = end;
      this.size += length;
      this.writeEnds[this.writes++] = end;
      return;
    }
    this.put(arena.subarray(stampAt, stampAt + stampLength));
    this.put(prefix);
    this.put(arena.subarray(textAt, textEnd - 1));
    this.putByte(NEWLINE);
    this.flush();
  }

  /**
   * putLine for each whole line of input[from..end), each shorter than -l,
   * for as long as they go straight into the batch; each is also left at
   * arena[lineAt...], the logger's line buffer, as svlogd's would hold it.
   * Where it stopped: at a line that is not whole or does not go into the batch.
   */
  putLines(input: Uint8Array, from: number, end: number, stampAt: number, stampLength: number, lineAt: number): number {
    const { arena, prefix, writeEnds } = this;
    if (this.buffered !== 0 || this.gate.blocked || this.current < 0) return from;
    const { lineMax } = this.context.options;
    const limit = this.lineLimit;
    const capacity = this.buffer.length;
    const base = this.batchAt;
    const prefixLength = prefix.length;
    let { batched, size, writes } = this;
    let at = from;
    for (;;) {
      const newline = input.indexOf(NEWLINE, at);
      if (newline < 0 || newline >= end || newline - at >= lineMax) break;
      const length = stampLength + prefixLength + newline + 1 - at;
      const next = batched + length;
      if (next > BATCH_BYTES || size + length > limit || length > capacity || writes === BATCH_WRITES) break;
      arena.copyWithin(lineAt, at, newline);
      let to = base + batched;
      if (stampLength > 0) arena.copyWithin(to, stampAt, stampAt + stampLength);
      to += stampLength;
      if (prefixLength > 0) arena.set(prefix, to);
      arena.copyWithin(to + prefixLength, at, newline + 1);
      batched = next;
      size += length;
      writeEnds[writes++] = next;
      at = newline + 1;
    }
    this.batched = batched;
    this.size = size;
    this.writes = writes;
    return at;
  }

  /** One of svlogd's writes (allwrite over buffer_pwrite): into the batch when it cannot rotate, else out on its own. */
  private writeOne(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length, bytes[bytes.length - 1] === NEWLINE);
    if (at >= 0) this.arena.set(bytes, this.batchAt + at);
    else this.writeAlone(bytes.slice());
  }

  /**
   * Room in the batch for a write of `length` bytes that ends a line or not:
   * where it goes, counted in current's size; -1 when it must go out on its
   * own (it may rotate current, or the logger waits).
   */
  private reserve(length: number, endsLine: boolean): number {
    if (this.context.gate.blocked || this.current < 0) return -1;
    if (this.batched + length > BATCH_BYTES || this.writes === BATCH_WRITES) {
      this.writeBatch();
      if (this.context.gate.blocked || length > BATCH_BYTES) return -1;
    }
    const { sizeMax } = this.config;
    if (sizeMax > 0) {
      const after = this.size + length;
      if (after > sizeMax) return -1;
      if (endsLine && sizeMax >= this.context.options.lineMax && after >= sizeMax - this.context.options.lineMax) return -1;
    }
    const at = this.batched;
    this.batched += length;
    this.size += length;
    this.writeEnds[this.writes++] = this.batched;
    return at;
  }

  /**
   * Writes the batch. A write that stops short (a full disk) leaves the rest
   * to be written as svlogd would have written it, write by write, from where
   * the disk said no.
   */
  writeBatch(): void {
    const length = this.batched;
    if (length === 0) return;
    const writes = this.writes;
    this.batched = 0;
    this.writes = 0;
    const start = this.batchAt;
    let offset = 0;
    while (offset < length) {
      const wrote = write(this.current, this.arena, start + offset, length - offset);
      if (wrote instanceof SystemError || wrote === 0) break;
      offset += wrote;
    }
    if (offset === length) return;
    this.size -= length - offset;
    const rest = this.arena.slice(start + offset, start + length);
    let begin = 0;
    for (let index = 0; index < writes; index++) {
      const end = this.writeEnds[index]!;
      if (end > offset) this.writeAlone(rest.subarray(Math.max(begin, offset) - offset, end - offset));
      begin = end;
    }
  }

  /** allwrite over svlogd's buffer_pwrite: each write stops at the size limit, and a full current rotates. `bytes` is the caller's no more. */
  private writeAlone(bytes: Uint8Array, from = 0): void {
    const gate = this.context.gate;
    // What the batch holds was written before.
    this.writeBatch();
    const later = (offset: number): void => gate.run(() => this.writeAlone(bytes, offset));
    let offset = from;
    while (offset < bytes.length) {
      if (gate.blocked) return later(offset);
      let length = bytes.length - offset;
      const { sizeMax } = this.config;
      if (sizeMax > 0) {
        if (this.size >= sizeMax) {
          this.rotate();
          if (gate.blocked) return later(offset);
        }
        length = Math.min(length, Math.max(sizeMax - this.size, 0));
      }
      const written = write(this.current, bytes, offset, length);
      if (written instanceof SystemError) {
        if (this.freeSpace(written)) continue;
        this.pause('unable to write to current', written, () => this.writeAlone(bytes, offset));
        return;
      }
      this.size += written;
      offset += written;
      const lineMax = this.context.options.lineMax;
      if (sizeMax > 0 && written > 0 && bytes[offset - 1] === NEWLINE && sizeMax >= lineMax && this.size >= sizeMax - lineMax) {
        this.rotate();
      }
    }
  }

  /** A full disk: with N below n, delete the oldest rotated file while more than N remain. True: write again at once. */
  private freeSpace(error: SystemError): boolean {
    if (error.code !== 'ENOSPC' || this.config.countMin >= this.config.countMax) return false;
    let count = 0;
    let oldest = 'A';
    for (const name of this.listDirectory('unable to read directory, want remove old logfile')) {
      if (name[0] !== '@' || name.length !== 27) continue;
      count++;
      if (name < oldest) oldest = name;
    }
    if (count <= this.config.countMin || oldest[0] !== '@') return false;
    this.context.warn(`svlogd: warning: out of disk space, delete: ${this.name}/${oldest}`);
    const removed = unlink(this.file(oldest));
    if (removed === undefined) return true;
    this.warnErrno('unable to unlink oldest logfile', removed);
    return false;
  }

  private listDirectory(failure: string): string[] {
    const names = readdir(this.path);
    if (!(names instanceof SystemError)) return names;
    this.warnErrno(failure, names);
    return [];
  }

  /** current becomes `@<now>.s` (or `.u` for the processor), mode 0744; a new current starts. */
  rotate(): void {
    const gate = this.context.gate;
    gate.run(() => {
      if (!this.isOpen) {
        this.config.ageMax = 0;
        return;
      }
      if (this.processor?.running) {
        // svlogd blocks here until the previous processor has succeeded.
        this.writeBatch();
        gate.block(this.processor.idle());
        gate.run(() => this.rotate());
        return;
      }
      this.saved = this.freshName(this.config.processor === '' ? 's' : 'u');
      const at = microsecondsNow();
      if (this.config.ageMax > 0 && this.rotateAt < at) {
        this.rotateAt = at + this.config.ageMax * 1e6;
        this.context.deadlinesChanged();
      }
      if (this.size === 0) return;
      this.flush();
      gate.run(() => this.renameCurrent());
    });
  }

  private renameCurrent(): void {
    this.writeBatch();
    const current = this.current;
    this.persist('unable to fsync current logfile', () => fsync(current));
    this.persist('unable to set mode of current', () => fchmod(current, 0o744));
    this.afterward(() => {
      close(current);
      this.current = -1;
      this.info(`rename: ${this.name}/current ${this.saved} ${this.size}`);
    });
    this.persist('unable to rename current', () => rename(this.file('current'), this.file(this.saved)));
    this.afterward(() => {
      this.size = 0;
      this.openCurrent(null);
    });
    this.afterward(() => {
      this.removeOldest();
      this.startProcessor();
    });
  }

  /** One oldest rotated file goes when there are more than n; processor leftovers (`.t`) always go. */
  private removeOldest(): void {
    let count = 0;
    let oldest = 'A';
    for (const name of this.listDirectory('unable to read directory')) {
      if (name[0] !== '@' || name.length !== 27) continue;
      if (name[26] === 't') {
        const removed = unlink(this.file(name));
        if (removed !== undefined) this.warnErrno('unable to unlink processor leftover', removed, name);
        continue;
      }
      // A `.u` (not yet processed, or left by an interrupted svlogd) is neither counted nor deleted, as
      // Debian's svlogd does: its n counts only files that are done with.
      if (name[26] === 'u') continue;
      count++;
      if (name < oldest) oldest = name;
    }
    if (this.config.countMax > 0 && count > this.config.countMax) {
      this.info(`delete: ${this.name}/${oldest}`);
      if (oldest[0] === '@') {
        const removed = unlink(this.file(oldest));
        if (removed !== undefined) this.warnErrno('unable to unlink oldest logfile', removed);
      }
    }
  }

  /** Resolves once no processor runs for this directory. */
  idle(): Promise<void> {
    return this.processor?.idle() ?? Promise.resolve();
  }
}
