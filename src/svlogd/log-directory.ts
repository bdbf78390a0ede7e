// One log directory: its lock, its config, `current` and its rotation to
// `@<tai64n>.s` (or `.u` for its processor, see processor.ts), and
// the output buffer svlogd keeps for it. File names, modes and messages are
// svlogd 2.1.2's; see svlogd(8) and the steps' comments for the order of
// things, which the files left behind show.
//
// svlogd works from inside the directory (fchdir); this engine must not change
// PID 1's cwd, so it uses the directory's absolute path instead: renaming a log
// directory under a running logger is the one case that differs.
import {
  accessSync, closeSync, constants, fchmodSync, fstatSync, fsyncSync, openSync, readdirSync,
  readFileSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Children } from '../children.ts';
import type { Options } from './arguments.ts';
import { defaultConfig, parseConfig, type DirectoryConfig } from './config.ts';
import { errorText } from '../runit-errors.ts';
import { sleep, type Gate } from './gate.ts';
import { Processor } from './processor.ts';
import { now, tai64nLabel } from './timestamp.ts';

/** djb's open_read and open_append. */
const OPEN_READ = constants.O_RDONLY | constants.O_NONBLOCK;
const OPEN_APPEND = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND | constants.O_CREAT;
/** djb's buffer writes a large put straight through in pieces of at least this. */
const BUFFER_OUTSIZE = 8192;
const PAUSE_MS = 3000;
const NEWLINE = 0x0a;

/** What a directory needs from the logger that owns it. */
export interface DirectoryContext {
  readonly options: Options;
  readonly gate: Gate;
  readonly children: Children;
  readonly env: ReadonlyMap<string, string>;
  /** One stderr line, without its newline. */
  warn(line: string | Buffer): void;
  /** The rotation deadlines changed. */
  deadlinesChanged(): void;
  /** flock(LOCK_EX | LOCK_NB): false when another process holds it. */
  lock(fd: number): boolean;
  /** A processor exited; `waitedFor`: a rotation was blocked on it (svlogd reaps it there, and hears SIGCHLD only at its next read). */
  processorExited(waitedFor: boolean): void;
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
  /** Bytes in current. */
  private size = 0;
  private current = -1;
  private lock = -1;
  private readonly buffer: Buffer;
  private buffered = 0;
  /** The last line's verdicts: `+`/`-` for the log, `e`/`E` for stderr (svlogd keeps the latter across a reload). */
  match = 0x2b;
  matchError = 0;
  /** When (µs since the epoch) current is due to rotate by age. */
  rotateAt = 0;
  /** svlogd's fnsave: the name of the last rotation (`@….u` while its processor works on it). */
  private saved = '';
  private readonly processor: Processor;
  /** svlogd learns a directory's name only once its lock is taken: until then its messages name none. */
  private named = false;

