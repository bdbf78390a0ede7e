// What runit's runsvdir does: one supervised service per directory in
// /etc/service (names starting with `.` are not services), picked up within a
// second when added (inotify, through chokidar) and, as a safety net, by a
// look every 30 s; a removed directory's service is stopped.
import { watch, type FSWatcher } from 'chokidar';
import { closeSync, constants, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as log from '../log.ts';
import type { ServiceContext } from './service.ts';
import { isDirectory, openUnit, stopUnit, type Unit } from './unit.ts';
import { monotonicMs } from '../waiting.ts';

/** Rare: inotify is what notices changes, and an idle init should not wake for nothing. */
const RESCAN_MS = 30_000;
/** As runsvdir, which starts a runsv again at its next look, about a second after it ended. */
const RESUPERVISE_MS = 1000;
const READY_POLL_MS = 100;

export class Supervisor {
  private readonly directory: string;
  private readonly context: Omit<ServiceContext, 'devNull'>;
  private readonly units = new Map<string, Unit>();
  private readonly refused = new Set<string>();
  private devNull = -1;
  private watcher: FSWatcher | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** mtime, inode and device of the directory at the last full scan, as runsvdir keeps them. */
  private lastSeen = '';

  private readonly rescanMs: number;

  /** `rescanMs`: how often to look whether the directory changed, besides inotify (runsvdir looks every second). */
  constructor(directory: string, context: Omit<ServiceContext, 'devNull'>, rescanMs = RESCAN_MS) {
    this.directory = directory;
    this.context = context;
    this.rescanMs = rescanMs;
  }

  start(): void {
    this.devNull = openSync('/dev/null', constants.O_RDWR);
    this.scan();
    this.watcher = watch(this.directory, { depth: 0, ignoreInitial: true, followSymlinks: false });
    this.watcher.on('all', () => this.scan());
    this.watcher.on('error', () => {});
    this.rescanTimer = setInterval(() => this.scanIfChanged(), this.rescanMs);
  }

  /**
   * As runsvdir: read the directory again only when it has changed, or when a
   * service could not be started (to be tried again), so that an idle look is
   * one stat.
   */
  private scanIfChanged(): void {
    if (this.stamp() !== this.lastSeen || this.refused.size > 0) this.scan();
  }

  /** What runsvdir compares: mtime, inode and device; empty when the directory cannot be seen. */
  private stamp(): string {
    try {
      const stat = statSync(this.directory);
      return `${stat.mtimeMs}:${stat.ino}:${stat.dev}`;
    } catch {
      return '';
    }
  }

  private scan(): void {
    if (this.stopping) return;
    this.lastSeen = this.stamp();
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch {
      names = [];
    }
    const present = new Set(names.filter((name) => !name.startsWith('.') && isDirectory(join(this.directory, name))));
    for (const name of present) if (!this.units.has(name)) this.add(name);
    for (const [name, unit] of this.units) {
      if (!present.has(name)) {
        // As runsvdir: a removed service is told to exit.
        this.units.delete(name);
        void stopUnit(unit);
      }
    }
    for (const name of this.refused) if (!present.has(name)) this.refused.delete(name);
  }

  private add(name: string): void {
    const unit = openUnit(join(this.directory, name), { ...this.context, devNull: this.devNull });
    if (unit instanceof Error) return this.refuse(name, unit);
    const { service } = unit;
    // After `sv exit` a scan soon starts supervising again, as runsvdir restarts a runsv.
    service.onExit = () => {
      if (this.units.get(name) === unit && !this.stopping) {
        this.units.delete(name);
        void stopUnit(unit);
        setTimeout(() => this.scan(), RESUPERVISE_MS).unref();
      }
    };
    this.units.set(name, unit);
    this.refused.delete(name);
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
      await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    }
  }

  /** Stops every service, all at once, each within KILL_PROCESS_TIMEOUT (and its logger after it). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    await this.watcher?.close();
    const units = [...this.units.values()];
    this.units.clear();
    await Promise.all(units.map((unit) => stopUnit(unit)));
    if (this.devNull >= 0) closeSync(this.devNull);
  }
}
