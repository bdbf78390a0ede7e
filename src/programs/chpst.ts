// chpst: runs a program with a changed process state, as runit 2.1.2's chpst
// (Debian's /usr/bin/chpst) does, with its options, messages and exit codes
// (100 for a usage error, 111 for a state it could not change), and its steps
// in its order: new session, envdir, chroot, nice, $UID/$GID, user and groups,
// lock, closing stdio, limits, exec. Called as envdir, envuidgid, pgrphack,
// setlock, setuidgid or softlimit it is that daemontools program, as runit's
// chpst emulates it (quirks included: setlock waits only with -n).
//
// Every step is one system call made here, in runit's order; the descriptors
// chpst was given stay open for the program (nothing of ours is open across
// exec: the platform opens everything close-on-exec).
import { writeStderr } from '../log.ts';
import { errnoText } from '../runit-errors.ts';
import { SystemError } from '../system/errors.ts';
import {
  changeDirectory, changeRoot, close, currentDirectory, lock as lockFile, O_APPEND, O_CREAT, O_DIRECTORY, O_NONBLOCK,
  O_RDONLY, O_WRONLY, open, readdirBytes, readFile, readText, setCloseOnExec,
} from '../system/files.ts';
import {
  env, exec, exit, getResourceLimit, newSession, niceValue, setGid, setGroups, setNiceValue, setResourceLimit, setUid,
  startEnvironment,
} from '../system/processes.ts';
import { concatBytes, fromUtf8 } from '../system/text.ts';
import { findGroup, findUser } from '../users.ts';

const USAGE_MAIN = ' [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog';
const USAGE: Record<string, string> = {
  setuidgid: ' account child',
  envuidgid: ' account child',
  envdir: ' dir child',
  pgrphack: ' child',
  setlock: ' [ -nNxX ] file program [ arg ... ]',
  softlimit: ' [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child',
};
const VERSION = '$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $';
const FATAL = 'chpst: fatal: ';
const WARNING = 'chpst: warning: ';

const ENOENT = 2;
const EPERM = 1;
const EACCES = 13;
const EISDIR = 21;
const EAGAIN = 11;

/** An errno, or the failed call that has one. */
type Failure = SystemError | number;
const errnoOf = (failure: Failure): number => (typeof failure === 'number' ? failure : failure.errno);

function die(code: number, text: string): never {
  writeStderr(text);
  return exit(code);
}
const fatal = (message: string, failure: Failure): never => die(111, `${FATAL}${message}: ${errnoText(errnoOf(failure))}\n`);
const fatal2 = (m0: string, m1: string, failure: Failure): never => die(111, `${FATAL}${m0}: ${m1}: ${errnoText(errnoOf(failure))}\n`);
const fatalx = (m0: string, m1: string): never => die(111, `${FATAL}${m0}: ${m1}\n`);

/** runit's sgetopt over subgetopt: clustered flags, `-xVALUE` or `-x VALUE`, `-`/`--` end the options. */
class Getopt {
  index = 1;
  private position = 0;
  optarg = '';
  private readonly argv: readonly string[];
  private readonly opts: string;
  private readonly name: string;

  constructor(argv: readonly string[], opts: string, name: string) {
    this.argv = argv;
    this.opts = opts;
    this.name = name;
  }

  /** The option letter, '?' after printing runit's complaint, or null when the options end. */
  next(): string | null {
    const argv = this.argv;
    this.optarg = '';
    if (this.index >= argv.length) return null;
    if (this.position > 0 && this.position >= argv[this.index]!.length) {
      this.index++;
      this.position = 0;
      if (this.index >= argv.length) return null;
    }
    if (this.position === 0) {
      const word = argv[this.index]!;
      if (word[0] !== '-') return null;
      this.position = 1;
      if (word[1] === '-' || word.length === 1) {
        if (word.length > 1) this.index++; // `--anything` is consumed, a lone `-` is the program.
        this.position = 0;
        return null;
      }
    }
    const c = argv[this.index]![this.position++]!;
    const at = this.letters().get(c);
    if (at === undefined) return this.problem(c);
    if (at) {
      this.optarg = argv[this.index]!.slice(this.position);
      this.index++;
      this.position = 0;
      if (this.optarg === '') {
        if (this.index >= argv.length) return this.problem(c);
        this.optarg = argv[this.index++]!;
      }
    }
    return c;
  }

