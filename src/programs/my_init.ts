// my_init: the init of a container (src/entry.ts chooses it). Read this file top to bottom for its whole
// life: parse the command line, boot (environment, startup scripts), run (the
// main command, or until stopped), shut down (shutdown scripts), kill the rest.
// First, so that its handlers are installed before the rest loads.
import { signals } from '../signals.ts';
import { Children, processEnvironment } from '../children.ts';
import { parseArguments, type Options } from '../cli.ts';
import { placeEnvironment } from '../env-location.ts';
import { DEFAULT_ENV_PATHS, EnvStore } from '../env-store.ts';
import { readStatusAddress, type StatusAddress } from '../health/status-address.ts';
import { killAllProcesses } from '../kill-all.ts';
import * as log from '../log.ts';
import { runMainCommand } from '../main-command.ts';
import { isRunnable, runnableScripts, runScript, type ScriptResult } from '../scripts.ts';
import { ourRuntimeDirectory, type RuntimeDirectory } from '../runtime-dir.ts';
import { readSettings } from '../settings.ts';
import { superviseFallback } from '../supervise/location.ts';
import type { Supervisor } from '../supervise/supervisor.ts';
import { changeDirectory, currentDirectory, writeAll } from '../system/files.ts';
import { setInterval, clearInterval } from '../system/loop.ts';
import { becomeSubreaper, env as startEnv, euid, exit, pid, setProcessName } from '../system/processes.ts';
import type { Context } from '../waiting.ts';

declare const MY_INIT_VERSION: string;

const INSECURE_KEY_SCRIPT = '/usr/sbin/enable_insecure_key';
const RC_LOCAL = '/etc/rc.local';
const PRE_SHUTDOWN_DIRECTORY = '/etc/my_init.pre_shutdown.d';
const POST_SHUTDOWN_DIRECTORY = '/etc/my_init.post_shutdown.d';
const SERVICE_DIRECTORY = '/etc/service';

/** Exit codes of my_init itself, as in the reference. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_ABORTED = 2;

async function runToExit(args: string[]): Promise<number> {
  const parsed = parseArguments(args);
  switch (parsed.kind) {
    case 'help':
      writeAll(1, `${parsed.text}\n`);
      return 0;
    case 'version':
      writeAll(1, `my_init ${MY_INIT_VERSION}\n`);
      return 0;
    case 'usage-error':
      log.writeStderr(parsed.text);
      return EXIT_USAGE;
    case 'health':
      // Rare (entry.ts takes a leading --health): the health program ends the process.
      (await import('./health.ts')).main(parsed.args);
      return EXIT_USAGE;
  }
  const { options } = parsed;
  log.setVerbosity(options.verbosity);
  const settings = readSettings(startEnv);
  if (settings instanceof Error) {
    log.error(settings.message);
    return EXIT_FAILURE;
  }
  const statusAddress = readStatusAddress(startEnv);
  if (statusAddress instanceof Error) {
    log.error(statusAddress.message);
    return EXIT_FAILURE;
  }
  if (options.skipRunit && options.command.length === 0) {
    log.error('When --skip-runit is given, you must also pass a main command.');
    return EXIT_FAILURE;
  }

  const startDirectory = leaveStartDirectory();
  // What ps -C and pgrep -x match, whatever the executable's file is called.
  setProcessName('my_init');
  // Not PID 1 (docker run --init, a test harness): orphans still come to us.
  if (pid !== 1) becomeSubreaper();
  const context: Context = { children: new Children({ defaultCwd: startDirectory }), signals, settings };
  // Claimed only when /etc or a service directory cannot hold what we write.
  const runtime = ourRuntimeDirectory();

  let exitCode = await bootRunAndShutDown(options, context, runtime, startDirectory, statusAddress);
  if (signals.stopRequested) {
    log.warn('Init system aborted.');
    // A critical service that kept failing is a failure; docker stop is an abort.
    exitCode = signals.stopReason === 'SIGTERM' || signals.stopReason === 'SIGINT' ? EXIT_ABORTED : EXIT_FAILURE;
  }
  if (options.killAllOnExit) {
    signals.ignoreFurtherStops();
    await killAllProcesses(context.children, settings.killAllProcessesTimeout);
  }
  return exitCode;
}

/**
 * The init itself moves to `/`, as dumb-init does (tini does not), so that it keeps no
 * mount busy; what it starts still starts where it was started (the image's
 * WORKDIR), as under the reference. Returns that directory, or undefined when
 * it is `/` already or cannot be named (deleted: then we stay in it, and
 * children inherit it as before).
 */
function leaveStartDirectory(): string | undefined {
  const start = currentDirectory();
  if (start === '/' || changeDirectory('/') !== undefined) return undefined;
  return start;
}

