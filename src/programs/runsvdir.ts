// runsvdir [-P] DIR [LOG]: runit's supervisor of a services directory, for
// images whose CMD is runsvdir rather than my_init. As runit 2.1.2's: one
// runsv process (this executable, as runsv) per subdirectory, started again
// at the next look after it ended; a removed directory's runsv gets TERM. TERM
// exits 0 at once and leaves the runsv processes supervising; HUP sends each
// of them TERM and exits 111. LOG is the readproctitle log: the services'
// stderr scrolls through that argument, where ps shows it.
import { Children, processEnvironment, SpawnError } from '../children.ts';
import { SIGNALS } from '../linux-signals.ts';
import { writeStderr } from '../log.ts';
import { errnoText, errorText } from '../runit-errors.ts';
import { type DirectoryWatch, watchDirectory } from '../system/directory-watch.ts';
import { errnoNumber, SystemError } from '../system/errors.ts';
import { duplicateTo, pipe, readdir, setNonBlocking, stat, writeAll } from '../system/files.ts';
import { readFrom } from '../system/input.ts';
import { clearTimeout, setImmediate, setInterval, setTimeout, type Timer } from '../system/loop.ts';
import { join } from '../system/path.ts';
import { argv, argv0, exit, kill, rewriteArgument, setProcessName } from '../system/processes.ts';
import { onSignal } from '../system/signals.ts';
import { utf8 } from '../system/text.ts';

const EXIT_USAGE = 1;
const EXIT_HANGUP = 111;
/** As runsvdir: services beyond this many are not started. */
const MAX_SERVICES = 1000;
/** How long runsvdir waits between looks: a second while something is to be checked again, else five. */
const SOON_MS = 1000;
const IDLE_MS = 5000;
/** As runsvdir: a dot every 15 minutes lets old messages scroll out of the title. */
const DOT_MS = 15 * 60 * 1000;
const MIN_LOG_LENGTH = 7;
/** runsvdir keeps the log argument's first five bytes (a `log: ` of one's own) and scrolls the rest. */
const LOG_KEPT = 5;
/** runsv is this very executable: the name it is started under chooses the program. */
const OWN_EXECUTABLE = '/proc/self/exe';

/** A service directory, known by its device and inode as runsvdir knows it (a rename keeps its runsv). */
interface Entry {
  dev: number;
  ino: number;
  /** Its runsv's pid; 0 when none runs. */
  pid: number;
  gone: boolean;
}

function usage(): never {
  // As runsvdir: the name as typed (argv[0]).
  writeStderr(`usage: ${argv0} [-P] dir\n\n`);
  return exit(EXIT_USAGE);
}

export function main(args: string[]): void {
  // As runsvdir: a first word `-P` (a session for each runsv) or `--` is an option; any other is the directory, `-x` too.
  const option = args[0] !== undefined && args[0].startsWith('-') ? args[0][1] : undefined;
  const rest = option === 'P' || option === '-' ? args.slice(1) : args;
  const [directory, log] = rest;
  if (directory === undefined || directory === '') usage();
  const warn = (message: string): void => writeStderr(`runsvdir ${directory}: warning: ${message}\n`);
  setProcessName('runsvdir');

  if (log !== undefined) {
    // Its place in our own arguments: LOG follows the directory.
    const index = argv.length - rest.length + 1;
    if (!showLogInTitle(index, log, warn)) warn('log service disabled.');
  }
  const supervisor = new RunsvSupervisor(directory, option === 'P', new Children(), warn);
  // Before the first runsv starts: a signal must never find the default action.
  // As runsvdir: TERM leaves at once, and the runsv processes live on.
  onSignal(SIGNALS.SIGTERM, () => exit(0));
  onSignal(SIGNALS.SIGHUP, () => {
    supervisor.terminateAll();
    exit(EXIT_HANGUP);
  });
  supervisor.start();
}

/**
 * runsvdir's readproctitle log: fd 2, ours and so every runsv's and service's,
 * becomes a pipe whose bytes scroll through argument `index`, in place, as
 * runsvdir rewrites its own argv. False when it cannot be set up (said).
 */
function showLogInTitle(index: number, log: string, warn: (message: string) => void): boolean {
  const title = utf8(log);
  if (title.length < MIN_LOG_LENGTH) {
    warn('log must have at least seven characters.');
    return false;
  }
  const ends = pipe();
  if (ends instanceof SystemError) {
    warn('unable to create pipe for log.');
    return false;
  }
  const [readEnd, writeEnd] = ends;
  // Non-blocking both, as runsvdir's: a service that fills the pipe loses its line rather than hangs.
  if (setNonBlocking(writeEnd, true) !== undefined || duplicateTo(writeEnd, 2) instanceof SystemError) {
    warn('unable to set filedescriptor for log.');
    return false;
  }
  const reading = readFrom(readEnd, (bytes) => {
    for (const byte of bytes) {
      if (byte === 0) continue;
      title.copyWithin(LOG_KEPT, LOG_KEPT + 1);
      title[title.length - 1] = byte;
    }
    rewriteArgument(index, title);
  }, () => {});
  if (reading instanceof SystemError) return false;
  // The look keeps the process alive; the pipe is ours, and never ends.
  reading.unref();
  const dot = (): void => void writeAll(writeEnd, '.');
  // As runsvdir, whose first pass writes a dot before anything a service says.
  dot();
  setInterval(dot, DOT_MS).unref();
  return true;
}