  /** Each option letter, and whether it takes an argument. */
  private letters(): Map<string, boolean> {
    const letters = new Map<string, boolean>();
    for (let i = 0; i < this.opts.length; i++) {
      if (this.opts[i] === ':') continue;
      letters.set(this.opts[i]!, this.opts[i + 1] === ':');
    }
    return letters;
  }

  private problem(c: string): '?' {
    const missing = this.index >= this.argv.length;
    writeStderr(`${this.name}: ${missing ? 'option requires an argument' : 'illegal option'} -- ${c}\n`);
    return '?';
  }
}

/** djb's scan_ulong: the leading decimal digits, wrapping at 2^64, and how many there were. */
function scanUlong(text: string): [bigint, number] {
  let value = 0n;
  let length = 0;
  while (length < text.length && text[length]! >= '0' && text[length]! <= '9') {
    value = BigInt.asUintN(64, value * 10n + BigInt(text.charCodeAt(length) - 48));
    length++;
  }
  return [value, length];
}

/** A whole number or null, as `if (optarg[scan_ulong(optarg, &ul)]) usage();` accepts it (the empty word is 0). */
function wholeNumber(text: string): bigint | null {
  const [value, length] = scanUlong(text);
  return length === text.length ? value : null;
}

const asLong = (value: bigint): bigint => BigInt.asIntN(64, value);
const asId = (value: bigint): number => Number(BigInt.asUintN(32, value));

/** The resources slimit() sets, in its order; a limit of -2 is not set, -1 (softlimit's `=`) is the hard limit. */
const RESOURCES = { data: 2, stack: 3, memlock: 8, as: 9, nofile: 7, nproc: 6, fsize: 1, core: 4, rss: 5, cpu: 0 } as const;
type Resource = keyof typeof RESOURCES;
type Limits = Record<Resource, bigint>;
const noLimits = (): Limits => ({ data: -2n, stack: -2n, memlock: -2n, as: -2n, nofile: -2n, nproc: -2n, fsize: -2n, core: -2n, rss: -2n, cpu: -2n });

interface UidGids {
  uid: number;
  gids: number[];
}

/** The program's state: what runit's chpst keeps in globals. */
class State {
  /** pathexec_env's additions: `NAME=value` sets, a bare `NAME` removes. */
  readonly plus: string[] = [];
  /** openreadclose's buffer, which a vanished file leaves as it was (runit reuses it). */
  private envdirBuffer: Uint8Array = new Uint8Array(0);

  private readonly progname: string;

  constructor(progname: string) {
    this.progname = progname;
  }

  usage(text = USAGE_MAIN): never {
    return die(100, `usage: ${this.progname}${text}\n\n`);
  }

  /** uidgids_get (`ext`: -u/-U) or uidgid_get (setuidgid, envuidgid), failing as chpst does. */
  lookup(user: string, ext: boolean): UidGids {
    const found = ext ? uidgidsGet(user) : uidgidGet(user);
    // runit's words, and (unlike runit) the file that could not be read: a FROM scratch image has none.
    if (found instanceof SystemError) {
      return fatal2(ext ? 'unable to get password/group file entry' : 'unable to get password file entry', found.path ?? '/etc/passwd', found);
    }
    if (found !== null) return found;
    if (ext && user.startsWith(':')) return fatalx('invalid uid/gids', user.slice(1));
    return fatalx(ext ? 'unknown user/group' : 'unknown account', user);
  }

  suidgid(user: string, ext: boolean): void {
    const { uid, gids } = this.lookup(user, ext);
    const step = (failed: SystemError | undefined, what: string): void => {
      if (failed !== undefined) fatal(what, failed);
    };
    step(setGroups(gids), 'unable to setgroups');
    step(setGid(gids[0]!), 'unable to setgid');
    step(setUid(uid), 'unable to setuid');
  }

