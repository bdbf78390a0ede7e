// svlogd: runit's logger, as a program. The logging itself is the engine in
// src/svlogd/ (PID 1 runs the same engine in-process); this file gives it
// stdin, stderr, the signals svlogd answers (HUP, ALRM, TERM) and the exit code.
//   svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...
import { read, writeSync } from 'node:fs';
import { Children } from '../children.ts';
import { loadNative } from '../native.ts';
import { EXIT_FATAL, parseSvlogdArguments } from '../svlogd/arguments.ts';
import { errorText } from '../svlogd/error-text.ts';
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
  if (native instanceof Error) writeErr(Buffer.from(`svlogd: warning: log directories are not locked: ${native.message}\n`));
  const children = new Children(native instanceof Error ? null : native);
  const env = new Map(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
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
  process.on('SIGTERM', () => {
    void logger.terminate();
    if (!reading) readInput();
  });

  let reading = false;
  let stopped = false;
  const buffer = Buffer.alloc(65536);
  const readInput = (): void => {
    if (stopped) return;
    reading = true;
    read(0, buffer, 0, Math.min(buffer.length, logger.readSize()), null, (error, count) => {
      reading = false;
      if (error) {
        // A non-blocking stdin with nothing in it: look again shortly.
        if (error.code === 'EAGAIN') return void setTimeout(readInput, 20);
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
  logger.onWritable = () => {
    if (!reading) readInput();
  };
  readInput();
}
