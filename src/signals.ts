// Signals as PID 1, and as tini handles them. The kernel drops a signal to
// PID 1 that has no handler, and a process that is not PID 1 dies of it (or
// stops), so every signal that can be caught gets one:
// - TERM and INT ask for a stop, once: a repeat while stopping is ignored, as in
//   the reference.
// - Every other signal that someone may send is passed on to the main command
//   (dropped when there is none), TSTP included: the main command may stop, the
//   init never does.
// - TTIN and TTOU are ignored, not passed on (as tini does): the kernel sends
//   them to a background process group that reads from or (with `stty tostop`)
//   writes to its terminal, which the init is once the main command has the
//   terminal; they are about the init's own reads and writes, not a request.
// - Not handled: CHLD (the reaper's), the faults the kernel raises on a thread
//   (SEGV, BUS, FPE, ILL, TRAP, SYS) and ABRT, as in tini; KILL and STOP cannot be.
//
// Only TERM and INT need JavaScript, and get Node's handlers first of all. With
// the addon, every signal passed on is passed on by its C handler, with no
// JavaScript in between (and none of Node's signal handles, 0.3 ms of start-up
// for fifteen): the names above and the real-time ones from SIGRTMIN to
// SIGRTMAX, that is 34 to 64 (glibc keeps 32 and 33 for its threads and
// refuses them to sigaction), which Node has no names for; SIGPIPE and SIGXFSZ,
// which Node ignores so that a write to a closed pipe or past the file size
// limit fails with an error, and which the handler does not pass on when our
// own write raised them (a log line to a closed stderr). TTIN and TTOU are
// ignored with SIG_IGN, which only the addon can set: with a handler, the write
// or tcsetpgrp that raised one is restarted and raises it again, forever.
// Without the addon, Node's handlers pass on the signals it has names for.
// Until then (the addon loads about a millisecond after this module) the
// passed-on signals keep their default action, as during Node's own start-up.
import { SIGNALS } from './linux-signals.ts';
import * as log from './log.ts';
import type { Native } from './native.ts';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const FORWARDED_SIGNALS = [
  'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM', 'SIGPWR', 'SIGXCPU',
  'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGURG', 'SIGCONT', 'SIGSTKFLT', 'SIGTSTP',
] as const;
/** Passed on only by the addon (with the real-time signals). */
const NATIVE_FORWARDED_SIGNALS = ['SIGPIPE', 'SIGXFSZ'] as const;
const JOB_CONTROL_SIGNALS = ['SIGTTIN', 'SIGTTOU'] as const;

class Signals {
  /** What asked for the stop first (a signal's name, or another reason), or null. */
  stopReason: string | null = null;
  private target: number | null = null;
  private native: Native | null = null;
  private readonly stopListeners = new Set<() => void>();
  private ignoreStops = false;

  constructor() {
    for (const name of STOP_SIGNALS) process.on(name, () => this.requestStop(name));
  }

  /**
   * The rest of the signals, passed on by the addon's handler. Without it
   * (null), Node's handlers pass on the ones it has names for, the real-time
   * signals keep their default action, SIGPIPE and SIGXFSZ stay ignored, and
   * TTIN and TTOU get a handler: the init then keeps the terminal's foreground
   * (the main command gets no group of its own), so the kernel never raises
   * them on its own writes, and a handler is safe.
   */
  useNative(native: Native | null): void {
    if (native === null) {
      for (const name of FORWARDED_SIGNALS) process.on(name, () => this.forward(name));
      for (const name of JOB_CONTROL_SIGNALS) process.on(name, () => log.debug(`Ignoring ${name}.`));
      return;
    }
    this.native = native;
    const [first, last] = native.realtimeSignals();
    const numbers: number[] = [...FORWARDED_SIGNALS, ...NATIVE_FORWARDED_SIGNALS].map((name) => SIGNALS[name]);
    for (let signal = first; signal <= last; signal++) numbers.push(signal);
    native.forwardSignals(numbers);
    native.ignoreSignals(JOB_CONTROL_SIGNALS.map((name) => SIGNALS[name]));
    if (this.target !== null) native.setForwardTarget(this.target);
  }

  /** Where forwarded signals go; null drops them. */
  get forwardTo(): number | null {
    return this.target;
  }

  set forwardTo(pid: number | null) {
    this.target = pid;
    this.native?.setForwardTarget(pid ?? 0);
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
    if (this.target === null) {
      log.debug(`Ignoring ${name}: there is no main command to pass it to.`);
      return;
    }
    log.debug(`Passing ${name} to PID ${this.target}.`);
    try {
      process.kill(this.target, name);
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
