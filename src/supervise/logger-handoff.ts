// The supervisor's side of the svlogd hand-off (the protocol:
// ../svlogd/handoff-protocol.ts), one per logger.
//
// Each run of `log/run` gets a fresh channel. When the svlogd at the other end
// asks, and it is the run's own process with our effective user and group
// (so that the files are the ones svlogd would have made), the same engine
// svlogd would run writes the log directories here, reading the pipe we hold
// already; the svlogd process becomes a stub of a few pages that keeps its pid.
// A JavaScript engine per logger was what a logger cost.
//
// Only the channel is made here: what serves it (handoff-server.ts) is loaded
// when the first logger starts, so that a supervisor whose services have no
// loggers never holds it.
import type { Children } from '../children.ts';
import { SystemError } from '../system/errors.ts';
import { close } from '../system/files.ts';
import { socketPair } from '../system/sockets.ts';
import type { LineCarry } from './line-carry.ts';

export interface LoggerChannel {
  /** The run's end of the channel: its fd 3. */
  readonly childEnd: number;
  /** The run has started as `pid`: its requests are served. */
  attach(pid: number): void;
  /** The run could not be started. */
  abandon(): void;
}

let server: Promise<typeof import('./handoff-server.ts')> | null = null;

export class LoggerHandoff {
  /** The logger's service directory, for the line that says it failed. */
  readonly directory: string;
  /** Our copy of the read end of the pipe from the service to its logger. */
  readonly pipeFd: number;
  /** Where processors are started and reaped. */
  readonly children: Children;
  /** Shared by the runs, one after the other: the start of a line one run read and did not pass on. Made at the first hand-off. */
  carry: LineCarry | null = null;
  /** Settles when the last run has written everything and let its directories (and their locks) go. */
  previous: Promise<void> = Promise.resolve();
  /**
   * The engine failed in PID 1 (a bug): from then on this logger's svlogd runs
   * on its own, where a failure ends a logger, which is restarted, not the init.
   */
  failed = false;

  constructor(directory: string, pipeFd: number, children: Children) {
    this.directory = directory;
    this.pipeFd = pipeFd;
    this.children = children;
  }

  /** A channel for the next run of log/run; null when none can be made (svlogd then runs on its own). */
  channel(): LoggerChannel | null {
    const pair = socketPair();
    if (pair instanceof SystemError) return null;
    const [ours, theirs] = pair;
    return {
      childEnd: theirs,
      attach: (pid) => {
        close(theirs);
        // What svlogd sends meanwhile waits in the socket.
        void (server ??= import('./handoff-server.ts')).then(({ serve }) => serve(this, ours, pid));
      },
      abandon: () => {
        close(theirs);
        close(ours);
      },
    };
  }
}
