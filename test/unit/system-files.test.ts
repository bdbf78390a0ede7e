// src/system/files.ts as the product uses it, on the platform's calls
// (src/platform/files.c): results as values, failures as SystemErrors that
// name the errno, the call and the path; the whole-file helpers; names that
// are not UTF-8; and, on top of them, the atomic write, the environment
// directory's reader and src/system/input.ts's reader of a FIFO.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomic } from '../../src/atomic-file.ts';
import { TEMP_PREFIX } from '../../src/container-env.ts';
import { EnvStore } from '../../src/env-store.ts';
import { SystemError } from '../../src/system/errors.ts';
import * as files from '../../src/system/files.ts';
import { readFrom } from '../../src/system/input.ts';
import { concatBytes, fromLatin1, fromUtf8, utf8 } from '../../src/system/text.ts';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The value, or the test fails with the SystemError. */
function ok<T>(result: T | SystemError): T {
  if (result instanceof SystemError) assert.fail(`unexpected ${result.message}`);
  return result;
}

/** The SystemError a call returned, checked for its code, call and path. */
function failed(result: unknown, code: string, syscall: string, path?: string): SystemError {
  if (!(result instanceof SystemError)) assert.fail(`expected ${code} from ${syscall}, got ${JSON.stringify(result)}`);
  assert.equal(result.code, code);
  assert.equal(result.syscall, syscall);
  assert.equal(result.path, path);
  return result;
}

const leftovers = (dir: string): string[] => ok(files.readdir(dir)).filter((name) => name.startsWith(TEMP_PREFIX));

describe('descriptors', () => {
  test('open, write, read back, close: the bytes as written, 0 at end of file', () => {
    const path = join(tempDir(), 'f');
    const fd = ok(files.open(path, files.O_RDWR | files.O_CREAT | files.O_EXCL, 0o600));
    assert.equal(ok(files.write(fd, utf8('h\u00e9llo\n\0binary'))), 14);
    assert.equal(files.close(fd), undefined);
    const reader = ok(files.open(path, files.O_RDONLY));
    const buffer = new Uint8Array(64);
    assert.equal(ok(files.read(reader, buffer, 2, 5)), 5);
    assert.equal(fromLatin1(buffer.subarray(2, 7)), 'h\u00c3\u00a9ll');
    assert.equal(ok(files.read(reader, buffer)), 9);
    assert.equal(fromUtf8(buffer.subarray(0, 9)), 'o\n\0binary');
    assert.equal(ok(files.read(reader, buffer)), 0);
    assert.equal(files.close(reader), undefined);
  });

  test('writeAll writes all of a large content, string or bytes', () => {
    const [readEnd, writeEnd] = ok(files.pipe());
    const path = join(tempDir(), 'big');
    const fd = ok(files.open(path, files.O_WRONLY | files.O_CREAT, 0o644));
    const big = new Uint8Array(3 * 65536 + 5).fill(0x71);
    assert.equal(files.writeAll(fd, big), undefined);
    assert.equal(files.writeAll(fd, '\u00e9'), undefined);
    files.close(fd);
    const back = ok(files.readFile(path));
    assert.equal(back.length, big.length + 2);
    assert.ok(back.subarray(0, big.length).every((byte) => byte === 0x71));
    assert.deepEqual([...back.subarray(big.length)], [0xc3, 0xa9]);
    files.close(readEnd);
    files.close(writeEnd);
  });

  test('open with O_EXCL on an existing file is EEXIST, naming the path; O_CREAT uses the mode less the umask', () => {
    const dir = tempDir();
    const path = join(dir, 'f');
    const old = files.setUmask(0o022);
    try {
      files.close(ok(files.open(path, files.O_WRONLY | files.O_CREAT, 0o666)));
      assert.equal(ok(files.stat(path)).mode & 0o777, 0o644);
    } finally {
      files.setUmask(old);
    }
    const error = failed(files.open(path, files.O_WRONLY | files.O_CREAT | files.O_EXCL), 'EEXIST', 'open', path);
    assert.equal(error.errno, 17);
    assert.equal(error.message, `EEXIST: file already exists, open '${path}'`);
    assert.ok(error instanceof Error);
  });

  test('a closed descriptor is EBADF, with no path', () => {
    const fd = ok(files.open('/dev/null', files.O_RDONLY));
    assert.equal(files.close(fd), undefined);
    failed(files.read(fd, new Uint8Array(1)), 'EBADF', 'read');
    failed(files.close(fd), 'EBADF', 'close');
    assert.equal(failed(files.fstat(fd), 'EBADF', 'fstat').message, 'EBADF: bad file descriptor, fstat');
  });

  test('a pipe: close-on-exec both ends, non-blocking on request (EAGAIN when empty), end of file once the writer closes', () => {
    const [readEnd, writeEnd] = ok(files.pipe());
    assert.equal(files.setNonBlocking(readEnd, true), undefined);
    failed(files.read(readEnd, new Uint8Array(4)), 'EAGAIN', 'read');
    assert.equal(ok(files.write(writeEnd, utf8('ab'))), 2);
    const buffer = new Uint8Array(4);
    assert.equal(ok(files.read(readEnd, buffer)), 2);
    files.close(writeEnd);
    assert.equal(ok(files.read(readEnd, buffer)), 0);
    files.close(readEnd);
  });

  test('lock: exclusive once; a second descriptor of the same file is refused without waiting', () => {
    const path = join(tempDir(), 'lock');
    const first = ok(files.open(path, files.O_WRONLY | files.O_CREAT, 0o600));
    const second = ok(files.open(path, files.O_WRONLY));
    assert.equal(ok(files.lock(first)), true);
    assert.equal(ok(files.lock(second)), false);
    files.close(first);
    assert.equal(ok(files.lock(second)), true);
    files.close(second);
  });

  test('isTerminal: /dev/null is none', () => {
    const fd = ok(files.open('/dev/null', files.O_RDONLY));
    assert.equal(files.isTerminal(fd), false);
    files.close(fd);
  });
});

