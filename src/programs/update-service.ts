// update-service: Debian's tool to register a service directory with the
// services directory ($SVDIR, default /etc/service) by a symbolic link, and to
// take it away again. The same verbs, messages, exit codes and links as
// Debian's /usr/sbin/update-service (runit 2.1.2), written anew.
//   update-service --add|--remove DIR [NAME]
//   update-service defaults|defaults-disabled DIR [NAME]
//   update-service --list|--check [NAME]
//   update-service --auto|--noauto DIR
import {
  closeSync, constants, existsSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { isDirectory, isFile, isSymlink } from '../file-tests.ts';
import { writeStderr } from '../log.ts';

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
  else writeSync(1, text);
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
  process.exitCode = code;
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
  const servicedir = process.env.SVDIR || '/etc/service';
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
    const link = join(servicedir, svdir);
    if (!isSymlink(`${servicedir}/${svdir}`)) err(`Service ${svdir} not registered.`);
    out(`${svdir} -> ${readlinkSync(link)}`);
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
    if (process.getuid?.() !== 0) fatal(`${program} ${flag} must be run by root.`);
  };

  switch (opt) {
    case '-a': case '--add': case 'enable': {
      mustBeRoot('-a');
      if (existsSync(registered)) {
        if (!isSymlink(registered)) fatal(`${registered} exists, but is not a symbolic link.`);
        const target = readlinkSync(registered);
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
      if (!existsSync(registered)) warn(`${registered} does not exist.`);
      if (!isSymlink(registered)) fatal(`${registered} is not a symbolic link.`);
      const target = readlinkSync(registered);
      if (target !== svdir && target !== `${svdir}/` && target !== `${relativeSv}/${sv}`) fatal(`${registered} does not point to ${svdir}.`);
      if (isDirectory(registered)) {
        if (keepAdminChoice) return; // The admin enabled it: defaults-disabled does not override that.
        rmSync(registered, { force: true });
      }
      link(svdir, `${servicedir}/.${sv}`);
      out(`Service ${sv} removed, the service daemon received the TERM and CONT signals.`);
      return;
    }
    case '-u': case '--auto': {
      mustBeRoot('-u');
      const name = basename(svdir);
      if (!isFile(join(svdir, 'down'))) warn(`Service ${name} is already set to auto`);
      unlinkSync(join(svdir, 'down'));
      out(`Service ${name} is set to auto, now the wanted status of the service is up.`);
      return;
    }
    case '-n': case '--noauto': {
      mustBeRoot('-n');
      const name = basename(svdir);
      if (isFile(join(svdir, 'down'))) warn(`Service ${name} is already set to no-auto`);
      writeFileSync(join(svdir, 'down'), '', { flag: 'a' });
      out(`Service ${name} is set to no-auto, now the wanted status of the service is down.`);
      return;
    }
  }
  usage();
}

/** As `ls -1 DIR` (in the C locale): the names not starting with a dot, one a line. */
function list(directory: string): void {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') {
      out(directory);
      return;
    }
    say(2, `ls: cannot access '${directory}': ${code === 'ENOENT' ? 'No such file or directory' : code}\n`);
    throw new Exit(2);
  }
  const visible = names.filter((name) => !name.startsWith('.')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (visible.length > 0) out(visible.join('\n'));
}

/**
 * Debian keeps supervise/ (and log/supervise/) of a service under /etc in
 * /run/runit/supervise, by a link, so that /etc can be read-only.
 */
function moveSuperviseToRun(svdir: string, sv: string): void {
  const point = (path: string, target: string): void => {
    if (isSymlink(path) && readlinkOrEmpty(path) === target) return;
    rmSync(path, { recursive: true, force: true });
    symlinkSync(target, path);
  };
  point(join(svdir, 'supervise'), `${RUN_SUPERVISE}/${sv}`);
  if (isDirectory(join(svdir, 'log')) && !isSymlink(join(svdir, 'log', 'supervise'))) point(join(svdir, 'log', 'supervise'), `${RUN_SUPERVISE}/${sv}.log`);
  if (isSymlink(join(svdir, 'log', 'supervise'))) point(join(svdir, 'log', 'supervise'), `${RUN_SUPERVISE}/${sv}.log`);
}

/** As `ln -s TARGET PATH`: into PATH when it is a directory; its error when the name is taken. */
function link(target: string, path: string): void {
  const at = isDirectory(path) ? join(path, basename(target)) : path;
  try {
    symlinkSync(target, at);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const text = code === 'EEXIST' ? 'File exists' : code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : code;
    say(2, `ln: failed to create symbolic link '${at}': ${text}\n`);
    throw new Exit(1);
  }
}

/** As `rm PATH` on a link (or an empty name): its error when that fails. */
function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    say(2, `rm: cannot remove '${path}': ${code === 'EISDIR' ? 'Is a directory' : code}\n`);
    throw new Exit(1);
  }
}

/** As `sv stat DIR` succeeding: a runsv holds supervise/ok open. */
function isSupervised(directory: string): boolean {
  try {
    closeSync(openSync(join(directory, 'supervise', 'ok'), constants.O_WRONLY | constants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

/** As the shell's `test`: false for any error (missing, not a directory on the way, no access). */

function readlinkOrEmpty(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
