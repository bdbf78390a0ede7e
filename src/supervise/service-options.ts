// The per-service option files of readiness and stop control (notify,
// notification-fd, watchdog, down-signal, timeout-kill). Read at each start or
// stop, as `critical` is, so an edit takes effect without a restart of my_init.
// A file with bad content gets one warning naming it and its value (again only
// when the value changes), and its default is used.
import { isSignalName, type SignalName } from '../linux-signals.ts';
import * as log from '../log.ts';
import { SystemError } from '../system/errors.ts';
import { exists, readText } from '../system/files.ts';
import { join } from '../system/path.ts';

/** How much of a bad value a warning quotes: a line, not the file. */
const SHOWN = 40;
/** The service's fds 0-2 are its stdio; the spawner places at most 16. */
const NOTIFICATION_FD_MIN = 3;
const NOTIFICATION_FD_MAX = 15;

export class ServiceOptions {
  private readonly directory: string;
  /** The last bad content warned about, per file. */
  private readonly warned = new Map<string, string>();

  constructor(directory: string) {
    this.directory = directory;
  }

  /** `notify`: the service gets NOTIFY_SOCKET and is ready at READY=1. */
  notify(): boolean {
    return exists(join(this.directory, 'notify'));
  }

  /** `notification-fd`: s6's readiness, a newline written to this fd; null: none. */
  notificationFd(): number | null {
    return this.parse('notification-fd', `a file descriptor number from ${NOTIFICATION_FD_MIN} to ${NOTIFICATION_FD_MAX}`, 'not using it', (text) => {
      const fd = /^\d+$/.test(text) ? Number(text) : NaN;
      return fd >= NOTIFICATION_FD_MIN && fd <= NOTIFICATION_FD_MAX ? fd : undefined;
    }, null);
  }

  /** `watchdog`: milliseconds within which WATCHDOG=1 must come; null: no watchdog. */
  watchdogMs(): number | null {
    return this.parse('watchdog', 'a number of seconds', 'no watchdog', (text) => {
      const ms = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Math.round(Number(text) * 1000) : 0;
      return ms > 0 ? ms : undefined;
    }, null);
  }

  /** `down-signal`: what stops the service instead of SIGTERM. */
  downSignal(): SignalName {
    return this.parse('down-signal', 'a signal name such as SIGHUP', 'using SIGTERM', (text) => {
      const name = text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
      return isSignalName(name) ? name : undefined;
    }, 'SIGTERM');
  }

  /** `timeout-kill`: milliseconds from the down-signal to SIGKILL; null (also for 0, as s6's "none"): the default. */
  timeoutKillMs(defaultText: string): number | null {
    return this.parse('timeout-kill', 'a number of milliseconds', `using ${defaultText}`, (text) => {
      if (!/^\d{1,9}$/.test(text)) return undefined;
      return Number(text) === 0 ? null : Number(text);
    }, null);
  }

  /**
   * The file's trimmed content through `read` (undefined: bad); `fallback` when the file is
   * absent or bad.
   */
  private parse<T>(name: string, expected: string, instead: string, read: (text: string) => T | undefined, fallback: T): T {
    const path = join(this.directory, name);
    const content = readText(path);
    if (content instanceof SystemError) return fallback;
    const text = content.trim();
    const value = read(text);
    if (value !== undefined) return value;
    if (this.warned.get(name) !== text) {
      this.warned.set(name, text);
      const shown = text.length > SHOWN ? `${text.slice(0, SHOWN)}...` : text;
      log.warn(`Warning: ${path} should hold ${expected}, not ${JSON.stringify(shown)}; ${instead}.`);
    }
    return fallback;
  }
}
