// svlogd: runit's logger, as a program. The logging itself is the engine in
// src/svlogd/ (PID 1 runs the same engine in-process); this file gives it
// stdin, stderr, the signals svlogd answers (HUP, ALRM, TERM) and the exit code.
//   svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...
import { fstatSync, read, writeSync } from 'node:fs';
import { Children, processEnvironment } from '../children.ts';
import { loadNative } from '../native.ts';
import { EXIT_FATAL, parseSvlogdArguments } from '../svlogd/arguments.ts';
import { errorText } from '../runit-errors.ts';
import { handOffToSupervisor } from '../svlogd/handoff.ts';
import { Logger } from '../svlogd/logger.ts';

function writeErr(bytes: Buffer): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(2, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      return; // Nobody reads our stderr.
    }
  }
}

export function main(args: string[]): void {
  const options = parseSvlogdArguments(args, process.argv0);
  if (options instanceof Error) {
    writeErr(Buffer.from(options.stderr));
    process.exit(EXIT_FATAL);
  }
  const native = loadNative();
  // Under our own supervisor, PID 1 does the logging and this process becomes a small stub.
  if (!(native instanceof Error) && handOffToSupervisor(args, native)) return;
  if (native instanceof Error) writeErr(Buffer.from(`svlogd: warning: log directories are not locked: ${native.message}\n`));
  else native.setProcessName('svlogd');
  const children = new Children(native instanceof Error ? null : native);
  const env = processEnvironment();
  const logger = new Logger(options, process.cwd(), {
    children,
    env,
    warn: (line) => writeErr(Buffer.concat([typeof line === 'string' ? Buffer.from(line) : line, Buffer.of(0x0a)])),
    lock: (fd) => (native instanceof Error ? true : native.flock(fd, false)),
    ...(native instanceof Error ? {} : { sendUdp: native.sendUdp }),
  });
  void logger.done.then((code) => process.exit(code));
  if (!logger.start()) return;
  process.on('SIGHUP', () => logger.reload());
  process.on('SIGALRM', () => logger.rotate());
  process.on('SIGTERM', () => void logger.terminate());
  const feed = readsWithoutThreads() ? feedFromStream : feedFromFile;
  feed(logger);
}

/**
 * A pipe, socket or terminal is read through libuv's poll loop: a read that
 * waits in the threadpool would hold up the exit after TERM (libuv joins its
 * threads at exit, and that read returns only when the writer writes or
 * closes). Like svlogd's own ndelay_on(0), this makes fd 0 non-blocking.
 */
function readsWithoutThreads(): boolean {
  try {
    const stat = fstatSync(0);
    // node:tty (and the net module under it) is loaded only when it is needed.
    return stat.isFIFO() || stat.isSocket() || (stat.isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(0));
  } catch {
    return false;
  }
}

function feedFromStream(logger: Logger): void {
  const { Socket } = process.getBuiltinModule('node:net');
  const tty = process.getBuiltinModule('node:tty');
  const input = tty.isatty(0) ? new tty.ReadStream(0) : new Socket({ fd: 0, readable: true, writable: false });
  logger.onWritable = () => input.resume();
  input.on('data', (chunk: Buffer) => {
    if (!logger.write(chunk)) input.pause();
  });
  input.on('end', () => void logger.end());
  input.on('error', (error) => {
    writeErr(Buffer.from(`svlogd: warning: unable to read standard input: ${errorText(error)}\n`));
    void logger.end();
  });
}

/** A file (or /dev/null): reads never wait for long, and after TERM only the bytes svlogd would read are taken. */
function feedFromFile(logger: Logger): void {
  let reading = false;
  let stopped = false;
  const buffer = Buffer.alloc(65536);
  const readInput = (): void => {
    if (stopped || reading) return;
    reading = true;
    read(0, buffer, 0, Math.min(buffer.length, logger.readSize()), null, (error, count) => {
      reading = false;
      if (error) {
        writeErr(Buffer.from(`svlogd: warning: unable to read standard input: ${errorText(error)}\n`));
        stopped = true;
        void logger.end();
        return;
      }
      if (count === 0) {
        stopped = true;
        void logger.end();
        return;
      }
      if (logger.write(Buffer.from(buffer.subarray(0, count)))) readInput();
    });
  };
  logger.onWritable = readInput;
  readInput();
}
