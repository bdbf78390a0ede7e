// The clock as svlogd reads it (gettimeofday, microseconds) and the three
// forms it writes: a TAI64N label (-t, and every rotated file's name),
// `YYYY-MM-DD_HH:MM:SS.xxxxx` (-tt) and `YYYY-MM-DDTHH:MM:SS.xxxxx` (-ttt),
// both in UTC with the fraction cut (not rounded) to five digits.
import { wallClockMicroseconds } from '../system/loop.ts';

export interface Instant {
  /** Seconds since the Unix epoch. */
  seconds: number;
  /** Nanoseconds as libtai's taia_now makes them: microseconds * 1000 + 500. */
  nanoseconds: number;
}

export function instantFromMicroseconds(microseconds: number): Instant {
  const seconds = Math.floor(microseconds / 1e6);
  return { seconds, nanoseconds: (microseconds - seconds * 1e6) * 1000 + 500 };
}

/** The wall clock, to the microsecond. */
export function now(): Instant {
  return instantFromMicroseconds(wallClockMicroseconds());
}

/** TAI64 is 2^62 + TAI seconds; libtai counts TAI as Unix time + 10. */
export function tai64nLabel(instant: Instant): string {
  const tai = (instant.seconds + 10).toString(16).padStart(8, '0');
  return `@40000000${tai}${instant.nanoseconds.toString(16).padStart(8, '0')}`;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** -tt (separator `_`) and -ttt (separator `T`). */
export function readableStamp(instant: Instant, separator: '_' | 'T'): string {
  const d = new Date(instant.seconds * 1000);
  const date = `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const fraction = String(instant.nanoseconds).padStart(9, '0').slice(0, 5);
  return `${date}${separator}${time}.${fraction}`;
}

/** The prefix a line gets for -t (1), -tt (2), -ttt (3), with its trailing space. */
export function lineStamp(level: 1 | 2 | 3, instant: Instant): string {
  if (level === 1) return `${tai64nLabel(instant)} `;
  return `${readableStamp(instant, level === 2 ? '_' : 'T')} `;
}
