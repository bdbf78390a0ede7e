// The one executable is three programs, chosen by the name it is run under:
// `sv` and `setuser` (links to it) or the init itself. Each is loaded only
// when chosen: the init's signal handlers must not swallow Ctrl-C in `sv`.
import { basename } from 'node:path';

// process.argv0 is the raw argv[0] (a link's name); argv[0] is the resolved executable.
switch (basename(process.argv0)) {
  case 'sv':
    (require('./sv.ts') as typeof import('./sv.ts')).main(process.argv.slice(2));
    break;
  case 'setuser':
    (require('./setuser.ts') as typeof import('./setuser.ts')).main(process.argv.slice(2));
    break;
  default:
    require('./main.ts');
}
