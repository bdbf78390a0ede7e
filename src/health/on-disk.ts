// What `my_init --health` knows: the files PID 1 leaves in each service's
// live supervise/ (found as sv finds it, in the service directory or under the
// runtime directory), read in a process of its own. Nothing here writes.
import { isDirectory } from '../file-tests.ts';
import { errorText } from '../runit-errors.ts';
import { openLiveOk } from '../supervise/location.ts';
import { decodeStatus, STATUS_BYTES } from '../supervise/status.ts';
import { SystemError } from '../system/errors.ts';
import { changeDirectory, close, currentDirectory, O_RDONLY, open, read, readdir } from '../system/files.ts';
import { join } from '../system/path.ts';
import { READY, type DiskReadiness } from './readiness.ts';
import { asksReadiness, problemLine, problemOf } from './verdict.ts';

/** The services of `serviceDirectory` (as the supervisor picks them: directories, no dot names) and their loggers. */
function serviceDirectories(serviceDirectory: string): Array<{ name: string; directory: string }> | Error {
  const names = readdir(serviceDirectory);
  if (names instanceof SystemError) return new Error(`cannot read ${serviceDirectory}: ${errorText(names)}`);
  const found: Array<{ name: string; directory: string }> = [];
  for (const name of names.sort()) {
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
export async function problemsOnDisk(serviceDirectory: string, readiness: DiskReadiness): Promise<string[] | Error> {
  const services = serviceDirectories(serviceDirectory);
  if (services instanceof Error) return services;
  const home = currentDirectory();
  const problems: string[] = [];
  try {
    for (const { name, directory } of services) {
      const why = await serviceProblem(directory, name, readiness);
      if (why !== null) problems.push(problemLine(name, why));
    }
  } finally {
    changeDirectory(home);
  }
  return problems;
}

/** One service's problem, or null. */
async function serviceProblem(directory: string, name: string, readiness: DiskReadiness): Promise<string | null> {
  // In the directory: the runtime directory's supervise/ is keyed by its real path (location.ts).
  const entered = changeDirectory(directory);
  if (entered !== undefined) return `cannot change to ${directory}: ${errorText(entered)}`;
  const opened = openLiveOk();
  if ('error' in opened) {
    const code = opened.error.code;
    return code === 'ENXIO' || code === 'ENOENT' ? 'not supervised (no supervisor has it)' : `cannot open ${opened.supervise}/ok: ${errorText(opened.error)}`;
  }
  close(opened.fd);
  const statusFile = join(opened.supervise, 'status');
  const bytes = readStatus(statusFile);
  if (bytes instanceof Error) return bytes.message;
  const status = decodeStatus(bytes);
  if (status === null) return `${statusFile} is not ${STATUS_BYTES} bytes`;
  const service = { name, ...status };
  // Asked before the verdict, which takes it as it is: running ./check takes a while.
  const ready = asksReadiness(service) ? await readiness('.', opened.supervise, name) : READY;
  return problemOf(service, () => ready);
}

/** Up to one byte more than a status file holds, so that a longer file is told from one of the right size. */
function readStatus(path: string): Uint8Array | Error {
  const bytes = new Uint8Array(STATUS_BYTES + 1);
  const fd = open(path, O_RDONLY);
  if (fd instanceof SystemError) return new Error(`cannot open ${path}: ${errorText(fd)}`);
  const got = read(fd, bytes);
  close(fd);
  return got instanceof SystemError ? new Error(`cannot read ${path}: ${errorText(got)}`) : bytes.subarray(0, got);
}
