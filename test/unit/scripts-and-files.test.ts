// Filesystem pieces: script directories (src/scripts.ts), atomic writes
// (src/atomic-file.ts) and /etc/container_environment (src/env-store.ts),
// each tested in a fresh temporary directory. Tests run as root.
import assert from 'node:assert/strict';
import {
  chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync,
  statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomic } from '../../src/atomic-file.ts';
import { renderJsonDump, renderShellDump, TEMP_PREFIX } from '../../src/container-env.ts';
import { EnvStore, type EnvPaths } from '../../src/env-store.ts';
import { isRunnable, runnableScripts } from '../../src/scripts.ts';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeWithMode(path: string, content: string | Uint8Array, mode: number): void {
  writeFileSync(path, content);
  chmodSync(path, mode); // explicit: writeFileSync's mode is subject to the umask
}

function tempLeftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith(TEMP_PREFIX));
}

describe('isRunnable and runnableScripts', () => {
  function scriptDir(): string {
    const dir = tempDir();
    for (const name of ['a', 'B', '10_a', '2_b', '.hidden']) writeWithMode(join(dir, name), '#!/bin/sh\n', 0o755);
    symlinkSync('/bin/true', join(dir, 'link_true'));
    writeWithMode(join(dir, 'noexec'), '#!/bin/sh\n', 0o644);
    mkdirSync(join(dir, 'dir'));
    chmodSync(join(dir, 'dir'), 0o755);
    symlinkSync(join(dir, 'missing-target'), join(dir, 'broken'));
    return dir;
  }

  test('lists the runnable entries, dotfiles too, as full paths in byte order', () => {
    const dir = scriptDir();
    assert.deepEqual(
      runnableScripts(dir),
      ['.hidden', '10_a', '2_b', 'B', 'a', 'link_true'].map((name) => join(dir, name)),
    );
  });

  test('orders non-ASCII names by UTF-8 bytes, not UTF-16 units', () => {
    const dir = tempDir();
    for (const name of ['😀', '\ufffd', 'é', 'z']) writeWithMode(join(dir, name), '#!/bin/sh\n', 0o755);
    assert.deepEqual(runnableScripts(dir), ['z', 'é', '\ufffd', '😀'].map((name) => join(dir, name)));
  });

  test('a relative directory is read from the given directory, and its scripts keep the relative name', () => {
    const dir = scriptDir();
    const parent = join(dir, '..');
    const relative = dir.slice(parent.length + 1);
    assert.deepEqual(runnableScripts(relative, parent), ['.hidden', '10_a', '2_b', 'B', 'a', 'link_true'].map((name) => join(relative, name)));
    assert.equal(isRunnable(join(relative, 'a'), parent), true);
    assert.equal(isRunnable(join(relative, 'noexec'), parent), false);
  });

  test('a missing directory has no scripts', () => {
    assert.deepEqual(runnableScripts(join(tempDir(), 'does-not-exist')), []);
  });

  test('a file given as the directory has no scripts', () => {
    const dir = tempDir();
    writeWithMode(join(dir, 'file'), '', 0o755);
    assert.deepEqual(runnableScripts(join(dir, 'file')), []);
  });

  test('isRunnable: executable regular files, after symlinks, only', () => {
    const dir = scriptDir();
    assert.equal(isRunnable(join(dir, 'a')), true);
    assert.equal(isRunnable(join(dir, 'link_true')), true);
    assert.equal(isRunnable(join(dir, 'noexec')), false);
    assert.equal(isRunnable(join(dir, 'dir')), false);
    assert.equal(isRunnable(join(dir, 'broken')), false);
    assert.equal(isRunnable(join(dir, 'nothing-here')), false);
  });

  test('isRunnable: one execute bit is enough', () => {
    const dir = tempDir();
    writeWithMode(join(dir, 'other-x'), '', 0o601);
    assert.equal(isRunnable(join(dir, 'other-x')), true);
  });
});

