// src/children.ts on the platform: children started, their exit statuses
// (codes and signals) each given to its own waiter, however many end at once,
// commands that cannot be started as SpawnErrors, and orphans reaped.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Children, SpawnError, type ExitStatus } from '../../src/children.ts';
import { SIGNALS } from '../../src/linux-signals.ts';
import { SystemError } from '../../src/system/errors.ts';
import { close, pipe, realpath } from '../../src/system/files.ts';
import { readFrom } from '../../src/system/input.ts';
import { setTimeout } from '../../src/system/loop.ts';
import { becomeSubreaper, kill } from '../../src/system/processes.ts';
import { concatBytes, fromUtf8 } from '../../src/system/text.ts';

const children = new Children();
const ENV = new Map([['PATH', '/usr/local/bin:/usr/bin:/bin']]);
const sh = (script: string, ...args: string[]) => children.spawn({ argv: ['sh', '-c', script, 'sh', ...args], env: ENV });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-spawn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function spawnError(spawnIt: () => unknown): SpawnError {
  try {
    spawnIt();
  } catch (error) {
    if (error instanceof SpawnError) return error;
    throw error;
  }
  assert.fail('it started');
}

/** What a child writes to its stdout, until it closes it. */
async function output(spec: { argv: string[]; env?: Map<string, string>; cwd?: string }): Promise<[string, ExitStatus]> {
  const [readEnd, writeEnd] = pipe() as [number, number];
  const child = children.spawn({ env: ENV, ...spec, stdio: [0, writeEnd, 2] });
  close(writeEnd);
  const chunks: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) => {
    const reader = readFrom(readEnd, (bytes) => chunks.push(bytes), (error) => (error === null ? resolve() : reject(error)));
    if (reader instanceof SystemError) reject(reader);
  });
  close(readEnd);
  return [fromUtf8(concatBytes(chunks)), await child.exited];
}

describe('Children.spawn', () => {
  test('an exit code, and the raw status runit\'s finish gets', async () => {
    assert.deepEqual(await sh('exit 3').exited, { code: 3, signal: null, raw: 3 << 8 });
    assert.deepEqual(await sh('exit 0').exited, { code: 0, signal: null, raw: 0 });
    assert.deepEqual(await sh('exit 255').exited, { code: 255, signal: null, raw: 255 << 8 });
  });

  test('a death by signal: the signal, no code', async () => {
    const child = sh('kill -TERM $$; sleep 5');
    assert.deepEqual(await child.exited, { code: null, signal: SIGNALS.SIGTERM, raw: SIGNALS.SIGTERM });
    const sleeper = children.spawn({ argv: ['sleep', '60'], env: ENV });
    assert.equal(kill(sleeper.pid, SIGNALS.SIGKILL), undefined);
    assert.deepEqual(await sleeper.exited, { code: null, signal: 9, raw: 9 });
  });

  test('200 children ending together: each waiter gets its own child\'s status', async () => {
    const started = Array.from({ length: 200 }, (_, i) => ({ i, child: sh(`sleep 0.2; exit ${i}`) }));
    const statuses = await Promise.all(started.map(({ child }) => child.exited));
    statuses.forEach((status, i) => assert.deepEqual(status, { code: i, signal: null, raw: i << 8 }, `child ${i}`));
    assert.equal(new Set(started.map(({ child }) => child.pid)).size, 200);
    assert.deepEqual(children.list().filter((pid) => started.some(({ child }) => child.pid === pid)), [], 'all reaped');
  });

  test('the arguments, environment, directory and stdout it is given, and nothing of ours', async () => {
    const dir = realpath(tempDir()) as string;
    const [text, status] = await output({
      argv: ['sh', '-c', 'printf "%s|" "$@" "$PWD"; env | sort', 'sh', 'a b', '', 'h\u00e9'],
      env: new Map([['PATH', '/usr/bin:/bin'], ['ONLY', 'this'], ['EMPTY', '']]), cwd: dir,
    });
    assert.equal(status.code, 0);
    const [args, env] = [text.slice(0, text.lastIndexOf('|') + 1), text.slice(text.lastIndexOf('|') + 1)];
    assert.equal(args, `a b||h\u00e9|${dir}|`);
    assert.deepEqual(env.split('\n').filter((line) => line !== '' && !/^(PWD|SHLVL|_|OLDPWD)=/.test(line)), ['EMPTY=', 'ONLY=this', 'PATH=/usr/bin:/bin']);
  });

  test('the command is found in the PATH of the environment it is given', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'my-tool'), '#!/bin/sh\necho "tool $1"\n');
    chmodSync(join(dir, 'my-tool'), 0o755);
    const [text] = await output({ argv: ['my-tool', 'x'], env: new Map([['PATH', `/nonexistent:${dir}:/bin`]]) });
    assert.equal(text, 'tool x\n');
  });
});

describe('what cannot be started: a SpawnError, before or at its exec', () => {
  test('not in PATH, or no such file: ENOENT', () => {
    const notFound = spawnError(() => children.spawn({ argv: ['my_init-no-such-command'], env: ENV }));
    assert.equal(notFound.code, 'ENOENT');
    assert.equal(notFound.message, 'Cannot execute my_init-no-such-command: no such file, or not found in PATH');
    assert.equal(spawnError(() => children.spawn({ argv: ['/no/such/file'], env: ENV })).code, 'ENOENT');
  });

  test('not executable: EACCES, found in PATH or named by its path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'data'), '#!/bin/sh\n');
    chmodSync(join(dir, 'data'), 0o644);
    const inPath = spawnError(() => children.spawn({ argv: ['data'], env: new Map([['PATH', dir]]) }));
    assert.equal(inPath.code, 'EACCES');
    const byPath = spawnError(() => children.spawn({ argv: [join(dir, 'data')], env: ENV }));
    assert.equal(byPath.code, 'EACCES');
    assert.equal(byPath.message, `Cannot execute ${join(dir, 'data')}: permission denied (is it executable, on a mount that allows execution?)`);
  });

  test('a script without #!: ENOEXEC (execve runs no shell for it)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'script'), 'echo no shebang\n');
    chmodSync(join(dir, 'script'), 0o755);
    const error = spawnError(() => children.spawn({ argv: [join(dir, 'script')], env: ENV }));
    assert.equal(error.code, 'ENOEXEC');
    assert.match(error.message, /exec format error \(a script needs a #! line\)/);
  });

  test('a missing directory to start in: ENOENT, and no child is left', () => {
    const before = children.list().length;
    assert.equal(spawnError(() => children.spawn({ argv: ['true'], env: ENV, cwd: '/no/such/directory' })).code, 'ENOENT');
    assert.equal(children.list().length, before);
  });
});

describe('orphans (last: this process becomes a subreaper)', () => {
  test('a grandchild whose parent has ended is reaped, and counted, without a waiter', async () => {
    assert.equal(becomeSubreaper(), undefined);
    const before = children.orphansReaped;
    assert.deepEqual(await sh('sleep 0.1 & exit 0').exited, { code: 0, signal: null, raw: 0 });
    for (let waited = 0; children.orphansReaped === before && waited < 5000; waited += 20) await sleep(20);
    assert.equal(children.orphansReaped, before + 1);
  });
});