  euidgid(user: string, ext: boolean): void {
    const { uid, gids } = this.lookup(user, ext);
    this.plus.push(`GID=${gids[0]}`, `UID=${uid}`);
  }

  /** envdir: each file not starting with a dot sets (or, when empty, removes) the variable it names. */
  edir(dirname: string, fromOption: boolean, verbose: boolean): void {
    // As runit's open_read("."): the working directory must be there to come back to.
    const here = open('.', O_RDONLY | O_DIRECTORY);
    if (here instanceof SystemError) return fatal('unable to open current working directory', here);
    close(here);
    const start = currentDirectory();
    const entered = changeDirectory(dirname);
    if (entered !== undefined) fatal2('unable to switch to directory', dirname, entered);
    // Names as bytes: a dotfile is told by its first byte, whatever the rest is. A failure is
    // almost always opendir's (runit's words for a failed readdir are `unable to read directory`).
    const names = readdirBytes('.');
    if (names instanceof SystemError) return fatal2('unable to open directory', dirname, names);
    for (const bytes of names) {
      if (bytes[0] === 0x2e) continue; // A dotfile, `.` and `..`.
      const name = fromUtf8(bytes);
      const content = readFile(name);
      if (content instanceof SystemError) {
        if (content.code === 'EISDIR' && fromOption) {
          this.envdirBuffer = new Uint8Array(0); // readclose emptied it before the read failed.
          if (verbose) writeStderr(`${WARNING}unable to read ${dirname}/${name}: ${errnoText(content.errno)}\n`);
          continue;
        }
        if (content.code !== 'ENOENT') fatal(`unable to read ${dirname}/${name}`, content);
        // A file that vanished (a dangling link): runit goes on with what the buffer held.
      } else {
        this.envdirBuffer = content;
      }
      this.plus.push(this.envdirValue(name));
    }
    const returned = changeDirectory(start);
    if (returned !== undefined) fatal('unable to switch to starting directory', returned);
  }

  /** The first line, trailing blanks and tabs trimmed, NULs made newlines; a bare name when the file is empty. */
  private envdirValue(name: string): string {
    const buffer = this.envdirBuffer;
    if (buffer.length === 0) return name;
    let length = buffer.indexOf(0x0a);
    if (length < 0) length = buffer.length;
    while (length > 0 && (buffer[length - 1] === 0x20 || buffer[length - 1] === 0x09)) length--;
    const value = buffer.slice(0, length);
    for (let i = 0; i < value.length; i++) if (value[i] === 0) value[i] = 0x0a;
    this.envdirBuffer = concatBytes([value, Uint8Array.of(0)]); // stralloc_0: the buffer now ends in a NUL.
    return `${name}=${fromUtf8(value)}`;
  }

  /**
   * Opens and locks `file` for the program (the lock stays held across exec); `x`: failing exits 0, silently.
   * The descriptor is the lowest one chpst was not given, as runit's open() gives it: chpst holds
   * none of its own by then (each file it read is closed, and it watches nothing).
   */
  slock(file: string, wait: boolean, x: boolean): void {
    const dieLock = (message: string, failure: Failure): never => (x ? exit(0) : fatal2(message, file, failure));
    const fd = open(file, O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT, 0o600);
    if (fd instanceof SystemError) return dieLock('unable to open lock', fd);
    const locked = lockFile(fd, { exclusive: true, wait });
    if (locked instanceof SystemError) return dieLock('unable to lock', locked);
    if (!locked) dieLock('unable to lock', EAGAIN);
    // Opened close-on-exec, as the platform opens everything: the program must hold it.
    const kept = setCloseOnExec(fd, false);
    if (kept !== undefined) dieLock('unable to lock', kept);
  }

