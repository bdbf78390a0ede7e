// A unit test file that needs a process of its own (to see it exit, or what it
// starts with) runs itself again in the test host as that program:
//
//   if (!runAsProgram({ 'unref-timer': () => ..., ... })) { describe(...) }
//
// The test starts one with runProgram(name, ...args): the same host executable
// (/proc/self/exe), the same bundle (argv[0]), and `program NAME ARGS...`.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readlink } from '../../src/system/files.ts';
import { monotonicMs } from '../../src/system/loop.ts';
import { argv } from '../../src/system/processes.ts';

const PROGRAM = 'program';

/** Runs the program this process was started as, if it was: true then, and the file declares no tests. */
export function runAsProgram(programs: Record<string, (args: readonly string[]) => void>): boolean {
  if (argv[1] !== PROGRAM) return false;
  const program = programs[argv[2] ?? ''];
  if (program === undefined) throw new Error(`no program ${argv[2]} in ${argv[0]}`);
  program(argv.slice(3));
  return true;
}

export interface ProgramRun {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Runs one of this file's programs to its end. */
export function runProgram(name: string, args: readonly string[] = [], options: Pick<SpawnSyncOptions, 'env'> = {}): ProgramRun {
  const host = readlink('/proc/self/exe');
  if (typeof host !== 'string') throw host;
  const started = monotonicMs();
  const run = spawnSync(host, [argv[0]!, PROGRAM, name, ...args], { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.error !== undefined) throw run.error;
  return { status: run.status, signal: run.signal, stdout: String(run.stdout), stderr: String(run.stderr), elapsedMs: monotonicMs() - started };
}
