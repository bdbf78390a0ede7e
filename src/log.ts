// The `*** ` lines on stderr, exactly as the reference prints them. Written with
// writeSync to fd 2 rather than process.stderr: opening process.stderr would
// make libuv switch a shared pipe to non-blocking mode under every child.
import { writeSync } from 'node:fs';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

let verbosity: Verbosity = 'normal';

export function setVerbosity(level: Verbosity): void {
  verbosity = level;
}

export function writeStderr(text: string): void {
  const bytes = Buffer.from(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(2, bytes, offset);
    } catch (error) {
      // A non-blocking stderr that is full: wait briefly rather than lose the line.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      return; // No stderr (closed, EPIPE): nobody is listening.
    }
  }
}

/** Shown even with --quiet. */
export function error(message: string): void {
  writeStderr(`*** ${message}\n`);
}

export const warn = error;

export function info(message: string): void {
  if (verbosity !== 'quiet') writeStderr(`*** ${message}\n`);
}

/** The reference's debug messages, reachable with --verbose. */
export function debug(message: string): void {
  if (verbosity === 'verbose') writeStderr(`*** ${message}\n`);
}
