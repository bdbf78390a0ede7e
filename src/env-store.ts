// /etc/container_environment and its dumps: importing the variables into the
// environment my_init passes on, and writing them back out. When the directory
// does not exist, all of this does nothing, as in the reference.
import { writeFileAtomic, WriteError, type WriteOptions } from './atomic-file.ts';
import {
  compareNames, decodeValue, invalidNameReason, isStorableName, PER_USER_NAMES, renderJsonDump, renderShellDump,
  shellNameClashes,
} from './container-env.ts';
import * as log from './log.ts';
import { SystemError } from './system/errors.ts';
import {
  close, exists, fstat, O_NOCTTY, O_NONBLOCK, O_RDONLY, open, readdir, readdirBytes, readToEnd, S_IFBLK, S_IFCHR, S_IFDIR,
  S_IFIFO, S_IFMT, S_IFSOCK, stat,
} from './system/files.ts';
import { basename, join } from './system/path.ts';
import { equalBytes, fromUtf8Strict, showBytes, utf8 } from './system/text.ts';

export interface EnvPaths {
  directory: string;
  shellDump: string;
  jsonDump: string;
}

export const DEFAULT_ENV_PATHS: EnvPaths = {
  directory: '/etc/container_environment',
  shellDump: '/etc/container_environment.sh',
  jsonDump: '/etc/container_environment.json',
};

/** What a file of st_mode `mode` is, when it is not a regular file. */
function kindOf(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return 'a directory';
    case S_IFIFO:
      return 'a FIFO';
    case S_IFCHR:
      return 'a character device';
    case S_IFBLK:
      return 'a block device';
    case S_IFSOCK:
      return 'a socket';
    default:
      return 'not a regular file';
  }
}

/**
 * A variable file's bytes, or why it cannot be one. Only a regular file is
 * read: a FIFO would block the boot for good, and /dev/zero would never end.
 * The type is checked before opening (opening a device can do things) and
 * again on the open file, which is opened without blocking.
 */
function readVariableFile(path: string): Uint8Array | string {
  const before = stat(path);
  if (before instanceof SystemError) return before.code;
  if (!before.isFile()) return `it is ${kindOf(before.mode)}, not a file`;
  const fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd instanceof SystemError) return fd.code;
  try {
    const opened = fstat(fd);
    if (opened instanceof SystemError) return opened.code;
    if (!opened.isFile()) return `it is ${kindOf(opened.mode)}, not a file`;
    const bytes = readToEnd(fd);
    return bytes instanceof SystemError ? bytes.code : bytes;
  } finally {
    close(fd);
  }
}

/**
 * Where the store reads and writes. Usually all of it is `paths` in /etc.
 * When /etc cannot take the files (env-location.ts), `paths` are under the
 * runtime directory and the image's variables are imported from `importFrom`;
 * when nowhere can, nothing is written (`writable` false) and every variable
 * keeps its value as it would after a failed write.
 */
export interface EnvPlacement {
  paths: EnvPaths;
  importFrom: string;
  writable: boolean;
}

/** How many names a line about files that could not be written lists. */
const NAMES_SHOWN = 5;

export class EnvStore {
  private readonly paths: EnvPaths;
  private readonly importFrom: string;
  private readonly writable: boolean;
  private readonly warned = new Set<string>();
  /**
   * Variables whose file could not be written (a full disk, a read-only /etc),
   * with what the file held then (null: nothing). Until a script changes that
   * file, the directory cannot speak for them, and they keep their value.
   */
  private readonly unsaved = new Map<string, { value: string; file: Uint8Array | null }>();
  /** The last directory read: the names it listed and the files' bytes, for the writes that follow the import at once. */
  private seen: { directory: string; names: ReadonlySet<string>; files: Map<string, Uint8Array> } | null = null;

  constructor(placement: EnvPaths | EnvPlacement = DEFAULT_ENV_PATHS) {
    const full = 'paths' in placement ? placement : { paths: placement, importFrom: placement.directory, writable: true };
    this.paths = full.paths;
    this.importFrom = full.importFrom;
    this.writable = full.writable;
  }

  /** Whether there is a container environment at all: the image's directory exists. */
  get active(): boolean {
    return exists(this.importFrom);
  }

  /** At boot: adds the directory's variables that the environment lacks (Docker's win). */
  importMissing(env: Map<string, string>): void {
    if (!this.active) return;
    for (const [name, value] of this.read(this.importFrom)) if (!env.has(name)) env.set(name, value);
  }

  /**
   * After a startup script: the directory decides (a script may add, change or
   * delete variables), except for variables it can never hold, such as HOME,
   * which keep their values from `start`. The reference lost those.
   * Variables keep their order in `previous` and new ones come after, as in
   * the reference's os.environ: a script that changed nothing leaves the dumps
   * as they were, byte for byte.
   */
  reload(start: ReadonlyMap<string, string>, previous: ReadonlyMap<string, string> = new Map()): Map<string, string> {
    const next = new Map(this.read(this.paths.directory));
    for (const [name, value] of start) {
      if ((PER_USER_NAMES.has(name) || !isStorableName(name)) && !next.has(name)) next.set(name, value);
    }
    for (const [name, { value, file }] of this.unsaved) {
      const now = readVariableFile(join(this.paths.directory, name));
      const unchanged = typeof now === 'string' ? file === null : file !== null && equalBytes(now, file);
      if (unchanged) next.set(name, value);
      else this.unsaved.delete(name); // A script wrote or removed it: the directory decides.
    }
    const env = new Map<string, string>();
    for (const name of previous.keys()) {
      const value = next.get(name);
      if (value !== undefined) env.set(name, value);
    }
    for (const [name, value] of next) if (!env.has(name)) env.set(name, value);
    return env;
  }

