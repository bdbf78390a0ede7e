// One rule for "healthy", shared by `my_init --health` (from the files on
// disk) and the status endpoint inside PID 1 (from the supervisor itself): a
// service wanted up must be running, not paused, and ready. A service wanted
// down is healthy whatever it does: someone asked for it (sv down, a down file).
import type { State } from '../supervise/status.ts';
import type { Readiness } from './readiness.ts';

export interface ServiceState {
  /** As sv names it: the directory's name, `NAME/log` for its logger. */
  name: string;
  want: 'up' | 'down';
  state: State;
  pid: number;
  paused: boolean;
}

/** Whether problemOf asks the service's readiness: only of one wanted up that runs, not paused. */
export function asksReadiness(service: ServiceState): boolean {
  return service.want === 'up' && service.state === 'run' && !service.paused;
}

/** Why the service is not healthy, or null when it is. `readiness` is asked only as asksReadiness says. */
export function problemOf(service: ServiceState, readiness: () => Readiness): string | null {
  if (service.want !== 'up') return null;
  if (service.state === 'down') return 'down, want up';
  if (service.state === 'finish') return `./finish runs (pid ${service.pid}), want up`;
  if (service.paused) return `paused (pid ${service.pid})`;
  const ready = readiness();
  return ready.ready ? null : `running (pid ${service.pid}) but not ready: ${ready.why}`;
}

/** One line per service that is not healthy: `NAME: WHY`. */
export function problemLine(name: string, why: string): string {
  return `${name}: ${why}`;
}
