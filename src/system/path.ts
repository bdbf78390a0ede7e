// POSIX paths, with the meaning Node's path module gives these functions:
// join and normalize keep a trailing slash, resolve never does.
import { currentDirectory } from './files.ts';

/** `.` and `..` worked out, repeated slashes made one; `.` for nothing. */
export function normalize(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  let result = parts.join('/');
  if (result === '' && !absolute) return trailing ? './' : '.';
  if (trailing && result !== '') result += '/';
  return absolute ? `/${result}` : result;
}

export function join(...parts: string[]): string {
  const joined = parts.filter((part) => part !== '').join('/');
  return joined === '' ? '.' : normalize(joined);
}

/** An absolute path: `parts` from the right until one is absolute, on the current directory. */
export function resolve(...parts: string[]): string {
  let resolved = '';
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith('/'); i--) {
    const part = parts[i]!;
    if (part === '') continue;
    resolved = resolved === '' ? part : `${part}/${resolved}`;
  }
  if (!resolved.startsWith('/')) {
    const cwd = currentDirectory();
    resolved = resolved === '' ? cwd : `${cwd}/${resolved}`;
  }
  const normal = normalize(resolved);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

export const isAbsolute = (path: string): boolean => path.startsWith('/');

/** The last part of a path, trailing slashes ignored (`/a/b/` -> `b`). */
export function basename(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  const trimmed = path.slice(0, end);
  if (trimmed === '/') return '';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * All but the last part (`/a/b` -> `/a`, `a` -> `.`, `/a` -> `/`). As Node's,
 * slashes before the last part are cut at the last one only (`/a//b` -> `/a/`),
 * and a path of two leading slashes keeps them (`//a` -> `//`).
 */
export function dirname(path: string): string {
  if (path === '') return '.';
  let end = -1;
  let inLastPart = false;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] !== '/') inLastPart = true;
    else if (inLastPart) {
      end = i;
      break;
    }
  }
  if (end === -1) return path[0] === '/' ? '/' : '.';
  if (end === 1 && path[0] === '/') return '//';
  return path.slice(0, end);
}
