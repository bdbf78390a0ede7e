// The variables my_init reads from its own environment, as Docker passed it
// (before /etc/container_environment is imported, as in the reference).

export interface Settings {
  /** Seconds a stopped process gets between SIGTERM and SIGKILL. */
  killProcessTimeout: number;
  /** Seconds every process gets between the final SIGTERM and SIGKILL. */
  killAllProcessesTimeout: number;
  envInitDirectory: string;
  /** Seconds before restarting a service whose run lived under a second (runit: 1). */
  serviceRestartDelay: number;
  /** The most that delay grows to while a service keeps failing at once. */
  serviceRestartDelayMax: number;
  /** When set, seconds to wait for the services to be ready before the main command. */
  servicesReadyTimeout: number | null;
  /** Seconds a dependency (in a service's `depends` file) gets to be ready before its dependent is left down. */
  serviceDependencyTimeout: number;
}

const DEFAULT_TIMEOUT = 30;

/**
 * The longest wait a timer can hold (2^31 - 1 ms, about 24.8 days, as in Node:
 * src/system/loop.ts). A timer set for longer fires after 1 ms instead, so a
 * larger value (someone's "forever") is taken as this.
 */
export const MAX_SECONDS = 2_147_483;

/**
 * Python's int() syntax that the reference accepted (` 7 `, `+5`, `1_0`), plus
 * decimal fractions. Negative values meant "wait forever" there by accident;
 * here every wait has a deadline, so they are refused.
 */
export function parseSeconds(name: string, raw: string | undefined, fallback = DEFAULT_TIMEOUT): number | Error {
  if (raw === undefined) return fallback;
  const text = raw.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (!/^\+?(\d+(\.\d*)?|\.\d+)$/.test(text)) {
    return new Error(`${name} must be a number of seconds, 0 or more; got ${JSON.stringify(raw)}`);
  }
  return Math.min(Number(text), MAX_SECONDS);
}

export function readSettings(env: Readonly<Record<string, string | undefined>>): Settings | Error {
  const killProcessTimeout = parseSeconds('KILL_PROCESS_TIMEOUT', env.KILL_PROCESS_TIMEOUT);
  if (killProcessTimeout instanceof Error) return killProcessTimeout;
  const killAllProcessesTimeout = parseSeconds('KILL_ALL_PROCESSES_TIMEOUT', env.KILL_ALL_PROCESSES_TIMEOUT);
  if (killAllProcessesTimeout instanceof Error) return killAllProcessesTimeout;
  const envInitDirectory = env.ENV_INIT_DIRECTORY ?? '/etc/my_init.d';
  if (envInitDirectory === '') return new Error('ENV_INIT_DIRECTORY is set but empty');
  const serviceRestartDelay = parseSeconds('SERVICE_RESTART_DELAY', env.SERVICE_RESTART_DELAY, 1);
  if (serviceRestartDelay instanceof Error) return serviceRestartDelay;
  const serviceRestartDelayMax = parseSeconds('SERVICE_RESTART_DELAY_MAX', env.SERVICE_RESTART_DELAY_MAX, 30);
  if (serviceRestartDelayMax instanceof Error) return serviceRestartDelayMax;
  let servicesReadyTimeout: number | Error | null = null;
  if (env.SERVICES_READY_TIMEOUT !== undefined) {
    servicesReadyTimeout = parseSeconds('SERVICES_READY_TIMEOUT', env.SERVICES_READY_TIMEOUT);
    if (servicesReadyTimeout instanceof Error) return servicesReadyTimeout;
  }
  const serviceDependencyTimeout = parseSeconds('SERVICE_DEPENDENCY_TIMEOUT', env.SERVICE_DEPENDENCY_TIMEOUT, 60);
  if (serviceDependencyTimeout instanceof Error) return serviceDependencyTimeout;
  return {
    serviceDependencyTimeout,
    killProcessTimeout, killAllProcessesTimeout, envInitDirectory, serviceRestartDelay, serviceRestartDelayMax, servicesReadyTimeout,
  };
}
