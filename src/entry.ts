// The one executable is runit's programs and my_init, chosen by the name it is
// run under (program-name.ts says how). This table is their index. Each is
// loaded only when chosen: the init's signal handlers must not swallow Ctrl-C
// in `sv`, and a program pays start-up only for its own code.
import { basename } from 'node:path';
import { chooseProgram } from './program-name.ts';

/** Each program's entry: its arguments, and the base name it was called by (sv's LSB mode, chpst's personalities). */
type Program = (args: string[], calledAs: string) => void;

const PROGRAMS: Record<string, () => Program> = {
  my_init: () => (require('./programs/my_init.ts') as typeof import('./programs/my_init.ts')).main,
  sv: () => (require('./programs/sv.ts') as typeof import('./programs/sv.ts')).main,
  runsv: () => (require('./programs/runsv.ts') as typeof import('./programs/runsv.ts')).main,
  runsvdir: () => (require('./programs/runsvdir.ts') as typeof import('./programs/runsvdir.ts')).main,
  'update-service': () => (require('./programs/update-service.ts') as typeof import('./programs/update-service.ts')).main,
  setuser: () => (require('./programs/setuser.ts') as typeof import('./programs/setuser.ts')).main,
};

const isProgram = (name: string): boolean => Object.hasOwn(PROGRAMS, name);
// process.argv0 is the raw argv[0] (a link's name); argv[0] is the resolved executable.
const chosen = chooseProgram(process.argv0, process.env.PATH, isProgram) ?? 'my_init';
PROGRAMS[chosen]!()(process.argv.slice(2), basename(process.argv0));
