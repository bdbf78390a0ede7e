// The runtime directory: where my_init and our runsv keep what a read-only
// root file system, or an /etc that is not ours, cannot hold (the services'
// supervise/ state, the environment dumps). One rule, shared by the
// supervisor, which creates it, and by sv, which only looks: the first
// candidate that is (or, for the supervisor, can be made) a directory of our
// own, not a link, mode 0700. A directory that belongs to another user is
// never used: whoever made it could read or forge what we keep there.
import * as log from './log.ts';
import { must, SystemError } from './system/errors.ts';
import { chmod, lstat, mkdir } from './system/files.ts';
import { join } from './system/path.ts';
import { env, euid } from './system/processes.ts';

/** Set it to choose the directory (created by my_init; its parent must exist). */
export const RUNTIME_DIR_VARIABLE = 'MY_INIT_RUNTIME_DIR';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * In order: $MY_INIT_RUNTIME_DIR; for root /run/my_init; for anyone else
 * $XDG_RUNTIME_DIR/my_init, then /run/my_init-UID (a shared /run, as Docker's
 * `--tmpfs /run` makes it, needs the uid in the name); last /tmp/my_init-UID
 * (podman's `--read-only` and most pods give /tmp and not /run).
 */
export function runtimeCandidates(uid: number, env: Environment): string[] {
  const candidates: string[] = [];
  const chosen = env[RUNTIME_DIR_VARIABLE];
  if (chosen !== undefined && chosen.startsWith('/')) candidates.push(chosen);
  if (uid === 0) {
    candidates.push('/run/my_init');
  } else {
    const xdg = env.XDG_RUNTIME_DIR;
    if (xdg !== undefined && xdg.startsWith('/')) candidates.push(join(xdg, 'my_init'));
    candidates.push(`/run/my_init-${uid}`);
  }
  candidates.push(`/tmp/my_init-${uid}`);
  return [...new Set(candidates)];
}

/** Why `path` is not usable as uid's runtime directory, or null when it is. Looks only; throws a SystemError when it cannot. */
function refusal(path: string, uid: number): string | null {
  const stat = must(lstat(path));
  if (stat.isSymbolicLink()) return 'it is a symbolic link';
  if (!stat.isDirectory()) return 'it is not a directory';
  if (stat.uid !== uid) return `it belongs to uid ${stat.uid}, not to uid ${uid}`;
  return null;
}

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'its parent does not exist',
  ENOTDIR: 'its parent is not a directory',
  ENOSPC: 'no space left on the device',
};

function reasonOf(error: unknown): string {
  if (!(error instanceof SystemError)) return String(error);
  return REASONS[error.code] ?? error.code;
}

/**
 * Why a directory cannot take our files, as the lines that say where they
 * went instead put it: the errno code of the failed write (or access check).
 */
export function unwritableReason(code: string | undefined, uid: number): string {
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return `not writable by uid ${uid}`;
  return code ?? 'unknown error';
}

export interface Claimed {
  path: string;
  /** Candidates before it that exist but are not ours: worth a line, since someone made them. */
  refused: string[];
}

/**
 * For the supervisor: the first of `candidates` that is ours or can be
 * created (mode 0700; one of ours that is open to others is closed again). An
 * Error naming each candidate and why not, when none can.
 */
export function claimFirst(candidates: readonly string[], uid: number): Claimed | Error {
  const refused: string[] = [];
  const failures: string[] = [];
  for (const path of candidates) {
    const made = mkdir(path, 0o700);
    if (made !== undefined && made.code !== 'EEXIST') {
      failures.push(`${path}: ${reasonOf(made)}`);
      continue;
    }
    try {
      const why = refusal(path, uid);
      if (why !== null) {
        refused.push(`${path}: ${why}`);
        failures.push(`${path}: ${why}`);
        continue;
      }
      if ((must(lstat(path)).mode & 0o077) !== 0) must(chmod(path, 0o700));
      return { path, refused };
    } catch (error) {
      failures.push(`${path}: ${reasonOf(error)}`);
    }
  }
  return new Error(`no runtime directory can be used (${failures.join('; ')})`);
}

/** For sv: the directory claimFirst would choose, if it exists; null when none does. Creates nothing. */
export function findFirst(candidates: readonly string[], uid: number): string | null {
  for (const path of candidates) {
    try {
      if (refusal(path, uid) === null) return path;
    } catch {
      // Missing or unreadable: the supervisor could not have used it either, or made it.
    }
  }
  return null;
}

/** sv's runtime directory: where a supervisor of the same user and environment keeps its state. */
export function findRuntimeDirectory(uid: number, env: Environment): string | null {
  return findFirst(runtimeCandidates(uid, env), uid);
}

/**
 * The runtime directory, claimed the first time it is needed and then kept
 * for the life of the process, so that every service and the environment
 * dumps agree; its refusals are said once, through `say`.
 */
export class RuntimeDirectory {
  private readonly candidates: readonly string[];
  private readonly uid: number;
  private readonly say: (line: string) => void;
  private claimed: string | Error | null = null;

  /** `candidates`: runtimeCandidates(uid, the environment). */
  constructor(candidates: readonly string[], uid: number, say: (line: string) => void) {
    this.candidates = candidates;
    this.uid = uid;
    this.say = say;
  }

  get(): string | Error {
    if (this.claimed === null) {
      const claimed = claimFirst(this.candidates, this.uid);
      if (claimed instanceof Error) {
        this.claimed = claimed;
      } else {
        for (const line of claimed.refused) this.say(`Warning: not using ${line}.`);
        this.claimed = claimed.path;
      }
    }
    return this.claimed;
  }
}

/** This process's: by its effective uid and environment, refusals said as warnings. */
export function ourRuntimeDirectory(): RuntimeDirectory {
  const uid = euid();
  return new RuntimeDirectory(runtimeCandidates(uid, env), uid, log.warn);
}