  /**
   * One file per variable, rewritten only where its content differs. Files
   * that cannot be written are said in one line per reason, not one each.
   */
  writeVariableFiles(env: ReadonlyMap<string, string>): void {
    if (!this.active) return;
    const failed = new Map<string, WriteError[]>();
    // What the import just read of this directory, else one listing: which files exist, nothing to look at
    // for the others (a container's first boot has none).
    const seen = this.seen?.directory === this.paths.directory ? this.seen : null;
    this.seen = null;
    const existing = seen?.names ?? this.listNames(this.paths.directory);
    for (const [name, value] of env) {
      if (PER_USER_NAMES.has(name) || !isStorableName(name)) continue;
      const path = join(this.paths.directory, name);
      const wanted = utf8(value);
      // Missing, or not a file or unreadable (which writing will report).
      const absent = existing !== null && !existing.has(name);
      const read = absent ? 'ENOENT' : (seen?.files.get(name) ?? readVariableFile(path));
      const current = typeof read === 'string' ? null : read;
      if (current !== null && equalBytes(current, wanted)) continue;
      const problem = this.write(path, wanted, { absent });
      if (problem === null) continue;
      this.unsaved.set(name, { value, file: current });
      if (problem instanceof WriteError) failed.set(problem.reason, [...(failed.get(problem.reason) ?? []), problem]);
    }
    for (const [reason, errors] of failed) {
      if (errors.length === 1) {
        this.warnOnce(`Warning: ${errors[0]!.message}; continuing without it.`);
        continue;
      }
      const names = errors.map((error) => basename(error.path)).sort(compareNames).slice(0, NAMES_SHOWN).map((name) => JSON.stringify(name));
      if (errors.length > NAMES_SHOWN) names.push('...');
      this.warnOnce(`Warning: cannot write ${errors.length} files in ${this.paths.directory} (${names.join(', ')}): ${reason}; continuing without them.`);
    }
  }

  /** Each dump is left as it is when it holds the text already: after a startup script that changed nothing, say. */
  writeDumps(env: ReadonlyMap<string, string>): void {
    if (!this.active) return;
    if (this.writable) {
      for (const clash of shellNameClashes(env)) {
        this.warnOnce(`Warning: leaving ${this.describe(clash.name)} out of ${this.paths.shellDump}: bash would read it as ${clash.shellName}, which is ${this.describe(clash.keptBy)}.`);
      }
    }
    for (const [path, content] of [[this.paths.shellDump, renderShellDump(env)], [this.paths.jsonDump, renderJsonDump(env)]] as const) {
      const problem = this.write(path, content, { unlessSame: true });
      if (problem !== null && problem !== 'not-writable') this.warnOnce(`Warning: ${problem.message}; continuing without it.`);
    }
  }

  /** A variable as the user knows it: its file, or its name when it cannot be a file (Docker passed it). */
  private describe(name: string): string {
    return isStorableName(name) ? join(this.paths.directory, name) : `the variable ${JSON.stringify(name)}`;
  }

  private read(directory: string): Array<[string, string]> {
    const entries = readdirBytes(directory);
    if (entries instanceof SystemError) {
      this.warnOnce(`Cannot read ${directory}: ${entries.code}; no variables imported.`);
      return [];
    }
    const names: string[] = [];
    for (const entry of entries) {
      const name = fromUtf8Strict(entry);
      if (name !== null) names.push(name);
      else this.warnOnce(`Ignoring ${join(directory, showBytes(entry))}: its name is not valid UTF-8.`);
    }
    const variables: Array<[string, string]> = [];
    this.seen = { directory, names: new Set(names), files: new Map() };
    for (const name of names.sort(compareNames)) {
      const path = join(directory, name);
      const reason = invalidNameReason(name);
      if (reason !== null) {
        this.warnOnce(`Ignoring ${path}: ${reason}.`);
        continue;
      }
      const bytes = readVariableFile(path);
      if (typeof bytes === 'string') {
        this.warnOnce(`Ignoring ${path}: ${bytes}.`);
        continue;
      }
      this.seen.files.set(name, bytes);
      const value = decodeValue(bytes);
      if (value === null) {
        this.warnOnce(`Ignoring ${path}: its content is not valid UTF-8.`);
        continue;
      }
      if (value.includes('\0')) {
        // execve ends a variable at its first NUL: children would get a value cut short, unlike the dumps.
        this.warnOnce(`Ignoring ${path}: its content has a NUL byte, which no variable can hold.`);
        continue;
      }
      variables.push([name, value]);
    }
    return variables;
  }

  /** The names in `directory`, or null when it cannot be listed (then each file is looked at). */
  private listNames(directory: string): Set<string> | null {
    const names = readdir(directory);
    return names instanceof SystemError ? null : new Set(names);
  }

  /** A file that cannot be written is worth a warning (said by the caller), not a failed boot; null when written. */
  private write(path: string, content: string | Uint8Array, how: WriteOptions): WriteError | 'not-writable' | null {
    if (!this.writable) return 'not-writable'; // Said once, where the placement was chosen.
    try {
      writeFileAtomic(path, content, how);
      return null;
    } catch (error) {
      return error as WriteError; // writeFileAtomic throws nothing else.
    }
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    log.warn(message);
  }
}
