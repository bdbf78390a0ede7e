// What the status endpoint says about each service, gathered from the
// supervisor inside PID 1. Readiness is the Service's own (sd_notify,
// notification-fd, ./check or running), through one function.
import type { ExitStatus } from '../children.ts';
import type { Service } from '../supervise/service.ts';
import type { State } from '../supervise/status.ts';
import { READY, type Readiness } from './readiness.ts';
import { problemOf } from './verdict.ts';

/** Asked only of a service that runs and is wanted up. */
export type LiveReadiness = (service: Service) => Promise<Readiness>;

export const serviceIsReady: LiveReadiness = async (service) => {
  if (await service.isReady()) return READY;
  if (service.readinessMechanism === 'check') return { ready: false, why: './check fails' };
  const status = service.statusMessage;
  return { ready: false, why: status === null ? `it is ${service.readiness}` : `it is ${service.readiness} (${status})` };
};

export interface ServiceReport {
  name: string;
  state: State;
  want: 'up' | 'down' | 'exit';
  /** 0 when no process runs. */
  pid: number;
  paused: boolean;
  /** Seconds in the current state when running, else 0. */
  uptimeSeconds: number;
  restarts: number;
  failures: number;
  ready: boolean;
  /** Why not healthy (see verdict.ts); null when healthy. */
  problem: string | null;
  lastExit: { code: number | null; signal: number | null } | null;
}

export async function reportOf(name: string, service: Service, readiness: LiveReadiness, nowMs: number): Promise<ServiceReport> {
  const status = service.current;
  const running = status.state === 'run' && status.pid !== 0;
  const ready = running ? await readiness(service) : { ready: false as const, why: 'not running' };
  const want = status.want === 'up' ? 'up' : 'down';
  const problem = problemOf({ name, want, state: status.state, pid: status.pid, paused: status.paused }, () => ready);
  const { starts, failures, lastExit } = service.counters;
  return {
    name,
    state: status.state,
    want: status.want,
    pid: status.pid,
    paused: status.paused,
    uptimeSeconds: running ? Math.max(0, Math.floor((nowMs - status.changedAt) / 1000)) : 0,
    restarts: Math.max(0, starts - 1),
    failures,
    ready: ready.ready,
    problem,
    lastExit: lastExit === null ? null : exitOf(lastExit),
  };
}

function exitOf(exit: ExitStatus): { code: number | null; signal: number | null } {
  return { code: exit.code, signal: exit.signal };
}
