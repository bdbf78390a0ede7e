// Where a service's supervise/ directory is. runit keeps it in the service
// directory, and so do we whenever that directory can hold it. When it cannot
// (a read-only root file system, a directory of root's and we are not root),
// it is kept under the runtime directory, at
//   <runtime>/services/<the service directory's real path>/supervise
// (a logger's at .../<path>/log/supervise): the real path, because sv reaches
// a service through links (/etc/service/web -> /etc/sv/web) and must land on
// the same state the supervisor keeps. Both sides use this module.
import { findRuntimeDirectory } from '../runtime-dir.ts';
import { SystemError } from '../system/errors.ts';
import { currentDirectory, O_NONBLOCK, O_WRONLY, open, realpath } from '../system/files.ts';
import { isAbsolute, join } from '../system/path.ts';
import { env, euid } from '../system/processes.ts';

/** `realDirectory`: absolute, with links resolved. */
export function runtimeSupervise(runtime: string, realDirectory: string): string {
  return join(runtime, 'services', realDirectory, 'supervise');
}

/** Errors that mean the service directory cannot hold supervise/ for us, so the runtime directory should. */
export function cannotHoldHere(code: string | undefined): boolean {
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

/**
 * For sv, in a service directory (its working directory): the runtime
 * directory's supervise/ for it, or null when there is none (nothing created).
 */
export function runtimeSuperviseOfCwd(): string | null {
  const runtime = findRuntimeDirectory(euid(), env);
  // getcwd(3) gives the real path: it resolves every link.
  return runtime === null ? null : runtimeSupervise(runtime, currentDirectory());
}

/** What opening ./supervise/ok fails with when the service directory does not hold the live supervise/. */
const NOT_ANSWERING = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ENXIO']);

/** The ok FIFO opened for writing (the supervisor lives), or why not; `supervise`: the directory chosen either way. */
export type LiveOk = { fd: number; supervise: string } | { error: SystemError; supervise: string };

/**
 * For sv and `my_init --health`, in a service directory: opens the ok FIFO of
 * ./supervise, as runit's sv, unless it cannot answer and the runtime
 * directory's supervise/ for this directory can (our supervisor keeps it
 * there when the service directory cannot hold it). The error is
 * ./supervise's, so that without a runtime one the words are runit's.
 */
export function openLiveOk(): LiveOk {
  const flags = O_WRONLY | O_NONBLOCK;
  const error = open('supervise/ok', flags);
  if (!(error instanceof SystemError)) return { fd: error, supervise: 'supervise' };
  const elsewhere = NOT_ANSWERING.has(error.code) ? runtimeSuperviseOfCwd() : null;
  if (elsewhere === null) return { error, supervise: 'supervise' };
  const second = open(`${elsewhere}/ok`, flags);
  if (!(second instanceof SystemError)) return { fd: second, supervise: elsewhere };
  // Nothing here, and a supervisor that has ended there: that is the news.
  if (error.code === 'ENOENT' && second.code === 'ENXIO') return { error: second, supervise: elsewhere };
  return { error, supervise: 'supervise' };
}

/** Where a service that cannot hold supervise/ keeps it instead; an Error when nowhere. */
export type SuperviseFallback = (directory: string, why: string) => string | Error;

/**
 * The fallback of every service of a process, through one runtime directory;
 * the first use is said in one line (later ones are the same story).
 */
export function superviseFallback(runtime: () => string | Error, say: (line: string) => void): SuperviseFallback {
  let said = false;
  return (directory, why) => {
    const root = runtime();
    if (root instanceof Error) return root;
    const real = realpath(directory);
    if (real instanceof SystemError) return real;
    if (!said) {
      said = true;
      // runsv supervises `.`: name the directory itself.
      const shown = isAbsolute(directory) ? directory : real;
      say(`Services whose directory cannot hold supervise/ (${shown}: ${why}) keep it under ${join(root, 'services')}; our sv finds it there, runit's sv does not.`);
    }
    return runtimeSupervise(root, real);
  };
}
