// Replaces a file so that readers see the old or the new content, never a part:
// write a temporary file beside it, give it the old file's mode, owner and
// group (the image makes the dumps 0640 root:docker_env), then rename.
import { TEMP_PREFIX } from './container-env.ts';
import { must, SystemError } from './system/errors.ts';
import {
  close, fchmod, fchown, O_CREAT, O_TRUNC, O_WRONLY, open, readFile, realpath, rename, type Stat, statIfAny, unlink,
  writeAll,
} from './system/files.ts';
import { basename, dirname, join } from './system/path.ts';
import { byteLength, equalBytes, fromUtf8, utf8 } from './system/text.ts';

/** Linux's longest file name, in bytes. */
const NAME_MAX = 255;

/**
 * TEMP_PREFIX and the name, cut to a valid file name: a name of 243 bytes or
 * more is valid, and must not fail for want of room for the prefix. Files are
 * written one at a time, so two names that share their start cannot clash.
 */
function temporaryName(name: string): string {
  const room = NAME_MAX - byteLength(TEMP_PREFIX);
  const bytes = utf8(name);
  if (bytes.length <= room) return TEMP_PREFIX + name;
  // Cut on a character boundary: half a character would become U+FFFD, three bytes long.
  let end = room;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return TEMP_PREFIX + fromUtf8(bytes.subarray(0, end));
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
function holds(path: string, stats: Stat, bytes: Uint8Array): boolean {
  if (!stats.isFile() || stats.size !== bytes.length) return false;
  // Unreadable: writing it says why, if it fails.
  const read = readFile(path);
  return !(read instanceof SystemError) && equalBytes(read, bytes);
}

/** Throws a WriteError naming the file and the reason. */
export function writeFileAtomic(path: string, content: string | Uint8Array, { absent = false, unlessSame = false }: WriteOptions = {}): void {
  let target = path;
  let temp: string | null = null;
  let fd: number | null = null;
  try {
    // Replace what a symlink points to, not the link (the reference wrote through it).
    let existing = absent ? null : must(statIfAny(path, false));
    if (existing?.isSymbolicLink()) {
      target = must(realpath(path));
      existing = must(statIfAny(target));
    }
    const bytes = typeof content === 'string' ? utf8(content) : content;
    if (unlessSame && existing !== null && holds(target, existing, bytes)) return;
    temp = join(dirname(target), temporaryName(basename(target)));
    fd = must(open(temp, O_WRONLY | O_CREAT | O_TRUNC, existing ? existing.mode & 0o7777 : 0o666));
    must(writeAll(fd, bytes));
    if (existing) {
      const owned = fchown(fd, existing.uid, existing.gid);
      // Not root: the file stays ours, which is all a non-root my_init can do.
      if (owned !== undefined && owned.code !== 'EPERM') throw owned;
      must(fchmod(fd, existing.mode & 0o7777));
    }
    must(close(fd));
    fd = null;
    must(rename(temp, target));
    temp = null;
  } catch (error) {
    const reason = error instanceof SystemError ? error.code : (error as Error).message;
    throw new WriteError(target, describeWriteError(reason));
  } finally {
    if (fd !== null) close(fd);
    if (temp !== null) unlink(temp); // An error: it was never created.
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
