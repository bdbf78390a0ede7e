// svlogd: runit's logger, as a program of its own, as in runit: a service's
// log/run execs it with the pipe from the service on stdin.
//   svlogd [-tttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...
// Started by our own supervisor, it first hands its work to the supervisor
// and becomes a small stub (src/svlogd/handoff.ts); only an svlogd that runs
// on its own loads the logging engine (src/svlogd/standalone.ts).
import { handOffToSupervisor } from '../svlogd/handoff.ts';

export function main(args: string[]): void {
  handOffToSupervisor(args);
  void import('../svlogd/standalone.ts').then(({ runOnItsOwn }) => runOnItsOwn(args));
}
