// What runsv and runsvdir need to supervise on their own, without my_init:
// the native helper (flock, FIFOs, pipes; without it nothing can be
// supervised), the reaper, and the settings my_init would have read.
import { closeSync, constants, openSync } from 'node:fs';
import { Children, processEnvironment } from '../children.ts';
import * as log from '../log.ts';
import { loadNative } from '../native.ts';
import { ourRuntimeDirectory } from '../runtime-dir.ts';
import { readSettings } from '../settings.ts';
import { superviseFallback } from './location.ts';
import type { ServiceContext } from './service.ts';

/** A context for services, or the reason there can be none (for a `fatal:` line). `program` names the process for ps and pgrep. */
export function standaloneContext(program: string): ServiceContext | Error {
  const settings = readSettings(process.env);
  if (settings instanceof Error) return settings;
  const native = loadNative();
  if (native instanceof Error) return native;
  native.setProcessName(program);
  // As PID 1, Children reaps every orphan through the addon; elsewhere orphans of our services become ours to reap, as under my_init.
  if (process.pid !== 1) native.setChildSubreaper();
  let devNull: number;
  try {
    devNull = openSync('/dev/null', constants.O_RDWR);
  } catch (error) {
    return error as Error;
  }
  const env = processEnvironment();
  const runtime = ourRuntimeDirectory();
  return {
    children: new Children(native),
    native,
    env,
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
  closeSync(context.devNull);
}