  constructor(name: string, path: string, context: DirectoryContext) {
    this.name = name;
    this.path = path;
    this.context = context;
    this.buffer = Buffer.alloc(context.options.bufferLength);
    this.processor = new Processor({
      name,
      path,
      children: context.children,
      env: context.env,
      warn: (line) => context.warn(line),
      info: (text) => this.info(text),
      isOpen: () => this.isOpen,
      command: () => this.config.processor,
      exited: (waitedFor) => context.processorExited(waitedFor),
      pausing: (what, error) => this.context.warn(`svlogd: pausing: ${what}: ${name}: ${errorText(error)}`),
    });
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

  /** logdir_open: false when the directory cannot be used (the warning is given). */
  open(): boolean {
    let directory: number;
    try {
      directory = openSync(this.path, OPEN_READ);
    } catch (error) {
      this.warnErrno('unable to open log directory', error);
      return false;
    }
    try {
      if (!fstatSync(directory).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      accessSync(this.path, constants.X_OK);
    } catch (error) {
      closeSync(directory);
      this.info(`close: ${this.named ? this.name : ''}`);
      this.warnErrno('unable to change directory', error);
      return false;
    }
    closeSync(directory);
    try {
      this.lock = openSync(this.file('lock'), OPEN_APPEND, 0o600);
      if (!this.tryLock(this.lock)) throw Object.assign(new Error('locked'), { code: 'EAGAIN' });
    } catch (error) {
      if (this.lock >= 0) closeSync(this.lock);
      this.lock = -1;
      this.info(`close: ${this.named ? this.name : ''}`);
      this.warnErrno('unable to lock directory', error);
      return false;
    }
    this.named = true;

    this.size = 0;
    this.match = 0x2b;
    this.processor.forget();
    this.readConfig();

    let appending = false;
    try {
      const stat = statSync(this.file('current'));
      if (stat.size > 0 && (stat.mode & 0o100) === 0) {
        // Not marked finished (0744): a logger died while writing it. Keep it as `.u`.
        this.saved = this.freshName('u');
        this.persist('unable to rename current', () => renameSync(this.file('current'), this.file(this.saved)));
        this.afterward(() => this.removeOldest());
      } else {
        this.size = stat.size;
        appending = true;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        // svlogd leaves the lock held here (its logdir_close stops before closing it).
        this.info(`close: ${this.name}`);
        this.warnErrno('unable to stat current', error);
        return false;
      }
    }
    this.isOpen = true;
    this.openCurrent(appending ? 'append' : 'new');
    return true;
  }

  private tryLock(fd: number): boolean {
    return this.context.lock(fd);
  }

  private readConfig(): void {
    let text: Buffer | null = null;
    try {
      text = readFileSync(this.file('config'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.warnErrno('unable to read config', error);
        // svlogd goes on to "read" what it got, which is nothing.
        text = Buffer.alloc(0);
      }
    }
    this.config = defaultConfig();
    if (text === null) return;
    this.info(`read: ${this.name}/config`);
    const { config, warnings } = parseConfig(text);
    for (const warning of warnings) this.context.warn(warning);
    this.config = config;
    if (config.ageMax > 0) this.rotateAt = microsecondsNow() + config.ageMax * 1e6;
  }

  /** Opens current for appending, mode 0644 while written; svlogd retries every 3 s until it can. `said`: the -v line (none after a rotation). */
  private openCurrent(said: 'append' | 'new' | null): void {
    this.context.gate.run(() => {
      try {
        this.current = openSync(this.file('current'), OPEN_APPEND, 0o600);
        fchmodSync(this.current, 0o644);
      } catch (error) {
        this.pause(said === null ? 'unable to create new current' : 'unable to open current', error, () => this.openCurrent(said));
        return;
      }
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
  private persist(what: string, step: () => void): void {
    const attempt = (): void => {
      try {
        step();
      } catch (error) {
        this.pause(what, error, attempt);
      }
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
      if (statSync(this.file(name), { throwIfNoEntry: false }) === undefined) return name;
    }
  }

  /** logdir_close: flushes, marks current finished (0744), lets go of the lock. */
  close(): void {
    this.afterward(() => {
      if (!this.isOpen) return;
      this.info(`close: ${this.name}`);
      this.isOpen = false;
      this.flush();
      const current = this.current;
      const lock = this.lock;
      this.current = -1;
      this.lock = -1;
      if (current >= 0) {
        this.persist('unable to fsync current logfile', () => fsyncSync(current));
        this.persist('unable to set mode of current', () => fchmodSync(current, 0o744));
      }
      this.afterward(() => {
        if (current >= 0) closeSync(current);
        if (lock >= 0) closeSync(lock);
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
        this.writeAll(Buffer.from(rest.subarray(0, piece)));
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

  flush(): void {
    if (this.buffered === 0) return;
    const bytes = Buffer.from(this.buffer.subarray(0, this.buffered));
    this.buffered = 0;
    this.writeAll(bytes);
  }

  /** allwrite over svlogd's buffer_pwrite: each write stops at the size limit, and a full current rotates. */
  private writeAll(bytes: Buffer, from = 0): void {
    const gate = this.context.gate;
    const later = (offset: number): void => gate.run(() => this.writeAll(bytes, offset));
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
      let written: number;
      try {
        written = writeSync(this.current, bytes, offset, length);
      } catch (error) {
        if (this.freeSpace(error)) continue;
        this.pause('unable to write to current', error, () => this.writeAll(bytes, offset));
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
  private freeSpace(error: unknown): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' || this.config.countMin >= this.config.countMax) return false;
    let count = 0;
    let oldest = 'A';
    for (const name of this.listDirectory('unable to read directory, want remove old logfile')) {
      if (name[0] !== '@' || name.length !== 27) continue;
      count++;
      if (name < oldest) oldest = name;
    }
    if (count <= this.config.countMin || oldest[0] !== '@') return false;
    this.context.warn(`svlogd: warning: out of disk space, delete: ${this.name}/${oldest}`);
    try {
      unlinkSync(this.file(oldest));
      return true;
    } catch (unlinkError) {
      this.warnErrno('unable to unlink oldest logfile', unlinkError);
      return false;
    }
  }

  private listDirectory(failure: string): string[] {
    try {
      return readdirSync(this.path);
    } catch (error) {
      this.warnErrno(failure, error);
      return [];
    }
  }

  /** current becomes `@<now>.s` (or `.u` for the processor), mode 0744; a new current starts. */
  rotate(): void {
    const gate = this.context.gate;
    gate.run(() => {
      if (!this.isOpen) {
        this.config.ageMax = 0;
        return;
      }
      if (this.processor.running) {
        // svlogd blocks here until the previous processor has succeeded.
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
    const current = this.current;
    this.persist('unable to fsync current logfile', () => fsyncSync(current));
    this.persist('unable to set mode of current', () => fchmodSync(current, 0o744));
    this.afterward(() => {
      closeSync(current);
      this.current = -1;
      this.info(`rename: ${this.name}/current ${this.saved} ${this.size}`);
    });
    this.persist('unable to rename current', () => renameSync(this.file('current'), this.file(this.saved)));
    this.afterward(() => {
      this.size = 0;
      this.openCurrent(null);
    });
    this.afterward(() => {
      this.removeOldest();
      this.processor.start(this.saved);
    });
  }

  /** One oldest rotated file goes when there are more than n; processor leftovers (`.t`) always go. */
  private removeOldest(): void {
    let count = 0;
    let oldest = 'A';
    for (const name of this.listDirectory('unable to read directory')) {
      if (name[0] !== '@' || name.length !== 27) continue;
      if (name[26] === 't') {
        try {
          unlinkSync(this.file(name));
        } catch (error) {
          this.warnErrno('unable to unlink processor leftover', error, name);
        }
        continue;
      }
      count++;
      // The `.u` waiting for its processor is never the one to go, whatever the clock did.
      if (name < oldest && (this.saved[26] !== 'u' || this.saved !== name)) oldest = name;
    }
    if (this.config.countMax > 0 && count > this.config.countMax) {
      this.info(`delete: ${this.name}/${oldest}`);
      if (oldest[0] === '@') {
        try {
          unlinkSync(this.file(oldest));
        } catch (error) {
          this.warnErrno('unable to unlink oldest logfile', error);
        }
      }
    }
  }

  /** Resolves once no processor runs for this directory. */
  idle(): Promise<void> {
    return this.processor.idle();
  }
}