  /** slimit(): each limit set, below the hard limit as asked, else the hard limit. */
  setLimits(limits: Limits): void {
    for (const name of Object.keys(RESOURCES) as Resource[]) {
      const wanted = limits[name];
      if (wanted < -1n) continue;
      const current = getResourceLimit(RESOURCES[name]);
      if (current instanceof SystemError) return fatal('unable to getrlimit()', current);
      const hard = current[1];
      const set = setResourceLimit(RESOURCES[name], wanted < 0n || wanted > hard ? hard : wanted, hard);
      if (set !== undefined) fatal('unable to setrlimit()', set);
    }
  }

  /**
   * pathexec_env_run: the environment with the additions, `file` looked up in
   * chpst's own $PATH as runit's pathexec_run walks it: a missing file is
   * passed over, and so is one that is denied or a directory, whose error is
   * kept; any other error ends the walk. Returns only the errno to report.
   */
  run(file: string, argv: string[]): number {
    const envp = this.environment();
    const candidates = file.includes('/') ? [file] : (env.PATH ?? '/bin:/usr/bin').split(':').map((directory) => `${directory === '' ? '.' : directory}/${file}`);
    let saved = 0;
    let errno = ENOENT;
    for (const candidate of candidates) {
      errno = exec(candidate, argv, envp).errno;
      if (errno === ENOENT) continue;
      saved = errno;
      if (errno !== EACCES && errno !== EPERM && errno !== EISDIR) break;
    }
    return saved !== 0 ? saved : errno;
  }

  /** pathexec's environment: each addition removes the first variable of its name (the last one moves into its place), then is appended. */
  private environment(): string[] {
    const e = [...startEnvironment()].map(([name, value]) => `${name}=${value}`);
    for (const addition of this.plus) {
      const split = addition.indexOf('=');
      const prefix = `${split < 0 ? addition : addition.slice(0, split)}=`;
      const t = e.findIndex((variable) => variable.startsWith(prefix));
      if (t >= 0) {
        const last = e.pop()!;
        if (t < e.length) e[t] = last;
      }
      if (split >= 0) e.push(addition);
    }
    return e;
  }
}

/** As getpwnam and getgrnam read them: a file that cannot be read is an error (errno set), not "no such user". */
const readAccounts = (path: '/etc/passwd' | '/etc/group'): string | SystemError => readText(path);

/** uidgid_get: the account's uid and its one group, by name only. */
function uidgidGet(user: string): UidGids | null | SystemError {
  const passwd = readAccounts('/etc/passwd');
  if (passwd instanceof SystemError) return passwd;
  const entry = findUser(passwd, user);
  return entry === null ? null : { uid: entry.uid, gids: [entry.gid] };
}

/** uidgids_get: `user[:group[:group...]]` by name, or `:uid[:gid[:gid...]]` by number. */
function uidgidsGet(spec: string): UidGids | null | SystemError {
  if (spec.startsWith(':')) return uidgidsSet(spec.slice(1));
  const colon = spec.indexOf(':');
  const passwd = readAccounts('/etc/passwd');
  if (passwd instanceof SystemError) return passwd;
  const entry = findUser(passwd, colon < 0 ? spec : spec.slice(0, colon));
  if (entry === null) return null;
  if (colon < 0) return { uid: entry.uid, gids: [entry.gid] };
  const groups = readAccounts('/etc/group');
  if (groups instanceof SystemError) return groups;
  const gids: number[] = [];
  let rest = spec.slice(colon + 1);
  for (let i = 0; i < 60; i++) {
    const next = rest.indexOf(':');
    const group = findGroup(groups, next < 0 ? rest : rest.slice(0, next));
    if (group === null) return null;
    gids.push(group.gid);
    if (next < 0) break;
    rest = rest.slice(next + 1);
  }
  return { uid: entry.uid, gids };
}

/** uidgids_set: `uid:gid[:gid...]`, each number as scan_ulong reads it (an empty one is 0), nothing after. */
function uidgidsSet(spec: string): UidGids | null {
  let [value, length] = scanUlong(spec);
  if (spec[length] !== ':') return null;
  const uid = asId(value);
  let rest = spec.slice(length + 1);
  const gids: number[] = [];
  for (let i = 0; i < 60; i++) {
    [value, length] = scanUlong(rest);
    gids.push(asId(value));
    rest = rest.slice(length);
    if (rest[0] !== ':') break;
    rest = rest.slice(1);
  }
  return rest === '' ? { uid, gids } : null;
}

