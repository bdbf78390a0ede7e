// Startup scripts: order, failure, rc.local, ENV_INIT_DIRECTORY, the insecure key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAndClean, script } from './harness.ts';

const run = runAndClean;

const echoName = (name: string) => script(`echo "[${name}]"`);

test('executables of /etc/my_init.d run in byte order, then /etc/rc.local; others are skipped', async () => {
  const r = await run({
    args: ['--quiet', '--', 'echo', 'main'],
    files: {
      '/etc/my_init.d/a': echoName('a'),
      '/etc/my_init.d/B': echoName('B'),
      '/etc/my_init.d/10_a': echoName('10_a'),
      '/etc/my_init.d/2_b': echoName('2_b'),
      '/etc/my_init.d/.hidden': echoName('.hidden'),
      '/etc/my_init.d/link_true': { symlink: '/bin/true' },
      '/etc/my_init.d/broken': { symlink: '/nonexistent' },
      '/etc/my_init.d/noexec': { content: '#!/bin/sh\necho "[noexec]"\n', mode: 0o644 },
      '/etc/my_init.d/dir': { directory: true, mode: 0o755 },
      '/etc/rc.local': echoName('rc.local'),
    },
  });
  assert.equal(r.stdout, '[.hidden]\n[10_a]\n[2_b]\n[B]\n[a]\n[rc.local]\nmain');
  assert.equal(r.exitCode, 0);
});

test('each script is announced with its full path', async () => {
  const r = await run({ args: ['--', 'true'], files: { '/etc/my_init.d/01_ok': echoName('01_ok') } });
  assert.equal(r.stderr.split('\n')[0], '*** Running /etc/my_init.d/01_ok...');
});

test('a failing script stops boot: reference message and blank line, exit 1, nothing after it runs', async () => {
  const r = await run({
    args: ['--', 'echo', 'main'],
    files: {
      '/etc/my_init.d/01_ok': echoName('01_ok'),
      '/etc/my_init.d/02_fail': script('echo "[02_fail] exiting 5"; exit 5'),
      '/etc/my_init.d/03_never': echoName('03_never'),
      '/etc/rc.local': echoName('rc.local'),
      '/etc/my_init.pre_shutdown.d/x': echoName('pre'),
    },
  });
  assert.equal(
    r.all,
    '*** Running /etc/my_init.d/01_ok...\n[01_ok]\n*** Running /etc/my_init.d/02_fail...\n[02_fail] exiting 5\n' +
      '*** /etc/my_init.d/02_fail failed with status 5\n\n*** Killing all processes...',
  );
  assert.equal(r.exitCode, 1);
  const quiet = await run({ args: ['--quiet', '--', 'echo', 'main'], files: { '/etc/my_init.d/02_fail': script('exit 5') } });
  assert.equal(quiet.all, '*** /etc/my_init.d/02_fail failed with status 5\n');
});

test('a script killed by a signal fails with 128+N (the reference said "status 0")', async () => {
  const r = await run({ args: ['--', 'true'], files: { '/etc/my_init.d/01_selfkill': script('kill -TERM $$') } });
  assert.match(r.stderr, /\/etc\/my_init\.d\/01_selfkill failed with status 143/);
  assert.equal(r.exitCode, 1);
});

test('a script without a #! line gets an error naming it', async () => {
  const r = await run({ args: ['--', 'true'], files: { '/etc/my_init.d/01_noshebang': { content: 'echo hi\n', mode: 0o755 } } });
  assert.match(r.stderr, /^\*\*\* Cannot execute \/etc\/my_init\.d\/01_noshebang: exec format error \(a script needs a #! line\)$/m);
  assert.equal(r.exitCode, 1);
});

test('ENV_INIT_DIRECTORY replaces /etc/my_init.d', async () => {
  const r = await run({
    args: ['--quiet', '--', 'true'],
    env: { ENV_INIT_DIRECTORY: '/etc/custom' },
    files: { '/etc/custom/01': echoName('custom'), '/etc/my_init.d/01': echoName('default') },
  });
  assert.equal(r.stdout, '[custom]');
});

test('--skip-startup-files skips the scripts and rc.local', async () => {
  const r = await run({ args: ['--skip-startup-files', '--quiet', '--', 'echo', 'main'], files: { '/etc/my_init.d/01': echoName('x'), '/etc/rc.local': echoName('rc') } });
  assert.equal(r.stdout, 'main');
});

test('--enable-insecure-key runs /usr/sbin/enable_insecure_key first; its failure stops boot', async () => {
  const ok = await run({
    args: ['--enable-insecure-key', '--', 'true'],
    files: { '/usr/sbin/enable_insecure_key': echoName('key'), '/etc/my_init.d/01': echoName('script') },
  });
  assert.match(ok.all, /^\*\*\* Installing insecure SSH key for user root\n\[key\]\n\*\*\* Running \/etc\/my_init\.d\/01\.\.\.\n\[script\]/);
  const missing = await run({ args: ['--enable-insecure-key', '--', 'echo', 'never'] });
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /Cannot execute \/usr\/sbin\/enable_insecure_key: no such file/);
  assert.doesNotMatch(missing.stdout, /never/);
});
