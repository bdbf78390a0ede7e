// runsv DIR: runit's supervisor of one service directory, for images that run
// it themselves (and what our runsvdir starts for each service). The same
// supervise/ files, control bytes and exit codes as runit 2.1.2's runsv; the
// supervision is my_init's own (src/supervise/).
import { SIGNALS } from '../linux-signals.ts';
import { writeStderr } from '../log.ts';
import { errorText } from '../runit-errors.ts';
import { standaloneContext } from '../supervise/standalone.ts';
import { openUnit, stopUnit, type Unit } from '../supervise/unit.ts';
import { changeDirectory } from '../system/files.ts';
import { argv0, exit } from '../system/processes.ts';
import { onSignal } from '../system/signals.ts';

const EXIT_USAGE = 1;
const EXIT_FATAL = 111;

export function main(args: string[]): void {
  if (args.length !== 1 || args[0] === '') {
    // As runsv: the name as typed (argv[0]), not its base name.
    writeStderr(`usage: ${argv0} dir\n\n`);
    exit(EXIT_USAGE);
  }
  const directory = args[0]!;
  const fatal = (message: string): never => {
    writeStderr(`runsv ${directory}: fatal: ${message}\n`);
    return exit(EXIT_FATAL);
  };
  const moved = changeDirectory(directory);
  if (moved !== undefined) fatal(`unable to change to directory: ${errorText(moved)}`);
  const context = standaloneContext('runsv');
  if (context instanceof Error) return fatal(context.message);
  // Before ./run starts: a TERM must never find the default action. Until then it is an exit too.
  let unit: Unit | null = null;
  onSignal(SIGNALS.SIGTERM, () => (unit === null ? exit(0) : unit.service.request('x')));
  const opened = openUnit('.', context);
  if (opened instanceof Error) return fatal(opened.runitMessage);
  unit = opened;
  // As runsv: TERM is `x`, exit once the service is down (and its logger has drained).
  opened.service.onExit = () => {
    void stopUnit(opened).then(() => exit(0));
  };
}
