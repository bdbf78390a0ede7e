// `my_init --health`: for HEALTHCHECK and Kubernetes exec probes. Exits 0
// when every service wanted up is running and ready, 1 otherwise, with one
// line per service that is not. A program of its own (entry.ts sends
// `--health` here), so that a probe every few seconds pays only for this
// module, not for the init's; it reads what PID 1 leaves on disk.
import { Children } from '../children.ts';
import { problemsOnDisk } from '../health/on-disk.ts';
import { recordedReadiness } from '../health/readiness.ts';
import { writeStderr, writeStdout } from '../log.ts';
import { exit } from '../system/processes.ts';

/** Where my_init supervises its services (src/programs/my_init.ts). */
const SERVICE_DIRECTORY = '/etc/service';
const EXIT_HEALTHY = 0;
const EXIT_UNHEALTHY = 1;
const EXIT_USAGE = 2;

export async function main(args: string[]): Promise<void> {
  if (args.length > 0) {
    writeStderr(`usage: my_init --health\nmy_init: error: --health takes no arguments, not ${args.join(' ')}\n`);
    return exit(EXIT_USAGE);
  }
  // Started only for a service with ./check to run.
  let children: Children | undefined;
  const problems = await problemsOnDisk(SERVICE_DIRECTORY, recordedReadiness(() => (children ??= new Children())));
  if (problems instanceof Error) {
    writeStderr(`my_init --health: ${problems.message}\n`);
    return exit(EXIT_UNHEALTHY);
  }
  if (problems.length > 0) writeStdout(`${problems.join('\n')}\n`);
  exit(problems.length === 0 ? EXIT_HEALTHY : EXIT_UNHEALTHY);
}
