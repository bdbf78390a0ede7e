// The hand-off of an svlogd to its supervisor, the part both sides must agree on.
//
// Our supervisor (my_init, or our runsv) starts every `log/run` with one end
// of a socket pair as fd 3, named by MY_INIT_LOGGER_FD. An svlogd that finds
// it sends one request line (its pid, arguments, working directory and
// environment, as JSON); the supervisor answers `ok` or `no`. After `ok`, the
// supervisor reads the log pipe (it holds the read end already) and writes
// the log directories with the same engine; the svlogd process execs our
// executable as the logger stub (src/platform/logger-stub.c, chosen by
// MY_INIT_LOGGER_STUB), which keeps the pid and turns HUP, ALRM and TERM into
// the bytes h, a and t on the channel. The supervisor ends it with `x` and the
// exit code. After `no` (or with no channel at all), svlogd runs on its own.

export const CHANNEL_ENV = 'MY_INIT_LOGGER_FD';
/** The fd of the channel in `log/run`: the first after stdin, stdout and stderr. */
export const CHANNEL_FD = 3;
/** `CHANNEL_FD:PID` in the stub's environment; main.c runs the stub when PID is its own. */
export const STUB_ENV = 'MY_INIT_LOGGER_STUB';
/** A request is a few arguments and an environment; more is not an svlogd. */
export const MAX_REQUEST_BYTES = 1 << 20;

export interface Request {
  pid: number;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export const ACCEPTED = 'ok\n';
export const REFUSED = 'no\n';

/** What the stub writes for each signal it is sent. */
export const SIGNAL_BYTES = { h: 'SIGHUP', a: 'SIGALRM', t: 'SIGTERM' } as const;
/** What the supervisor writes to end the stub: this byte, then the exit code as one byte. */
export const EXIT_BYTE = 0x78; // x

/** A request line, or null when it is not one. */
export function parseRequest(line: string): Request | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { pid, args, cwd, env } = value as Record<string, unknown>;
  if (!Number.isInteger(pid) || typeof cwd !== 'string' || !Array.isArray(args)) return null;
  if (!args.every((arg) => typeof arg === 'string')) return null;
  if (typeof env !== 'object' || env === null || !Object.values(env).every((v) => typeof v === 'string')) return null;
  return { pid: pid as number, args: args as string[], cwd, env: env as Record<string, string> };
}