async function bootRunAndShutDown(
  options: Options,
  context: Context,
  runtime: RuntimeDirectory,
  startDirectory: string | undefined,
  statusAddress: StatusAddress | null,
): Promise<number> {
  // Boot: the container environment, then the startup scripts.
  const startEnv = processEnvironment();
  let env = new Map(startEnv);
  const placed = placeEnvironment(DEFAULT_ENV_PATHS, euid(), () => runtime.get());
  if (placed.note !== null) (placed.placement.writable ? log.info : log.warn)(placed.note);
  const store = new EnvStore(placed.placement);
  store.importMissing(env);
  store.writeVariableFiles(env);
  store.writeDumps(env);

  if (options.enableInsecureKey) {
    log.info('Installing insecure SSH key for user root');
    const result = await runScript(INSECURE_KEY_SCRIPT, env, context, { announce: false });
    if (result !== 'ok') return EXIT_FAILURE;
  }
  if (!options.skipStartupFiles) {
    // ENV_INIT_DIRECTORY may be relative, to the directory the scripts run in.
    const scripts = runnableScripts(context.settings.envInitDirectory, startDirectory);
    if (isRunnable(RC_LOCAL)) scripts.push(RC_LOCAL);
    for (const script of scripts) {
      if (context.signals.stopRequested) return EXIT_ABORTED;
      const result = await runScript(script, env, context);
      if (result !== 'ok') return EXIT_FAILURE;
      // A script may have added, changed or removed variables.
      if (store.active) {
        env = store.reload(startEnv, env);
        store.writeDumps(env);
      }
    }
  }
  if (context.signals.stopRequested) return EXIT_ABORTED;

  // Run: the services, and the main command or (without one) until stopped.
  const supervisor = options.skipRunit ? null : await startServices(env, context, runtime);
  // Loaded only when asked for: without MY_INIT_STATUS_ADDR nothing of it is read.
  const statusServer = statusAddress === null
    ? null
    : (await import('../health/endpoint.ts')).startStatusEndpoint(statusAddress, supervisor, context.children);
  let exitCode: number;
  const notReady = supervisor ? await waitUntilReady(supervisor, context) : [];
  if (context.signals.stopRequested) {
    exitCode = EXIT_ABORTED;
  } else if (notReady.length > 0) {
    log.error(`Services not ready after ${context.settings.servicesReadyTimeout} s: ${notReady.join(', ')}`);
    exitCode = EXIT_FAILURE;
  } else if (options.command.length > 0) {
    exitCode = await runMainCommand(options.command, env, context);
  } else {
    await context.signals.whenStopRequested().promise;
    exitCode = EXIT_ABORTED;
  }

  // Shut down: the shutdown scripts around the services' stop, each within KILL_PROCESS_TIMEOUT.
  // A stopping container is no longer ready: its probes see a refused connection.
  statusServer?.close();
  log.debug('Running pre-shutdown scripts...');
  const pre = await runShutdownScripts(PRE_SHUTDOWN_DIRECTORY, env, context);
  if (supervisor) {
    log.info(`Shutting down runit daemon (PID ${pid})...`);
    log.debug('Waiting for runit services to exit...');
    await supervisor.stop();
  }
  log.debug('Running post-shutdown scripts...');
  const post = await runShutdownScripts(POST_SHUTDOWN_DIRECTORY, env, context);
  return pre === 'failed' || post === 'failed' ? EXIT_FAILURE : exitCode;
}

/**
 * The reference started runit's runsvdir here; the supervisor is built in, and
 * keeps its messages.
 */
async function startServices(env: ReadonlyMap<string, string>, context: Context, runtime: RuntimeDirectory): Promise<Supervisor> {
  log.info('Booting runit daemon...');
  const { settings } = context;
  // A module of its own in the executable: a one-shot's start-up does not read it.
  const { Supervisor } = await import('../supervise/supervisor.ts');
  const supervisor = new Supervisor(SERVICE_DIRECTORY, {
    children: context.children,
    env,
    killProcessTimeout: settings.killProcessTimeout,
    restartDelay: settings.serviceRestartDelay,
    restartDelayMax: settings.serviceRestartDelayMax,
    superviseFallback: superviseFallback(() => runtime.get(), log.info),
    onCriticalFailure: (directory, failures) => {
      log.error(`${directory} failed ${failures} times in a row and is marked critical: stopping the container.`);
      context.signals.requestStop(`critical service ${directory} failed`);
    },
  }, { dependencyTimeout: settings.serviceDependencyTimeout });
  supervisor.start();
  log.info(`Runit started as PID ${pid}`);
  return supervisor;
}

/** With SERVICES_READY_TIMEOUT: the services that are not ready in time (none: go on). */
async function waitUntilReady(supervisor: Supervisor, context: Context): Promise<string[]> {
  const seconds = context.settings.servicesReadyTimeout;
  if (seconds === null) return [];
  log.info(`Waiting up to ${seconds} s for the services to be ready...`);
  return supervisor.untilReady(seconds, () => context.signals.stopRequested);
}

/**
 * Unlike the reference, a failing or stopped shutdown script does not skip the
 * rest of the stop: the scripts after it still run.
 */
async function runShutdownScripts(
  directory: string,
  env: ReadonlyMap<string, string>,
  context: Context,
): Promise<ScriptResult> {
  let overall: ScriptResult = 'ok';
  for (const script of runnableScripts(directory)) {
    const result = await runScript(script, env, context, { deadlineSeconds: context.settings.killProcessTimeout });
    if (result === 'failed') overall = 'failed';
  }
  return overall;
}

/** An error with where it came from: QuickJS's stack holds only the frames. */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

/** The init's own entry: runs until stopped, then exits with the code it ends with. */
export function main(args: string[]): void {
  // Something keeps the event loop alive while we wait on signals alone.
  const keepAlive = setInterval(() => {}, 1 << 30);
  runToExit(args).then(
    (code) => {
      clearInterval(keepAlive);
      exit(code);
    },
    (error: unknown) => {
      log.error(`Internal error, please report it: ${describeError(error)}`);
      exit(EXIT_FAILURE);
    },
  );
}
