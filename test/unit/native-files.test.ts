// The native helper's calls that my_init's boot uses in place of Node's fs (replaceFile,
// readRegularFile) and of net.Socket (watchInput), and the atomic write and the variable
// files read through them: the same results as without the helper.
import assert from 'node:assert/strict';
import {
  chmodSync, chownSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync,
  symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomic } from '../../src/atomic-file.ts';
import { TEMP_PREFIX } from '../../src/container-env.ts';
import { EnvStore } from '../../src/env-store.ts';
import { useNativeFileCalls } from '../../src/file-calls.ts';
import { loadNative } from '../../src/native.ts';

const native = loadNative(join(import.meta.dirname, '..', '..', 'build', 'Release', 'init_native.node'));
if (native instanceof Error) throw native;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-native-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.startsWith(TEMP_PREFIX) || name.endsWith('.tmp'));

describe('replaceFile', () => {
  test('a new file: the bytes, made with the mode less the umask, no owner given', () => {
    const dir = tempDir();
    const bytes = Buffer.from('héllo\n\0binary');
    native.replaceFile(join(dir, 'x.tmp'), join(dir, 'x'), bytes, 0o666, -1, -1);
    assert.ok(readFileSync(join(dir, 'x')).equals(bytes));
    writeFileSync(join(dir, 'plain'), '');
    assert.equal(statSync(join(dir, 'x')).mode & 0o7777, statSync(join(dir, 'plain')).mode & 0o7777);
    assert.deepEqual(leftovers(dir), []);
  });

  test('over an old file: a new inode with exactly the mode and owner given', () => {
    const dir = tempDir();
    const target = join(dir, 'dump.sh');
    writeFileSync(target, 'old');
    const before = statSync(target).ino;
    native.replaceFile(join(dir, 'dump.tmp'), target, Buffer.from('new'), 0o2640, 4321, 8377);
    const stats = statSync(target);
    assert.equal(readFileSync(target, 'utf8'), 'new');
    assert.notEqual(stats.ino, before);
    assert.equal(stats.mode & 0o7777, 0o2640);
    assert.equal(stats.uid, 4321);
    assert.equal(stats.gid, 8377);
  });

  test('a failure names the call and the errno, and leaves neither the temporary file nor a changed target', () => {
    const dir = tempDir();
    const target = join(dir, 'kept');
    writeFileSync(target, 'old');
    // rename(2) of a file over a directory fails with EISDIR, after the temporary file was written.
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    assert.throws(() => native.replaceFile(join(dir, 'y.tmp'), directory, Buffer.from('x'), 0o644, -1, -1),
      (error: NodeJS.ErrnoException) => error.code === 'EISDIR' && error.syscall === 'rename');
    assert.throws(() => native.replaceFile(join(dir, 'missing', 'z.tmp'), target, Buffer.from('x'), 0o644, -1, -1),
      (error: NodeJS.ErrnoException) => error.code === 'ENOENT' && error.syscall === 'open');
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('readRegularFile', () => {
  test('a regular file (through a link too): its bytes, also when larger than its first read', () => {
    const dir = tempDir();
    const big = Buffer.alloc(3 * 65536 + 5, 'q');
    writeFileSync(join(dir, 'big'), big);
    symlinkSync('big', join(dir, 'link'));
    assert.ok((native.readRegularFile(join(dir, 'link')) as Buffer).equals(big));
    writeFileSync(join(dir, 'empty'), '');
    assert.equal((native.readRegularFile(join(dir, 'empty')) as Buffer).length, 0);
  });

  test('anything else: its st_mode, without opening it (a FIFO would block); a missing one throws ENOENT', () => {
    const dir = tempDir();
    native.mkfifo(join(dir, 'fifo'), 0o600);
    assert.equal((native.readRegularFile(join(dir, 'fifo')) as number) & constants.S_IFMT, constants.S_IFIFO);
    assert.equal((native.readRegularFile(dir) as number) & constants.S_IFMT, constants.S_IFDIR);
    assert.equal((native.readRegularFile('/dev/null') as number) & constants.S_IFMT, constants.S_IFCHR);
    assert.throws(() => native.readRegularFile(join(dir, 'none')), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
  });
});

describe('with the native calls and without, the same files', () => {
  for (const withNative of [false, true]) {
    test(`${withNative ? 'native' : 'Node fs'}: writeFileAtomic keeps mode, group and links; EnvStore reads the file and skips the FIFO`, () => {
      useNativeFileCalls(withNative ? native : null);
      after(() => useNativeFileCalls(null));
      const dir = tempDir();
      const dump = join(dir, 'real.json');
      writeFileSync(dump, 'old');
      chownSync(dump, 0, 8377);
      chmodSync(dump, 0o640);
      symlinkSync('real.json', join(dir, 'link.json'));
      writeFileAtomic(join(dir, 'link.json'), '{"A": "1"}');
      assert.equal(readFileSync(dump, 'utf8'), '{"A": "1"}');
      assert.equal(statSync(dump).mode & 0o7777, 0o640);
      assert.equal(statSync(dump).gid, 8377);
      writeFileAtomic(join(dir, 'NEW'), 'value', { absent: true });
      assert.equal(readFileSync(join(dir, 'NEW'), 'utf8'), 'value');
      assert.deepEqual(leftovers(dir), []);

      const directory = join(dir, 'container_environment');
      mkdirSync(directory);
      writeFileSync(join(directory, 'GOOD'), 'value\n');
      native.mkfifo(join(directory, 'PIPE'), 0o600);
      const store = new EnvStore({ directory, shellDump: join(dir, 'env.sh'), jsonDump: join(dir, 'env.json') });
      const env = new Map<string, string>();
      store.importMissing(env);
      assert.deepEqual([...env], [['GOOD', 'value']]);
    });

    test(`${withNative ? 'native' : 'Node fs'}: unlessSame leaves a file that holds the bytes (its inode too), replaces one that does not`, () => {
      useNativeFileCalls(withNative ? native : null);
      after(() => useNativeFileCalls(null));
      const dump = join(tempDir(), 'env.sh');
      writeFileSync(dump, 'export A=1\n');
      const { ino } = statSync(dump);
      writeFileAtomic(dump, 'export A=1\n', { unlessSame: true });
      assert.equal(statSync(dump).ino, ino);
      writeFileAtomic(dump, 'export A=2\n', { unlessSame: true });
      assert.notEqual(statSync(dump).ino, ino);
      assert.equal(readFileSync(dump, 'utf8'), 'export A=2\n');
    });
  }
});

describe('watchInput', () => {
  test('each read of a FIFO to the callback, an empty buffer at end of file; closeWatch ends it', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'control');
    native.mkfifo(fifo, 0o600);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    const chunks: string[] = [];
    let arrived = Promise.withResolvers<void>();
    const id = native.watchInput(reader, (bytes) => {
      chunks.push(bytes.toString('latin1'));
      arrived.resolve();
    });
    // Each write waits for the one before to be delivered: one read each, however busy the machine.
    for (const write of [() => writeSync(writer, 'u'), () => writeSync(writer, 'dx'), () => closeSync(writer)]) {
      arrived = Promise.withResolvers<void>();
      write();
      await arrived.promise;
    }
    assert.deepEqual(chunks, ['u', 'dx', '']);
    native.closeWatch(id);
    closeSync(reader);
    assert.throws(() => native.closeWatch(id), /no such watch/);
  });
});
