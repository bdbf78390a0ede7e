// node:fs for the test host: the synchronous calls the unit tests make to set
// up and inspect their scratch directories, over src/system/files.ts. Errors
// are thrown as Node throws them (the SystemError's message reads as Node's);
// an option these do not know is an error, not ignored.
import { SystemError } from '../../../src/system/errors.ts';
import * as files from '../../../src/system/files.ts';
import { compareBytes, utf8 } from '../../../src/system/text.ts';
import { NodeBytes } from './globals.ts';
import { spawnSync } from './child_process.ts';

function must<T>(result: T | SystemError): T {
  if (result instanceof SystemError) throw result;
  return result;
}

function refuseOptions(call: string, options: object | undefined, known: readonly string[]): void {
  for (const name of Object.keys(options ?? {})) {
    if (!known.includes(name)) throw new Error(`${call} in the test host has no option ${name} (test/host/shims/fs.ts)`);
  }
}

type Encoding = 'utf8' | 'utf-8' | 'latin1';

function encodingOf(call: string, options: Encoding | { encoding?: Encoding | null } | undefined | null): Encoding | null {
  if (options === undefined || options === null) return null;
  if (typeof options === 'object') refuseOptions(call, options, ['encoding']);
  const encoding = typeof options === 'string' ? options : options.encoding ?? null;
  if (encoding !== null && encoding !== 'utf8' && encoding !== 'utf-8' && encoding !== 'latin1') throw new Error(`${call} in the test host has no encoding ${String(encoding)}`);
  return encoding;
}

export function readFileSync(path: string, options?: Encoding | { encoding?: Encoding | null } | null): string | NodeBytes {
  const encoding = encodingOf('readFileSync', options);
  const bytes = new NodeBytes(must(files.readFile(path)));
  return encoding === null ? bytes : bytes.toString(encoding);
}

export function writeFileSync(path: string, data: string | Uint8Array, options?: { mode?: number } | 'utf8'): void {
  if (typeof options === 'object') refuseOptions('writeFileSync', options, ['mode']);
  const mode = typeof options === 'object' ? options.mode ?? 0o666 : 0o666;
  must(files.writeFile(path, data, mode));
}

/** Node's names are in byte order (libuv sorts them). */
export function readdirSync(path: string, options?: object): string[] {
  refuseOptions('readdirSync', options, []);
  return must(files.readdir(path)).map((name) => [utf8(name), name] as const).sort(([a], [b]) => compareBytes(a, b)).map(([, name]) => name);
}

export function mkdirSync(path: string, options?: { recursive?: boolean; mode?: number }): void {
  refuseOptions('mkdirSync', options, ['recursive', 'mode']);
  const mode = options?.mode ?? 0o777;
  must(options?.recursive === true ? files.makeDirectories(path, mode) : files.mkdir(path, mode));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function mkdtempSync(prefix: string): string {
  for (;;) {
    let path = prefix;
    for (let i = 0; i < 6; i++) path += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
    const made = files.mkdir(path, 0o700);
    if (made === undefined) return path;
    if (made.code !== 'EEXIST') throw made;
  }
}

export function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void {
  refuseOptions('rmSync', options, ['recursive', 'force']);
  const info = files.lstat(path);
  if (info instanceof SystemError) {
    if (info.code === 'ENOENT' && options?.force === true) return;
    throw new SystemError(info.errno, 'rm', path);
  }
  if (info.isDirectory() && options?.recursive !== true) throw new Error(`rmSync: ${path} is a directory (recursive is not set)`);
  must(files.removeTree(path));
}

export function statSync(path: string, options?: object): files.Stat {
  refuseOptions('statSync', options, []);
  return must(files.stat(path));
}

export function lstatSync(path: string, options?: object): files.Stat {
  refuseOptions('lstatSync', options, []);
  return must(files.lstat(path));
}

export const existsSync = (path: string): boolean => files.exists(path);
export const chmodSync = (path: string, mode: number): void => must(files.chmod(path, mode));
export const chownSync = (path: string, uid: number, gid: number): void => must(files.chown(path, uid, gid));
export const symlinkSync = (target: string, path: string): void => must(files.symlink(target, path));
export const readlinkSync = (path: string): string => must(files.readlink(path));
export const unlinkSync = (path: string): void => must(files.unlink(path));

/** Both times set to one instant, in seconds: touch does it (the platform has no utimensat, and the product needs none). */
export function utimesSync(path: string, atime: number, mtime: number): void {
  if (atime !== mtime || typeof atime !== 'number') throw new Error('utimesSync in the test host sets both times to one number of seconds');
  const touched = spawnSync('touch', ['-d', `@${atime}`, path], { encoding: 'utf8' });
  if (touched.status !== 0) throw new Error(`utimesSync: touch failed: ${String(touched.stderr)}`);
}
