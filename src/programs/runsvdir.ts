// runsvdir [-P] DIR [LOG]: runit's supervisor of a services directory, for
// images whose CMD is runsvdir rather than my_init. Each subdirectory is
// supervised as runsv would (src/supervise/, in this one process, not one
// runsv process per service); TERM exits 0 at once, HUP stops every service
// and exits 111, as runit 2.1.2's runsvdir.
import { Socket } from 'node:net';
import { writeStderr } from '../log.ts';
import { standaloneContext } from '../supervise/standalone.ts';
import type { Supervisor } from '../supervise/supervisor.ts';

const EXIT_USAGE = 1;
const EXIT_FATAL = 111;
const EXIT_HANGUP = 111;
/** As runsvdir: a dot every 15 minutes lets old messages scroll out of the title. */
const DOT_MS = 15 * 60 * 1000;
const MIN_LOG_LENGTH = 7;
const RESCAN_MS = 1000;

function usage(): never {
  // As runsvdir: the name as typed (argv[0]).
  writeStderr(`usage: ${process.argv0} [-P] dir\n\n`);
  process.exit(EXIT_USAGE);
}

export function main(args: string[]): void {
  // As runsvdir: -P only as the first word (any other word is the directory, `-x` too).
  // With or without it, every service runs in a session of its own (src/supervise/service.ts).
  const [directory, log] = args[0] === '-P' ? args.slice(1) : args;
  if (directory === undefined || directory === '') usage();
  const warn = (message: string): void => writeStderr(`runsvdir ${directory}: warning: ${message}\n`);

  const context = standaloneContext('runsvdir');
  if (context instanceof Error) {
    writeStderr(`runsvdir ${directory}: fatal: ${context.message}\n`);
    process.exit(EXIT_FATAL);
  }
  let stderr = 2;
  if (log !== undefined) {
    if (log.length < MIN_LOG_LENGTH) {
      warn('log must have at least seven characters.');
      warn('log service disabled.');
    } else {
      const [readEnd, writeEnd] = context.native.pipe();
      stderr = writeEnd;
      showInTitle(readEnd, `${[process.argv0, ...args.slice(0, -1)].join(' ')} `, log);
    }
  }
  // Loaded here: chokidar is the heaviest module, and usage errors should not pay for it.
  const { Supervisor } = require('../supervise/supervisor.ts') as typeof import('../supervise/supervisor.ts');
  // A look each second, as runsvdir's: inotify may miss what changed while its watch was being set up.
  const supervisor: Supervisor = new Supervisor(directory, { ...context, stderr }, { rescanMs: RESCAN_MS });
  // Before the first service starts: a signal must never find the default action.
  // As runsvdir: TERM leaves at once (runit's runsv processes would live on; here the services do, unsupervised).
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGHUP', () => {
    void supervisor.stop().then(() => process.exit(EXIT_HANGUP));
  });
  supervisor.start();
}

/**
 * runsvdir's readproctitle log: the services' stderr scrolls through the last
 * `log.length` characters of the process title, where `ps` shows it. Node sets
 * the title (libuv writes over the original argv, which bounds its length)
 * but cannot keep the arguments separated by NULs as runsvdir's in-place
 * rewrite does: `ps` shows the same text, /proc/PID/cmdline one argument.
 */
function showInTitle(fd: number, prefix: string, log: string): void {
  let window = log;
  const show = (text: string): void => {
    window = (window + text).slice(-log.length);
    process.title = prefix + window;
  };
  // As runsvdir, whose first pass writes a dot before anything a service says.
  show('.');
  const socket = new Socket({ fd, readable: true, writable: false });
  socket.on('data', (bytes: Buffer) => show(bytes.toString('latin1')));
  socket.on('error', () => {});
  setInterval(() => show('.'), DOT_MS).unref();
}
