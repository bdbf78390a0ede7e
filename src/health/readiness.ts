// Whether a service that runs is ready, behind one small interface: what PID 1
// recorded in supervise/readiness for a service that tells it (sd_notify's
// READY=1, s6's notification-fd), else runit's ./check test (as `sv check`
// applies it).
import type { Children } from '../children.ts';
import { passesCheck } from '../supervise/check-script.ts';
import { parseReadiness, READINESS_FILE } from '../supervise/readiness.ts';
import { SystemError } from '../system/errors.ts';
import { readText } from '../system/files.ts';
import { isAbsolute, join } from '../system/path.ts';

export type Readiness = { ready: true } | { ready: false; why: string };

/**
 * For a process that reads what PID 1 left on disk (`my_init --health`).
 * `directory`: the service directory; `supervise`: its live supervise/
 * (relative to `directory`, or absolute); `shown`: its name in messages.
 */
export type DiskReadiness = (directory: string, supervise: string, shown: string) => Promise<Readiness>;

export const READY: Readiness = { ready: true };

/**
 * What the service said (supervise/readiness) when it tells its readiness;
 * otherwise runit's: ready when ./check is absent or passes (run by `children`).
 */
export function recordedReadiness(children: () => Children): DiskReadiness {
  return async (directory, supervise, shown) => {
    const text = readText(join(isAbsolute(supervise) ? supervise : join(directory, supervise), READINESS_FILE));
    if (text instanceof SystemError) {
      return (await passesCheck(directory, shown, children())) ? READY : { ready: false, why: './check fails' };
    }
    const recorded = parseReadiness(text);
    if (recorded === null) return { ready: false, why: `its supervise/${READINESS_FILE} holds no readiness` };
    if (recorded.readiness === 'ready') return READY;
    return { ready: false, why: recorded.statusText === null ? `it is ${recorded.readiness}` : `it is ${recorded.readiness} (${recorded.statusText})` };
  };
}