/** nice(2) as glibc does it: getpriority, then setpriority of the sum (clamped to -20..19, as the kernel would). */
function nice(increment: number): void {
  const current = niceValue();
  const set = current instanceof SystemError ? current : setNiceValue(Math.min(19, Math.max(-20, (current + increment) | 0)));
  if (set !== undefined) fatal('unable to set nice level', set.errno === EACCES ? EPERM : set);
}

export function main(args: string[], calledAs: string): void {
  let progname = calledAs;
  if (progname.startsWith('d')) progname = progname.slice(1);
  const argv = [calledAs, ...args];
  const state = new State(progname);
  switch (progname) {
    case 'setuidgid':
    case 'envuidgid':
    case 'envdir':
    case 'pgrphack':
      return simplePersonality(state, progname, argv);
    case 'setlock':
      return setlock(state, argv);
    case 'softlimit':
      return softlimit(state, argv);
    default:
      return chpst(state, argv);
  }
}

function chpst(state: State, argv: string[]): void {
  let setUser: string | undefined;
  let envUser: string | undefined;
  let argv0: string | undefined;
  let envDir: string | undefined;
  let root: string | undefined;
  let lock: string | undefined;
  let lockWait = false;
  let verbose = false;
  let pgrp = false;
  const closeStdio = [false, false, false];
  let niceLevel = 0n;
  const limits = noLimits();
  const number = (text: string): bigint => wholeNumber(text) ?? state.usage();
  const getopt = new Getopt(argv, 'u:U:b:e:m:d:o:p:f:c:r:t:/:n:l:L:vP012V', argv[0]!);
  for (let opt = getopt.next(); opt !== null; opt = getopt.next()) {
    const arg = getopt.optarg;
    switch (opt) {
      case 'u': setUser = arg; break;
      case 'U': envUser = arg; break;
      case 'b': argv0 = arg; break;
      case 'e': envDir = arg; break;
      case 'm': limits.stack = limits.memlock = limits.as = limits.data = asLong(number(arg)); break;
      case 'd': limits.data = asLong(number(arg)); break;
      case 'o': limits.nofile = asLong(number(arg)); break;
      case 'p': limits.nproc = asLong(number(arg)); break;
      case 'f': limits.fsize = asLong(number(arg)); break;
      case 'c': limits.core = asLong(number(arg)); break;
      case 'r': limits.rss = asLong(number(arg)); break;
      case 't': limits.cpu = asLong(number(arg)); break;
      case '/': root = arg; break;
      case 'n':
        if (arg.startsWith('-')) niceLevel = asLong(-number(arg.slice(1)));
        else niceLevel = asLong(number(arg.startsWith('+') ? arg.slice(1) : arg));
        break;
      case 'l':
      case 'L':
        if (lock !== undefined) state.usage();
        lock = arg;
        lockWait = opt === 'l';
        break;
      case 'v': verbose = true; break;
      case 'P': pgrp = true; break;
      case '0': closeStdio[0] = true; break;
      case '1': closeStdio[1] = true; break;
      case '2': closeStdio[2] = true; break;
      case 'V':
        writeStderr(`${VERSION}\n`);
        state.usage();
        break;
      default:
        state.usage();
    }
  }
  const program = argv.slice(getopt.index);
  if (program.length === 0) state.usage();
  // As runit: already a group leader (setsid's EPERM) is no reason to stop.
  if (pgrp) newSession();
  if (envDir !== undefined) state.edir(envDir, true, verbose);
  if (root !== undefined) {
    const entered = changeDirectory(root);
    if (entered !== undefined) fatal2('unable to change directory', root, entered);
    const rooted = changeRoot('.');
    if (rooted !== undefined) fatal('unable to change root directory', rooted);
  }
  const increment = Number(BigInt.asIntN(32, niceLevel));
  if (niceLevel !== 0n) nice(increment);
  if (envUser !== undefined) state.euidgid(envUser, true);
  if (setUser !== undefined) state.suidgid(setUser, true);
  if (lock !== undefined) state.slock(lock, lockWait, false);
  const names = ['stdin', 'stdout', 'stderr'];
  for (let fd = 0; fd < 3; fd++) {
    if (!closeStdio[fd]) continue;
    const closed = close(fd);
    if (closed !== undefined) fatal(`unable to close ${names[fd]}`, closed);
  }
  state.setLimits(limits);
  const file = program[0]!;
  if (argv0 !== undefined) program[0] = argv0;
  fatal2('unable to run', program[0]!, state.run(file, program));
}

