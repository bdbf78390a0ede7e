// Where a service's supervise/ directory is. runit keeps it in the service
// directory, and so do we whenever that directory can hold it. When it cannot
// (a read-only root file system, a directory of root's and we are not root),
// it is kept under the runtime directory, at
//   <runtime>/services/<the service directory's real path>/supervise
// (a logger's at .../<path>/log/supervise): the real path, because sv reaches
// a service through links (/etc/service/web -> /etc/sv/web) and must land on
// the same state the supervisor keeps. Both sides use this module.
import { constants, openSync, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { findRuntimeDirectory } from '../runtime-dir.ts';

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
  const runtime = findRuntimeDirectory(process.geteuid?.() ?? 0, process.env);
  // process.cwd() is the real path: getcwd(3) resolves every link.
  return runtime === null ? null : runtimeSupervise(runtime, process.cwd());
}

/** What opening ./supervise/ok fails with when the service directory does not hold the live supervise/. */
const NOT_ANSWERING = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ENXIO']);

/** The ok FIFO opened for writing (the supervisor lives), or why not; `supervise`: the directory chosen either way. */
export type LiveOk = { fd: number; supervise: string } | { error: unknown; supervise: string };

/**
 * For sv and `my_init --health`, in a service directory: opens the ok FIFO of
 * ./supervise, as runit's sv, unless it cannot answer and the runtime
 * directory's supervise/ for this directory can (our supervisor keeps it
 * there when the service directory cannot hold it). The error is
 * ./supervise's, so that without a runtime one the words are runit's.
 */
export function openLiveOk(): LiveOk {
  const flags = constants.O_WRONLY | constants.O_NONBLOCK;
  try {
    return { fd: openSync('supervise/ok', flags), supervise: 'supervise' };
  } catch (error) {
    const here = (error as NodeJS.ErrnoException).code;
    const elsewhere = here !== undefined && NOT_ANSWERING.has(here) ? runtimeSuperviseOfCwd() : null;
    if (elsewhere === null) return { error, supervise: 'supervise' };
    try {
      return { fd: openSync(`${elsewhere}/ok`, flags), supervise: elsewhere };
    } catch (second) {
      // Nothing here, and a supervisor that has ended there: that is the news.
      if (here === 'ENOENT' && (second as NodeJS.ErrnoException).code === 'ENXIO') return { error: second, supervise: elsewhere };
      return { error, supervise: 'supervise' };
    }
  }
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
    let real: string;
    try {
      real = realpathSync(directory);
    } catch (error) {
      return error as Error;
    }
    if (!said) {
      said = true;
      // runsv supervises `.`: name the directory itself.
      const shown = isAbsolute(directory) ? directory : real;
      say(`Services whose directory cannot hold supervise/ (${shown}: ${why}) keep it under ${join(root, 'services')}; our sv finds it there, runit's sv does not.`);
    }
    return runtimeSupervise(root, real);
  };
}