describe('stat and friends', () => {
  test('a file, a directory, a link, a FIFO, a character device: each what it is', () => {
    const dir = tempDir();
    ok(files.writeFile(join(dir, 'file'), 'abc'));
    ok(files.symlink('file', join(dir, 'link')));
    ok(files.mkfifo(join(dir, 'fifo'), 0o600));
    const file = ok(files.stat(join(dir, 'file')));
    assert.equal(file.isFile(), true);
    assert.equal(file.size, 3);
    assert.equal(file.nlink, 1);
    assert.ok(file.mtimeMs > 0);
    assert.equal(ok(files.stat(dir)).isDirectory(), true);
    assert.equal(ok(files.lstat(join(dir, 'link'))).isSymbolicLink(), true);
    assert.equal(ok(files.stat(join(dir, 'link'))).ino, file.ino);
    assert.equal(ok(files.stat(join(dir, 'fifo'))).isFIFO(), true);
    assert.equal(ok(files.stat('/dev/null')).isCharacterDevice(), true);
    assert.equal(ok(files.stat('/dev/null')).mode & files.S_IFMT, files.S_IFCHR);
  });

  test('missing: stat is ENOENT naming the path; statIfAny is null, also under a file (ENOTDIR); exists is false', () => {
    const dir = tempDir();
    const missing = join(dir, 'missing');
    assert.equal(failed(files.stat(missing), 'ENOENT', 'stat', missing).message, `ENOENT: no such file or directory, stat '${missing}'`);
    failed(files.lstat(missing), 'ENOENT', 'lstat', missing);
    assert.equal(files.statIfAny(missing), null);
    ok(files.writeFile(join(dir, 'file'), ''));
    assert.equal(files.statIfAny(join(dir, 'file', 'below')), null);
    assert.equal(files.exists(missing), false);
    assert.equal(files.exists(join(dir, 'file')), true);
    ok(files.symlink('missing', join(dir, 'dangling')));
    assert.equal(files.exists(join(dir, 'dangling')), false, 'links are followed');
    assert.equal(ok(files.statIfAny(join(dir, 'dangling'), false))?.isSymbolicLink(), true);
  });

  test('readlink and realpath; access by mode', () => {
    const dir = ok(files.realpath(tempDir()));
    ok(files.mkdir(join(dir, 'real')));
    ok(files.symlink('real', join(dir, 'link')));
    assert.equal(ok(files.readlink(join(dir, 'link'))), 'real');
    assert.equal(ok(files.realpath(join(dir, 'link', '..', 'link'))), join(dir, 'real'));
    failed(files.readlink(join(dir, 'real')), 'EINVAL', 'readlink', join(dir, 'real'));
    ok(files.writeFile(join(dir, 'script'), '#!/bin/sh\n', 0o755));
    ok(files.writeFile(join(dir, 'data'), '', 0o644));
    assert.equal(files.access(join(dir, 'script'), files.X_OK), undefined);
    failed(files.access(join(dir, 'data'), files.X_OK), 'EACCES', 'access', join(dir, 'data'));
  });

  test('chmod, chown (as root), rename, link, unlink', { skip: files.access('/', files.W_OK) !== undefined && 'needs root' }, () => {
    const dir = tempDir();
    const path = join(dir, 'f');
    ok(files.writeFile(path, 'x'));
    ok(files.chmod(path, 0o2640));
    ok(files.chown(path, 4321, 8377));
    const info = ok(files.stat(path));
    assert.deepEqual([info.mode & 0o7777, info.uid, info.gid], [0o2640, 4321, 8377]);
    ok(files.link(path, join(dir, 'g')));
    assert.equal(ok(files.stat(path)).nlink, 2);
    ok(files.rename(join(dir, 'g'), join(dir, 'h')));
    assert.deepEqual(ok(files.readdir(dir)).sort(), ['f', 'h']);
    ok(files.unlink(join(dir, 'h')));
    failed(files.unlink(join(dir, 'h')), 'ENOENT', 'unlink', join(dir, 'h'));
    failed(files.rename(join(dir, 'none'), join(dir, 'x')), 'ENOENT', 'rename', join(dir, 'none'));
  });
});

