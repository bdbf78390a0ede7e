// `my_init --health`: for HEALTHCHECK and Kubernetes exec probes. Exits 0
// when every service wanted up is running and ready, 1 otherwise, with one
// line per service that is not. A program of its own (entry.ts sends
// `--health` here), so that a probe every few seconds pays only for this
// bundle, not for the init's; it reads what PID 1 leaves on disk.
import { writeSync } from 'node:fs';
import { problemsOnDisk } from '../health/on-disk.ts';
import { recordedReadiness } from '../health/readiness.ts';
import { writeStderr } from '../log.ts';

/** Where my_init supervises its services (src/programs/my_init.ts). */
const SERVICE_DIRECTORY = '/etc/service';
const EXIT_HEALTHY = 0;
const EXIT_UNHEALTHY = 1;
const EXIT_USAGE = 2;

export function main(args: string[]): never {
  if (args.length > 0) {
    writeStderr(`usage: my_init --health\nmy_init: error: --health takes no arguments, not ${args.join(' ')}\n`);
    process.exit(EXIT_USAGE);
  }
  const problems = problemsOnDisk(SERVICE_DIRECTORY, recordedReadiness);
  if (problems instanceof Error) {
    writeStderr(`my_init --health: ${problems.message}\n`);
    process.exit(EXIT_UNHEALTHY);
  }
  if (problems.length > 0) writeSync(1, `${problems.join('\n')}\n`);
  process.exit(problems.length === 0 ? EXIT_HEALTHY : EXIT_UNHEALTHY);
}
