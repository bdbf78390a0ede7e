// Signals as PID 1, and as tini handles them. The kernel drops a signal to
// PID 1 that has no handler, and a process that is not PID 1 dies of it (or
// stops), so every signal that can be caught is taken (system/signals.ts reads
// them from a signalfd, so none is lost between two reads):
// - TERM and INT ask for a stop, once: a repeat while stopping is ignored, as in
//   the reference.
// - Every other signal that someone may send is passed on to the main command
//   (dropped when there is none), TSTP included: the main command may stop, the
//   init never does. So are the real-time signals, 34 to 64, and
//   SIGPIPE and SIGXFSZ, unless the kernel raised them for a write of our own
//   (a log line to a closed stderr): then they are about us, not a request.
// - TTIN and TTOU are ignored (SIG_IGN), not passed on, as tini does: the
//   kernel sends them to a background process group that reads from or (with
//   `stty tostop`) writes to its terminal, which the init is once the main
//   command has the terminal; with a handler, the write or tcsetpgrp that
//   raised one would be restarted and raise it again, forever.
// - Not taken: CHLD (the reaper's), the faults the kernel raises on a thread
//   (SEGV, BUS, FPE, ILL, TRAP, SYS) and ABRT, as in tini; KILL and STOP cannot be.
import { REALTIME_SIGNALS, SIGNALS, signalName } from './linux-signals.ts';
import * as log from './log.ts';
import { kill, pid } from './system/processes.ts';
import { ignoreSignals, onSignals, SI_USER, type SignalInfo } from './system/signals.ts';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const FORWARDED_SIGNALS = [
  'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM', 'SIGPWR', 'SIGXCPU',
  'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGURG', 'SIGCONT', 'SIGSTKFLT', 'SIGTSTP', 'SIGPIPE', 'SIGXFSZ',
] as const;
/** Raised by the kernel for a write of ours: passed on only when someone sent them. */
const RAISED_FOR_WRITES: ReadonlySet<number> = new Set([SIGNALS.SIGPIPE, SIGNALS.SIGXFSZ]);
const JOB_CONTROL_SIGNALS = ['SIGTTIN', 'SIGTTOU'] as const;

class Signals {
  /** What asked for the stop first (a signal's name, or another reason), or null. */
  stopReason: string | null = null;
  private target: number | null = null;
  private readonly stopListeners = new Set<() => void>();
  private ignoreStops = false;

  constructor() {
    onSignals(STOP_SIGNALS.map((name) => SIGNALS[name]), ({ signal }) => this.requestStop(signalName(signal)));
    onSignals([...FORWARDED_SIGNALS.map((name) => SIGNALS[name]), ...REALTIME_SIGNALS], (info) => this.forward(info));
    ignoreSignals(JOB_CONTROL_SIGNALS.map((name) => SIGNALS[name]));
  }

  /** Where forwarded signals go; null drops them. */
  get forwardTo(): number | null {
    return this.target;
  }

  set forwardTo(target: number | null) {
    this.target = target;
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

  private forward({ signal, pid: sender, code }: SignalInfo): void {
    if (RAISED_FOR_WRITES.has(signal) && code === SI_USER && sender === pid) return;
    const name = signalName(signal);
    if (this.target === null) {
      log.debug(`Ignoring ${name}: there is no main command to pass it to.`);
      return;
    }
    log.debug(`Passing ${name} to PID ${this.target}.`);
    // Gone already (it has just exited): nothing to pass it to.
    kill(this.target, signal);
  }
}

/**
 * Created when this module is first evaluated, which programs/my_init.ts arranges to be
 * before anything else loads: a signal that comes while the rest of my_init
 * loads is then taken, not dropped by the kernel.
 */
export const signals = new Signals();
export type { Signals };