describe('directories', () => {
  test('readdir: every name but . and ..; a file is ENOTDIR, a missing one ENOENT, both as scandir', () => {
    const dir = tempDir();
    for (const name of ['b', 'a', '.hidden', 'h\u00e9', '\u{1f600}']) ok(files.writeFile(join(dir, name), ''));
    ok(files.mkdir(join(dir, 'sub')));
    assert.deepEqual(ok(files.readdir(dir)).sort(), ['.hidden', 'a', 'b', 'h\u00e9', 'sub', '\u{1f600}'].sort());
    assert.deepEqual(ok(files.readdir(join(dir, 'sub'))), []);
    failed(files.readdir(join(dir, 'a')), 'ENOTDIR', 'scandir', join(dir, 'a'));
    failed(files.readdir(join(dir, 'none')), 'ENOENT', 'scandir', join(dir, 'none'));
  });

  test('a name that is not UTF-8: readdirBytes gives its bytes, readdir a U+FFFD for each invalid sequence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-files-'));
    after(() => spawnSync('rm', ['-rf', dir], { stdio: 'ignore' }));
    const made = spawnSync('sh', ['-c', 'cd "$1" && : > "$(printf "a\\377b")" && : > "$(printf "\\303\\251\\355\\240\\200")" && : > ok', 'sh', dir], { encoding: 'utf8' });
    assert.equal(made.status, 0, String(made.stderr));
    const bytes = ok(files.readdirBytes(dir)).map((name) => [...name]).sort((a, b) => a[0]! - b[0]! || a.length - b.length);
    assert.deepEqual(bytes, [[0x61, 0xff, 0x62], [0x6f, 0x6b], [0xc3, 0xa9, 0xed, 0xa0, 0x80]]);
    assert.deepEqual(ok(files.readdir(dir)).sort(), ['a\ufffdb', 'ok', '\u00e9\ufffd\ufffd\ufffd'].sort());
    failed(files.readdirBytes(join(dir, 'ok')), 'ENOTDIR', 'scandir', join(dir, 'ok'));
    // A path may be those bytes: lstat and removeTree reach a name that no string can spell.
    const raw = ok(files.readdirBytes(dir)).find((name) => name[1] === 0xff)!;
    const path = concatBytes([utf8(`${dir}/`), raw]);
    assert.equal(ok(files.lstat(path)).isFile(), true);
    assert.equal(files.removeTree(dir), undefined);
    failed(files.lstat(dir), 'ENOENT', 'lstat', dir);
  });

  test('mkdir: the mode less the umask; an existing one is EEXIST; a missing parent ENOENT', () => {
    const dir = tempDir();
    const old = files.setUmask(0o022);
    try {
      ok(files.mkdir(join(dir, 'd'), 0o777));
    } finally {
      files.setUmask(old);
    }
    assert.equal(ok(files.stat(join(dir, 'd'))).mode & 0o777, 0o755);
    failed(files.mkdir(join(dir, 'd')), 'EEXIST', 'mkdir', join(dir, 'd'));
    failed(files.mkdir(join(dir, 'x', 'y')), 'ENOENT', 'mkdir', join(dir, 'x', 'y'));
  });

  test('makeDirectories: each missing one, with the mode; existing ones are fine; a file in the way is its error', () => {
    const dir = tempDir();
    const deep = join(dir, 'a', 'b', 'c');
    assert.equal(files.makeDirectories(deep, 0o700), undefined);
    assert.equal(ok(files.stat(join(dir, 'a'))).mode & 0o777, 0o700);
    assert.equal(ok(files.stat(deep)).isDirectory(), true);
    assert.equal(files.makeDirectories(deep), undefined);
    assert.equal(files.makeDirectories(`${deep}/`), undefined);
    ok(files.writeFile(join(dir, 'file'), ''));
    failed(files.makeDirectories(join(dir, 'file')), 'EEXIST', 'mkdir', join(dir, 'file'));
    failed(files.makeDirectories(join(dir, 'file', 'below')), 'ENOTDIR', 'mkdir', join(dir, 'file', 'below'));
  });

  test('removeTree: everything below, links removed and never followed; nothing there is fine', () => {
    const dir = tempDir();
    const kept = join(dir, 'kept');
    ok(files.mkdir(kept));
    ok(files.writeFile(join(kept, 'precious'), 'x'));
    const tree = join(dir, 'tree');
    ok(files.makeDirectories(join(tree, 'a', 'b')));
    ok(files.writeFile(join(tree, 'a', 'b', 'f'), 'x'));
    ok(files.mkfifo(join(tree, 'a', 'fifo'), 0o600));
    ok(files.symlink(kept, join(tree, 'link-to-kept')));
    assert.equal(files.removeTree(tree), undefined);
    assert.equal(files.exists(tree), false);
    assert.deepEqual(ok(files.readdir(kept)), ['precious']);
    assert.equal(files.removeTree(tree), undefined);
    failed(files.rmdir(kept), 'ENOTEMPTY', 'rmdir', kept);
  });

  test('the current directory: changeDirectory moves it, currentDirectory names it; a missing one is ENOENT', () => {
    const start = files.currentDirectory();
    after(() => assert.equal(files.changeDirectory(start), undefined));
    const dir = ok(files.realpath(tempDir()));
    assert.equal(files.changeDirectory(dir), undefined);
    assert.equal(files.currentDirectory(), dir);
    ok(files.writeFile('relative', 'here'));
    assert.equal(files.readText(join(dir, 'relative')), 'here');
    failed(files.changeDirectory(join(dir, 'none')), 'ENOENT', 'chdir', join(dir, 'none'));
  });
});

