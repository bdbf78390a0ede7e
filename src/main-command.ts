// The main command (`my_init -- COMMAND`): run in a process group of its own,
// made the terminal's foreground group when my_init holds the terminal, so that
// `docker run -it IMAGE my_init -- bash -l` has job control and Ctrl-C reaches
// bash instead of the init.
import { exitCodeForSpawnError, exitCodeOf, SpawnError } from './children.ts';
import { signalName } from './linux-signals.ts';
import * as log from './log.ts';
import { SystemError } from './system/errors.ts';
import { foregroundGroup, processGroup, takeTerminal } from './system/processes.ts';
import { type Context, waitForChild } from './waiting.ts';

/** fd 0 when it is a terminal whose foreground group is ours (no terminal: no foreground group). */
function terminalToHandOver(): number | undefined {
  const foreground = foregroundGroup(0);
  return !(foreground instanceof SystemError) && foreground > 0 && foreground === processGroup() ? 0 : undefined;
}

/** Runs the command to its end (or until a stop request ends it); returns the exit code to use. */
export async function runMainCommand(command: readonly string[], env: ReadonlyMap<string, string>, context: Context): Promise<number> {
  const name = command[0]!;
  log.info(`Running ${command.join(' ')}...`);
  const terminal = terminalToHandOver();
  let child;
  try {
    child = context.children.spawn({ argv: command, env, group: 'own-group', foregroundTerminal: terminal });
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    log.error(error.message);
    return exitCodeForSpawnError(error);
  }
  context.signals.forwardTo = child.pid;
  const outcome = await waitForChild(child, name, context, { isScript: false });
  context.signals.forwardTo = null;
  // An error: the terminal is gone (docker detached it), nothing to take back.
  if (terminal !== undefined) takeTerminal(terminal);
  if (outcome.status === null) return 1;
  const code = exitCodeOf(outcome.status);
  if (!outcome.interrupted) {
    if (outcome.status.signal !== null) log.debug(`${name} was killed by ${signalName(outcome.status.signal)}.`);
    log.info(`${name} exited with status ${code}.`);
  }
  return code;
}
