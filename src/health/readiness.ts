// Whether a service that runs is ready, behind one small interface: today
// runit's ./check test (as `sv check` applies it); a richer source (sd_notify's
// READY=1 or s6's notification-fd, recorded by PID 1 in supervise/) replaces
// the probe here without touching --health or the status endpoint.
import { passesCheck } from '../supervise/check-script.ts';

export type Readiness = { ready: true } | { ready: false; why: string };

/**
 * For a process that reads what PID 1 left on disk (`my_init --health`).
 * `directory`: the service directory; `supervise`: its live supervise/
 * (relative to `directory`, or absolute); `shown`: its name in messages.
 */
export type DiskReadiness = (directory: string, supervise: string, shown: string) => Readiness;

export const READY: Readiness = { ready: true };

/** runit's: ready when ./check is absent or passes. */
export const checkScriptReadiness: DiskReadiness = (directory, _supervise, shown) =>
  passesCheck(directory, shown) ? READY : { ready: false, why: './check fails' };
