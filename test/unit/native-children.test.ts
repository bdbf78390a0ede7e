// listChildren, the native helper's listing of a process's children (the reaper's
// after every SIGCHLD, and kill-all's walk of our descendants), against the
// listing through Node's fs that an init without the helper uses: the same pids.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Children } from '../../src/children.ts';
import { loadNative } from '../../src/native.ts';

const native = loadNative(join(import.meta.dirname, '..', '..', 'build', 'Release', 'init_native.node'));
if (native instanceof Error) throw native;
const withNative = new Children(native);
const withNodeFs = new Children(null);
const sorted = (pids: number[]) => [...pids].sort((a, b) => a - b);

/** A shell that starts `count` sleeps and says so on stdout; killed, with them, after the test. */
async function parentOf(count: number): Promise<ChildProcess> {
  const shell = spawn('sh', ['-c', `i=0; while [ $i -lt ${count} ]; do sleep 60 & i=$((i + 1)); done; echo started; wait`], {
    stdio: ['ignore', 'pipe', 'inherit'], detached: true,
  });
  after(() => process.kill(-shell.pid!, 'SIGKILL'));
  await new Promise<void>((resolve) => shell.stdout!.once('data', () => resolve()));
  return shell;
}

describe('listChildren', () => {
  test('our own children (0): the pids Node reads from /proc/self/task/*/children', async () => {
    const shells = await Promise.all([parentOf(1), parentOf(1), parentOf(1)]);
    const listed = sorted(native.listChildren(0));
    assert.deepEqual(listed, sorted(withNodeFs.childrenOf(0)));
    for (const shell of shells) assert.ok(listed.includes(shell.pid!), `${shell.pid} is missing from ${listed.join(' ')}`);
    assert.deepEqual(sorted(withNative.list()), listed);
  });

  test("another process's children, more of them than one read of 4096 bytes holds", async () => {
    const shell = await parentOf(800);
    const listed = native.listChildren(shell.pid!);
    assert.equal(listed.length, 800);
    assert.deepEqual(sorted(listed), sorted(withNodeFs.childrenOf(shell.pid!)));
  });

  test('a process with no children: none', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    after(() => sleeper.kill('SIGKILL'));
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    assert.deepEqual(native.listChildren(sleeper.pid!), []);
  });

  test('a process that is gone: ENOENT, as through Node', () => {
    const gone = 2 ** 22 + 1; // above Linux's highest pid (PID_MAX_LIMIT)
    assert.throws(() => native.listChildren(gone), { code: 'ENOENT', syscall: 'opendir' });
    assert.throws(() => withNodeFs.childrenOf(gone), { code: 'ENOENT' });
  });

  test('a pid that is not one: a TypeError', () => {
    assert.throws(() => native.listChildren(-1), TypeError);
    assert.throws(() => (native.listChildren as (pid: unknown) => number[])('1'), TypeError);
  });
});
