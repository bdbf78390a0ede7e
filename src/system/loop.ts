// The event loop, as the programs see it: timers, descriptors to watch, and
// what keeps the process alive. The platform (src/platform/loop.c) waits on
// epoll and runs promise jobs; everything else is decided here:
// - next() runs the immediates and timers that are due, and says how long the
//   platform may wait for a descriptor;
// - a timer or watch keeps the process alive unless unref()'d, as in Node; when
//   nothing does, the process exits with exitCode (setExitCode).
import {
  now, poll, setHandlers, unwatch as platformUnwatch, wallClockMicroseconds as platformWallClock, watch as platformWatch,
} from 'sys:loop';
import { exit } from 'sys:processes';
import { checked, type SystemError } from './errors.ts';

/** epoll's events. */
export const READABLE = 0x001;
export const WRITABLE = 0x004;
export const ERROR = 0x008;
export const HANGUP = 0x010;

/** Waits, outside the loop, up to `ms` for `fd` to be ready for `events` (poll's POLLIN 1, POLLOUT 4); the events that came. */
export function waitUntilReady(fd: number, events: number, ms: number): number | SystemError {
  return checked(poll(fd, events, ms), 'poll');
}

/** Milliseconds on a monotonic clock. */
export const monotonicMs = (): number => now();

/** Microseconds since the epoch, on the wall clock (Date.now() has only milliseconds). */
export const wallClockMicroseconds = (): number => platformWallClock();

/** What the platform's loop is told: callbacks ran; run their promise jobs, look at the descriptors without waiting, then call next() again. */
const AGAIN = -2;
/** Wait for descriptors only. */
const FOREVER = -1;

let exitCode = 0;
/** Timers and watches that keep the process alive. */
let refs = 0;

/** The code the process exits with when nothing is left to wait for (Node's process.exitCode). */
export function setExitCode(code: number): void {
  exitCode = code;
}

export interface Handle {
  /** Keeps the process alive (the default). */
  ref(): this;
  /** No longer keeps the process alive. */
  unref(): this;
}

/** A handle's part in keeping the process alive, counted only while it is active. */
abstract class Referenced implements Handle {
  private referenced = true;
  private counted = false;

  ref(): this {
    this.referenced = true;
    this.recount();
    return this;
  }

  unref(): this {
    this.referenced = false;
    this.recount();
    return this;
  }

  /** As Node's: ref()'d or not, whether active or not. */
  hasRef(): boolean {
    return this.referenced;
  }

  protected abstract get active(): boolean;

  protected recount(): void {
    const counts = this.referenced && this.active;
    if (counts !== this.counted) refs += counts ? 1 : -1;
    this.counted = counts;
  }
}

export class Timer extends Referenced {
  /** When it is due, on the monotonic clock. */
  due = 0;
  /** Which scheduling of it the heap entry is: refresh() and clear make older entries stale. */
  generation = 0;
  private scheduled = false;
  readonly callback: () => void;
  readonly ms: number;
  readonly repeat: boolean;

  constructor(callback: () => void, ms: number, repeat: boolean) {
    super();
    this.callback = callback;
    // As Node: anything that is not a number from 1 to 2^31 - 1 is 1 ms.
    this.ms = ms >= 1 && ms <= 0x7fffffff ? ms : 1;
    this.repeat = repeat;
  }

  protected get active(): boolean {
    return this.scheduled;
  }

  /** Starts it again from now, as Node's timeout.refresh(). */
  refresh(): this {
    schedule(this);
    return this;
  }

  /** Called by the heap: (re)armed or cleared. */
  setScheduled(scheduled: boolean): void {
    this.scheduled = scheduled;
    this.recount();
  }
}

/** A min-heap of [due, generation, timer] by due time; stale entries are dropped as they surface. */
const heap: Array<[number, number, Timer]> = [];

