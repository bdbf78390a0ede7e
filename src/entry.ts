// The one executable is runit's programs and my_init, chosen by the name it is
// run under (program-name.ts says how). This table is their index: each name
// and the program (src/programs/<program>.ts) it runs. Each program is a module
// of its own in the executable, read only when chosen: a program pays start-up
// only for its own code, and the init's signal handling never reaches `sv`.
import { chooseProgram } from './program-name.ts';
import { basename } from './system/path.ts';
import { argv, argv0, env } from './system/processes.ts';
import { ignoreSignals } from './system/signals.ts';
import { SIGNALS } from './linux-signals.ts';

/** Each program's entry: its arguments, and the base name it was called by (sv's LSB mode, chpst's personalities). */
export type Program = (args: string[], calledAs: string) => void;
type Loader = () => Promise<{ main: Program }>;

const chpst: Loader = () => import('./programs/chpst.ts');

const PROGRAMS: Record<string, Loader> = {
  my_init: () => import('./programs/my_init.ts'),
  sv: () => import('./programs/sv.ts'),
  runsv: () => import('./programs/runsv.ts'),
  runsvdir: () => import('./programs/runsvdir.ts'),
  'update-service': () => import('./programs/update-service.ts'),
  setuser: () => import('./programs/setuser.ts'),
  svlogd: () => import('./programs/svlogd.ts'),
  chpst,
  // chpst's personalities: the program tells them apart by the name it was called by, as runit's chpst does by argv[0].
  envdir: chpst,
  envuidgid: chpst,
  pgrphack: chpst,
  setlock: chpst,
  setuidgid: chpst,
  softlimit: chpst,
};

const isProgram = (name: string): boolean => Object.prototype.hasOwnProperty.call(PROGRAMS, name);
const chosen = chooseProgram(argv0, env.PATH, isProgram) ?? 'my_init';
const args = argv.slice(1);
// As Node did for every program: a write to a closed pipe or past the file size
// limit fails with EPIPE or EFBIG instead of killing the process. Children get
// their default actions back (system/processes.ts, spawn and exec).
ignoreSignals([SIGNALS.SIGPIPE, SIGNALS.SIGXFSZ]);
// `my_init --health` (a probe, run every few seconds) is a program of its own, so that it
// does not load the init's modules; cli.ts sends any other placement of --health there too.
const load = chosen === 'my_init' && args[0] === '--health' ? () => import('./programs/health.ts') : PROGRAMS[chosen]!;
const rest = chosen === 'my_init' && args[0] === '--health' ? args.slice(1) : args;
void load().then(({ main }) => main(rest, basename(argv0)));
