// What runit's runsvdir does, in this process: one supervised service per
// directory in /etc/service (names starting with `.` are not services), picked
// up at once when added (inotify) and, as a safety net, by a look every 30 s;
// a removed directory's service is stopped.
import * as log from '../log.ts';
import type { ServiceContext } from './service.ts';
import { isDirectory } from '../file-tests.ts';
import { type DirectoryWatch, watchDirectory } from '../system/directory-watch.ts';
import { SystemError } from '../system/errors.ts';
import { close, O_RDWR, open, readdirBytes, stat } from '../system/files.ts';
import { clearInterval, setImmediate, setInterval, setTimeout, type Timer } from '../system/loop.ts';
import { join } from '../system/path.ts';
import { concatBytes, fromUtf8Strict, showBytes, utf8 } from '../system/text.ts';
import { openUnit, stopUnit, type Unit } from './unit.ts';
import { delay, monotonicMs } from '../waiting.ts';
import { findCycles, readDepends } from './dependencies.ts';
import { type DependencyState, type Readiness, waitForDependencies } from './dependency-wait.ts';

/** Rare: inotify is what notices changes, and an idle init should not wake for nothing. */
const RESCAN_MS = 30_000;
/** As runsvdir, which starts a runsv again at its next look, about a second after it ended. */
const RESUPERVISE_MS = 1000;
const READY_POLL_MS = 100;

export interface SupervisorOptions {
  /** SERVICE_DEPENDENCY_TIMEOUT in seconds; null: `depends` files are ignored, as by runit's runsvdir. */
  dependencyTimeout?: number | null;
}

/** A supervised service as its dependents see it. */
interface Entry {
  unit: Unit;
  /** What it waits for; empty when it has no `depends` file or it was refused. */
  depends: readonly string[];
  phase: 'held' | 'left-down' | 'started';
  /** When it was started (monotonic ms): its dependents' clocks run from then. */
  since: number;
}

export class Supervisor {
  private readonly directory: string;
  private readonly context: Omit<ServiceContext, 'devNull'>;
  private readonly units = new Map<string, Unit>();
  private readonly refused = new Set<string>();
  /** Directories whose name is not UTF-8, as shown, that a line has named. */
  private readonly notUtf8Said = new Set<string>();
  private devNull = -1;
  private watcher: DirectoryWatch | null = null;
  private rescanTimer: Timer | null = null;
  /** A scan asked for by inotify is due: a burst of changes is read once. */
  private scanScheduled = false;
  private watchFailureSaid = false;
  private stopping = false;
  /** mtime, inode and device of the directory at the last full scan, as runsvdir keeps them. */
  private lastSeen = '';

  private readonly dependencyTimeoutMs: number | null;
  /** Only when `depends` files are read. */
  private readonly entries = new Map<string, Entry>();
  /** What `add` read from the `depends` files of the services this scan added, for `resolveDependencies`. */
  private readonly pendingDepends = new Map<string, string[] | Error>();

  constructor(directory: string, context: Omit<ServiceContext, 'devNull'>, options: SupervisorOptions = {}) {
    this.directory = directory;
    this.context = context;
    const timeout = options.dependencyTimeout ?? null;
    this.dependencyTimeoutMs = timeout === null ? null : timeout * 1000;
  }

  start(): void {
    const devNull = open('/dev/null', O_RDWR);
    // Without /dev/null the services get a closed stdin.
    this.devNull = devNull instanceof SystemError ? -1 : devNull;
    this.watch();
    this.scan();
    this.rescanTimer = setInterval(() => this.scanIfChanged(), RESCAN_MS);
  }

  /**
   * Changes come at once through inotify. When the directory cannot be watched
   * (not there yet, or inotify's limits reached) the looks find them, and each
   * look tries the watch again.
   */
  private watch(): void {
    if (this.watcher !== null || this.stopping) return;
    const watcher = watchDirectory(this.directory, () => this.scanSoon(), () => {
      if (this.watcher === watcher) this.watcher = null;
      // Its directory was replaced: watch the new one, if it is there.
      this.watch();
    });
    if (watcher instanceof SystemError) {
      // Not there (yet) is no news: nothing to supervise until it is.
      if (watcher.code !== 'ENOENT' && !this.watchFailureSaid) {
        this.watchFailureSaid = true;
        log.debug(`Cannot watch ${this.directory} (${watcher.code}); looking every ${RESCAN_MS / 1000} s.`);
      }
      return;
    }
    this.watcher = watcher;
  }

  private scanSoon(): void {
    if (this.scanScheduled) return;
    this.scanScheduled = true;
    setImmediate(() => {
      this.scanScheduled = false;
      this.scan();
    });
  }

  /**
   * As runsvdir: read the directory again only when it has changed, or when a
   * service could not be started (to be tried again), so that an idle look is
   * one stat.
   */
  private scanIfChanged(): void {
    this.watch();
    if (this.stamp() !== this.lastSeen || this.refused.size > 0) this.scan();
  }