describe('whole files', () => {
  test('writeFile then readFile and readText: the bytes; invalid UTF-8 read as text is U+FFFD', () => {
    const dir = tempDir();
    ok(files.writeFile(join(dir, 'text'), 'h\u00e9llo \u{1f600}\n'));
    assert.equal(ok(files.readText(join(dir, 'text'))), 'h\u00e9llo \u{1f600}\n');
    ok(files.writeFile(join(dir, 'bytes'), Uint8Array.of(0x61, 0xff, 0x00)));
    assert.deepEqual([...ok(files.readFile(join(dir, 'bytes')))], [0x61, 0xff, 0x00]);
    assert.equal(ok(files.readText(join(dir, 'bytes'))), 'a\ufffd\0');
    ok(files.writeFile(join(dir, 'text'), 'short'));
    assert.equal(ok(files.readText(join(dir, 'text'))), 'short', 'truncated first');
    ok(files.writeFile(join(dir, 'empty'), ''));
    assert.equal(ok(files.readFile(join(dir, 'empty'))).length, 0);
  });

  test('writeFile with a mode: made with it (less the umask); a missing directory is ENOENT naming the file', () => {
    const dir = tempDir();
    const old = files.setUmask(0o022);
    try {
      ok(files.writeFile(join(dir, 'script'), '#!/bin/sh\n', 0o775));
    } finally {
      files.setUmask(old);
    }
    assert.equal(ok(files.stat(join(dir, 'script'))).mode & 0o777, 0o755);
    failed(files.writeFile(join(dir, 'none', 'f'), 'x'), 'ENOENT', 'open', join(dir, 'none', 'f'));
    failed(files.readFile(join(dir, 'none')), 'ENOENT', 'open', join(dir, 'none'));
  });

  test('readFile of a /proc file (which says it is empty) reads it all; of a directory is EISDIR', () => {
    const status = ok(files.readText('/proc/self/status'));
    assert.match(status, /^Name:\t/);
    assert.match(status, /\nPid:\t\d+\n/);
    const dir = tempDir();
    const error = files.readFile(dir);
    assert.ok(error instanceof SystemError);
    assert.equal(error.code, 'EISDIR');
  });

  test('readToEnd reads what is left from the offset, past the first chunk', () => {
    const path = join(tempDir(), 'f');
    const content = 'x'.repeat(10_000);
    ok(files.writeFile(path, `skip${content}`));
    const fd = ok(files.open(path, files.O_RDONLY));
    ok(files.read(fd, new Uint8Array(4)));
    assert.equal(fromUtf8(ok(files.readToEnd(fd))), content);
    files.close(fd);
  });
});

