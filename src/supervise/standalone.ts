// What runsv needs to supervise on its own, without my_init: the reaper and
// the settings my_init would have read.
import { Children, processEnvironment } from '../children.ts';
import * as log from '../log.ts';
import { ourRuntimeDirectory } from '../runtime-dir.ts';
import { readSettings } from '../settings.ts';
import { SystemError } from '../system/errors.ts';
import { close, O_RDWR, open } from '../system/files.ts';
import { becomeSubreaper, env, pid, setProcessName } from '../system/processes.ts';
import { superviseFallback } from './location.ts';
import type { ServiceContext } from './service.ts';

/** A context for services, or the reason there can be none (for a `fatal:` line). `program` names the process for ps and pgrep. */
export function standaloneContext(program: string): ServiceContext | Error {
  const settings = readSettings(env);
  if (settings instanceof Error) return settings;
  // runsvdir starts us as /proc/self/exe, which the kernel would call `exe`.
  setProcessName(program);
  // Orphans of our services become ours to reap, as under my_init (as PID 1 they are anyway).
  if (pid !== 1) becomeSubreaper();
  const devNull = open('/dev/null', O_RDWR);
  if (devNull instanceof SystemError) return devNull;
  const runtime = ourRuntimeDirectory();
  return {
    children: new Children(),
    env: processEnvironment(),
    killProcessTimeout: settings.killProcessTimeout,
    restartDelay: settings.serviceRestartDelay,
    restartDelayMax: settings.serviceRestartDelayMax,
    devNull,
    superviseFallback: superviseFallback(() => runtime.get(), log.info),
    // runsv knows no critical services: a `critical` file means nothing to it.
    onCriticalFailure: () => {},
  };
}

export function closeContext(context: ServiceContext): void {
  close(context.devNull);
}
