// What a descriptor gives, as it comes: the read side of pipes, FIFOs,
// sockets and terminals, through the loop. Each chunk is a fresh copy (the
// receiver may keep it); the end is said once, with the error that ended it,
// if one did.
import { SystemError } from './errors.ts';
import { read, setNonBlocking } from './files.ts';
import { ERROR, HANGUP, READABLE, type Watch, watch } from './loop.ts';

export interface Reader {
  /** Stops reading until resume(); what comes meanwhile waits in the kernel's buffer. */
  pause(): void;
  resume(): void;
  /** Stops for good; the fd stays the caller's to close. */
  close(): void;
  /** Keeps the process alive while reading (the default), or not. */
  ref(): void;
  unref(): void;
}

export interface ReadOptions {
  /** The most one read takes (default 64 KiB). */
  chunkBytes?: number;
  /** Makes `fd` non-blocking first (default true): a read must never hold the loop. */
  nonBlocking?: boolean;
}

/**
 * Calls `onData` with each chunk read from `fd`, and `onEnd` once at end of
 * file or at an error (not at close()).
 */
export function readFrom(
  fd: number,
  onData: (bytes: Uint8Array) => void,
  onEnd: (error: SystemError | null) => void,
  { chunkBytes = 65536, nonBlocking = true }: ReadOptions = {},
): Reader | SystemError {
  if (nonBlocking) {
    const made = setNonBlocking(fd, true);
    if (made !== undefined) return made;
  }
  const buffer = new Uint8Array(chunkBytes);
  let ended = false;
  let handle: Watch | null = null;
  const end = (error: SystemError | null): void => {
    if (ended) return;
    ended = true;
    handle?.close();
    onEnd(error);
  };
  const drain = (): void => {
    // A bounded number of reads per turn: a fast writer cannot hold the loop.
    for (let i = 0; i < 16 && !ended && !paused; i++) {
      const got = read(fd, buffer);
      if (got instanceof SystemError) {
        if (got.code !== 'EAGAIN') end(got);
        return;
      }
      if (got === 0) return end(null);
      onData(buffer.slice(0, got));
    }
  };
  let paused = false;
  const watched = watch(fd, READABLE, (events) => {
    if ((events & (READABLE | HANGUP | ERROR)) !== 0) drain();
  });
  if (watched instanceof SystemError) return watched;
  handle = watched;
  return {
    pause() {
      if (paused || ended) return;
      paused = true;
      handle?.setEvents(0);
    },
    resume() {
      if (!paused || ended) return;
      paused = false;
      handle?.setEvents(READABLE);
    },
    close() {
      ended = true;
      handle?.close();
    },
    ref() {
      handle?.ref();
    },
    unref() {
      handle?.unref();
    },
  };
}
