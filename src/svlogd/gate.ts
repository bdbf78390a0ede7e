// svlogd is one thread: while it waits (for a processor to finish before the
// next rotation, or 3 s after a failed write) nothing else happens. Ours runs
// on an event loop, which must go on turning meanwhile (the processor's exit
// and the signals come through it), so it cannot wait that way: every step
// that touches a log directory runs through this gate: while it is closed,
// steps queue up in order, and they run when the awaited thing is over.
import { setTimeout } from '../system/loop.ts';

export type Step = () => void;

export class Gate {
  blocked = false;
  private queued: Step[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Called each time the gate opens and its queue has run without closing it again. */
  onOpen: () => void = () => {};

  /** Runs `step` now, or after the steps already waiting. */
  run(step: Step): void {
    if (this.blocked) this.queued.push(step);
    else step();
  }

  /** Closes the gate until `until` settles. The caller queues (with run) whatever must follow. */
  block(until: Promise<unknown>): void {
    this.blocked = true;
    const open = (): void => {
      this.blocked = false;
      this.drain();
      if (this.blocked) return;
      for (const wake of this.idleWaiters.splice(0)) wake();
      this.onOpen();
    };
    until.then(open, open);
  }

  /** Resolves when the gate is open and nothing waits behind it. */
  idle(): Promise<void> {
    if (!this.blocked) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private drain(): void {
    const steps = this.queued;
    this.queued = [];
    for (let index = 0; index < steps.length; index++) {
      if (this.blocked) {
        // What the step that closed the gate queued comes first, then the rest, in order.
        this.queued.push(...steps.slice(index));
        return;
      }
      steps[index]!();
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