describe('writeFileAtomic', () => {
  test('creates a file with the content (string or bytes)', () => {
    const dir = tempDir();
    writeFileAtomic(join(dir, 'text'), 'héllo\n');
    assert.equal(readFileSync(join(dir, 'text'), 'utf8'), 'héllo\n');
    const bytes = Uint8Array.from([0, 1, 0xff, 0x0a]);
    writeFileAtomic(join(dir, 'bytes'), bytes);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'bytes'))), bytes);
    writeFileAtomic(join(dir, 'empty'), '');
    assert.equal(readFileSync(join(dir, 'empty'), 'utf8'), '');
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('replaces a longer existing content entirely', () => {
    const dir = tempDir();
    const path = join(dir, 'f');
    writeFileSync(path, 'a much longer old content');
    writeFileAtomic(path, 'new');
    assert.equal(readFileSync(path, 'utf8'), 'new');
  });

  test('writes a large content completely', () => {
    const dir = tempDir();
    const content = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
    writeFileAtomic(join(dir, 'big'), content);
    assert.ok(readFileSync(join(dir, 'big')).equals(content));
  });

  test('keeps an existing file\'s mode and group, and replaces it by rename', () => {
    const dir = tempDir();
    const path = join(dir, 'dump.json');
    writeFileSync(path, 'old');
    chownSync(path, 0, 8377);
    chmodSync(path, 0o640);
    const before = statSync(path);
    writeFileAtomic(path, 'new content');
    const stats = statSync(path);
    assert.equal(readFileSync(path, 'utf8'), 'new content');
    assert.equal(stats.mode & 0o7777, 0o640);
    assert.equal(stats.gid, 8377);
    assert.equal(stats.uid, 0);
    assert.notEqual(stats.ino, before.ino, 'a new inode: the file was replaced, not rewritten in place');
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('unlessSame leaves a file that holds the content already (same inode, time), and replaces one that does not', () => {
    const dir = tempDir();
    const path = join(dir, 'dump.sh');
    writeFileSync(path, 'export A=1\n');
    utimesSync(path, 1_000_000, 1_000_000);
    const before = statSync(path);
    writeFileAtomic(path, 'export A=1\n', { unlessSame: true });
    const kept = statSync(path);
    assert.equal(kept.ino, before.ino);
    assert.equal(kept.mtimeMs, before.mtimeMs);
    // Same length, other bytes: replaced.
    writeFileAtomic(path, 'export A=2\n', { unlessSame: true });
    assert.equal(readFileSync(path, 'utf8'), 'export A=2\n');
    assert.notEqual(statSync(path).ino, before.ino);
    // Without the option, the same content is written again (a new inode).
    const again = statSync(path).ino;
    writeFileAtomic(path, 'export A=2\n');
    assert.notEqual(statSync(path).ino, again);
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('absent: a new file is made as any (0666 less the umask) without looking for an old one', () => {
    const dir = tempDir();
    const path = join(dir, 'NEW');
    writeFileAtomic(path, 'value', { absent: true });
    assert.equal(readFileSync(path, 'utf8'), 'value');
    writeFileSync(join(dir, 'plain'), '');
    assert.equal(statSync(path).mode & 0o7777, statSync(join(dir, 'plain')).mode & 0o7777, 'as any new file');
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('keeps special mode bits and the owner', () => {
    const dir = tempDir();
    const path = join(dir, 'f');
    writeFileSync(path, 'old');
    chownSync(path, 4321, 8377);
    chmodSync(path, 0o2751);
    writeFileAtomic(path, 'new');
    const stats = statSync(path);
    assert.equal(stats.mode & 0o7777, 0o2751);
    assert.equal(stats.uid, 4321);
    assert.equal(stats.gid, 8377);
  });

  test('writing through a symlink replaces the target and keeps the link', () => {
    const dir = tempDir();
    const target = join(dir, 'real.txt');
    const link = join(dir, 'link.txt');
    writeWithMode(target, 'old', 0o640);
    symlinkSync('real.txt', link);
    writeFileAtomic(link, 'through the link');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readlinkSync(link), 'real.txt');
    assert.equal(readFileSync(target, 'utf8'), 'through the link');
    assert.equal(statSync(target).mode & 0o7777, 0o640);
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('a missing parent directory is an Error naming the path', () => {
    const dir = tempDir();
    const path = join(dir, 'no-such-dir', 'file');
    assert.throws(() => writeFileAtomic(path, 'x'), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.message.includes(path), error.message);
      assert.match(error.message, /ENOENT/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'no-such-dir')), false);
  });

  test('a failed rename (the path is a directory) leaves no temporary file', () => {
    const dir = tempDir();
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    assert.throws(() => writeFileAtomic(path, 'x'), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.ok(error.message.includes(path), error.message);
      return true;
    });
    assert.ok(statSync(path).isDirectory());
    assert.deepEqual(tempLeftovers(dir), []);
  });
});

describe('EnvStore', () => {
  function store(): { dir: string; paths: EnvPaths; env: EnvStore } {
    const root = tempDir();
    const paths: EnvPaths = {
      directory: join(root, 'container_environment'),
      shellDump: join(root, 'container_environment.sh'),
      jsonDump: join(root, 'container_environment.json'),
    };
    mkdirSync(paths.directory);
    return { dir: paths.directory, paths, env: new EnvStore(paths) };
  }

  test('active reflects whether the directory exists', () => {
    const { dir, env } = store();
    assert.equal(env.active, true);
    rmSync(dir, { recursive: true });
    assert.equal(env.active, false);
  });

  test('importMissing adds only the variables the environment lacks, decoded', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'FROM_DOCKER'), 'from the file\n');
    writeFileSync(join(dir, 'ADDED'), 'added\n');
    writeFileSync(join(dir, 'CRLF'), 'x\r\ny\r\n');
    writeFileSync(join(dir, 'TWO_NL'), 'two\n\n');
    writeFileSync(join(dir, 'EMPTY'), '');
    const env = new Map([['FROM_DOCKER', 'docker wins'], ['PATH', '/bin']]);
    store_.importMissing(env);
    assert.deepEqual(env, new Map([
      ['FROM_DOCKER', 'docker wins'], ['PATH', '/bin'],
      ['ADDED', 'added'], ['CRLF', 'x\ny'], ['EMPTY', ''], ['TWO_NL', 'two\n'],
    ]));
  });

  test('importMissing adds in byte order of the names', () => {
    const { dir, env: store_ } = store();
    for (const name of ['b', 'A', '_', '10', '9']) writeFileSync(join(dir, name), name);
    const env = new Map<string, string>();
    store_.importMissing(env);
    assert.deepEqual([...env.keys()], ['10', '9', 'A', '_', 'b']);
  });

  test('importMissing skips directories, invalid UTF-8, "=" names and leftovers, and imports the rest', () => {
    const { dir, env: store_ } = store();
    mkdirSync(join(dir, 'SUBDIR'));
    writeFileSync(join(dir, 'BAD_UTF8'), Buffer.from([0x61, 0xff]));
    writeFileSync(join(dir, 'A=B'), 'x');
    writeFileSync(join(dir, `${TEMP_PREFIX}GOOD`), 'leftover');
    symlinkSync(join(dir, 'nowhere'), join(dir, 'BROKEN_LINK'));
    writeFileSync(join(dir, 'GOOD'), 'good');
    writeFileSync(join(dir, 'ZZZ'), 'last');
    const env = new Map<string, string>();
    store_.importMissing(env);
    assert.deepEqual(env, new Map([['GOOD', 'good'], ['ZZZ', 'last']]));
  });

  test('importMissing does nothing when the directory does not exist', () => {
    const { dir, env: store_ } = store();
    rmSync(dir, { recursive: true });
    const env = new Map([['A', '1']]);
    store_.importMissing(env);
    assert.deepEqual(env, new Map([['A', '1']]));
  });

  test('writeVariableFiles writes one file per variable, without a trailing newline', () => {
    const { dir, env: store_ } = store();
    store_.writeVariableFiles(new Map([
      ['A', 'one'], ['NL', 'two\n'], ['UNI', 'héllo 😀'], ['EMPTY', ''],
      ['HOME', '/root'], ['USER', 'root'], ['GROUP', 'root'], ['UID', '0'], ['GID', '0'], ['SHELL', '/bin/sh'],
      ['a/b', 'not storable'], ['A=B', 'not storable'], ['', 'no name'],
    ]));
    assert.deepEqual(readdirSync(dir).sort(), ['A', 'EMPTY', 'NL', 'UNI']);
    assert.equal(readFileSync(join(dir, 'A'), 'utf8'), 'one');
    assert.equal(readFileSync(join(dir, 'NL'), 'utf8'), 'two\n');
    assert.equal(readFileSync(join(dir, 'UNI'), 'utf8'), 'héllo 😀');
    assert.equal(readFileSync(join(dir, 'EMPTY'), 'utf8'), '');
  });

  test('writeVariableFiles leaves a file whose content is already equal alone, and replaces the others', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'SAME'), 'same');
    writeFileSync(join(dir, 'CHANGED'), 'old');
    writeFileSync(join(dir, 'WITH_NL'), 'value\n');
    const before = new Map(['SAME', 'CHANGED', 'WITH_NL'].map((name) => [name, statSync(join(dir, name)).ino]));
    store_.writeVariableFiles(new Map([['SAME', 'same'], ['CHANGED', 'new'], ['WITH_NL', 'value']]));
    assert.equal(statSync(join(dir, 'SAME')).ino, before.get('SAME'));
    assert.notEqual(statSync(join(dir, 'CHANGED')).ino, before.get('CHANGED'));
    assert.equal(readFileSync(join(dir, 'CHANGED'), 'utf8'), 'new');
    assert.equal(readFileSync(join(dir, 'WITH_NL'), 'utf8'), 'value');
    assert.deepEqual(tempLeftovers(dir), []);
  });

  test('an imported variable survives the import and rewrite cycle unchanged', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'V'), 'multi\nline\n');
    const env = new Map<string, string>();
    store_.importMissing(env);
    store_.writeVariableFiles(env);
    const again = new Map<string, string>();
    store_.importMissing(again);
    assert.deepEqual(again, new Map([['V', 'multi\nline']]));
  });

  test('writeDumps writes the .sh and .json dumps of the whole environment', () => {
    const { paths, env: store_ } = store();
    const env = new Map([['HOME', '/root'], ['A', "it's"], ['UNI', 'héllo'], ['weird-name.x', 'w']]);
    store_.writeDumps(env);
    assert.equal(readFileSync(paths.shellDump, 'utf8'), renderShellDump(env));
    assert.equal(readFileSync(paths.shellDump, 'utf8'), `export A='it'"'"'s'\nexport UNI='héllo'\nexport weird_name_x=w\n`);
    assert.equal(readFileSync(paths.jsonDump, 'utf8'), renderJsonDump(env));
    assert.equal(
      readFileSync(paths.jsonDump, 'utf8'),
      '{"HOME": "/root", "A": "it\'s", "UNI": "h\\u00e9llo", "weird-name.x": "w"}',
    );
  });

  test('writeDumps keeps the existing dumps\' mode and group', () => {
    const { paths, env: store_ } = store();
    for (const path of [paths.shellDump, paths.jsonDump]) {
      writeFileSync(path, 'old');
      chownSync(path, 0, 8377);
      chmodSync(path, 0o640);
    }
    store_.writeDumps(new Map([['A', '1']]));
    for (const path of [paths.shellDump, paths.jsonDump]) {
      assert.equal(statSync(path).mode & 0o7777, 0o640, path);
      assert.equal(statSync(path).gid, 8377, path);
    }
    assert.equal(readFileSync(paths.jsonDump, 'utf8'), '{"A": "1"}');
  });

  test('reload: the directory decides, except for variables it cannot hold', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'A'), 'new a\n');
    writeFileSync(join(dir, 'B'), 'b');
    const start = new Map([
      ['A', 'old a'], ['GONE', 'not in the directory'], ['HOME', '/root'], ['USER', 'root'], ['SHELL', '/bin/bash'],
      ['a/b', 'slash'],
    ]);
    const env = store_.reload(start);
    assert.deepEqual(env, new Map([
      ['A', 'new a'], ['B', 'b'], ['HOME', '/root'], ['USER', 'root'], ['SHELL', '/bin/bash'], ['a/b', 'slash'],
    ]));
  });

  test('reload: a HOME file in the directory wins over start', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'HOME'), '/home/script');
    const env = store_.reload(new Map([['HOME', '/root']]));
    assert.deepEqual(env, new Map([['HOME', '/home/script']]));
  });

  test('reload: a variable whose file was deleted is gone', () => {
    const { dir, env: store_ } = store();
    writeFileSync(join(dir, 'KEEP'), 'k');
    writeFileSync(join(dir, 'DROP'), 'd');
    const start = new Map([['HOME', '/root']]);
    assert.deepEqual(store_.reload(start), new Map([['DROP', 'd'], ['KEEP', 'k'], ['HOME', '/root']]));
    unlinkSync(join(dir, 'DROP'));
    assert.deepEqual(store_.reload(start), new Map([['KEEP', 'k'], ['HOME', '/root']]));
  });

  test('reload: variables keep the order they had, new ones come after (as os.environ in the reference)', () => {
    const { dir, env: store_ } = store();
    for (const [name, value] of [['A', '1'], ['B', '2'], ['Z', '26'], ['NEW', 'n']] as const) writeFileSync(join(dir, name), value);
    const previous = new Map([['Z', '26'], ['HOME', '/root'], ['B', 'old'], ['A', '1'], ['GONE', 'g']]);
    const env = store_.reload(new Map([['HOME', '/root']]), previous);
    assert.deepEqual([...env], [['Z', '26'], ['HOME', '/root'], ['B', '2'], ['A', '1'], ['NEW', 'n']]);
  });

  test('without the directory: inactive, and nothing is written', () => {
    const { dir, paths, env: store_ } = store();
    rmSync(dir, { recursive: true });
    assert.equal(store_.active, false);
    const env = new Map([['A', '1'], ['HOME', '/root']]);
    store_.writeDumps(env);
    store_.writeVariableFiles(env);
    assert.equal(existsSync(paths.shellDump), false);
    assert.equal(existsSync(paths.jsonDump), false);
    assert.equal(existsSync(dir), false);
  });
  test('relocated: imports from the image\'s directory, writes and reloads the runtime copy, never touches /etc', () => {
    const { dir, paths } = store();
    writeFileSync(join(dir, 'FROM_IMAGE'), 'image');
    const runtime = tempDir();
    const moved: EnvPaths = {
      directory: join(runtime, 'container_environment'),
      shellDump: join(runtime, 'container_environment.sh'),
      jsonDump: join(runtime, 'container_environment.json'),
    };
    mkdirSync(moved.directory);
    const relocated = new EnvStore({ paths: moved, importFrom: dir, writable: true });
    const env = new Map([['FROM_DOCKER', 'docker']]);
    relocated.importMissing(env);
    relocated.writeVariableFiles(env);
    relocated.writeDumps(env);
    assert.deepEqual(readdirSync(moved.directory).sort(), ['FROM_DOCKER', 'FROM_IMAGE']);
    assert.equal(readFileSync(moved.shellDump, 'utf8'), "export FROM_DOCKER=docker\nexport FROM_IMAGE=image\n");
    // A startup script that writes the runtime copy changes what follows.
    writeFileSync(join(moved.directory, 'LATE'), 'late');
    assert.deepEqual(relocated.reload(new Map()), new Map([['FROM_DOCKER', 'docker'], ['FROM_IMAGE', 'image'], ['LATE', 'late']]));
    assert.deepEqual(readdirSync(dir), ['FROM_IMAGE'], '/etc is left as it was');
    assert.equal(existsSync(paths.shellDump), false);
  });

  test('not writable anywhere: nothing is written, and every variable keeps its value through reloads', () => {
    const { dir, paths } = store();
    writeFileSync(join(dir, 'FROM_IMAGE'), 'image');
    const frozen = new EnvStore({ paths, importFrom: dir, writable: false });
    const env = new Map([['FROM_DOCKER', 'docker']]);
    frozen.importMissing(env);
    frozen.writeVariableFiles(env);
    frozen.writeDumps(env);
    assert.deepEqual(readdirSync(dir), ['FROM_IMAGE']);
    assert.equal(existsSync(paths.shellDump), false);
    assert.deepEqual(frozen.reload(new Map()), new Map([['FROM_IMAGE', 'image'], ['FROM_DOCKER', 'docker']]));
  });
});
