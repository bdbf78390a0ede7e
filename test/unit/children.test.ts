// The pure parts of src/children.ts: wait statuses, exit codes, PATH search.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  decodeWaitStatus, exitCodeForSpawnError, exitCodeOf, resolveExecutable, SpawnError,
} from '../../src/children.ts';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-children-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spawnError(result: string | SpawnError): SpawnError {
  if (!(result instanceof SpawnError)) assert.fail(`expected a SpawnError, got ${JSON.stringify(result)}`);
  return result;
}

describe('decodeWaitStatus', () => {
  test('a normal exit', () => {
    assert.deepEqual(decodeWaitStatus(7 << 8), { code: 7, signal: null, raw: 7 << 8 });
    assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null, raw: 0 });
    assert.deepEqual(decodeWaitStatus(255 << 8), { code: 255, signal: null, raw: 255 << 8 });
  });

  test('a death by signal', () => {
    assert.deepEqual(decodeWaitStatus(9), { code: null, signal: 9, raw: 9 });
    assert.deepEqual(decodeWaitStatus(15), { code: null, signal: 15, raw: 15 });
  });

  test('a death by signal with a core dump', () => {
    const raw = 11 | 0x80;
    assert.deepEqual(decodeWaitStatus(raw), { code: null, signal: 11, raw });
  });
});

describe('exitCodeOf', () => {
  test('an exit code is itself', () => {
    assert.equal(exitCodeOf(decodeWaitStatus(3 << 8)), 3);
    assert.equal(exitCodeOf({ code: 3, signal: null, raw: 3 << 8 }), 3);
    assert.equal(exitCodeOf({ code: 0, signal: null, raw: 0 }), 0);
  });

  test('a death by signal N is 128 + N', () => {
    assert.equal(exitCodeOf({ code: null, signal: 9, raw: 9 }), 137);
    assert.equal(exitCodeOf(decodeWaitStatus(15)), 143);
    assert.equal(exitCodeOf(decodeWaitStatus(11 | 0x80)), 139);
  });
});

describe('resolveExecutable', () => {
  test('searches PATH in order, skipping missing directories', () => {
    assert.equal(resolveExecutable('sh', '/nonexistent:/bin'), '/bin/sh');
  });

  test('uses a default PATH when there is none', () => {
    const result = resolveExecutable('sh', undefined);
    assert.equal(typeof result, 'string');
    assert.match(result as string, /^\/.*\/sh$/);
  });

  test('a name with a slash is returned unchanged, existing or not', () => {
    assert.equal(resolveExecutable('/no/such/file', '/bin'), '/no/such/file');
    assert.equal(resolveExecutable('./relative/x', '/bin'), './relative/x');
    assert.equal(resolveExecutable('/bin/sh', '/nonexistent'), '/bin/sh');
  });

  test('a name not in PATH is ENOENT, and the message names it', () => {
    const error = spawnError(resolveExecutable('my_init-no-such-command', '/nonexistent:/bin'));
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /my_init-no-such-command/);
    assert.ok(error instanceof Error);
  });

  test('an empty name is ENOENT', () => {
    assert.equal(spawnError(resolveExecutable('', '/bin')).code, 'ENOENT');
  });

  test('a file in PATH that is not executable is EACCES', () => {
    const dir = tempDir();
    const file = join(dir, 'noexec-cmd');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    const error = spawnError(resolveExecutable('noexec-cmd', `/nonexistent:${dir}`));
    assert.equal(error.code, 'EACCES');
    assert.match(error.message, /noexec-cmd/);
    assert.match(error.message, /permission denied/);
  });

  test('a non-executable file does not hide an executable one later in PATH', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'sh'), '');
    chmodSync(join(dir, 'sh'), 0o644);
    assert.equal(resolveExecutable('sh', `${dir}:/bin`), '/bin/sh');
  });

  test('a directory with the name is skipped, and alone it is ENOENT', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sh'), { mode: 0o755 });
    assert.equal(resolveExecutable('sh', `${dir}:/bin`), '/bin/sh');
    assert.equal(spawnError(resolveExecutable('sh', dir)).code, 'ENOENT');
  });

  test('finds an executable file in a temporary PATH directory', () => {
    const dir = tempDir();
    const file = join(dir, 'my-tool');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    assert.equal(resolveExecutable('my-tool', `/nonexistent:${dir}:/bin`), file);
  });

  test('relative PATH directories (and the empty one) are searched from the directory the child starts in', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'my-tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin', 'my-tool'), 0o755);
    writeFileSync(join(dir, 'top-tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'top-tool'), 0o755);
    assert.equal(resolveExecutable('my-tool', '/nonexistent:bin:/bin', dir), join(dir, 'bin', 'my-tool'));
    assert.equal(resolveExecutable('top-tool', '/bin::/usr/bin', dir), join(dir, 'top-tool'));
    assert.equal(spawnError(resolveExecutable('my-tool', 'bin', '/')).code, 'ENOENT');
    assert.equal(resolveExecutable('sh', '/bin', dir), '/bin/sh');
  });
});

describe('SpawnError and exitCodeForSpawnError', () => {
  test('the shell\'s exit codes: 127 for not found, 126 for the rest', () => {
    assert.equal(exitCodeForSpawnError(new SpawnError('x', 'ENOENT')), 127);
    assert.equal(exitCodeForSpawnError(new SpawnError('x', 'EACCES')), 126);
    assert.equal(exitCodeForSpawnError(new SpawnError('x', 'ENOEXEC')), 126);
  });

  test('messages name the file and explain the code', () => {
    assert.equal(new SpawnError('/app/run', 'ENOENT').message, 'Cannot execute /app/run: no such file, or not found in PATH');
    assert.match(new SpawnError('/app/run', 'ENOEXEC').message, /^Cannot execute \/app\/run: exec format error/);
    assert.equal(new SpawnError('/app/run', 'E2BIG').message, 'Cannot execute /app/run: E2BIG');
    assert.equal(new SpawnError('/app/run', 'E2BIG').code, 'E2BIG');
    assert.equal(new SpawnError('/app/run', 'EAGAIN').message,
      'Cannot execute /app/run: no process can be created now (EAGAIN: the limit on processes is reached)');
  });
});
