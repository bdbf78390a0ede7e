// svlogd's side of the hand-off to its supervisor (the protocol:
// handoff-protocol.ts). Started by our own supervisor, svlogd asks it to do
// the logging and execs our executable as the logger stub, so that a logger
// costs no JavaScript engine. Anywhere else, or when the supervisor says no,
// it returns and svlogd runs on its own. Nothing here loads the engine: a
// handed-off svlogd never pays for it.
import { writeStderr } from '../log.ts';
import { errorText } from '../runit-errors.ts';
import { SystemError } from '../system/errors.ts';
import { access, close, currentDirectory, fstat, read, setCloseOnExec, writeAll, X_OK } from '../system/files.ts';
import { argv, env, exec, exit, pid, startEnvironment } from '../system/processes.ts';
import { fromLatin1, utf8 } from '../system/text.ts';
import { ACCEPTED, CHANNEL_ENV, type Request, STUB_ENV } from './handoff-protocol.ts';

const SELF = '/proc/self/exe';
const EXIT_FATAL = 111;

/** The environment svlogd and its processors see: without the channel's name, which is for svlogd alone. */
export function loggerEnvironment(): Map<string, string> {
  const environment = startEnvironment();
  environment.delete(CHANNEL_ENV);
  return environment;
}

/**
 * Returns only when svlogd is to run on its own; otherwise this process
 * becomes the stub (or, when even that fails, exits 111 as svlogd does on a
 * fatal error).
 */
export function handOffToSupervisor(args: readonly string[]): void {
  const named = env[CHANNEL_ENV];
  if (named === undefined) return;
  const fd = Number(named);
  // Not a channel our supervisor made (a variable set by hand, an fd not open): nothing to ask.
  const info = Number.isInteger(fd) && fd > 2 ? fstat(fd) : null;
  if (info === null || info instanceof SystemError || !info.isSocket()) return;
  // The stub is this executable: without it, say nothing and log on our own.
  if (access(SELF, X_OK) !== undefined || !ask(fd, { pid, args: [...args], cwd: currentDirectory(), env: Object.fromEntries(loggerEnvironment()) })) {
    close(fd);
    return;
  }
  // The supervisor reads the log pipe from now on; this process only keeps the pid.
  const stubEnvironment = [...loggerEnvironment()].map(([name, value]) => `${name}=${value}`);
  // With our pid: the stub is this process after its exec, and a variable that reached another process by mistake means nothing there.
  stubEnvironment.push(`${STUB_ENV}=${fd}:${pid}`);
  const kept = setCloseOnExec(fd, false);
  // argv as it was, so that ps shows the same command line.
  const failed = kept ?? exec(SELF, argv, stubEnvironment);
  writeStderr(`svlogd: fatal: unable to run the logger stub: ${errorText(failed)}\n`);
  exit(EXIT_FATAL);
}

/** Sends the request and reads the answer; true for yes. */
function ask(fd: number, request: Request): boolean {
  if (writeAll(fd, utf8(`${JSON.stringify(request)}\n`)) !== undefined) return false;
  const answer = new Uint8Array(ACCEPTED.length);
  let got = 0;
  while (got < answer.length) {
    const n = read(fd, answer, got);
    if (n instanceof SystemError || n === 0) return false;
    got += n;
  }
  return fromLatin1(answer) === ACCEPTED;
}
