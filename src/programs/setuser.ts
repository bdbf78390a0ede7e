// setuser USER COMMAND [ARGS...]: runs a command as a user, as baseimage-docker's
// /sbin/setuser does: supplementary groups, group and user set; USER, HOME and
// UID set from the passwd entry; everything else (cwd, SHELL, the rest of the
// environment) left as it is. Not root, it can only be the user it already is.
//
// Users and groups come from /etc/passwd and /etc/group only (the executable
// has no NSS): with no /etc/passwd (an image FROM scratch) setuser says so.
import { resolveExecutable, SpawnError } from '../children.ts';
import { writeStderr } from '../log.ts';
import { errnoNumber, errnoWords, SystemError } from '../system/errors.ts';
import { readText } from '../system/files.ts';
import { egid, euid, exec, exit, setGid, setGroups, setUid, startEnvironment } from '../system/processes.ts';
import { findUser, memberGroups, nisLinesAreGroups, type PasswdEntry } from '../users.ts';

const textOrNull = (path: string): string | null => {
  const text = readText(path);
  return text instanceof SystemError ? null : text;
};

/**
 * The supplementary groups, as the reference's os.initgroups set them: the
 * primary group and each group of /etc/group that names the user (just the
 * primary group when there is no /etc/group, as glibc's initgroups gives).
 */
function supplementaryGroups(user: PasswdEntry): number[] {
  const group = textOrNull('/etc/group') ?? '';
  return memberGroups(group, user.name, user.gid, nisLinesAreGroups(textOrNull('/etc/nsswitch.conf')));
}

/** strerror's text for an errno name, as the reference printed it. */
function systemMessage(code: string): string {
  const errno = errnoNumber(code);
  return errno === undefined ? code : errnoWords(errno);
}

function fail(message: string): never {
  writeStderr(`${message}\n`);
  return exit(1);
}

/** setgroups, setgid, setuid in that order; the first failure. */
function become(user: PasswdEntry): SystemError | undefined {
  return setGroups(supplementaryGroups(user)) ?? setGid(user.gid) ?? setUid(user.uid);
}

export function main(args: string[]): void {
  if (args.length < 2) fail('Usage: /sbin/setuser USERNAME COMMAND [args..]');
  const [name, command, ...rest] = args as [string, string, ...string[]];
  const passwd = readText('/etc/passwd');
  if (passwd instanceof SystemError) fail(`setuser: cannot read /etc/passwd: ${errnoWords(passwd.errno)}`);
  const user = findUser(passwd, name);
  if (user === null) fail(`setuser: user ${name} not found`);
  const effective = euid();
  // Not root, and already that user: nothing to change (setgroups alone would be refused).
  const already = effective !== 0 && user.uid === effective && user.gid === egid();
  const failed = already ? undefined : become(user);
  if (failed !== undefined) {
    if (failed.code === 'EPERM' && effective !== 0) fail(`setuser: cannot become ${name}: running as uid ${effective}, not root`);
    fail(`setuser: cannot become ${name}: ${failed.message}`);
  }
  const env = startEnvironment();
  env.set('USER', user.name);
  env.set('HOME', user.home);
  env.set('UID', String(user.uid));
  const file = resolveExecutable(command, env.get('PATH'));
  if (file instanceof SpawnError) fail(`setuser: cannot execute ${command}: ${systemMessage(file.code)}`);
  const envp = [...env].map(([variable, value]) => `${variable}=${value}`);
  fail(`setuser: cannot execute ${command}: ${errnoWords(exec(file, [command, ...rest], envp).errno)}`);
}
