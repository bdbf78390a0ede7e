// Signals as events of the loop. A signal with a listener is blocked and read
// from a signalfd, so it is never lost, not even by PID 1 (the kernel drops
// an unhandled signal sent to PID 1, but queues a blocked one); without
// listeners it is unblocked again and has its default action, as in Node. The
// watch does not keep the process alive.
import { block, ignore, readSignals, setDefault, signalfd, unblock } from 'sys:signals';
import { checked, must } from './errors.ts';
import { READABLE, watch } from './loop.ts';

export interface SignalInfo {
  signal: number;
  /** The sender's pid (0 from outside our PID namespace). */
  pid: number;
  /** si_code: SI_USER (0) for kill(), others for what the kernel raised. */
  code: number;
}

/** si_code of a signal sent with kill(): also what the kernel gives a SIGPIPE it raises for a write of ours. */
export const SI_USER = 0;

type Listener = (info: SignalInfo) => void;

const listeners = new Map<number, Set<Listener>>();
let fd = -1;

function readQueued(): void {
  const queued = must(checked(readSignals(fd), 'read', 'signalfd'));
  for (const [signal, pid, code] of queued) {
    for (const listener of [...(listeners.get(signal) ?? [])]) listener({ signal, pid, code });
  }
}

function updateSignalfd(): void {
  const numbers = [...listeners.keys()];
  const first = fd < 0;
  fd = must(checked(signalfd(fd, numbers), 'signalfd'));
  if (first) must(watch(fd, READABLE, readQueued)).unref();
}

/** Calls `listener` for each of `signals` received, until the returned function is called. */
export function onSignals(signals: readonly number[], listener: Listener): () => void {
  const added = signals.filter((signal) => !listeners.has(signal));
  for (const signal of signals) {
    if (!listeners.has(signal)) listeners.set(signal, new Set());
    listeners.get(signal)!.add(listener);
  }
  if (added.length > 0) {
    must(checked(block(added), 'sigprocmask'));
    updateSignalfd();
  }
  return () => {
    const emptied = signals.filter((signal) => {
      const set = listeners.get(signal);
      if (set === undefined || !set.delete(listener) || set.size > 0) return false;
      listeners.delete(signal);
      return true;
    });
    if (emptied.length === 0) return;
    updateSignalfd();
    must(checked(unblock(emptied), 'sigprocmask'));
  };
}

/** Calls `listener` for each `signal` received, until the returned function is called. */
export const onSignal = (signal: number, listener: Listener): (() => void) => onSignals([signal], listener);

/** SIG_IGN: the kernel discards them (a child gets its default actions back; see spawn). */
export function ignoreSignals(signals: readonly number[]): void {
  must(checked(ignore(signals), 'sigaction'));
}

/** SIG_DFL. */
export function defaultSignals(signals: readonly number[]): void {
  must(checked(setDefault(signals), 'sigaction'));
}
