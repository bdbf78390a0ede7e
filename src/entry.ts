// The one executable is runit's programs and my_init, chosen by the name it is
// run under (program-name.ts says how). This table is their index: each name
// and the program (src/programs/<program>.ts) it runs. Each program is its own
// bundle inside the executable, loaded only when chosen: the init's signal
// handlers must not swallow Ctrl-C in `sv`, and a program pays start-up only
// for its own code.
import { basename } from 'node:path';
import { loadProgram } from './load-program.ts';
import { chooseProgram } from './program-name.ts';

const PROGRAMS: Record<string, string> = {
  my_init: 'my_init',
  sv: 'sv',
  runsv: 'runsv',
  runsvdir: 'runsvdir',
  'update-service': 'update-service',
  setuser: 'setuser',
  svlogd: 'svlogd',
  chpst: 'chpst',
  // chpst's personalities: the program tells them apart by the name it was called by, as runit's chpst does by argv[0].
  envdir: 'chpst',
  envuidgid: 'chpst',
  pgrphack: 'chpst',
  setlock: 'chpst',
  setuidgid: 'chpst',
  softlimit: 'chpst',
};

const isProgram = (name: string): boolean => Object.hasOwn(PROGRAMS, name);
// process.argv0 is the raw argv[0] (a link's name); argv[0] is the resolved executable.
const chosen = chooseProgram(process.argv0, process.env.PATH, isProgram) ?? 'my_init';
const args = process.argv.slice(2);
// `my_init --health` (a probe, run every few seconds) is a program of its own, so that it
// does not load the init's bundle; cli.ts sends any other placement of --health there too.
if (chosen === 'my_init' && args[0] === '--health') loadProgram('health')(args.slice(1), basename(process.argv0));
else loadProgram(PROGRAMS[chosen]!)(args, basename(process.argv0));
