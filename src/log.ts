// The `*** ` lines on stderr, exactly as the reference prints them, each
// written whole with write(2) on fd 2: nothing is buffered, so a line is out
// before whatever happens next (an exec, an exit, a crash).
import { SystemError } from './system/errors.ts';
import { write } from './system/files.ts';
import { WRITABLE, waitUntilReady } from './system/loop.ts';
import { utf8 } from './system/text.ts';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

let verbosity: Verbosity = 'normal';

export function setVerbosity(level: Verbosity): void {
  verbosity = level;
}

/** How long a full, non-blocking stderr (or stdout) may hold up a line before it is dropped. */
const FULL_STDERR_MS = 1000;

export function writeStderr(text: string | Uint8Array): void {
  writeWhole(2, text);
}

/** The output of runit's client programs (sv, update-service, my_init --health), written as stderr is. */
export function writeStdout(text: string | Uint8Array): void {
  writeWhole(1, text);
}

function writeWhole(fd: 1 | 2, text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? utf8(text) : text;
  let offset = 0;
  let ready: number | SystemError;
  while (offset < bytes.length) {
    const wrote = write(fd, bytes, offset);
    if (!(wrote instanceof SystemError)) {
      offset += wrote;
      continue;
    }
    // A non-blocking output that is full: wait for room rather than lose the line.
    if (wrote.code === 'EAGAIN' && typeof (ready = waitUntilReady(fd, WRITABLE, FULL_STDERR_MS)) === 'number' && ready > 0) continue;
    return; // No one reading (closed, EPIPE): nobody is listening.
  }
}

/** Control characters as \xHH: see warn(). */
function oneLine(text: string): string {
  return text.replaceAll(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Shown even with --quiet. */
export function error(message: string): void {
  writeStderr(`*** ${message}\n`);
}

/**
 * A warning, shown even with --quiet, always on one line: the names in warnings
 * come from files and the environment, and a newline in one must not split the
 * line (or forge another), nor an escape sequence reach the terminal.
 */
export function warn(message: string): void {
  error(oneLine(message));
}

export function info(message: string): void {
  if (verbosity !== 'quiet') writeStderr(`*** ${message}\n`);
}

/** The reference's debug messages, reachable with --verbose. */
export function debug(message: string): void {
  if (verbosity === 'verbose') writeStderr(`*** ${message}\n`);
}