function heapPush(entry: [number, number, Timer]): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent]![0] <= entry[0]) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function heapPop(): [number, number, Timer] | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || last === undefined) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]![0] < heap[left]![0] ? right : left;
    if (heap[child]![0] >= last[0]) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = last;
  return top;
}

function schedule(timer: Timer): void {
  timer.generation++;
  timer.due = now() + timer.ms;
  heapPush([timer.due, timer.generation, timer]);
  timer.setScheduled(true);
}

export function setTimeout(callback: () => void, ms: number): Timer {
  const timer = new Timer(callback, ms, false);
  schedule(timer);
  return timer;
}

export function setInterval(callback: () => void, ms: number): Timer {
  const timer = new Timer(callback, ms, true);
  schedule(timer);
  return timer;
}

export function clearTimeout(timer: Timer | null | undefined): void {
  if (timer === null || timer === undefined) return;
  timer.generation++;
  timer.setScheduled(false);
}

export const clearInterval = clearTimeout;

/** Callbacks for the next turn of the loop, after the promise jobs of this one. */
let immediates: Array<() => void> = [];

export function setImmediate(callback: () => void): void {
  immediates.push(callback);
}

export function queueMicrotask(callback: () => void): void {
  void Promise.resolve().then(callback);
}

/** A descriptor the loop waits on. */
export class Watch extends Referenced {
  readonly fd: number;
  private readonly id: number;
  private events: number;
  private open = true;
  private readonly onReady: (events: number) => void;

  constructor(fd: number, events: number, id: number, onReady: (events: number) => void) {
    super();
    this.fd = fd;
    this.id = id;
    this.events = events;
    this.onReady = onReady;
    this.recount();
  }

  protected get active(): boolean {
    return this.open;
  }

  /**
   * Changes which events are waited for. 0 takes the fd out of epoll for now
   * (the watch stays, and keeps the process alive as before): epoll reports a
   * hang-up even for an fd that waits for nothing.
   */
  setEvents(events: number): SystemError | undefined {
    if (!this.open || events === this.events) return undefined;
    this.events = events;
    if (events === 0) {
      platformUnwatch(this.fd);
      return undefined;
    }
    const done = checked(platformWatch(this.fd, events, this.id), 'epoll_ctl');
    return typeof done === 'number' ? undefined : done;
  }

  /** Stops watching; the descriptor stays the caller's to close (after this). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    watches.delete(this.id);
    platformUnwatch(this.fd);
    this.recount();
  }

  /** Called by the loop. */
  ready(events: number): void {
    if (this.open) this.onReady(events);
  }
}

const watches = new Map<number, Watch>();
let nextId = 1;

/** Calls `onReady(events)` each time `fd` is ready for `events` (level-triggered), until close(). */
export function watch(fd: number, events: number, onReady: (events: number) => void): Watch | SystemError {
  const id = nextId++;
  const added = checked(platformWatch(fd, events, id), 'epoll_ctl');
  if (typeof added !== 'number') return added;
  const handle = new Watch(fd, events, id, onReady);
  watches.set(id, handle);
  return handle;
}

function next(): number {
  let ran = false;
  if (immediates.length > 0) {
    const batch = immediates;
    immediates = [];
    for (const callback of batch) callback();
    ran = true;
  }
  const time = now();
  while (heap.length > 0 && heap[0]![0] <= time) {
    const [, generation, timer] = heapPop()!;
    if (generation !== timer.generation) continue;
    if (timer.repeat) schedule(timer);
    else timer.setScheduled(false);
    timer.callback();
    ran = true;
    // Promise jobs of this callback first: they may clear or add timers.
    break;
  }
  if (ran) return AGAIN;
  while (heap.length > 0 && heap[0]![1] !== heap[0]![2].generation) heapPop();
  if (refs === 0) exit(exitCode);
  return heap.length === 0 ? FOREVER : Math.max(0, Math.ceil(heap[0]![0] - time));
}

setHandlers((id, events) => watches.get(id)?.ready(events), next);
