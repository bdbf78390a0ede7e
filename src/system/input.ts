// What a descriptor gives, as it comes: the read side of pipes, FIFOs,
// sockets and terminals, through the loop. Each chunk is a fresh copy (the
// receiver may keep it), or a view of the caller's own buffer; the end is
// said once, with the error that ended it, if one did.
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
  /** The most one read takes (default, and at most, 64 KiB). */
  chunkBytes?: number;
  /** Makes `fd` non-blocking first (default true): a read must never hold the loop. */
  nonBlocking?: boolean;
  /**
   * Reads into this buffer (chunkBytes is then its length), and onData gets a
   * view of it rather than a copy: the receiver is done with it when onData
   * returns, or pauses (nothing is read into it until resume()).
   */
  into?: Uint8Array;
}

/**
 * Where readers that hand out copies read into: one for all of them (a read
 * and its copy happen in one callback), made on first use. One 64 KiB buffer
 * per reader cost PID 1 a megabyte with 10 services and their loggers, each
 * with a control FIFO that carries a byte at a time.
 */
let scratch: Uint8Array | null = null;
const SCRATCH_BYTES = 65536;

/**
 * Calls `onData` with each chunk read from `fd`, and `onEnd` once at end of
 * file or at an error (not at close()).
 */
export function readFrom(
  fd: number,
  onData: (bytes: Uint8Array) => void,
  onEnd: (error: SystemError | null) => void,
  { chunkBytes = 65536, nonBlocking = true, into }: ReadOptions = {},
): Reader | SystemError {
  if (nonBlocking) {
    const made = setNonBlocking(fd, true);
    if (made !== undefined) return made;
  }
  const length = into?.length ?? Math.min(chunkBytes, SCRATCH_BYTES);
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
      const buffer = into ?? (scratch ??= new Uint8Array(SCRATCH_BYTES));
      const got = read(fd, buffer, 0, length);
      if (got instanceof SystemError) {
        if (got.code !== 'EAGAIN') end(got);
        return;
      }
      if (got === 0) return end(null);
      onData(into === undefined ? buffer.slice(0, got) : buffer.subarray(0, got));
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
