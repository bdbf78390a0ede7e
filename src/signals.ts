// Signals as PID 1. The kernel drops a signal to PID 1 that has no handler, and
// a process that is not PID 1 dies of it, so every signal that matters gets one.
// TERM and INT ask for a stop, once: a repeat while stopping is ignored, as in
// the reference. HUP, QUIT, USR1, USR2 and WINCH go on to the main command.
import * as log from './log.ts';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const FORWARDED_SIGNALS = ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

class Signals {
  /** What asked for the stop first (a signal's name, or another reason), or null. */
  stopReason: string | null = null;
  /** Where forwarded signals go; null drops them. */
  forwardTo: number | null = null;
  private readonly stopListeners = new Set<() => void>();
  private ignoreStops = false;

  constructor() {
    for (const name of STOP_SIGNALS) process.on(name, () => this.requestStop(name));
    for (const name of FORWARDED_SIGNALS) process.on(name, () => this.forward(name));
  }

  get stopRequested(): boolean {
    return this.stopReason !== null;
  }

  /** Resolves at the first stop request (at once if one came already). */
  whenStopRequested(): { promise: Promise<void>; cancel: () => void } {
    if (this.stopRequested) return { promise: Promise.resolve(), cancel: () => {} };
    let listener = (): void => {};
    const promise = new Promise<void>((resolve) => {
      listener = resolve;
      this.stopListeners.add(listener);
    });
    return { promise, cancel: () => this.stopListeners.delete(listener) };
  }

  /** From here on (the final kill-all) a stop signal changes nothing. */
  ignoreFurtherStops(): void {
    this.ignoreStops = true;
  }

  /** A stop for a reason of our own, as a SIGTERM would ask for one. */
  requestStop(reason: string): void {
    if (this.ignoreStops || this.stopRequested) {
      log.debug(`Ignoring ${reason}: already stopping.`);
      return;
    }
    log.debug(`Stopping: ${reason}.`);
    this.stopReason = reason;
    for (const listener of this.stopListeners) listener();
    this.stopListeners.clear();
  }

  private forward(name: NodeJS.Signals): void {
    if (this.forwardTo === null) {
      log.debug(`Ignoring ${name}: there is no main command to pass it to.`);
      return;
    }
    log.debug(`Passing ${name} to PID ${this.forwardTo}.`);
    try {
      process.kill(this.forwardTo, name);
    } catch {
      // The main command has just exited.
    }
  }
}

/**
 * Created when this module is first evaluated, which programs/my_init.ts arranges to be
 * before anything else loads: a signal that comes while the rest of my_init
 * loads is then handled, not dropped by the kernel.
 */
export const signals = new Signals();
export type { Signals };