  /** What runsvdir compares: mtime, inode and device; empty when the directory cannot be seen. */
  private stamp(): string {
    const info = stat(this.directory);
    return info instanceof SystemError ? '' : `${info.mtimeMs}:${info.ino}:${info.dev}`;
  }

  private scan(): void {
    if (this.stopping) return;
    this.lastSeen = this.stamp();
    const listed = readdirBytes(this.directory);
    const names: string[] = [];
    for (const entry of listed instanceof SystemError ? [] : listed) {
      const name = fromUtf8Strict(entry);
      if (name !== null) names.push(name);
      else this.ignoreNotUtf8(entry);
    }
    const present = new Set(names.filter((name) => !name.startsWith('.') && isDirectory(join(this.directory, name))));
    const added = [...present].filter((name) => !this.units.has(name) && this.add(name));
    for (const [name, unit] of this.units) {
      if (!present.has(name)) {
        // As runsvdir: a removed service is told to exit.
        this.units.delete(name);
        this.entries.delete(name);
        void stopUnit(unit);
      }
    }
    for (const name of this.refused) if (!present.has(name)) this.refused.delete(name);
    if (added.length > 0 && this.dependencyTimeoutMs !== null) this.resolveDependencies(added, present, this.dependencyTimeoutMs);
  }

  /**
   * A directory whose name is not UTF-8 cannot be named to sv, in a depends file
   * or in a message as it is: one line says it is left alone (as such names in
   * /etc/container_environment are), once.
   */
  private ignoreNotUtf8(entry: Uint8Array): void {
    const shown = showBytes(entry);
    if (entry[0] === 0x2e || this.notUtf8Said.has(shown)) return;
    const info = stat(concatBytes([utf8(`${this.directory}/`), entry]));
    if (info instanceof SystemError || !info.isDirectory()) return;
    this.notUtf8Said.add(shown);
    log.warn(`Ignoring ${join(this.directory, shown)}: its name is not valid UTF-8.`);
  }

  /** True when `name` is now supervised. */
  private add(name: string): boolean {
    const directory = join(this.directory, name);
    const depends = this.dependencyTimeoutMs === null ? null : readDepends(directory);
    const hold = depends !== null && (depends instanceof Error || depends.length > 0);
    const unit = openUnit(directory, { ...this.context, devNull: this.devNull }, hold);
    if (unit instanceof Error) {
      this.refuse(name, unit);
      return false;
    }
    const { service } = unit;
    // After `sv exit` a scan soon starts supervising again, as runsvdir restarts a runsv.
    service.onExit = () => {
      if (this.units.get(name) === unit && !this.stopping) {
        this.units.delete(name);
        this.entries.delete(name);
        void stopUnit(unit);
        setTimeout(() => this.scan(), RESUPERVISE_MS).unref();
      }
    };
    this.units.set(name, unit);
    this.refused.delete(name);
    if (hold) this.pendingDepends.set(name, depends);
    else this.entries.set(name, { unit, depends: [], phase: 'started', since: monotonicMs() });
    return true;
  }

  /**
   * The services just added that have dependencies: refused (a bad file, an
   * unknown name, a cycle) with one line each, or set waiting. Names are
   * checked against the directory as this scan saw it, so a hot-added
   * service may depend on any service present by then.
   */
  private resolveDependencies(added: readonly string[], present: ReadonlySet<string>, timeoutMs: number): void {
    const candidates = new Map<string, string[]>();
    for (const name of added) {
      const depends = this.pendingDepends.get(name);
      this.pendingDepends.delete(name);
      const unit = this.units.get(name);
      if (depends === undefined || unit === undefined) continue;
      const directory = join(this.directory, name);
      if (depends instanceof Error) {
        this.leaveDown(name, unit, `${depends.message}; not starting ${directory}.`);
        continue;
      }
      const unknown = depends.find((dependency) => !present.has(dependency));
      if (unknown !== undefined) {
        this.leaveDown(name, unit, `${join(directory, 'depends')} names ${JSON.stringify(unknown)}, which is not a service in ${this.directory}; not starting ${directory}.`);
        continue;
      }
      candidates.set(name, depends);
    }
    const graph = new Map<string, readonly string[]>(candidates);
    for (const [name, entry] of this.entries) if (!graph.has(name)) graph.set(name, entry.depends);
    for (const cycle of findCycles(graph)) {
      const refused = cycle.members.filter((name) => candidates.delete(name));
      if (refused.length === 0) continue;
      log.warn(`Warning: dependency cycle in ${this.directory}: ${cycle.path.join(' -> ')}; not starting ${refused.join(', ')}.`);
      for (const name of refused) this.leaveDown(name, this.units.get(name)!, null);
    }
    for (const [name, depends] of candidates) this.waitThenStart(name, this.units.get(name)!, depends, timeoutMs);
  }

