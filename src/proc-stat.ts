// The fields of /proc/PID/stat after the command name, which is in
// parentheses and may itself hold spaces and ')': so [0] is the state, [1] the
// parent, [2] the process group, [3] the session. Throws as readFileSync does
// when the process (or /proc) is not there.
import { readFileSync } from 'node:fs';

export function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
