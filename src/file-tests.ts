// What is at a path, as `test -d`, `-f`, `-L` answer it: false when nothing is
// there or it cannot be looked at, with no exception (and its stack) for an
// absent path, which is the usual answer at boot.
import { lstatSync, statSync } from 'node:fs';

function tested(look: () => boolean | undefined): boolean {
  try {
    return look() ?? false;
  } catch {
    return false;
  }
}

/** A directory, or a link to one. */
export const isDirectory = (path: string): boolean => tested(() => statSync(path, { throwIfNoEntry: false })?.isDirectory());
/** A regular file, or a link to one. */
export const isFile = (path: string): boolean => tested(() => statSync(path, { throwIfNoEntry: false })?.isFile());
/** A symbolic link, whatever it points to. */
export const isSymlink = (path: string): boolean => tested(() => lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink());
