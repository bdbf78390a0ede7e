// PID 1 duties: reaping under an orphan storm, and the terminal for the main command.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildHost, bundle, HOST } from '../host/run-unit.ts';
import { BASE_ENV, BINARY, cleanUp, runInit, TIME_SCALE } from './harness.ts';


test('1000 orphans made by the main command leave no zombie', async () => {
  const r = await runInit({
    args: ['--quiet', '--', 'bash', '-c',
      `for i in $(seq 1000); do (sleep 0.0$((i % 5)) &) ; done; sleep ${TIME_SCALE}; ps -eo stat= | grep -c "^Z" || true`],
  });
  cleanUp(r);
  assert.equal(r.stdout, '0');
  assert.equal(r.exitCode, 0);
});

test('the reaper as PID 1: 200 children report their own exit codes while 1000 orphans are reaped around them', async () => {
  // The fixture runs on the executable's engine and platform, in the unit tests' host.
  assert.equal(buildHost(), null);
  const bundled = await bundle(join(import.meta.dirname, 'fixtures', 'reaper-storm.ts'));
  if (bundled instanceof Error) throw bundled;
  const r = await execa('unshare', ['--pid', '--fork', '--mount-proc', HOST, bundled.file], { reject: false, timeout: 30_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { wrong: 0, zombies: 0, orphansReaped: 1000 });
});

test('on a terminal the main command gets its own process group as the foreground group', async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'my_init-tty-'));
  mkdirSync(join(scratch, 'fixture'));
  // script(1) gives the sandbox a pseudo-terminal, as `docker run -it` does.
  const command = [
    'unshare --pid --fork --mount-proc --mount --propagation private --kill-child',
    join(import.meta.dirname, 'sandbox.sh'), scratch, join(scratch, 'fixture'), BINARY,
    "--quiet -- sh -c 'ps -o pgid=,tpgid= -p $$; ps -o pgid= -p 1'",
  ].join(' ');
  try {
    const r = await execa('script', ['-qec', command, '/dev/null'], { env: BASE_ENV, extendEnv: false, reject: false, timeout: 30_000 });
    assert.equal(r.exitCode, 0, r.all);
    const [own, init] = r.stdout.trim().split(/\r?\n/);
    const [group, foreground] = own!.trim().split(/\s+/);
    assert.equal(group, foreground, 'the main command is the foreground group');
    assert.notEqual(group, init!.trim(), "and not the init's group");
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

// A read-only container whose tmpfs mounts are noexec: nothing of my_init needs a
// writable or executable directory (the Node executable did, for its native helper).
test('with no writable, exec-capable directory at all, my_init runs and reaps, and says nothing about it', async () => {
  const r = await runInit({
    args: ['--', 'sh', '-c', 'echo "command ran"; (sleep 0.2 &); exit 5'],
    files: { '/etc/my_init.d/01': { content: '#!/bin/sh\necho "[startup]"\n', mode: 0o755 } },
    noExecDirectories: true,
  });
  cleanUp(r);
  assert.doesNotMatch(r.stderr, /Warning/);
  assert.match(r.stdout, /^\[startup\]\ncommand ran$/);
  assert.equal(r.exitCode, 5);
});
