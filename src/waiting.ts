// Waiting for a process, with the two things that may end the wait early: a
// stop request (docker stop) and a deadline. Every wait in my_init is one of these.
import { type Child, type Children, type ExitStatus } from './children.ts';
import { SIGNALS, type SignalName } from './linux-signals.ts';
import * as log from './log.ts';
import { clearTimeout, setTimeout, type Timer } from './system/loop.ts';
import { kill } from './system/processes.ts';
import type { Settings } from './settings.ts';
import type { Signals } from './signals.ts';

export interface Context {
  readonly children: Children;
  readonly signals: Signals;
  readonly settings: Settings;
}

export { monotonicMs } from './system/loop.ts';

/** A promise that resolves after `seconds`, and a way to drop it. */
export function delay(seconds: number): { promise: Promise<'timeout'>; cancel: () => void } {
  let timer: Timer | undefined;
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, seconds * 1000));
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The child's exit status, or 'timeout' after `seconds`. */
async function exitWithin(child: Child, seconds: number): Promise<ExitStatus | 'timeout'> {
  const timer = delay(seconds);
  try {
    return await Promise.race([child.exited, timer.promise]);
  } finally {
    timer.cancel();
  }
}

/** An error is ESRCH: already gone. */
function send(pid: number, signal: SignalName): void {
  kill(pid, SIGNALS[signal]);
}

/** Seconds to wait after SIGKILL before giving up on a process stuck in the kernel. */
const AFTER_KILL_SECONDS = 5;

/**
 * Stops a process as the reference did: SIGTERM, and SIGKILL when it has not
 * exited after KILL_PROCESS_TIMEOUT. null if even SIGKILL did not end it.
 */
export async function stopProcess(child: Child, name: string, context: Context): Promise<ExitStatus | null> {
  log.info(`Shutting down ${name} (PID ${child.pid})...`);
  send(child.pid, 'SIGTERM');
  send(child.pid, 'SIGCONT'); // A stopped process could not act on SIGTERM.
  const status = await exitWithin(child, context.settings.killProcessTimeout);
  if (status !== 'timeout') return status;
  log.warn(`${name} (PID ${child.pid}) did not shut down in time. Forcing it to exit.`);
  send(child.pid, 'SIGKILL');
  const killed = await exitWithin(child, AFTER_KILL_SECONDS);
  if (killed !== 'timeout') return killed;
  log.warn(`${name} (PID ${child.pid}) is still there ${AFTER_KILL_SECONDS} s after SIGKILL; going on without it.`);
  return null;
}

export interface WaitOutcome {
  /** null when the process could not be ended. */
  status: ExitStatus | null;
  /** A stop request or the deadline made us stop the process. */
  interrupted: boolean;
}

/**
 * Waits for a script or command to finish. A stop request that arrives while it
 * runs stops it; so does the deadline, when one is given (shutdown scripts).
 */
export async function waitForChild(
  child: Child,
  name: string,
  context: Context,
  { isScript, deadlineSeconds }: { isScript: boolean; deadlineSeconds?: number },
): Promise<WaitOutcome> {
  // A stop that came before this wait began has been acted on already: it must
  // not cut short the shutdown scripts that follow it.
  const stop = context.signals.stopRequested ? null : context.signals.whenStopRequested();
  const timer = deadlineSeconds === undefined ? null : delay(deadlineSeconds);
  const contenders: Array<Promise<ExitStatus | 'stop' | 'timeout'>> = [child.exited];
  if (stop) contenders.push(stop.promise.then(() => 'stop' as const));
  if (timer) contenders.push(timer.promise);
  try {
    const first = await Promise.race(contenders);
    if (first === 'stop') {
      if (isScript) log.warn('An error occurred. Aborting.');
      return { status: await stopProcess(child, name, context), interrupted: true };
    }
    if (first === 'timeout') {
      log.warn(`${name} (PID ${child.pid}) did not finish within ${deadlineSeconds} s. Forcing it to exit.`);
      send(child.pid, 'SIGKILL');
      const killed = await exitWithin(child, AFTER_KILL_SECONDS);
      return { status: killed === 'timeout' ? null : killed, interrupted: true };
    }
    return { status: first, interrupted: false };
  } finally {
    stop?.cancel();
    timer?.cancel();
  }
}
