// The hand-off of an svlogd to PID 1, the part both sides must agree on.
//
// Our supervisor starts every `log/run` with one end of a socket pair as fd 3,
// named by MY_INIT_LOGGER_FD. An svlogd that finds it sends one request line
// (its pid, arguments, working directory and environment, as JSON); PID 1
// answers `ok` or `no`. After `ok`, PID 1 reads the log pipe (it holds the read
// end already) and writes the log directories with the same engine; the svlogd
// process becomes the small C stub (src/native/logger_stub.c), which keeps the
// pid and turns HUP, ALRM and TERM into the bytes h, a and t on the channel.
// PID 1 ends it with `x` and the exit code. After `no` (or with no channel at
// all), svlogd runs on its own, exactly as before.

export const CHANNEL_ENV = 'MY_INIT_LOGGER_FD';
/** The fd of the channel in `log/run`: the first after stdin, stdout and stderr. */
export const CHANNEL_FD = 3;
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
/** What PID 1 writes to end the stub: this byte, then the exit code as one byte. */
export const EXIT_BYTE = 'x';

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
