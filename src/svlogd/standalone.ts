// svlogd on its own, as runit's: the engine (logger.ts) given stdin, stderr,
// the signals svlogd answers (HUP, ALRM, TERM) and the exit code. Loaded by
// src/programs/svlogd.ts only when svlogd has not handed its work to its
// supervisor (handoff.ts).
import { SIGNALS } from '../linux-signals.ts';
import { writeStderr } from '../log.ts';
import { errorText } from '../runit-errors.ts';
import { EXIT_FATAL, parseSvlogdArguments, SvlogdUsageError } from './arguments.ts';
import { loggerEnvironment } from './handoff.ts';
import { Logger } from './logger.ts';
import { SystemError } from '../system/errors.ts';
import { currentDirectory, fstat, isTerminal, read } from '../system/files.ts';
import { type Reader, readFrom } from '../system/input.ts';
import { setTimeout } from '../system/loop.ts';
import { argv0, exit, setProcessName } from '../system/processes.ts';
import { onSignal } from '../system/signals.ts';
import { concatBytes, utf8 } from '../system/text.ts';

const NEWLINE = Uint8Array.of(0x0a);

/** One stderr line: svlogd's messages and the lines `e` patterns select. */
function warn(line: string | Uint8Array): void {
  writeStderr(typeof line === 'string' ? utf8(`${line}\n`) : concatBytes([line, NEWLINE]));
}

const unreadable = (error: SystemError): void => warn(`svlogd: warning: unable to read standard input: ${errorText(error)}`);

export function runOnItsOwn(args: string[]): void {
  const options = parseSvlogdArguments(args, argv0);
  if (options instanceof SvlogdUsageError) {
    writeStderr(options.stderr);
    return exit(EXIT_FATAL);
  }
  // What ps -C and pgrep -x know it by, whatever the name of the link it was started through.
  setProcessName('svlogd');
  const logger = new Logger(options, currentDirectory(), { env: loggerEnvironment(), warn });
  void logger.done.then((code) => exit(code));
  // Taken from here on (they wait in the signalfd while the directories are opened), as svlogd catches them before it opens any.
  let feed: Feed | null = null;
  onSignal(SIGNALS.SIGHUP, () => logger.reload());
  onSignal(SIGNALS.SIGALRM, () => logger.rotate());
  onSignal(SIGNALS.SIGTERM, () => {
    void logger.terminate();
    feed?.afterTerm();
  });
  if (!logger.start()) return;
  feed = readsFromLoop() ? feedFromStream(logger) : feedFromFile(logger);
}

/**
 * A pipe, socket or terminal is read through the event loop, as svlogd reads
 * it non-blocking (ndelay_on(0)): a read that waits would hold up the signals.
 * Anything else (a file, /dev/null) is read as it comes.
 */
function readsFromLoop(): boolean {
  const info = fstat(0);
  if (info instanceof SystemError) return false;
  return info.isFIFO() || info.isSocket() || (info.isCharacterDevice() && isTerminal(0));
}

interface Feed {
  /** TERM came: the logger may now want its input a byte at a time. */
  afterTerm(): void;
}

function feedFromStream(logger: Logger): Feed {
  let size = 0;
  let reader: Reader | null = null;
  /** Reads `logger.readSize()` bytes at a time, or resumes: what comes after a pause or after TERM. */
  const follow = (): void => {
    if (logger.readSize() === size) return reader?.resume();
    reader?.close();
    size = logger.readSize();
    const started = readFrom(0, (bytes) => {
      if (!logger.write(bytes)) reader?.pause();
    }, (error) => {
      if (error !== null) unreadable(error);
      void logger.end();
    }, { into: logger.readBuffer().subarray(0, size) });
    if (started instanceof SystemError) {
      reader = null;
      unreadable(started);
      void logger.end();
      return;
    }
    reader = started;
  };
  logger.onWritable = follow;
  follow();
  return {
    afterTerm: () => {
      if (logger.readSize() !== size) follow();
    },
  };
}

/** A file (or /dev/null): reads never wait for long, and after TERM only the bytes svlogd would read are taken. */
function feedFromFile(logger: Logger): Feed {
  const buffer = logger.readBuffer();
  let stopped = false;
  let scheduled = false;
  const readInput = (): void => {
    scheduled = false;
    // A bounded number of reads per turn of the loop, so that signals are heard while a long file is read.
    for (let turn = 0; turn < 16 && !stopped; turn++) {
      const got = read(0, buffer, 0, Math.min(buffer.length, logger.readSize()));
      if (got instanceof SystemError || got === 0) {
        if (got instanceof SystemError) unreadable(got);
        stopped = true;
        void logger.end();
        return;
      }
      if (!logger.write(buffer.subarray(0, got))) return;
    }
    if (stopped || scheduled) return;
    scheduled = true;
    setTimeout(readInput, 0);
  };
  logger.onWritable = () => {
    if (!scheduled) readInput();
  };
  readInput();
  return { afterTerm: () => {} };
}
