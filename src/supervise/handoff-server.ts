// Serves one run's hand-off channel (see logger-handoff.ts): reads svlogd's
// request, answers it, and then passes the stub's bytes (its signals) to the
// run it started.
import { ACCEPTED, MAX_REQUEST_BYTES, parseRequest, REFUSED, type Request } from '../svlogd/handoff-protocol.ts';
import { SystemError } from '../system/errors.ts';
import { close, O_NONBLOCK, O_RDONLY, open, readlink, readText, write } from '../system/files.ts';
import { type Reader, readFrom } from '../system/input.ts';
import { egid, euid } from '../system/processes.ts';
import { concatBytes, fromUtf8, latin1 } from '../system/text.ts';
import * as log from '../log.ts';
import { HandedOverRun, type StubChannel } from './handed-over-run.ts';
import { LineCarry } from './line-carry.ts';
import { startLogEngine } from './log-engine.ts';
import type { LoggerHandoff } from './logger-handoff.ts';

const NEWLINE = 0x0a;

/** Serves `fd`, our end of the channel of the run `pid` of `handoff`'s logger. */
export function serve(handoff: LoggerHandoff, fd: number, pid: number): void {
  let reader: Reader | null = null;
  const channel = stubChannel(fd, () => reader?.close());
  const request: Uint8Array[] = [];
  let requestBytes = 0;
  let answering = false;
  let run: HandedOverRun | null = null;
  let hungUp = false;
  const started = readFrom(fd, (bytes) => {
    if (run !== null) return run.signal(bytes);
    // svlogd says nothing more until it has its answer; the request is one line.
    if (answering) return;
    request.push(bytes);
    requestBytes += bytes.length;
    if (!bytes.includes(NEWLINE)) {
      if (requestBytes > MAX_REQUEST_BYTES) channel.close();
      return;
    }
    answering = true;
    const line = concatBytes(request.splice(0));
    const parsed = parseRequest(fromUtf8(line.subarray(0, line.indexOf(NEWLINE))));
    void answer(handoff, parsed, pid, channel).then((accepted) => {
      run = accepted;
      // Killed while its engine was starting: nobody to serve, and the next run must not wait for this one.
      if (hungUp) void run?.finish(false);
    });
  }, () => {
    // The stub is gone (killed), or svlogd was before it asked.
    hungUp = true;
    if (run !== null) void run.finish(false);
    else if (!answering) channel.close();
  });
  if (started instanceof SystemError) return channel.close();
  reader = started;
}

/** Accepts a request from the run's own process, once the run before has let the directories go: the run, or null (refused, and said so). */
async function answer(handoff: LoggerHandoff, request: Request | null, pid: number, channel: StubChannel): Promise<HandedOverRun | null> {
  if (handoff.failed || request === null || request.pid !== pid || !makesFilesAsWeDo(pid)) return refuse(channel);
  const before = handoff.previous;
  let settle = (): void => {};
  handoff.previous = new Promise((resolve) => (settle = resolve));
  await before;
  const engine = await startLogEngine(request, handoff.children);
  if (engine instanceof Error) {
    settle();
    return refuse(channel);
  }
  const run = new HandedOverRun(engine, channel, (handoff.carry ??= new LineCarry()), (error) => {
    if (handoff.failed) return;
    handoff.failed = true;
    log.warn(`Warning: the logger of ${handoff.directory} failed in PID 1 (${describe(error)}); its svlogd runs on its own from now on.`);
  });
  void run.ended.then(settle);
  channel.send(latin1(ACCEPTED));
  // A new open file description, non-blocking for our loop, leaving the one log/run's processes share (blocking) as it is.
  run.startReading(open(`/proc/self/fd/${handoff.pipeFd}`, O_RDONLY | O_NONBLOCK));
  return run;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function refuse(channel: StubChannel): null {
  channel.send(latin1(REFUSED));
  channel.close();
  return null;
}

/** Our end of a run's channel: writes are a few bytes, best effort (a stub gone is seen as the channel's end). */
function stubChannel(fd: number, stopReading: () => void): StubChannel {
  let isOpen = true;
  return {
    send: (bytes) => {
      if (isOpen) write(fd, bytes);
    },
    close: () => {
      if (!isOpen) return;
      isOpen = false;
      stopReading();
      close(fd);
    },
  };
}

/**
 * Whether the process makes files as we would: the same effective user and
 * group, umask and root directory. The log files are then the ones svlogd
 * would have made itself (one run through `chpst -u`, or with a umask of its
 * own, runs on its own instead).
 */
function makesFilesAsWeDo(pid: number): boolean {
  const theirs = readText(`/proc/${pid}/status`);
  const ours = readText('/proc/self/status');
  if (theirs instanceof SystemError || ours instanceof SystemError) return false;
  const effective = (status: string, field: string): number => Number(new RegExp(`^${field}:\\t\\d+\\t(\\d+)`, 'm').exec(status)?.[1] ?? -1);
  const umask = (status: string): string => /^Umask:\t(\d+)/m.exec(status)?.[1] ?? '';
  const root = (of: string): string | SystemError => readlink(`/proc/${of}/root`);
  return effective(theirs, 'Uid') === euid() && effective(theirs, 'Gid') === egid()
    && umask(theirs) === umask(ours) && root(String(pid)) === root('self');
}
