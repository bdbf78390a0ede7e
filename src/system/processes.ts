// This process and the ones it starts: its arguments, environment and ids;
// spawning, waiting for and signalling children; exec; limits and priority.
import * as platform from 'sys:processes';
import { checked, SystemError } from './errors.ts';
import type { Done } from './files.ts';

function done(result: number, syscall: string): Done {
  return result < 0 ? new SystemError(-result, syscall) : undefined;
}

/** argv as the kernel gave it: argv[0] is the name as typed (a link's own name). */
export const argv: readonly string[] = platform.arguments();
/** The name this process was run under, as typed. */
export const argv0 = argv[0] ?? '';
export const pid = platform.getpid();

/** The environment this process started with, in its order (the first of a name repeated wins, as getenv's). */
export function startEnvironment(): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of platform.environment()) {
    const equals = entry.indexOf('=');
    if (equals <= 0) continue;
    const name = entry.slice(0, equals);
    if (!env.has(name)) env.set(name, entry.slice(equals + 1));
  }
  return env;
}

/** The start environment as a record, for the lookups of settings (one copy, made once). */
export const env: Readonly<Record<string, string | undefined>> = Object.freeze(Object.fromEntries(startEnvironment()));

/** Ends the process at once. */
export const exit = (code: number): never => platform.exit(code);

export const kill = (target: number, signal: number): Done => done(platform.kill(target, signal), 'kill');
export const parentPid = (): number => platform.getppid();
export const uid = (): number => platform.getuid();
export const euid = (): number => platform.geteuid();
export const gid = (): number => platform.getgid();
export const egid = (): number => platform.getegid();
export const processGroup = (): number => platform.getpgrp();
export const setUid = (id: number): Done => done(platform.setuid(id), 'setuid');
export const setGid = (id: number): Done => done(platform.setgid(id), 'setgid');
export const setGroups = (groups: readonly number[]): Done => done(platform.setgroups(groups), 'setgroups');
/** The session of `target`; ESRCH once it is gone. */
export const sessionOf = (target: number): number | SystemError => checked(platform.getsid(target), 'getsid');
export const processGroupOf = (target: number): number | SystemError => checked(platform.getpgid(target), 'getpgid');
/** A new session, led by this process: its id. */
export const newSession = (): number | SystemError => checked(platform.setsid(), 'setsid');
/** The foreground process group of the terminal on `fd` (ENOTTY when it is no terminal). */
export const foregroundGroup = (fd: number): number | SystemError => checked(platform.tcgetpgrp(fd), 'tcgetpgrp');
/** Makes our own process group the terminal's foreground group again. */
export const takeTerminal = (fd: number): Done => done(platform.takeTerminal(fd), 'tcsetpgrp');
/** Orphans of our descendants are reparented to us, as to PID 1. */
export const becomeSubreaper = (): Done => done(platform.setChildSubreaper(), 'prctl');
/** What ps -C and pgrep -x match (15 bytes are kept). */
export const setProcessName = (name: string): Done => done(platform.setName(name), 'prctl');
/** Writes `text` (or bytes) over argv[index] in place, cut to its length: what ps shows (runsvdir's log). */
export const rewriteArgument = (index: number, text: string | Uint8Array): number => platform.rewriteArgument(index, text);

/** Replaces this process with `file`; returns only the reason it could not. */
export function exec(file: string, args: readonly string[], envp: readonly string[]): SystemError {
  return new SystemError(-platform.exec(file, args, envp), 'execve', file);
}

export const getResourceLimit = (resource: number): [bigint, bigint] | SystemError =>
  checked(platform.getrlimit(resource), 'getrlimit');
export const setResourceLimit = (resource: number, soft: bigint, hard: bigint): Done =>
  done(platform.setrlimit(resource, soft, hard), 'setrlimit');

const PRIO_PROCESS = 0;
/** This process's nice value (-20 to 19). */
export function niceValue(): number | SystemError {
  const raw = checked(platform.getpriority(PRIO_PROCESS, 0), 'getpriority');
  return raw instanceof SystemError ? raw : 20 - raw;
}
export const setNiceValue = (nice: number): Done => done(platform.setpriority(PRIO_PROCESS, 0, nice), 'setpriority');

/** How a child's process group is set up: ours, a group of its own, or a session of its own. */
export type GroupMode = 'inherit' | 'own-group' | 'own-session';
const GROUP_MODES = { inherit: 0, 'own-group': 1, 'own-session': 2 } as const;

export interface SpawnRequest {
  /** The file to execute, as execve takes it. */
  file: string;
  argv: readonly string[];
  envp: readonly string[];
  cwd: string | null;
  /** fds[i] becomes the child's fd i (-1: closed); everything else is closed. */
  fds: readonly number[];
  group: GroupMode;
  /** A terminal fd whose foreground group the child's new group becomes, or -1. */
  terminal: number;
}

/** Starts a child; its pid, or why it could not start (the fork, or its exec: then it has been reaped). */
export function spawn(request: SpawnRequest): number | SystemError {
  const result = platform.spawn(request.file, request.argv, request.envp, request.cwd, request.fds, GROUP_MODES[request.group], request.terminal);
  return result < 0 ? new SystemError(-result, result === -11 ? 'fork' : 'execve', request.file) : result;
}

/** The raw wait status of our child `target`, or null while it runs. */
export const waitFor = (target: number): number | null | SystemError => checked(platform.waitpid(target), 'waitpid');

/** The children of `target` (0: ours), live or zombie, from /proc. */
export const childrenOf = (target: number): number[] | SystemError =>
  checked(platform.listChildren(target), 'open', `/proc/${target === 0 ? pid : target}/task`);
