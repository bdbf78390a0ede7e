// runit's supervise/ files, byte for byte as runsv writes them, so that runit's
// own `sv` (and anything else that reads them) works with our supervisor.

export type State = 'down' | 'run' | 'finish';
export type Want = 'up' | 'down' | 'exit';

export interface Status {
  /** Time of the last state change, in milliseconds since the epoch. */
  changedAt: number;
  /** The process of `./run`, or of `./finish` while it runs; 0 when none. */
  pid: number;
  paused: boolean;
  want: Want;
  /** A SIGTERM was sent and the process has not yet exited. */
  gotTerm: boolean;
  state: State;
}

export const STATUS_BYTES = 20;
export const TAI64_EPOCH = 2n ** 62n + 10n;
/** TAI64's seconds as two 32-bit halves: 2^62 is the high half's 0x40000000, the 10 leap seconds go in the low half. */
const TAI64_HIGH = 0x40000000;
const TAI64_LEAP_SECONDS = 10;
const TWO_32 = 2 ** 32;
const STATE_CODES: Record<State, number> = { down: 0, run: 1, finish: 2 };
const STATES: readonly State[] = ['down', 'run', 'finish'];

/** The 20-byte supervise/status (daemontools-compatible). */
export function encodeStatus(status: Status): Uint8Array {
  const bytes = new Uint8Array(STATUS_BYTES);
  const view = new DataView(bytes.buffer);
  const seconds = Math.floor(status.changedAt / 1000) + TAI64_LEAP_SECONDS;
  const micros = Math.floor((status.changedAt % 1000) * 1000);
  view.setUint32(0, TAI64_HIGH + Math.floor(seconds / TWO_32));
  view.setUint32(4, seconds % TWO_32);
  // runsv writes microseconds * 1000 + 500.
  view.setUint32(8, micros * 1000 + 500);
  view.setUint32(12, status.pid, true);
  bytes[16] = status.paused ? 1 : 0;
  // Want down and want exit are both written as 'd'.
  bytes[17] = status.want === 'up' ? 0x75 : 0x64;
  bytes[18] = status.gotTerm ? 1 : 0;
  bytes[19] = STATE_CODES[status.state];
  return bytes;
}

/** The parts of a status file that `sv` reads; null when it is not 20 bytes. */
export function decodeStatus(bytes: Uint8Array): Omit<Status, 'want'> & { want: 'up' | 'down' } | null {
  if (bytes.length !== STATUS_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const seconds = (view.getUint32(0) - TAI64_HIGH) * TWO_32 + view.getUint32(4) - TAI64_LEAP_SECONDS;
  const nanos = view.getUint32(8);
  return {
    changedAt: seconds * 1000 + Math.floor(nanos / 1e6),
    pid: view.getUint32(12, true),
    paused: bytes[16] !== 0,
    want: bytes[17] === 0x75 ? 'up' : 'down',
    gotTerm: bytes[18] !== 0,
    state: STATES[bytes[19]!] ?? 'down',
  };
}

/** supervise/stat: one human-readable line. */
export function renderStat(status: Status): string {
  let text: string = status.state;
  if (status.paused) text += ', paused';
  if (status.gotTerm) text += ', got TERM';
  if (status.state !== 'down' && status.want !== 'up') text += `, want ${status.want}`;
  return `${text}\n`;
}

/** supervise/pid: the pid and a newline, or nothing when no process runs. */
export function renderPid(pid: number): string {
  return pid === 0 ? '' : `${pid}\n`;
}