/** runsvdir's loop: look at the directory, start a runsv for each new service and again for each whose runsv ended. */
class RunsvSupervisor {
  private readonly directory: string;
  private readonly ownSessions: boolean;
  private readonly children: Children;
  private readonly warn: (message: string) => void;
  private readonly env = processEnvironment();
  private readonly entries: Entry[] = [];
  /** Look at the directory again, changed or not: a runsv ended, or the last look left something to check. */
  private check = true;
  /** mtime, inode and device of the directory at the last scan. */
  private lastSeen = '';
  private timer: Timer | null = null;
  private lookScheduled = false;
  private watcher: DirectoryWatch | null = null;

  constructor(directory: string, ownSessions: boolean, children: Children, warn: (message: string) => void) {
    this.directory = directory;
    this.ownSessions = ownSessions;
    this.children = children;
    this.warn = warn;
  }

  start(): void {
    this.look();
  }

  /** HUP: TERM to every runsv. */
  terminateAll(): void {
    for (const entry of this.entries) if (entry.pid !== 0) kill(entry.pid, SIGNALS.SIGTERM);
  }

  /** Inotify says the directory changed: look now rather than at the next look. */
  private lookSoon(): void {
    if (this.lookScheduled) return;
    this.lookScheduled = true;
    setImmediate(() => {
      this.lookScheduled = false;
      this.look();
    });
  }

  private lookIn(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.look(), ms);
  }

  private look(): void {
    this.watch();
    const info = stat(this.directory);
    if (info instanceof SystemError) {
      this.warn(`unable to stat ${this.directory}: ${errorText(info)}`);
    } else {
      const stamp = `${info.mtimeMs}:${info.ino}:${info.dev}`;
      if (this.check || stamp !== this.lastSeen) {
        // As runsvdir: a directory changed within this second may still be being filled; look once it is a second old.
        const changedSecond = Math.floor(info.mtimeMs / 1000);
        if (changedSecond >= Math.floor(Date.now() / 1000)) {
          this.lookIn((changedSecond + 1) * 1000 - Date.now() + 1);
          return;
        }
        this.lastSeen = stamp;
        this.check = false;
        this.scan();
      }
    }
    this.lookIn(this.check ? SOON_MS : IDLE_MS);
  }

  /** Watched once it can be (made, or made again after it was replaced): the looks go on meanwhile. */
  private watch(): void {
    if (this.watcher !== null) return;
    const watcher = watchDirectory(this.directory, () => this.lookSoon(), () => {
      if (this.watcher === watcher) this.watcher = null;
    });
    if (!(watcher instanceof SystemError)) this.watcher = watcher;
  }

  private scan(): void {
    const names = readdir(this.directory);
    if (names instanceof SystemError) {
      this.warn(`unable to read directory ${this.directory}: ${errorText(names)}`);
      this.check = true;
      return;
    }
    for (const entry of this.entries) entry.gone = true;
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const info = stat(join(this.directory, name));
      if (info instanceof SystemError) {
        this.warn(`unable to stat ${name}: ${errorText(info)}`);
        continue;
      }
      if (!info.isDirectory()) continue;
      let entry = this.entries.find((known) => known.dev === info.dev && known.ino === info.ino);
      if (entry !== undefined) {
        entry.gone = false;
        if (entry.pid === 0) this.startRunsv(entry, name);
        continue;
      }
      if (this.entries.length >= MAX_SERVICES) {
        this.warn(`unable to start runsv ${name}: too many services.`);
        continue;
      }
      entry = { dev: info.dev, ino: info.ino, pid: 0, gone: false };
      this.entries.push(entry);
      this.startRunsv(entry, name);
      this.check = true;
    }
    // As runsvdir: a removed directory's runsv is told to stop.
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (!entry.gone) continue;
      if (entry.pid !== 0) kill(entry.pid, SIGNALS.SIGTERM);
      this.entries.splice(i, 1);
      this.check = true;
    }
  }

  /** `runsv NAME` in the services directory, as runsvdir runs it. */
  private startRunsv(entry: Entry, name: string): void {
    let pid: number;
    let exited: Promise<unknown>;
    try {
      ({ pid, exited } = this.children.spawn({
        file: OWN_EXECUTABLE,
        argv: ['runsv', name],
        env: this.env,
        cwd: this.directory,
        group: this.ownSessions ? 'own-session' : 'inherit',
      }));
    } catch (error) {
      const why = error instanceof SpawnError ? errnoText(errnoNumber(error.code) ?? 0) : String(error);
      this.warn(`unable to start runsv ${name}: ${why}`);
      this.check = true;
      return;
    }
    entry.pid = pid;
    void exited.then(() => {
      if (entry.pid !== pid) return;
      entry.pid = 0;
      this.check = true;
      this.lookIn(SOON_MS);
    });
  }
}
