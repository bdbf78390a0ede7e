// Directories of scripts: /etc/my_init.d and /etc/rc.local at boot, and the
// pre- and post-shutdown directories when stopping.
import { exitCodeOf, SpawnError } from './children.ts';
import { compareNames } from './container-env.ts';
import * as log from './log.ts';
import { SystemError } from './system/errors.ts';
import { access, readdir, stat, X_OK } from './system/files.ts';
import { join, resolve } from './system/path.ts';
import { type Context, waitForChild } from './waiting.ts';

/** A regular file (after symlinks) that we may execute; a relative path is taken from `cwd` (default: ours). */
export function isRunnable(path: string, cwd?: string): boolean {
  const file = cwd === undefined ? path : resolve(cwd, path);
  // Missing, a broken link, or not executable: skipped silently, as in the reference.
  const found = stat(file);
  return !(found instanceof SystemError) && found.isFile() && access(file, X_OK) === undefined;
}

/**
 * The runnable entries of a directory, in byte order of their names (dotfiles
 * too), named as the directory was. A relative directory is taken from `cwd`,
 * where the scripts will run (default: ours).
 */
export function runnableScripts(directory: string, cwd?: string): string[] {
  const names = readdir(cwd === undefined ? directory : resolve(cwd, directory));
  if (names instanceof SystemError) return [];
  return names
    .sort(compareNames)
    .map((name) => join(directory, name))
    .filter((path) => isRunnable(path, cwd));
}

export type ScriptResult = 'ok' | 'failed' | 'stopped';

/** Runs one script to its end; a failure is reported the reference's way. */
export async function runScript(
  path: string,
  env: ReadonlyMap<string, string>,
  context: Context,
  { announce = true, deadlineSeconds }: { announce?: boolean; deadlineSeconds?: number } = {},
): Promise<ScriptResult> {
  if (announce) log.info(`Running ${path}...`);
  let child;
  try {
    child = context.children.spawn({ argv: [path], env });
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    log.error(`${error.message}\n`);
    return 'failed';
  }
  const outcome = await waitForChild(child, path, context, { isScript: true, deadlineSeconds });
  if (outcome.interrupted && context.signals.stopRequested) return 'stopped';
  const code = outcome.status === null ? null : exitCodeOf(outcome.status);
  if (code === 0) return 'ok';
  // The reference's message ends in a newline of its own: a blank line follows.
  log.error(code === null ? `${path} exited with unknown status\n` : `${path} failed with status ${code}\n`);
  return 'failed';
}