describe('on top of them', () => {
  test('writeFileAtomic over an old file: a new inode with its mode and owner; through a link, the target', () => {
    const dir = tempDir();
    const real = join(dir, 'real.json');
    ok(files.writeFile(real, 'old'));
    ok(files.chmod(real, 0o640));
    const before = ok(files.stat(real));
    ok(files.symlink('real.json', join(dir, 'link.json')));
    writeFileAtomic(join(dir, 'link.json'), '{"A": "1"}');
    assert.equal(ok(files.readText(real)), '{"A": "1"}');
    const after_ = ok(files.stat(real));
    assert.equal(after_.mode & 0o7777, 0o640);
    assert.equal(after_.uid, before.uid);
    assert.notEqual(after_.ino, before.ino);
    assert.equal(ok(files.lstat(join(dir, 'link.json'))).isSymbolicLink(), true);
    assert.deepEqual(leftovers(dir), []);
  });

  test('writeFileAtomic: a failure names the path and the errno, and leaves no temporary file', () => {
    const dir = tempDir();
    ok(files.mkdir(join(dir, 'a-directory')));
    assert.throws(() => writeFileAtomic(join(dir, 'a-directory'), 'x'), (error: Error) => error.message.includes(join(dir, 'a-directory')) && /EISDIR/.test(error.message));
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'f'), 'x'), /ENOENT/);
    assert.deepEqual(leftovers(dir), []);
  });

  test('EnvStore reads the variable files and skips a FIFO (without opening it: that would block)', () => {
    const dir = tempDir();
    const directory = join(dir, 'container_environment');
    ok(files.mkdir(directory));
    ok(files.writeFile(join(directory, 'GOOD'), 'value\n'));
    ok(files.mkfifo(join(directory, 'PIPE'), 0o600));
    const store = new EnvStore({ directory, shellDump: join(dir, 'env.sh'), jsonDump: join(dir, 'env.json') });
    const env = new Map<string, string>();
    store.importMissing(env);
    assert.deepEqual([...env], [['GOOD', 'value']]);
  });

  test('readFrom a FIFO: each read to onData as it comes, then onEnd once at end of file', async () => {
    const fifo = join(tempDir(), 'control');
    ok(files.mkfifo(fifo, 0o600));
    const reader = ok(files.open(fifo, files.O_RDONLY | files.O_NONBLOCK));
    const writer = ok(files.open(fifo, files.O_WRONLY));
    const chunks: string[] = [];
    let ended: SystemError | null | undefined;
    let arrived = (): void => undefined;
    const next = (): Promise<void> => new Promise((resolve) => {
      arrived = resolve;
    });
    const input = ok(readFrom(reader, (bytes) => {
      chunks.push(fromLatin1(bytes));
      arrived();
    }, (error) => {
      ended = error;
      arrived();
    }));
    // Each write waits for the one before to be read: one read each, however busy the machine.
    for (const write of [() => files.writeAll(writer, 'u'), () => files.writeAll(writer, 'dx'), () => files.close(writer)]) {
      const came = next();
      assert.equal(write(), undefined);
      await came;
    }
    assert.deepEqual(chunks, ['u', 'dx']);
    assert.equal(ended, null);
    input.close();
    files.close(reader);
  });
});
