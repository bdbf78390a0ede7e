// What is at a path, as `test -d`, `-f`, `-L` answer it: false when nothing is
// there or it cannot be looked at.
import { SystemError } from './system/errors.ts';
import { lstat, stat, type Stat } from './system/files.ts';

const is = (info: Stat | SystemError, test: (info: Stat) => boolean): boolean => !(info instanceof SystemError) && test(info);

/** A directory, or a link to one. */
export const isDirectory = (path: string): boolean => is(stat(path), (info) => info.isDirectory());
/** A regular file, or a link to one. */
export const isFile = (path: string): boolean => is(stat(path), (info) => info.isFile());
/** A symbolic link, whatever it points to. */
export const isSymlink = (path: string): boolean => is(lstat(path), (info) => info.isSymbolicLink());
