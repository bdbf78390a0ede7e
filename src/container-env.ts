// The formats of /etc/container_environment and its two dumps. Pure functions:
// the files themselves are read and written by env-store.ts.
import { compareBytes, fromUtf8Strict, utf8 } from './system/text.ts';

/**
 * Never written to the per-variable files or the .sh dump, as in the reference:
 * they describe the user a process runs as, which setuser and login shells set.
 */
export const PER_USER_NAMES: ReadonlySet<string> = new Set(['HOME', 'USER', 'GROUP', 'UID', 'GID', 'SHELL']);

/** Prefix of the temporary files an atomic write leaves if it is interrupted. */
export const TEMP_PREFIX = '.my_init-new.';

/**
 * A variable file's value: UTF-8 text with line endings made `\n` and one
 * trailing newline removed, so that `echo value > FILE` means "value".
 * null when the bytes are not UTF-8.
 */
export function decodeValue(bytes: Uint8Array): string | null {
  // A leading U+FEFF stays part of the value, as Python's decoder kept it.
  let text = fromUtf8Strict(bytes);
  if (text === null) return null;
  text = text.replaceAll('\r\n', '\n').replaceAll('\r', '\n');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Why a directory entry cannot be a variable, or null when it can. */
export function invalidNameReason(name: string): string | null {
  if (name.includes('=')) return 'a variable name cannot contain "="';
  if (name.startsWith(TEMP_PREFIX)) return 'a leftover temporary file';
  return null;
}

/** Whether a variable can be stored as a file named after it. */
export function isStorableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && invalidNameReason(name) === null;
}

/** Byte order of the UTF-8 names, which is code point order. */
export function compareNames(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}

/**
 * A name bash accepts: every character outside [A-Za-z0-9_] becomes `_`
 * (`weird-name.x` -> `weird_name_x`, as in the reference), and a leading digit
 * gets a `_` in front, where the reference wrote a line bash rejects.
 */
export function shellName(name: string): string {
  const safe = name.replaceAll(/[^A-Za-z0-9_]/gu, '_');
  return /^[0-9]/.test(safe) ? `_${safe}` : safe;
}

/** Quotes a value so that bash and sh read it back byte for byte. */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'"'"'`)}'`;
}

/** A variable left out of the .sh dump because its shell name is another variable's. */
export interface ShellNameClash {
  name: string;
  shellName: string;
  /** The variable that keeps the shell name. */
  keptBy: string;
}

/**
 * Which variable each shell name of the .sh dump belongs to. A real name (one
 * bash takes as it is) keeps it against every renamed one; among renamed names
 * alone, the one first in byte order does. Not the last line written: that
 * would let `é1` replace a real `_1`, and make the winner depend on the order.
 */
function shellNameOwners(env: Iterable<readonly [string, string]>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [name] of env) {
    if (PER_USER_NAMES.has(name) || name === '') continue;
    const shell = shellName(name);
    const owner = owners.get(shell);
    const real = (candidate: string): boolean => candidate === shell;
    if (owner === undefined || (real(name) && !real(owner)) || (real(name) === real(owner) && compareNames(name, owner) < 0)) {
      owners.set(shell, name);
    }
  }
  return owners;
}

/** The variables the .sh dump leaves out, in the environment's order. */
export function shellNameClashes(env: Iterable<readonly [string, string]>): ShellNameClash[] {
  const entries = [...env];
  const owners = shellNameOwners(entries);
  const clashes: ShellNameClash[] = [];
  for (const [name] of entries) {
    if (PER_USER_NAMES.has(name) || name === '') continue;
    const keptBy = owners.get(shellName(name))!;
    if (keptBy !== name) clashes.push({ name, shellName: shellName(name), keptBy });
  }
  return clashes;
}

/** /etc/container_environment.sh: one `export` line per variable, in order, each shell name once. */
export function renderShellDump(env: Iterable<readonly [string, string]>): string {
  const entries = [...env];
  const owners = shellNameOwners(entries);
  let text = '';
  for (const [name, value] of entries) {
    if (PER_USER_NAMES.has(name) || name === '') continue;
    const shell = shellName(name);
    if (owners.get(shell) === name) text += `export ${shell}=${shellQuote(value)}\n`;
  }
  return text;
}

/**
 * /etc/container_environment.json: the whole environment, written as Python's
 * json.dumps wrote it (`", "` and `": "` separators, non-ASCII as \u escapes,
 * no trailing newline), so that existing readers see the same bytes.
 */
export function renderJsonDump(env: Iterable<readonly [string, string]>): string {
  const asciiJson = (text: string): string =>
    JSON.stringify(text).replaceAll(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const members: string[] = [];
  for (const [name, value] of env) members.push(`${asciiJson(name)}: ${asciiJson(value)}`);
  return `{${members.join(', ')}}`;
}
