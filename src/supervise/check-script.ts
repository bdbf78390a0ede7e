// runit's readiness test, as `sv check` and `sv start` apply it: ./check in
// the service directory, with stdout closed. Shared by sv and `my_init
// --health`, so that both call a service ready on the same terms.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeStderr } from '../log.ts';
import { errorText } from '../runit-errors.ts';

/**
 * True when `directory`/check is absent or exits 0. As runit's sv, a check
 * killed by a signal, or one that cannot be run (said on stderr), counts as
 * passing. `shown` names the service in those warnings.
 */
export function passesCheck(directory: string, shown: string): boolean {
  try {
    statSync(join(directory, 'check'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    writeStderr(`warning: unable to stat ${shown}/check: ${errorText(error)}\n`);
    return false;
  }
  // Loaded here: most runs of sv never run a check, and start-up matters.
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  // runit's sv closes stdout for ./check; a read-only descriptor fails writes the same way (EBADF).
  const closedStdout = openSync('/dev/null', constants.O_RDONLY);
  let result: ReturnType<typeof spawnSync>;
  try {
    result = spawnSync('./check', [], { cwd: directory, stdio: ['inherit', closedStdout, 'inherit'] });
  } finally {
    closeSync(closedStdout);
  }
  if (result.error !== undefined) {
    writeStderr(`warning: unable to run ${shown}/check: ${errorText(result.error)}\n`);
    return true;
  }
  return result.status === null || result.status === 0;
}
