// setuser USER COMMAND [ARGS...]: runs a command as a user, as baseimage-docker's
// /sbin/setuser does: supplementary groups, group and user set; USER, HOME and
// UID set from the passwd entry; everything else (cwd, SHELL, the rest of the
// environment) left as it is.
import { readFileSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { resolveExecutable, SpawnError } from '../children.ts';
import { writeStderr } from '../log.ts';
import { findUser } from '../users.ts';

/** The POSIX-only calls @types/node leaves optional (or, for initgroups, out). */
interface PosixProcess {
  initgroups?: (user: string, extraGroup: number) => void;
  setgid?: (id: number) => void;
  setuid?: (id: number) => void;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
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
  const { initgroups, setgid, setuid, execve } = posix;
  if (!initgroups || !setgid || !setuid || !execve) fail('setuser: this platform cannot change users');
  try {
    initgroups.call(process, user.name, user.gid);
    setgid.call(process, user.gid);
    setuid.call(process, user.uid);
  } catch (error) {
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
