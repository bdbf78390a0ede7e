// The fields of /proc/PID/stat after the command name, which is in
// parentheses and may itself hold spaces and ')': so [0] is the state, [1] the
// parent, [2] the process group, [3] the session. An error when the process
// (or /proc) is not there.
import { SystemError } from './system/errors.ts';
import { readFile } from './system/files.ts';
import { fromLatin1 } from './system/text.ts';

export function statFields(pid: number | 'self'): string[] | SystemError {
  const bytes = readFile(`/proc/${pid}/stat`);
  if (bytes instanceof SystemError) return bytes;
  const stat = fromLatin1(bytes);
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
