// setuser USER COMMAND [ARGS...]: runs a command as a user, as baseimage-docker's
// /sbin/setuser does: supplementary groups, group and user set; USER, HOME and
// UID set from the passwd entry; everything else (cwd, SHELL, the rest of the
// environment) left as it is. Not root, it can only be the user it already is.
import { readFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { resolveExecutable, SpawnError } from '../children.ts';
import { writeStderr } from '../log.ts';
import { findUser, groupsAreFiles, memberGroups, type PasswdEntry } from '../users.ts';

/** The POSIX-only calls @types/node leaves optional (or, for initgroups, out). */
interface PosixProcess {
  initgroups?: (user: string, extraGroup: number) => void;
  setgroups?: (groups: number[]) => void;
  setgid?: (id: number) => void;
  setuid?: (id: number) => void;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/**
 * The supplementary groups, as the reference's os.initgroups set them. Read
 * from /etc/group here when that is all glibc would read: its initgroups loads
 * the NSS modules nsswitch.conf names, half of setuser's start-up.
 */
function setGroups(posix: PosixProcess, user: PasswdEntry): void {
  const group = groupsAreFiles(readOrNull('/etc/nsswitch.conf')) ? readOrNull('/etc/group') : null;
  if (group !== null && posix.setgroups) posix.setgroups.call(process, memberGroups(group, user.name, user.gid));
  else if (posix.initgroups) posix.initgroups.call(process, user.name, user.gid);
  else throw new Error('this platform cannot set groups');
}

/** strerror's text for an errno name, as the reference printed it. */
function systemMessage(code: string): string {
  for (const [name, message] of getSystemErrorMap().values()) if (name === code) return message;
  return code;
}

function fail(message: string): never {
  writeStderr(`${message}\n`);
  process.exit(1);
}

export function main(args: string[]): void {
  if (args.length < 2) fail('Usage: /sbin/setuser USERNAME COMMAND [args..]');
  const [name, command, ...rest] = args as [string, string, ...string[]];
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch (error) {
    fail(`setuser: cannot read /etc/passwd: ${(error as NodeJS.ErrnoException).code}`);
  }
  const user = findUser(passwd, name);
  if (user === null) fail(`setuser: user ${name} not found`);
  const posix = process as PosixProcess;
  const { setgid, setuid, execve } = posix;
  if (!setgid || !setuid || !execve) fail('setuser: this platform cannot change users');
  const euid = process.geteuid?.() ?? 0;
  // Not root, and already that user: nothing to change (setgroups alone would be refused).
  const already = euid !== 0 && user.uid === euid && user.gid === process.getegid?.();
  try {
    if (!already) {
      setGroups(posix, user);
      setgid.call(process, user.gid);
      setuid.call(process, user.uid);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM' && euid !== 0) fail(`setuser: cannot become ${name}: running as uid ${euid}, not root`);
    fail(`setuser: cannot become ${name}: ${(error as Error).message}`);
  }
  const env = { ...process.env, USER: user.name, HOME: user.home, UID: String(user.uid) } as Record<string, string>;
  const file = resolveExecutable(command, env.PATH);
  if (file instanceof SpawnError) fail(`setuser: cannot execute ${command}: ${systemMessage(file.code)}`);
  try {
    execve.call(process, file, [command, ...rest], env);
  } catch (error) {
    fail(`setuser: cannot execute ${command}: ${systemMessage((error as NodeJS.ErrnoException).code ?? '')}`);
  }
}
