// chpst: runs a program with a changed process state, as runit 2.1.2's chpst
// (Debian's /usr/bin/chpst) does, with its options, messages and exit codes
// (100 for a usage error, 111 for a state it could not change), and its steps
// in its order: new session, envdir, chroot, nice, $UID/$GID, user and groups,
// lock, closing stdio, limits, exec. Called as envdir, envuidgid, pgrphack,
// setlock, setuidgid or softlimit it is that daemontools program, as runit's
// chpst emulates it (quirks included: setlock waits only with -n).
//
// Node does the user, the groups, nice and exec itself; the addon is loaded
// only for what it cannot do (a session, chroot, a lock that outlives exec,
// closed stdio, limits, descriptors beyond stdio to pass on), so
// `chpst -u user prog` and `chpst -e dir prog` never pay for extracting it.
import { closeSync, constants, opendirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { getPriority, constants as osConstants, setPriority } from 'node:os';
import { writeStderr } from '../log.ts';
import { errnoText } from '../runit-errors.ts';
import { loadNative, type Native } from '../native.ts';
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


/** The errno of a Node, libuv (os.*) or addon error. */
function errnoOf(error: unknown): number {
  const e = error as NodeJS.ErrnoException & { info?: { code?: string } };
  const code = e.info?.code ?? e.code;
  const known = code === undefined ? undefined : (osConstants.errno as Record<string, number>)[code];
  return known ?? (typeof e.errno === 'number' ? Math.abs(e.errno) : 0);
}

function die(code: number, text: string): never {
  writeStderr(text);
  process.exit(code);
}
const fatal = (message: string, error: unknown): never => die(111, `${FATAL}${message}: ${errnoText(errnoOf(error))}\n`);
const fatal2 = (m0: string, m1: string, error: unknown): never => die(111, `${FATAL}${m0}: ${m1}: ${errnoText(errnoOf(error))}\n`);
const fatalx = (m0: string, m1: string): never => die(111, `${FATAL}${m0}: ${m1}\n`);
/** An errno as an error, for the messages of failures that are not exceptions. */
const errnoError = (errno: number): NodeJS.ErrnoException => Object.assign(new Error(), { errno });

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
const anyLimit = (limits: Limits): boolean => Object.values(limits).some((l) => l >= -1n);

interface UidGids {
  uid: number;
  gids: number[];
}

/** The POSIX-only calls @types/node leaves optional. */
interface PosixProcess {
  setgroups?: (groups: number[]) => void;
  setgid?: (id: number) => void;
  setuid?: (id: number) => void;
  execve?: (file: string, args: string[], env: Record<string, string>) => never;
}

/** The program's state: what runit's chpst keeps in globals. */
class State {
  /** pathexec_env's additions: `NAME=value` sets, a bare `NAME` removes. */
  readonly plus: string[] = [];
  native: Native | null = null;
  /** The descriptors above stderr chpst was given, which the program gets too. */
  inherited: number[] = [];
  /** The lock's fd, and the number runit's open() would have given it: the lowest one chpst was not given. */
  lock: [number, number] | null = null;
  /** openreadclose's buffer, which a vanished file leaves as it was (runit reuses it). */
  private envdirBuffer = Buffer.alloc(0);

  private readonly progname: string;

  constructor(progname: string) {
    this.progname = progname;
  }

  usage(text = USAGE_MAIN): never {
    return die(100, `usage: ${this.progname}${text}\n\n`);
  }

  needNative(): Native {
    const loaded = this.tryNative();
    return loaded instanceof Error ? fatalx('unable to load the native helper', loaded.message) : loaded;
  }

  tryNative(): Native | Error {
    if (this.native !== null) return this.native;
    const loaded = loadNative();
    if (!(loaded instanceof Error)) this.native = loaded;
    return loaded;
  }

  /** uidgids_get (`ext`: -u/-U) or uidgid_get (setuidgid, envuidgid), failing as chpst does. */
  lookup(user: string, ext: boolean): UidGids {
    let found: UidGids | null;
    try {
      found = ext ? uidgidsGet(user) : uidgidGet(user);
    } catch (error) {
      return fatal(ext ? 'unable to get password/group file entry' : 'unable to get password file entry', error);
    }
    if (found !== null) return found;
    if (ext && user.startsWith(':')) return fatalx('invalid uid/gids', user.slice(1));
    return fatalx(ext ? 'unknown user/group' : 'unknown account', user);
  }

  suidgid(user: string, ext: boolean): void {
    const { uid, gids } = this.lookup(user, ext);
    const posix = process as PosixProcess;
    const step = (call: (() => void) | undefined, what: string): void => {
      try {
        if (call === undefined) throw errnoError(38);
        call();
      } catch (error) {
        fatal(what, error);
      }
    };
    step(posix.setgroups && (() => posix.setgroups!.call(process, gids)), 'unable to setgroups');
    step(posix.setgid && (() => posix.setgid!.call(process, gids[0]!)), 'unable to setgid');
    step(posix.setuid && (() => posix.setuid!.call(process, uid)), 'unable to setuid');
  }

  euidgid(user: string, ext: boolean): void {
    const { uid, gids } = this.lookup(user, ext);
    this.plus.push(`GID=${gids[0]}`, `UID=${uid}`);
  }

  /** envdir: each file not starting with a dot sets (or, when empty, removes) the variable it names. */
  edir(dirname: string, fromOption: boolean, verbose: boolean): void {
    let start: string;
    try {
      start = process.cwd();
    } catch (error) {
      return fatal('unable to open current working directory', error);
    }
    try {
      process.chdir(dirname);
    } catch (error) {
      fatal2('unable to switch to directory', dirname, error);
    }
    let dir;
    try {
      // Names as bytes: one that is not UTF-8 must still open.
      dir = opendirSync('.', { encoding: 'buffer' as BufferEncoding });
    } catch (error) {
      return fatal2('unable to open directory', dirname, error);
    }
    for (;;) {
      let entry;
      try {
        entry = dir.readSync();
      } catch (error) {
        return fatal2('unable to read directory', dirname, error);
      }
      if (entry === null) break;
      const bytes = entry.name as unknown as Buffer;
      if (bytes[0] === 0x2e) continue; // A dotfile, `.` and `..`.
      const name = bytes.toString('utf8');
      try {
        this.envdirBuffer = readFileSync(bytes);
      } catch (error) {
        const errno = errnoOf(error);
        if (errno === EISDIR && fromOption) {
          this.envdirBuffer = Buffer.alloc(0); // readclose emptied it before the read failed.
          if (verbose) writeStderr(`${WARNING}unable to read ${dirname}/${name}: ${errnoText(errno)}\n`);
          continue;
        }
        if (errno !== ENOENT) fatal(`unable to read ${dirname}/${name}`, error);
        // A file that vanished (a dangling link): runit goes on with what the buffer held.
      }
      this.plus.push(this.envdirValue(name));
    }
    dir.closeSync();
    try {
      process.chdir(start);
    } catch (error) {
      fatal('unable to switch to starting directory', error);
    }
  }

  /** The first line, trailing blanks and tabs trimmed, NULs made newlines; a bare name when the file is empty. */
  private envdirValue(name: string): string {
    const buffer = this.envdirBuffer;
    if (buffer.length === 0) return name;
    let length = buffer.indexOf(0x0a);
    if (length < 0) length = buffer.length;
    while (length > 0 && (buffer[length - 1] === 0x20 || buffer[length - 1] === 0x09)) length--;
    const value = Buffer.from(buffer.subarray(0, length));
    for (let i = 0; i < value.length; i++) if (value[i] === 0) value[i] = 0x0a;
    this.envdirBuffer = Buffer.concat([value, Buffer.of(0)]); // stralloc_0: the buffer now ends in a NUL.
    return `${name}=${value.toString('utf8')}`;
  }

  /** Opens and locks `file` for the program (the lock stays held across exec); `x`: failing exits 0, silently. */
  slock(file: string, wait: boolean, x: boolean): void {
    const native = this.needNative();
    const dieLock = (message: string, error: unknown): never => (x ? process.exit(0) : fatal2(message, file, error));
    let fd: number;
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_APPEND | constants.O_CREAT, 0o600);
    } catch (error) {
      return dieLock('unable to open lock', error);
    }
    let locked: boolean;
    try {
      locked = native.flock(fd, wait);
    } catch (error) {
      return dieLock('unable to lock', error);
    }
    if (!locked) dieLock('unable to lock', errnoError(EAGAIN));
    let number = 3;
    while (this.inherited.includes(number)) number++;
    this.lock = [fd, number];
  }

  /** [resource, soft, hard] for each limit set: below the hard limit as asked, else the hard limit. */
  limits(limits: Limits): [number, bigint, bigint][] {
    const set: [number, bigint, bigint][] = [];
    if (!anyLimit(limits)) return set;
    const native = this.needNative();
    // Under a memory limit an allocation by one of V8's compiler threads aborts the process: no
    // more compiling in the background (chpst has nothing left to run that needs it). node:v8 is
    // loaded only here: every other chpst would pay for it.
    process.getBuiltinModule('node:v8').setFlagsFromString('--no-concurrent-sparkplug --no-concurrent-recompilation --no-concurrent-osr --no-maglev');
    for (const name of Object.keys(RESOURCES) as Resource[]) {
      const wanted = limits[name];
      if (wanted < -1n) continue;
      let hard: bigint;
      try {
        hard = native.getrlimit(RESOURCES[name])[1];
      } catch (error) {
        return fatal('unable to getrlimit()', error);
      }
      set.push([RESOURCES[name], wanted < 0n || wanted > hard ? hard : wanted, hard]);
    }
    return set;
  }

  /** pathexec_env_run: environ with the additions, `file` looked up in chpst's own $PATH. Returns only on failure. */
  run(file: string, argv: string[], limits: [number, bigint, bigint][]): number {
    const envp = this.environment();
    const files = file.includes('/') ? [file] : (process.env.PATH ?? '/bin:/usr/bin').split(':').map((directory) => `${directory === '' ? '.' : directory}/${file}`);
    if (this.native !== null) {
      try {
        this.native.pathexec(files, argv, envp, limits, this.lock);
      } catch (error) {
        const errno = errnoOf(error);
        if ((error as NodeJS.ErrnoException).syscall === 'setrlimit') fatal('unable to setrlimit()', error);
        return errno;
      }
    }
    const execve = (process as PosixProcess).execve;
    if (execve === undefined) return 38;
    const env = orderedEnvironment(envp);
    let saved = 0;
    let errno = ENOENT;
    for (const candidate of files) {
      try {
        execve.call(process, candidate, argv, env);
      } catch (error) {
        errno = errnoOf(error);
      }
      if (errno === ENOENT) continue;
      saved = errno;
      if (errno !== EACCES && errno !== EPERM && errno !== EISDIR) break;
    }
    return saved !== 0 ? saved : errno;
  }

  /** pathexec's environment: each addition removes the first variable of its name (the last one moves into its place), then is appended. */
  private environment(): string[] {
    const e = Object.entries(process.env).map(([name, value]) => `${name}=${value}`);
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

/**
 * process.execve takes an object, whose integer-like keys would come first;
 * a proxy that lists the keys in order keeps the environment's order.
 */
function orderedEnvironment(envp: string[]): Record<string, string> {
  const target: Record<string, string> = {};
  const keys: string[] = [];
  for (const variable of envp) {
    const split = variable.indexOf('=');
    keys.push(variable.slice(0, split));
    target[variable.slice(0, split)] = variable.slice(split + 1);
  }
  return new Proxy(target, { ownKeys: () => keys });
}

/** As getpwnam and getgrnam read them: a file that cannot be read is an error (errno set), not "no such user". */
const readAccounts = (path: '/etc/passwd' | '/etc/group'): string => readFileSync(path, 'utf8');

/** uidgid_get: the account's uid and its one group, by name only. */
function uidgidGet(user: string): UidGids | null {
  const entry = findUser(readAccounts('/etc/passwd'), user);
  return entry === null ? null : { uid: entry.uid, gids: [entry.gid] };
}

/** uidgids_get: `user[:group[:group...]]` by name, or `:uid[:gid[:gid...]]` by number. */
function uidgidsGet(spec: string): UidGids | null {
  if (spec.startsWith(':')) return uidgidsSet(spec.slice(1));
  const colon = spec.indexOf(':');
  const entry = findUser(readAccounts('/etc/passwd'), colon < 0 ? spec : spec.slice(0, colon));
  if (entry === null) return null;
  if (colon < 0) return { uid: entry.uid, gids: [entry.gid] };
  const groups = readAccounts('/etc/group');
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

/** nice(2) as glibc does it: getpriority, then setpriority of the sum (the kernel clamps it to -20..19). */
function nice(increment: number): void {
  try {
    const target = (getPriority(0) + increment) | 0;
    setPriority(0, Math.min(19, Math.max(-20, target)));
  } catch (error) {
    const errno = errnoOf(error);
    fatal('unable to set nice level', errnoError(errno === EACCES ? EPERM : errno));
  }
}

/**
 * Node ignores SIGPIPE and SIGXFSZ, and an ignored signal stays ignored across
 * exec; a listener added and removed leaves libuv restoring the default.
 */
function restoreDefaultSignals(): void {
  for (const signal of ['SIGPIPE', 'SIGXFSZ'] as const) {
    const listener = (): void => {};
    process.on(signal, listener);
    process.off(signal, listener);
  }
}

/**
 * The descriptors above stderr that chpst was given. Node marks every one
 * close-on-exec as it starts (libuv's uv_disable_stdio_inheritance), so they
 * are told from Node's own by kind: Node's are event polls, eventfds, io_urings
 * and self-pipes (a read end and a write end both held here); anything else
 * was there before Node.
 */
function inheritedDescriptors(): number[] {
  const targets = new Map<number, string>();
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return []; // No /proc: nothing is known to keep.
  }
  for (const name of names) {
    const fd = Number(name);
    if (fd < 3) continue;
    try {
      targets.set(fd, readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // Closed since the listing (the listing's own descriptor).
    }
  }
  // For each pipe, the access modes (O_RDONLY 0, O_WRONLY 1) of the ends held here.
  // The fdinfo files are read with one open, read and close each: readFileSync's
  // size probing cost five times as much, a millisecond of chpst's start-up.
  const ends = new Map<string, Set<number>>();
  const buffer = Buffer.allocUnsafe(128);
  for (const [fd, target] of targets) {
    if (!target.startsWith('pipe:')) continue;
    let info = '';
    try {
      const file = openSync(`/proc/self/fdinfo/${fd}`, 'r');
      try {
        info = buffer.toString('latin1', 0, readSync(file, buffer, 0, buffer.length, null));
      } finally {
        closeSync(file);
      }
    } catch {
      continue;
    }
    const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8);
    ends.set(target, (ends.get(target) ?? new Set()).add(flags & 3));
  }
  const nodes = (target: string): boolean => target.startsWith('anon_inode:') || (ends.get(target)?.size ?? 0) > 1;
  return [...targets].filter(([, target]) => !nodes(target)).map(([fd]) => fd);
}

export function main(args: string[], calledAs: string): void {
  restoreDefaultSignals();
  let progname = calledAs;
  if (progname.startsWith('d')) progname = progname.slice(1);
  const argv = [calledAs, ...args];
  const state = new State(progname);
  // As runit's chpst passes them: first, before a chroot or another user could keep the addon
  // from loading. Where it cannot load at all (no directory allows it), they are not passed on.
  state.inherited = inheritedDescriptors();
  const native = state.inherited.length > 0 ? state.tryNative() : null;
  if (native !== null && !(native instanceof Error)) {
    for (const fd of state.inherited) {
      try {
        native.keepOnExec(fd);
      } catch {
        // Gone meanwhile: nothing to pass on.
      }
    }
  }
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
  const close = [false, false, false];
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
      case '0': close[0] = true; break;
      case '1': close[1] = true; break;
      case '2': close[2] = true; break;
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
  // Extracted before anything could stop it: a chroot, another user, closed stdio.
  if (pgrp || root !== undefined || lock !== undefined || close.includes(true) || anyLimit(limits)) state.needNative();

  if (pgrp) {
    try {
      state.native!.setsid();
    } catch {
      // As runit: already a group leader is no reason to stop.
    }
  }
  if (envDir !== undefined) state.edir(envDir, true, verbose);
  if (root !== undefined) {
    try {
      process.chdir(root);
    } catch (error) {
      fatal2('unable to change directory', root, error);
    }
    try {
      state.native!.chroot('.');
    } catch (error) {
      fatal('unable to change root directory', error);
    }
  }
  const increment = Number(BigInt.asIntN(32, niceLevel));
  if (niceLevel !== 0n) nice(increment);
  if (envUser !== undefined) state.euidgid(envUser, true);
  if (setUser !== undefined) state.suidgid(setUser, true);
  if (lock !== undefined) state.slock(lock, lockWait, false);
  const names = ['stdin', 'stdout', 'stderr'];
  for (let fd = 0; fd < 3; fd++) {
    if (!close[fd]) continue;
    try {
      closeSync(fd);
    } catch (error) {
      fatal(`unable to close ${names[fd]}`, error);
    }
  }
  const set = state.limits(limits);
  const file = program[0]!;
  if (argv0 !== undefined) program[0] = argv0;
  const errno = state.run(file, program, set);
  fatal2('unable to run', program[0]!, errnoError(errno));
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
  if (name === 'pgrphack') {
    try {
      state.needNative().setsid();
    } catch {
      // Ignored, as runit ignores it.
    }
  }
  const errno = state.run(program[0]!, program, []);
  fatal2('unable to run', program[0]!, errnoError(errno));
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
  const errno = state.run(program[0]!, program, []);
  if (x) process.exit(0);
  fatal2('unable to run', program[0]!, errnoError(errno));
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
  const set = state.limits(limits);
  const errno = state.run(program[0]!, program, set);
  fatal2('unable to run', program[0]!, errnoError(errno));
}