  /** Supervised but not started: `sv up` still can. */
  private leaveDown(name: string, unit: Unit, warning: string | null): void {
    if (warning !== null) log.warn(`Warning: ${warning}`);
    unit.service.release(false);
    this.entries.set(name, { unit, depends: [], phase: 'left-down', since: 0 });
  }

  private waitThenStart(name: string, unit: Unit, depends: readonly string[], timeoutMs: number): void {
    const entry: Entry = { unit, depends, phase: 'held', since: 0 };
    this.entries.set(name, entry);
    const current = (): boolean => !this.stopping && this.units.get(name) === unit;
    void waitForDependencies(depends, {
      timeoutMs,
      pollMs: READY_POLL_MS,
      lookup: (dependency) => this.dependencyState(dependency),
      cancelled: () => !current() || !unit.service.isHeld,
    }).then((outcome) => {
      if (!current()) return;
      if (outcome.kind === 'ready' || outcome.kind === 'cancelled') {
        // Cancelled while current: `sv up` started it already.
        entry.phase = 'started';
        entry.since = monotonicMs();
        unit.service.release(true);
        return;
      }
      const directory = join(this.directory, name);
      const why = outcome.kind === 'timed-out'
        ? `was not ready within ${timeoutMs / 1000} s (SERVICE_DEPENDENCY_TIMEOUT)`
        : 'is left down';
      log.warn(`Warning: not starting ${directory}: its dependency ${outcome.dependency} ${why}.`);
      entry.phase = 'left-down';
      unit.service.release(false);
    });
  }

  private dependencyState(name: string): DependencyState {
    const unit = this.units.get(name);
    const entry = this.entries.get(name);
    // Not supervised (yet): its lock may be free at the next look, so its clock runs from the wait's start.
    if (unit === undefined || entry === undefined || entry.unit !== unit) return { kind: 'started', since: 0, readiness: null };
    const readiness: Readiness = { readyNow: async () => unit.service.isRunning && (await unit.service.isReady()) };
    // An `sv up` overrides a hold or a refusal: from then on it counts as started.
    if (entry.phase === 'held' && unit.service.isHeld) return { kind: 'held' };
    if (entry.phase === 'left-down' && !unit.service.isRunning) return { kind: 'left-down' };
    return { kind: 'started', since: entry.phase === 'started' ? entry.since : 0, readiness };
  }

  private refuse(name: string, error: Error): void {
    if (!this.refused.has(name)) log.warn(`Warning: ${error.message}; not supervising it.`);
    this.refused.add(name);
  }

  /** The services supervised now, by directory name: for the status endpoint, which only looks. */
  list(): Array<[string, Unit]> {
    return [...this.units];
  }

  /** Resolves with the services not ready after `seconds` (none: all are). */
  async untilReady(seconds: number, stopRequested: () => boolean): Promise<string[]> {
    const deadline = monotonicMs() + seconds * 1000;
    for (;;) {
      const units = [...this.units.values()];
      const ready = await Promise.all(units.map((unit) => unit.service.isReady()));
      const waiting = units.filter((_, i) => !ready[i]).map((unit) => unit.service.directory);
      if (waiting.length === 0 || monotonicMs() >= deadline || stopRequested()) return waiting;
      await new Promise<void>((resolve) => setTimeout(() => resolve(), READY_POLL_MS));
    }
  }

  /**
   * Stops every service within KILL_PROCESS_TIMEOUT (and its logger after
   * it): all at once, except that a service waits until what depends on it is
   * down. That wait shares the one deadline, so a chain of n services is
   * never n times the timeout: what is left when it passes is killed.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.rescanTimer);
    this.watcher?.close();
    this.watcher = null;
    const units = [...this.units.entries()];
    this.units.clear();
    const seconds = this.context.killProcessTimeout;
    const deadline = monotonicMs() + seconds * 1000;
    const down = new Map(units.map(([name]) => [name, whenDone()]));
    const dependentsDown = (name: string): Array<Promise<void>> =>
      units.filter(([other]) => this.entries.get(other)?.depends.includes(name)).map(([other]) => down.get(other)!.promise);
    await Promise.all(units.map(async ([name, unit]) => {
      const waits = dependentsDown(name);
      let graceSeconds: number | undefined;
      if (waits.length > 0) {
        const timer = delay(seconds);
        await Promise.race([Promise.all(waits), timer.promise]);
        timer.cancel();
        graceSeconds = Math.max(0, deadline - monotonicMs()) / 1000;
      }
      await stopUnit(unit, { graceSeconds, onServiceDown: () => down.get(name)!.resolve() });
    }));
    if (this.devNull >= 0) close(this.devNull);
  }
}

/** A promise and the function that resolves it. */
function whenDone(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
