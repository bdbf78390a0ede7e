// What `my_init --health` knows: the files PID 1 leaves in each service's
// live supervise/ (found as sv finds it, in the service directory or under the
// runtime directory), read in a process of its own. Nothing here writes.
import { closeSync, constants, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isDirectory } from '../file-tests.ts';
import { errorText } from '../runit-errors.ts';
import { openLiveOk } from '../supervise/location.ts';
import { decodeStatus, STATUS_BYTES } from '../supervise/status.ts';
import type { DiskReadiness } from './readiness.ts';
import { problemLine, problemOf } from './verdict.ts';

/** The services of `serviceDirectory` (as the supervisor picks them: directories, no dot names) and their loggers. */
function serviceDirectories(serviceDirectory: string): Array<{ name: string; directory: string }> | Error {
  let names: string[];
  try {
    names = readdirSync(serviceDirectory).sort();
  } catch (error) {
    return new Error(`cannot read ${serviceDirectory}: ${errorText(error)}`);
  }
  const found: Array<{ name: string; directory: string }> = [];
  for (const name of names) {
    const directory = join(serviceDirectory, name);
    if (name.startsWith('.') || !isDirectory(directory)) continue;
    found.push({ name, directory });
    if (isDirectory(join(directory, 'log'))) found.push({ name: `${name}/log`, directory: join(directory, 'log') });
  }
  return found;
}

/**
 * The problem lines of every service not healthy (none: all are), or an
 * Error when the service directory cannot be read. Changes the working
 * directory while it looks (as sv does), and restores it.
 */
export function problemsOnDisk(serviceDirectory: string, readiness: DiskReadiness): string[] | Error {
  const services = serviceDirectories(serviceDirectory);
  if (services instanceof Error) return services;
  const home = process.cwd();
  const problems: string[] = [];
  try {
    for (const { name, directory } of services) {
      const why = serviceProblem(directory, name, readiness);
      if (why !== null) problems.push(problemLine(name, why));
    }
  } finally {
    process.chdir(home);
  }
  return problems;
}

/** One service's problem, or null. */
function serviceProblem(directory: string, name: string, readiness: DiskReadiness): string | null {
  try {
    // In the directory: the runtime directory's supervise/ is keyed by its real path (location.ts).
    process.chdir(directory);
  } catch (error) {
    return `cannot change to ${directory}: ${errorText(error)}`;
  }
  const opened = openLiveOk();
  if ('error' in opened) {
    const code = (opened.error as NodeJS.ErrnoException).code;
    return code === 'ENXIO' || code === 'ENOENT' ? 'not supervised (no supervisor has it)' : `cannot open ${opened.supervise}/ok: ${errorText(opened.error)}`;
  }
  closeSync(opened.fd);
  const statusFile = join(opened.supervise, 'status');
  const bytes = readStatus(statusFile);
  if (bytes instanceof Error) return bytes.message;
  const status = decodeStatus(bytes);
  if (status === null) return `${statusFile} is not ${STATUS_BYTES} bytes`;
  return problemOf({ name, ...status }, () => readiness('.', opened.supervise, name));
}

function readStatus(path: string): Buffer | Error {
  const bytes = Buffer.alloc(STATUS_BYTES + 1);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (error) {
    return new Error(`cannot open ${path}: ${errorText(error)}`);
  }
  try {
    return bytes.subarray(0, readSync(fd, bytes, 0, bytes.length, null));
  } catch (error) {
    return new Error(`cannot read ${path}: ${errorText(error)}`);
  } finally {
    closeSync(fd);
  }
}
