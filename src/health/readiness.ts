// Whether a service that runs is ready, behind one small interface: what PID 1
// recorded in supervise/readiness for a service that tells it (sd_notify's
// READY=1, s6's notification-fd), else runit's ./check test (as `sv check`
// applies it).
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { passesCheck } from '../supervise/check-script.ts';
import { parseReadiness, READINESS_FILE } from '../supervise/readiness.ts';

export type Readiness = { ready: true } | { ready: false; why: string };

/**
 * For a process that reads what PID 1 left on disk (`my_init --health`).
 * `directory`: the service directory; `supervise`: its live supervise/
 * (relative to `directory`, or absolute); `shown`: its name in messages.
 */
export type DiskReadiness = (directory: string, supervise: string, shown: string) => Readiness;

export const READY: Readiness = { ready: true };

/** runit's: ready when ./check is absent or passes. */
const checkScriptReadiness: DiskReadiness = (directory, _supervise, shown) =>
  passesCheck(directory, shown) ? READY : { ready: false, why: './check fails' };

/** What the service said (supervise/readiness) when it tells its readiness; otherwise runit's check. */
export const recordedReadiness: DiskReadiness = (directory, supervise, shown) => {
  let text: string;
  try {
    text = readFileSync(join(isAbsolute(supervise) ? supervise : join(directory, supervise), READINESS_FILE), 'utf8');
  } catch {
    return checkScriptReadiness(directory, supervise, shown);
  }
  const recorded = parseReadiness(text);
  if (recorded === null) return { ready: false, why: `its supervise/${READINESS_FILE} holds no readiness` };
  if (recorded.readiness === 'ready') return READY;
  return { ready: false, why: recorded.statusText === null ? `it is ${recorded.readiness}` : `it is ${recorded.readiness} (${recorded.statusText})` };
};
