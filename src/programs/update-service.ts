// update-service: Debian's tool to register a service directory with the
// services directory ($SVDIR, default /etc/service) by a symbolic link, and to
// take it away again. The same verbs, messages, exit codes and links as
// Debian's /usr/sbin/update-service (runit 2.1.2), written anew.
//   update-service --add|--remove DIR [NAME]
//   update-service defaults|defaults-disabled DIR [NAME]
//   update-service --list|--check [NAME]
//   update-service --auto|--noauto DIR
import { isDirectory, isFile, isSymlink } from '../file-tests.ts';
import { writeStderr, writeStdout } from '../log.ts';
import { SystemError } from '../system/errors.ts';
import {
  close, exists, O_APPEND, O_CREAT, O_NONBLOCK, O_WRONLY, open, readdir, readlink, removeTree, symlink, unlink, writeFile,
} from '../system/files.ts';
import { basename, join } from '../system/path.ts';
import { env, exit, uid } from '../system/processes.ts';
import { compareBytes, utf8 } from '../system/text.ts';

/** Where Debian keeps supervise/ of services under /etc: a tmpfs, so that /etc can be read-only. */
const RUN_SUPERVISE = '/run/runit/supervise';
/** A services directory that is this link (Debian's runlevels) may hold links relative to it. */
const DEFAULT_RUNLEVEL = 'runit/runsvdir/default';
const RELATIVE_SV = '../../../sv';

class Exit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/** --check: only the exit code says anything. */
let silent = false;

/** As the script's err(): the message and a blank line on stderr, exit 1. */
function err(message: string): never {
  say(2, `${message}\n\n`);
  throw new Exit(1);
}

function out(line: string): void {
  say(1, `${line}\n`);
}

function say(fd: 1 | 2, text: string): void {
  if (silent) return;
  if (fd === 2) writeStderr(text);
  else writeStdout(text);
}

export function main(args: string[], calledAs: string): void {
  const program = basename(calledAs);
  let code = 0;
  try {
    run(args, program);
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    code = error.code;
  }
  exit(code);
}

function run(args: string[], program: string): void {
  const fatal = (message: string): never => err(`${program}: fatal: ${message}`);
  const warn = (message: string): never => err(`${program}: warning: ${message}`);
  const usage = (): never => err(
    `Usage: ${program} --add|--remove <service-directory> [<service-name>]\n`
    + `       ${program} defaults| defaults-disabled [<service-name>]\n`
    + `       ${program} --list|--check [<service-name>]\n`
    + `       ${program} --auto|--noauto <service-directory>`,
  );
  const servicedir = env.SVDIR || '/etc/service';
  let opt = args[0] ?? '';
  const svdir = (args[1] ?? '').replace(/\/$/, '');
  let sv = args[2] ?? '';
  let quiet = false;
  let keepAdminChoice = false;

  if (opt === '-c' || opt === '--check') {
    quiet = true;
    opt = '-l';
  }
  if (opt === '-l' || opt === '--list') {
    silent = quiet;
    if (svdir === '') return list(servicedir);
    if (!isSymlink(`${servicedir}/${svdir}`)) err(`Service ${svdir} not registered.`);
    out(`${svdir} -> ${readlinkOrEmpty(join(servicedir, svdir))}`);
    return;
  }
  if (opt === 'defaults') {
    opt = '-a';
    keepAdminChoice = true;
  } else if (opt === 'defaults-disabled') {
    opt = '-r';
    keepAdminChoice = true;
  }

  if (svdir === '') usage();
  if (!isDirectory(svdir)) fatal(`${svdir} does not exist, or is not a directory.`);
  if (!svdir.startsWith('/')) fatal('The <service-directory> must start with a slash.');
  if (sv === '') sv = svdir.slice(svdir.lastIndexOf('/') + 1);
  if (sv.startsWith('.')) fatal('The <service-name> must not start with a dot.');
  if (sv.includes('/')) fatal('The <service-name> must not contain a slash.');
  const relativeSv = readlinkOrEmpty(servicedir) === DEFAULT_RUNLEVEL ? RELATIVE_SV : '';
  const registered = `${servicedir}/${sv}`;
  const mustBeRoot = (flag: string): void => {
    if (uid() !== 0) fatal(`${program} ${flag} must be run by root.`);
  };

  switch (opt) {
    case '-a': case '--add': case 'enable': {
      mustBeRoot('-a');
      if (exists(registered)) {
        if (!isSymlink(registered)) fatal(`${registered} exists, but is not a symbolic link.`);
        const target = readlinkOrEmpty(registered);
        if (target !== svdir && target !== `${svdir}/`) fatal(`${registered} exists, but doesn't point to ${svdir}.`);
        out(`Service ${sv} already added.`);
        return;
      }
      if (isSupervised(svdir)) fatal(`${svdir} is currently controlled by a runsv(8) process.`);
      if (svdir.startsWith('/etc/')) moveSuperviseToRun(svdir, sv);
      const disabled = `${servicedir}/.${sv}`;
      if (isDirectory(disabled)) {
        if (keepAdminChoice) return; // The admin disabled it: defaults does not override that.
        remove(disabled);
      }
      link(svdir, registered);
      out(`Service ${sv} added.`);
      return;
    }
    case '-r': case '--remove': case 'disable': {
      mustBeRoot('-r');
      if (!exists(registered)) warn(`${registered} does not exist.`);
      if (!isSymlink(registered)) fatal(`${registered} is not a symbolic link.`);
      const target = readlinkOrEmpty(registered);
      if (target !== svdir && target !== `${svdir}/` && target !== `${relativeSv}/${sv}`) fatal(`${registered} does not point to ${svdir}.`);
      if (isDirectory(registered)) {
        if (keepAdminChoice) return; // The admin enabled it: defaults-disabled does not override that.
        remove(registered, { force: true });
      }
      link(svdir, `${servicedir}/.${sv}`);
      out(`Service ${sv} removed, the service daemon received the TERM and CONT signals.`);
      return;
    }
    case '-u': case '--auto': {
      mustBeRoot('-u');
      const name = basename(svdir);
      if (!isFile(join(svdir, 'down'))) warn(`Service ${name} is already set to auto`);
      remove(join(svdir, 'down'));
      out(`Service ${name} is set to auto, now the wanted status of the service is up.`);
      return;
    }
    case '-n': case '--noauto': {
      mustBeRoot('-n');
      const name = basename(svdir);
      if (isFile(join(svdir, 'down'))) warn(`Service ${name} is already set to no-auto`);
      touch(join(svdir, 'down'));
      out(`Service ${name} is set to no-auto, now the wanted status of the service is down.`);
      return;
    }
  }
  usage();
}

