// One handed-over run of svlogd (see logger-handoff.ts): its engine, the log
// pipe it reads, and the stub at the other end of its channel, which passes
// on the signals svlogd answers and is told when to exit.
import type { Logger } from '../svlogd/logger.ts';
import { EXIT_BYTE, SIGNAL_BYTES } from '../svlogd/handoff-protocol.ts';
import { SystemError } from '../system/errors.ts';
import { close } from '../system/files.ts';
import { type Reader, readFrom } from '../system/input.ts';
import type { LineCarry } from './line-carry.ts';

/** The supervisor's end of a run's channel. */
export interface StubChannel {
  send(bytes: Uint8Array): void;
  /** Closes it (once): the stub, if still there, exits 111. */
  close(): void;
}

/** svlogd's code for a fatal error. */
const EXIT_FATAL = 111;

export class HandedOverRun {
  /** Settles when the engine has written everything and let its directories (and their locks) go. */
  readonly ended: Promise<void>;
  private settle: () => void = () => {};
  private readonly engine: Logger;
  private readonly channel: StubChannel;
  private readonly carry: LineCarry;
  private reader: Reader | null = null;
  private pipeFd = -1;
  private finishing = false;
  private readonly onFailure: (error: unknown) => void;

  /** `onFailure`: the engine threw (a bug); the run is ended as svlogd's fatal error would end it. */
  constructor(engine: Logger, channel: StubChannel, carry: LineCarry, onFailure: (error: unknown) => void) {
    this.engine = engine;
    this.channel = channel;
    this.carry = carry;
    this.onFailure = onFailure;
    this.ended = new Promise((resolve) => (this.settle = resolve));
    // Ended on its own (no directory could be opened, or a reload left none): the stub exits with its code, as svlogd would.
    void engine.done.then(() => this.finish(true));
  }

  /**
   * Reads the log pipe from `fd` (ours to close), straight into the engine's
   * read buffer: a chunk of whole lines is taken there without a copy.
   */
  startReading(fd: number | SystemError): void {
    if (this.finishing) {
      if (typeof fd === 'number') close(fd);
      return;
    }
    if (fd instanceof SystemError) return void this.finish(true);
    this.pipeFd = fd;
    const { engine, carry } = this;
    const reader = readFrom(fd, (bytes) => {
      const lines = carry.take(bytes);
      this.guarded(() => {
        if (lines.length > 0 && !engine.write(lines)) this.reader?.pause();
      });
    }, (error) => {
      // Every writer has closed the pipe: the service is gone for good, as at shutdown.
      if (error === null) {
        const rest = carry.rest();
        if (rest.length > 0) this.guarded(() => engine.write(rest));
      }
      void this.finish(true);
    }, { into: engine.readBuffer() });
    if (reader instanceof SystemError) return void this.finish(true);
    this.reader = reader;
    engine.onWritable = () => this.reader?.resume();
  }

  /** Runs an engine call; if it throws (a bug), PID 1 goes on and this run ends as a failed svlogd would. */
  private guarded(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.onFailure(error);
      void this.finish(true);
    }
  }

  /** Bytes from the stub: the signals it was sent. */
  signal(bytes: Uint8Array): void {
    for (const byte of bytes) {
      // svlogd hears no signal once it is on its way out.
      if (this.finishing) return;
      switch (SIGNAL_BYTES[String.fromCharCode(byte) as keyof typeof SIGNAL_BYTES]) {
        case 'SIGHUP':
          this.guarded(() => this.engine.reload());
          break;
        case 'SIGALRM':
          this.guarded(() => this.engine.rotate());
          break;
        case 'SIGTERM':
          // As svlogd (`sigterm received.` with -v); finish's end() then stops it without reading on, even in mid-line.
          this.guarded(() => void this.engine.terminate());
          void this.finish(true);
          break;
      }
    }
  }

  /**
   * Stops reading (what is left stays in the pipe, and the start of a line
   * in the carry, for the next run), writes out what was read, and ends the
   * stub with svlogd's code; without `tellStub` the stub is gone already
   * (killed), and there is nobody to tell.
   */
  async finish(tellStub: boolean): Promise<void> {
    if (this.finishing) return;
    this.finishing = true;
    this.reader?.close();
    this.reader = null;
    if (this.pipeFd >= 0) close(this.pipeFd);
    this.pipeFd = -1;
    let code = EXIT_FATAL;
    try {
      code = await this.engine.end();
    } catch (error) {
      this.onFailure(error);
    }
    if (tellStub) this.channel.send(Uint8Array.of(EXIT_BYTE, code & 0xff));
    this.channel.close();
    this.settle();
  }
}
