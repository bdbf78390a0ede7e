// Waiting until every dependency of a service is ready, each within its own
// SERVICE_DEPENDENCY_TIMEOUT. Polls: readiness comes from ./check scripts
// (and, later, from notifications) that nothing announces, and the wait only
// lasts while services start, so an idle init never wakes for it.
import { monotonicMs, setTimeout } from '../system/loop.ts';

/** What a dependency offers: whether it is running and ready at this moment. */
export interface Readiness {
  readyNow(): Promise<boolean>;
}

/** Where a dependency stands, as the supervisor sees it at one look. */
export type DependencyState =
  /** Itself waiting for its own dependencies: its clock has not started. */
  | { kind: 'held' }
  /** Will not start by itself (refused, or its own dependencies failed). */
  | { kind: 'left-down' }
  /** Started at `since` (monotonic ms), or could not be supervised yet (`readiness` null). */
  | { kind: 'started'; since: number; readiness: Readiness | null };

export type WaitOutcome =
  | { kind: 'ready' }
  | { kind: 'cancelled' }
  | { kind: 'timed-out'; dependency: string }
  | { kind: 'left-down'; dependency: string };

export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  lookup: (name: string) => DependencyState;
  /** Checked at each look: shutdown, or the service started by `sv up` meanwhile. */
  cancelled: () => boolean;
}

/**
 * Resolves once all of `names` are ready at the same look. A dependency's
 * clock starts when it was started, not when the wait did: in a chain, the
 * last service waits as long as the chain needs, while each link still gets
 * only the timeout to become ready.
 */
export async function waitForDependencies(names: readonly string[], options: WaitOptions): Promise<WaitOutcome> {
  const began = monotonicMs();
  for (;;) {
    if (options.cancelled()) return { kind: 'cancelled' };
    const states = names.map((name) => ({ name, state: options.lookup(name) }));
    const ready = await Promise.all(states.map(({ state }) => (state.kind === 'started' && state.readiness ? state.readiness.readyNow() : false)));
    if (options.cancelled()) return { kind: 'cancelled' };
    if (ready.every(Boolean)) return { kind: 'ready' };
    const now = monotonicMs();
    for (const [i, { name, state }] of states.entries()) {
      if (ready[i]) continue;
      if (state.kind === 'left-down') return { kind: 'left-down', dependency: name };
      if (state.kind === 'started' && now - Math.max(began, state.since) >= options.timeoutMs) return { kind: 'timed-out', dependency: name };
    }
    await new Promise<void>((resolve) => setTimeout(() => resolve(), options.pollMs));
  }
}
