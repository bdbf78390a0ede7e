// One service directory as runsv supervises it: the service and, when it has
// a log/ directory, its logger, with a pipe from the one's stdout to the
// other's stdin that outlives restarts of either. Used by the supervisor of a
// whole directory (my_init) and by runsv for a single one.
import { isDirectory } from '../file-tests.ts';
import { errorText } from '../runit-errors.ts';
import { SystemError } from '../system/errors.ts';
import { close, pipe as makePipe } from '../system/files.ts';
import { join } from '../system/path.ts';
import { LoggerHandoff } from './logger-handoff.ts';
import { Service, type ServiceContext, SuperviseError } from './service.ts';

export interface Unit {
  service: Service;
  logger: Service | null;
  /** Our copies of the pipe's ends, kept so that the pipe outlives restarts of either side. */
  pipe: [number, number] | null;
}

/** Takes over `directory` (and its log/); an Error when either cannot be supervised. */
/** `holdStart`: the service (not its logger) waits for `service.release()` before its first start. */
export function openUnit(directory: string, context: ServiceContext, holdStart = false): Unit | SuperviseError {
  let logger: Service | null = null;
  let pipe: [number, number] | null = null;
  let stdout = 1;
  if (isDirectory(join(directory, 'log'))) {
    const made = makePipe();
    if (made instanceof SystemError) {
      return new SuperviseError(`cannot supervise ${directory}: ${made.message}`, `unable to create log pipe: ${errorText(made)}`);
    }
    pipe = made;
    // An svlogd that log/run execs hands its work to us (logger-handoff.ts): then no JavaScript engine runs per logger.
    const handoff = new LoggerHandoff(join(directory, 'log'), pipe[0], context.children);
    const opened = Service.open(join(directory, 'log'), context, { isLogger: true, stdin: pipe[0], stdout: 1, handoff });
    if (opened instanceof Error) {
      for (const fd of pipe) close(fd);
      return opened;
    }
    logger = opened;
    logger.writePendingStatus();
    stdout = pipe[1];
  }
  const service = Service.open(directory, context, { isLogger: false, stdin: context.devNull, stdout, holdStart });
  if (service instanceof Error) {
    void logger?.stop();
    if (pipe) for (const fd of pipe) close(fd);
    return service;
  }
  return { service, logger, pipe };
}

export interface StopOptions {
  /** The service's grace period before SIGKILL; default KILL_PROCESS_TIMEOUT. */
  graceSeconds?: number;
  /** Called once the service is down, before its logger stops: what it depends on may stop then. */
  onServiceDown?: () => void;
}

/** The service first; then its logger, once nothing more can reach the pipe (it sees end-of-file, as under runsv). */
export async function stopUnit(unit: Unit, options: StopOptions = {}): Promise<void> {
  try {
    await unit.service.stop(options.graceSeconds);
  } finally {
    options.onServiceDown?.();
  }
  if (unit.pipe) close(unit.pipe[1]);
  await unit.logger?.stop();
  if (unit.pipe) close(unit.pipe[0]);
}
