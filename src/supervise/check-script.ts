// runit's readiness test, as `sv check` and `sv start` apply it: ./check in
// the service directory, with stdout closed. Shared by sv and `my_init
// --health`, so that both call a service ready on the same terms.
import { processEnvironment, SpawnError, type Children } from '../children.ts';
import { writeStderr } from '../log.ts';
import { errnoText, errorText } from '../runit-errors.ts';
import { errnoNumber, SystemError } from '../system/errors.ts';
import { stat } from '../system/files.ts';
import { join } from '../system/path.ts';

/** runit's sv closes stdout for ./check: a write there fails (EBADF). */
const CLOSED = -1;

/**
 * True when `directory`/check is absent or exits 0. As runit's sv, a check
 * killed by a signal, or one that cannot be run (said on stderr), counts as
 * passing. `shown` names the service in those warnings.
 */
export async function passesCheck(directory: string, shown: string, children: Children): Promise<boolean> {
  const found = stat(join(directory, 'check'));
  if (found instanceof SystemError) {
    if (found.code === 'ENOENT') return true;
    writeStderr(`warning: unable to stat ${shown}/check: ${errorText(found)}\n`);
    return false;
  }
  let status;
  try {
    status = await children.spawn({ argv: ['./check'], env: processEnvironment(), cwd: directory, stdio: [0, CLOSED, 2] }).exited;
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    const errno = errnoNumber(error.code);
    writeStderr(`warning: unable to run ${shown}/check: ${errno === undefined ? error.code : errnoText(errno)}\n`);
    return true;
  }
  return status.code === null || status.code === 0;
}
