// /etc/container_environment and its dumps: importing the variables into the
// environment my_init passes on, and writing them back out. When the directory
// does not exist, all of this does nothing, as in the reference.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import {
  compareNames, decodeValue, invalidNameReason, isStorableName, PER_USER_NAMES, renderJsonDump, renderShellDump,
} from './container-env.ts';
import * as log from './log.ts';

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

export class EnvStore {
  private readonly paths: EnvPaths;
  private readonly warned = new Set<string>();

  constructor(paths: EnvPaths = DEFAULT_ENV_PATHS) {
    this.paths = paths;
  }

  get active(): boolean {
    return existsSync(this.paths.directory);
  }

  /** At boot: adds the directory's variables that the environment lacks (Docker's win). */
  importMissing(env: Map<string, string>): void {
    if (!this.active) return;
    for (const [name, value] of this.read()) if (!env.has(name)) env.set(name, value);
  }

  /**
   * After a startup script: the directory decides (a script may add, change or
   * delete variables), except for variables it can never hold, such as HOME,
   * which keep their values from `start`. The reference lost those.
   */
  reload(start: ReadonlyMap<string, string>): Map<string, string> {
    const env = new Map(this.read());
    for (const [name, value] of start) {
      if ((PER_USER_NAMES.has(name) || !isStorableName(name)) && !env.has(name)) env.set(name, value);
    }
    return env;
  }

  /** One file per variable, rewritten only where its content differs. */
  writeVariableFiles(env: ReadonlyMap<string, string>): void {
    if (!this.active) return;
    for (const [name, value] of env) {
      if (PER_USER_NAMES.has(name) || !isStorableName(name)) continue;
      const path = join(this.paths.directory, name);
      const wanted = Buffer.from(value);
      let current: Buffer | null = null;
      try {
        current = readFileSync(path);
      } catch {
        // Missing (or unreadable, which writing will report).
      }
      if (current !== null && current.equals(wanted)) continue;
      this.tryWrite(path, wanted);
    }
  }

  writeDumps(env: ReadonlyMap<string, string>): void {
    if (!this.active) return;
    this.tryWrite(this.paths.shellDump, renderShellDump(env));
    this.tryWrite(this.paths.jsonDump, renderJsonDump(env));
  }

  private read(): Array<[string, string]> {
    let names: string[];
    try {
      names = readdirSync(this.paths.directory);
    } catch (error) {
      this.warnOnce(`Cannot read ${this.paths.directory}: ${(error as NodeJS.ErrnoException).code}; no variables imported.`);
      return [];
    }
    const variables: Array<[string, string]> = [];
    for (const name of names.sort(compareNames)) {
      const path = join(this.paths.directory, name);
      const reason = invalidNameReason(name);
      if (reason !== null) {
        this.warnOnce(`Ignoring ${path}: ${reason}.`);
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        this.warnOnce(`Ignoring ${path}: ${code === 'EISDIR' ? 'it is a directory, not a file' : code}.`);
        continue;
      }
      const value = decodeValue(bytes);
      if (value === null) {
        this.warnOnce(`Ignoring ${path}: its content is not valid UTF-8.`);
        continue;
      }
      variables.push([name, value]);
    }
    return variables;
  }

  /** A dump that cannot be written is worth a warning, not a failed boot. */
  private tryWrite(path: string, content: string | Uint8Array): void {
    try {
      writeFileAtomic(path, content);
    } catch (error) {
      this.warnOnce(`Warning: ${(error as Error).message}; continuing without it.`);
    }
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    log.warn(message);
  }
}
