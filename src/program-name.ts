// Which program the one executable is, from the name it was run under.
//
// Links are followed one at a time, from the name as typed: the first base name
// that names a program wins. So `/etc/init.d/nginx -> /usr/bin/sv -> /sbin/my_init`
// is sv (in LSB mode, for the service nginx), `gosu -> /sbin/setuser` is setuser,
// and a chain that reaches no program's name (`/init -> /sbin/my_init`, or a
// copy of the executable under any other name) is my_init.
import { readlink, stat } from './system/files.ts';
import { SystemError } from './system/errors.ts';
import { basename, dirname, join, resolve } from './system/path.ts';

/** As the kernel's own limit on a chain of links (ELOOP). */
const MAX_LINKS = 40;

/**
 * The first name on the chain from `typed` that `isProgram` accepts, or null.
 * `typed` without a slash is looked up in `path`, as the shell that ran it did.
 */
export function chooseProgram(typed: string, path: string | undefined, isProgram: (name: string) => boolean): string | null {
  if (isProgram(basename(typed))) return basename(typed);
  let current = typed.includes('/') ? typed : findInPath(typed, path);
  for (let links = 0; current !== null && links < MAX_LINKS; links++) {
    const target = readlink(current);
    if (target instanceof SystemError) return null; // Not a link (or gone): the chain ends here.
    current = resolve(dirname(current), target);
    if (isProgram(basename(current))) return basename(current);
  }
  return null;
}

function findInPath(name: string, path: string | undefined): string | null {
  for (const directory of (path ?? '').split(':')) {
    const candidate = join(directory === '' ? '.' : directory, name);
    const found = stat(candidate);
    if (!(found instanceof SystemError) && found.isFile()) return candidate;
  }
  return null;
}
