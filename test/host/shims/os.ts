// node:os for the test host: tmpdir(), and constants.signals, which only Node
// can give: the runner (test/unit.test.ts) passes its table in the
// environment, so that src/linux-signals.ts is compared with Node's on QuickJS.
import { env } from '../../../src/system/processes.ts';

/** As Node's: $TMPDIR, $TMP or $TEMP, without a trailing slash; else /tmp. */
export function tmpdir(): string {
  const path = env.TMPDIR || env.TMP || env.TEMP || '/tmp';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The variable the runner passes Node's os.constants.signals in, as JSON. */
export const NODE_SIGNALS_VARIABLE = 'MY_INIT_TEST_NODE_SIGNALS';

export const constants = {
  get signals(): Record<string, number> {
    const table = env[NODE_SIGNALS_VARIABLE];
    if (table === undefined) throw new Error(`os.constants.signals is Node's: run the test through test/unit.test.ts, which passes it in ${NODE_SIGNALS_VARIABLE}`);
    return JSON.parse(table) as Record<string, number>;
  },
};
