// The binary as PID 1: messages, exit codes and the command line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAndClean } from './harness.ts';

const run = (args: string[], env: Record<string, string> = {}, separateStreams = false) => runAndClean({ args, env, separateStreams });

test('my_init -- echo hi: the reference messages on stderr, the output on stdout, exit 0', async () => {
  const r = await run(['--', 'echo', 'hi'], {}, true);
  assert.equal(r.stdout, 'hi');
  assert.equal(
    r.stderr,
    '*** Booting runit daemon...\n*** Runit started as PID 1\n*** Running echo hi...\n*** echo exited with status 0.\n' +
      '*** Shutting down runit daemon (PID 1)...\n*** Killing all processes...',
  );
  const withoutRunit = await run(['--skip-runit', '--', 'echo', 'hi']);
  assert.equal(withoutRunit.all, '*** Running echo hi...\nhi\n*** echo exited with status 0.\n*** Killing all processes...');
  assert.equal(r.exitCode, 0);
});

test('--skip-startup-files --quiet prints only the command output', async () => {
  const r = await run(['--skip-startup-files', '--quiet', '--', 'echo', 'only this']);
  assert.equal(r.all, 'only this');
  assert.equal(r.exitCode, 0);
});

test('exit codes: n, n mod 256, not found 127, not executable 126, signal N -> 128+N', async () => {
  assert.equal((await run(['--', 'sh', '-c', 'exit 3'])).exitCode, 3);
  const wrapped = await run(['--', 'sh', '-c', 'exit 300']);
  assert.equal(wrapped.exitCode, 44);
  assert.match(wrapped.stderr, /\*\*\* sh exited with status 44\./);
  const missing = await run(['--', 'no-such-command-anywhere']);
  assert.equal(missing.exitCode, 127);
  assert.match(missing.stderr, /^\*\*\* Cannot execute no-such-command-anywhere: no such file, or not found in PATH$/m);
  assert.equal((await run(['--', '/etc/hostname'])).exitCode, 126);
  const killed = await run(['--', 'sh', '-c', 'kill -9 $$']);
  assert.equal(killed.exitCode, 137);
  assert.match(killed.stderr, /sh exited with status 137\./);
  assert.equal((await run(['--', 'sh', '-c', 'kill -TERM $$'])).exitCode, 143);
});

test('argparse compatibility: interspersed options, one -- removed, prefixes', async () => {
  assert.equal((await run(['--quiet', 'echo', '--', '-x'])).all, '-x');
  assert.equal((await run(['echo', '--quiet'])).all, '');
  assert.match((await run(['--', 'echo', '--', 'hi'])).stdout, /^-- hi$/);
  assert.equal((await run(['--quie', '--skip-r', '--', 'echo', 'abbrev'])).all, 'abbrev');
});

test('usage errors exit 2 with argparse wording, before doing anything', async () => {
  const unknown = await run(['ls', '-l'], {}, true);
  assert.equal(unknown.exitCode, 2);
  assert.match(unknown.stderr, /^usage: my_init /);
  assert.match(unknown.stderr, /my_init: error: unrecognized arguments: -l$/);
  assert.doesNotMatch(unknown.stderr, /\*\*\*/);
  const ambiguous = await run(['--skip', '--', 'echo'], {}, true);
  assert.equal(ambiguous.exitCode, 2);
  assert.match(ambiguous.stderr, /ambiguous option: --skip could match --skip-startup-files, --skip-runit/);
});

test('--help and --version exit 0 on stdout', async () => {
  const help = await run(['--help'], {}, true);
  assert.equal(help.exitCode, 0);
  for (const flag of ['--enable-insecure-key', '--skip-startup-files', '--skip-runit', '--no-kill-all-on-exit', '--quiet', '--verbose']) {
    assert.ok(help.stdout.includes(flag), `help mentions ${flag}`);
  }
  const version = await run(['--version'], {}, true);
  assert.match(version.stdout, /^my_init \d+\.\d+\.\d+$/);
});

test('--skip-runit without a command is an error, exit 1', async () => {
  const r = await run(['--skip-runit']);
  assert.equal(r.exitCode, 1);
  assert.equal(r.all, '*** When --skip-runit is given, you must also pass a main command.');
});

test('a malformed timeout is one clear line naming it, exit 1, no stack trace', async () => {
  for (const [name, value] of [['KILL_PROCESS_TIMEOUT', 'abc'], ['KILL_ALL_PROCESSES_TIMEOUT', '-1'], ['KILL_PROCESS_TIMEOUT', '5s']]) {
    const r = await run(['--', 'echo', 'never'], { [name!]: value! });
    assert.equal(r.exitCode, 1);
    assert.equal(r.all, `*** ${name} must be a number of seconds, 0 or more; got "${value}"`);
  }
  assert.equal((await run(['--quiet', '--', 'echo', 'ok'], { KILL_PROCESS_TIMEOUT: ' 7 ', KILL_ALL_PROCESSES_TIMEOUT: '1_0' })).all, 'ok');
});

test('the main command runs in its own process group, with default signal dispositions and an empty mask', async () => {
  const r = await run(['--quiet', '--', 'sh', '-c', 'grep -E "^Sig(Blk|Ign)" /proc/self/status; ps -o pgid= -p 1; ps -o pgid= -p $$']);
  const [blocked, ignored, initGroup, ownGroup] = r.stdout.split('\n').map((line) => line.trim());
  assert.equal(blocked, 'SigBlk:\t0000000000000000');
  assert.equal(ignored, 'SigIgn:\t0000000000000000');
  assert.notEqual(initGroup, ownGroup);
});