/** setuidgid, envuidgid, envdir, pgrphack: `NAME [account|dir] child`, no options. */
function simplePersonality(state: State, name: string, argv: string[]): void {
  const takesArgument = name !== 'pgrphack';
  const usage = (): never => state.usage(USAGE[name]);
  const account = takesArgument ? argv[1] : undefined;
  if (takesArgument && account === undefined) usage();
  const program = argv.slice(takesArgument ? 2 : 1);
  if (program.length === 0) usage();
  if (name === 'setuidgid') state.suidgid(account!, false);
  if (name === 'envuidgid') state.euidgid(account!, false);
  if (name === 'envdir') state.edir(account!, false, false);
  // A failed setsid is ignored, as runit ignores it.
  if (name === 'pgrphack') newSession();
  fatal2('unable to run', program[0]!, state.run(program[0]!, program));
}

/** setlock [-nNxX] file program: -n waits for the lock (-N, the default, does not); -x makes every failure exit 0. */
function setlock(state: State, argv: string[]): void {
  const usage = (): never => state.usage(USAGE.setlock);
  let wait = false;
  let x = false;
  const getopt = new Getopt(argv, 'nNxX', argv[0]!);
  for (let opt = getopt.next(); opt !== null; opt = getopt.next()) {
    if (opt === 'n') wait = true;
    else if (opt === 'N') wait = false;
    else if (opt === 'x') x = true;
    else if (opt === 'X') x = false;
    else usage();
  }
  const rest = argv.slice(getopt.index);
  const file = rest[0];
  if (file === undefined) usage();
  const program = rest.slice(1);
  if (program.length === 0) usage();
  state.slock(file!, wait, x);
  const errno = state.run(program[0]!, program);
  if (x) exit(0);
  fatal2('unable to run', program[0]!, errno);
}

/** softlimit: each option a limit in bytes (or files, processes, seconds), `=` for the hard limit. */
function softlimit(state: State, argv: string[]): void {
  const limits = noLimits();
  // A malformed number gets chpst's own usage, as in runit.
  const value = (text: string): bigint => (text === '=' ? -1n : asLong(wholeNumber(text) ?? state.usage()));
  const getopt = new Getopt(argv, 'a:c:d:f:l:m:o:p:r:s:t:', argv[0]!);
  for (let opt = getopt.next(); opt !== null; opt = getopt.next()) {
    const arg = getopt.optarg;
    switch (opt) {
      case 'a': limits.as = value(arg); break;
      case 'c': limits.core = value(arg); break;
      case 'd': limits.data = value(arg); break;
      case 'f': limits.fsize = value(arg); break;
      case 'l': limits.memlock = value(arg); break;
      case 'm': limits.data = value(arg); limits.stack = limits.memlock = limits.as = limits.data; break;
      case 'o': limits.nofile = value(arg); break;
      case 'p': limits.nproc = value(arg); break;
      case 'r': limits.rss = value(arg); break;
      case 's': limits.stack = value(arg); break;
      case 't': limits.cpu = value(arg); break;
      default: state.usage(USAGE.softlimit);
    }
  }
  const program = argv.slice(getopt.index);
  if (program.length === 0) state.usage(USAGE.softlimit);
  state.setLimits(limits);
  fatal2('unable to run', program[0]!, state.run(program[0]!, program));
}
