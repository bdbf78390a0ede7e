// Where the container environment's files go. In /etc, as in the reference,
// whenever my_init can write there. Otherwise (a read-only root file system,
// or my_init not root in an image whose /etc is root's) the whole set goes to
// the runtime directory: <runtime>/container_environment/ and its .sh and
// .json beside it, so they stay one consistent set; the image's variables are
// still imported from /etc/container_environment when it can be read.
// Decided once, at boot, and said in one line.
import type { EnvPaths, EnvPlacement } from './env-store.ts';
import { unwritableReason } from './runtime-dir.ts';
import { SystemError } from './system/errors.ts';
import { access, exists, lstat, mkdir, realpath, removeTree, W_OK, X_OK } from './system/files.ts';
import { dirname, join } from './system/path.ts';

/** The relocated set: the same names as in /etc, under `runtime`. */
export function runtimeEnvPaths(runtime: string): EnvPaths {
  return {
    directory: join(runtime, 'container_environment'),
    shellDump: join(runtime, 'container_environment.sh'),
    jsonDump: join(runtime, 'container_environment.json'),
  };
}

/** The directory a dump is written in: a link's target's, as writeFileAtomic writes through links. */
function directoryOf(path: string): string {
  const info = lstat(path);
  if (info instanceof SystemError || !info.isSymbolicLink()) return dirname(path);
  const real = realpath(path);
  // A dangling link: the file would be made beside it.
  return dirname(real instanceof SystemError ? path : real);
}

/** Why files cannot be created and replaced in `directory` by us (uid), or null when they can. */
export function whyNotWritable(directory: string, uid: number): string | null {
  const denied = access(directory, W_OK | X_OK);
  return denied === undefined ? null : unwritableReason(denied.code, uid);
}

export interface Placed {
  placement: EnvPlacement;
  /** The one line that says where the files went, when not where they usually are. */
  note: string | null;
}

/**
 * In /etc when the directory and both dumps' directories are writable, or
 * when there is no container environment at all (nothing is written then);
 * else under the runtime directory, made afresh each boot (it is ours, and a
 * leftover variable of an earlier boot must not come back); else nowhere.
 */
export function placeEnvironment(
  defaults: EnvPaths, uid: number, runtime: () => string | Error, probe: (directory: string, uid: number) => string | null = whyNotWritable,
): Placed {
  const inPlace: EnvPlacement = { paths: defaults, importFrom: defaults.directory, writable: true };
  if (!exists(defaults.directory)) return { placement: inPlace, note: null };
  const blocked = [defaults.directory, directoryOf(defaults.shellDump), directoryOf(defaults.jsonDump)]
    .map((directory) => ({ directory, why: probe(directory, uid) }))
    .find(({ why }) => why !== null);
  if (blocked === undefined) return { placement: inPlace, note: null };
  const where = `${blocked.directory} is ${blocked.why === 'read-only file system' ? 'on a read-only file system' : blocked.why}`;
  const root = runtime();
  const nowhere = (why: string): Placed => ({
    placement: { ...inPlace, writable: false },
    note: `Warning: ${where}, and ${why}: the container environment is not written (every variable keeps its value).`,
  });
  if (root instanceof Error) return nowhere(root.message);
  const paths = runtimeEnvPaths(root);
  const made = removeTree(paths.directory) ?? mkdir(paths.directory, 0o700);
  if (made !== undefined) return nowhere(`${paths.directory} cannot be made (${made.code})`);
  return {
    placement: { paths, importFrom: defaults.directory, writable: true },
    note: `${where}: the container environment goes to ${paths.directory} (and its .sh and .json) instead.`,
  };
}
