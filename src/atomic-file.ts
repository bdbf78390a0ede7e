// Replaces a file so that readers see the old or the new content, never a part:
// write a temporary file beside it, give it the old file's mode, owner and
// group (the image makes the dumps 0640 root:docker_env), then rename.
import {
  closeSync, fchmodSync, fchownSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, statSync,
  unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TEMP_PREFIX } from './container-env.ts';
import { nativeFileCalls } from './file-calls.ts';

function statOrNull(path: string): Stats | null {
  return statSync(path, { throwIfNoEntry: false }) ?? null;
}

/** Linux's longest file name, in bytes. */
const NAME_MAX = 255;

/**
 * TEMP_PREFIX and the name, cut to a valid file name: a name of 243 bytes or
 * more is valid, and must not fail for want of room for the prefix. Files are
 * written one at a time, so two names that share their start cannot clash.
 */
function temporaryName(name: string): string {
  const room = NAME_MAX - Buffer.byteLength(TEMP_PREFIX);
  const bytes = Buffer.from(name);
  if (bytes.length <= room) return TEMP_PREFIX + name;
  // Cut on a character boundary: half a character would become U+FFFD, three bytes long.
  let end = room;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return TEMP_PREFIX + bytes.subarray(0, end).toString();
}

/** A file that could not be written: `cannot write PATH: REASON`, with both parts kept for a line that names several. */
export class WriteError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`cannot write ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

export interface WriteOptions {
  /** The caller has just seen that no file (nor link) of that name exists: none to look at. */
  absent?: boolean;
  /** Leave a regular file that holds these bytes already as it is (its time and inode too). */
  unlessSame?: boolean;
}

/** Whether the regular file `path` (whose stat is `stats`) holds exactly `bytes`. */
function holds(path: string, stats: Stats, bytes: Uint8Array): boolean {
  if (!stats.isFile() || stats.size !== bytes.length) return false;
  try {
    // A number: it is no longer a regular file.
    const read = nativeFileCalls()?.readRegularFile(path) ?? readFileSync(path);
    return typeof read !== 'number' && read.equals(bytes);
  } catch {
    return false; // Unreadable: writing it says why, if it fails.
  }
}

/** Throws a WriteError naming the file and the reason. */
export function writeFileAtomic(path: string, content: string | Uint8Array, { absent = false, unlessSame = false }: WriteOptions = {}): void {
  let target = path;
  let temp: string | null = null;
  let fd: number | null = null;
  try {
    // Replace what a symlink points to, not the link (the reference wrote through it).
    let existing = absent ? null : (lstatSync(path, { throwIfNoEntry: false }) ?? null);
    if (existing?.isSymbolicLink()) {
      target = realpathSync(path);
      existing = statOrNull(target);
    }
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    if (unlessSame && existing !== null && holds(target, existing, bytes)) return;
    temp = join(dirname(target), temporaryName(basename(target)));
    const native = nativeFileCalls();
    if (native !== null) {
      // The same steps as below, in one call; it removes the temporary file itself when one fails.
      const owner = existing === null ? [-1, -1] : [existing.uid, existing.gid];
      native.replaceFile(temp, target, bytes, existing ? existing.mode & 0o7777 : 0o666, owner[0]!, owner[1]!);
      temp = null;
      return;
    }
    fd = openSync(temp, 'w', existing ? existing.mode & 0o7777 : 0o666);
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(fd, bytes, offset);
    if (existing) {
      try {
        fchownSync(fd, existing.uid, existing.gid);
      } catch (error) {
        // Not root: the file stays ours, which is all a non-root my_init can do.
        if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
      }
      fchmodSync(fd, existing.mode & 0o7777);
    }
    closeSync(fd);
    fd = null;
    renameSync(temp, target);
    temp = null;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WriteError(target, describeWriteError(reason));
  } finally {
    if (fd !== null) closeSync(fd);
    if (temp !== null) {
      try {
        unlinkSync(temp);
      } catch {
        // Never created.
      }
    }
  }
}

function describeWriteError(code: string): string {
  switch (code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return code;
  }
}