/** As `ls -1 DIR` (in the C locale): the names not starting with a dot, one a line. */
function list(directory: string): void {
  const names = readdir(directory);
  if (names instanceof SystemError) {
    if (names.code === 'ENOTDIR') {
      out(directory);
      return;
    }
    say(2, `ls: cannot access '${directory}': ${shellWords(names)}\n`);
    throw new Exit(2);
  }
  const visible = names.filter((name) => !name.startsWith('.')).sort((a, b) => compareBytes(utf8(a), utf8(b)));
  if (visible.length > 0) out(visible.join('\n'));
}

/**
 * Debian keeps supervise/ (and log/supervise/) of a service under /etc in
 * /run/runit/supervise, by a link, so that /etc can be read-only.
 */
function moveSuperviseToRun(svdir: string, sv: string): void {
  const point = (path: string, target: string): void => {
    if (isSymlink(path) && readlinkOrEmpty(path) === target) return;
    const removed = removeTree(path);
    if (removed !== undefined) {
      say(2, `rm: cannot remove '${path}': ${shellWords(removed)}\n`);
      throw new Exit(1);
    }
    link(target, path);
  };
  point(join(svdir, 'supervise'), `${RUN_SUPERVISE}/${sv}`);
  if (isDirectory(join(svdir, 'log')) && !isSymlink(join(svdir, 'log', 'supervise'))) point(join(svdir, 'log', 'supervise'), `${RUN_SUPERVISE}/${sv}.log`);
  if (isSymlink(join(svdir, 'log', 'supervise'))) point(join(svdir, 'log', 'supervise'), `${RUN_SUPERVISE}/${sv}.log`);
}

/** As `ln -s TARGET PATH`: into PATH when it is a directory; its error when the name is taken. */
function link(target: string, path: string): void {
  const at = isDirectory(path) ? join(path, basename(target)) : path;
  const made = symlink(target, at);
  if (made !== undefined) {
    say(2, `ln: failed to create symbolic link '${at}': ${shellWords(made)}\n`);
    throw new Exit(1);
  }
}

/** As `rm PATH` on a link (or an empty name), or `rm -f PATH` (`force`: nothing there is no error): its error when that fails. */
function remove(path: string, { force = false } = {}): void {
  const removed = unlink(path);
  if (removed === undefined || (force && removed.code === 'ENOENT')) return;
  say(2, `rm: cannot remove '${path}': ${shellWords(removed)}\n`);
  throw new Exit(1);
}

/** As `touch PATH`: made when missing, its error when that fails (its times are left: the file is all that counts). */
function touch(path: string): void {
  const made = writeFile(path, '', 0o666, O_WRONLY | O_CREAT | O_APPEND);
  if (made === undefined) return;
  say(2, `touch: cannot touch '${path}': ${shellWords(made)}\n`);
  throw new Exit(1);
}

/** As `sv stat DIR` succeeding: a runsv holds supervise/ok open. */
function isSupervised(directory: string): boolean {
  const fd = open(join(directory, 'supervise', 'ok'), O_WRONLY | O_NONBLOCK);
  if (fd instanceof SystemError) return false;
  close(fd);
  return true;
}

/** As `$(readlink PATH)`: nothing when it is no link. */
function readlinkOrEmpty(path: string): string {
  const target = readlink(path);
  return target instanceof SystemError ? '' : target;
}

/** The words of glibc's strerror, which the shell tools print, for the errors they meet here; the code for any other. */
function shellWords(error: SystemError): string {
  const words: Record<string, string> = {
    EEXIST: 'File exists', ENOENT: 'No such file or directory', EACCES: 'Permission denied', EISDIR: 'Is a directory',
    ENOTDIR: 'Not a directory', EPERM: 'Operation not permitted', EROFS: 'Read-only file system', ENOSPC: 'No space left on device',
  };
  return words[error.code] ?? error.code;
}
