// docker stop (SIGTERM) in every phase, shutdown scripts, kill-all, signal forwarding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAndClean, script } from './harness.ts';

const run = runAndClean;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOOKS = {
  '/etc/my_init.pre_shutdown.d/50_pre': script('echo "[pre]"'),
  '/etc/my_init.post_shutdown.d/50_post': script('echo "[post]"'),
};

test('SIGTERM while the main command runs: stop it, run the shutdown scripts, exit 2', async () => {
  const r = await run({
    args: ['--', 'sh', '-c', 'echo ready; exec sleep 1000'],
    files: HOOKS,
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      await init.signal('SIGTERM');
    },
  });
  assert.match(
    r.all,
    /^\*\*\* Booting runit daemon\.\.\.\n\*\*\* Runit started as PID 1\n\*\*\* Running sh -c echo ready; exec sleep 1000\.\.\.\nready\n\*\*\* Shutting down sh \(PID \d+\)\.\.\.\n\*\*\* Running \/etc\/my_init\.pre_shutdown\.d\/50_pre\.\.\.\n\[pre\]\n\*\*\* Shutting down runit daemon \(PID 1\)\.\.\.\n\*\*\* Running \/etc\/my_init\.post_shutdown\.d\/50_post\.\.\.\n\[post\]\n\*\*\* Init system aborted\.\n\*\*\* Killing all processes\.\.\.$/,
  );
  assert.equal(r.exitCode, 2);
});

test('a main command that ignores SIGTERM is killed after KILL_PROCESS_TIMEOUT', async () => {
  let signalled = 0;
  const r = await run({
    args: ['--', 'sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.05; done'],
    env: { KILL_PROCESS_TIMEOUT: '1' },
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      signalled = performance.now();
      await init.signal('SIGTERM');
    },
  });
  const stopSeconds = (performance.now() - signalled) / 1000;
  assert.match(r.stderr, /\*\*\* sh \(PID \d+\) did not shut down in time\. Forcing it to exit\./);
  assert.equal(r.exitCode, 2);
  assert.ok(stopSeconds > 0.9 && stopSeconds < 2.5, `stopped after ${stopSeconds} s`);
});

test('SIGTERM during a startup script: stop it, no shutdown scripts, exit 2', async () => {
  const r = await run({
    args: ['--', 'echo', 'never'],
    files: { '/etc/my_init.d/01_sleep': script('echo ready; exec sleep 1000'), '/etc/my_init.d/02_never': script('echo "[02]"'), ...HOOKS },
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      await init.signal('SIGTERM');
    },
  });
  assert.match(
    r.all,
    /^\*\*\* Running \/etc\/my_init\.d\/01_sleep\.\.\.\nready\n\*\*\* An error occurred\. Aborting\.\n\*\*\* Shutting down \/etc\/my_init\.d\/01_sleep \(PID \d+\)\.\.\.\n\*\*\* Init system aborted\.\n\*\*\* Killing all processes\.\.\.$/,
  );
  assert.equal(r.exitCode, 2);
});

test('without a main command my_init waits for SIGTERM; a second SIGTERM changes nothing', async () => {
  const r = await run({
    args: ['--quiet'],
    files: { ...HOOKS, '/etc/my_init.d/01_ready': script('echo ready'), '/etc/my_init.pre_shutdown.d/50_pre': script('echo "[pre]"; sleep 0.3') },
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      await pause(100);
      await init.signal('SIGTERM');
      await init.waitForOutput(/\[pre\]/);
      await init.signal('SIGTERM');
    },
  });
  assert.equal(r.all, 'ready\n[pre]\n[post]\n*** Init system aborted.');
  assert.equal(r.exitCode, 2);
});

test('after a normal exit the shutdown scripts run in order; a failing one is reported, the rest still run, exit 1', async () => {
  const r = await run({
    args: ['--skip-runit', '--', 'sh', '-c', 'exit 6'],
    files: {
      '/etc/my_init.pre_shutdown.d/10_fail': script('echo "[pre 10] failing"; exit 3'),
      '/etc/my_init.pre_shutdown.d/20_ok': script('echo "[pre 20]"'),
      '/etc/my_init.post_shutdown.d/10_post': script('echo "[post 10]"'),
    },
  });
  assert.equal(
    r.all,
    '*** Running sh -c exit 6...\n*** sh exited with status 6.\n*** Running /etc/my_init.pre_shutdown.d/10_fail...\n[pre 10] failing\n' +
      '*** /etc/my_init.pre_shutdown.d/10_fail failed with status 3\n\n*** Running /etc/my_init.pre_shutdown.d/20_ok...\n[pre 20]\n' +
      '*** Running /etc/my_init.post_shutdown.d/10_post...\n[post 10]\n*** Killing all processes...',
  );
  assert.equal(r.exitCode, 1);
  const clean = await run({ args: ['--quiet', '--', 'sh', '-c', 'exit 6'], files: HOOKS });
  assert.equal(clean.all, '[pre]\n[post]');
  assert.equal(clean.exitCode, 6);
});

test('a shutdown script that hangs is killed after KILL_PROCESS_TIMEOUT', async () => {
  const r = await run({
    args: ['--', 'true'],
    env: { KILL_PROCESS_TIMEOUT: '0.5' },
    files: { '/etc/my_init.pre_shutdown.d/10_hang': script('exec sleep 1000'), '/etc/my_init.post_shutdown.d/10_post': script('echo "[post]"') },
  });
  assert.match(r.stderr, /\/etc\/my_init\.pre_shutdown\.d\/10_hang \(PID \d+\) did not finish within 0\.5 s\. Forcing it to exit\./);
  assert.match(r.stdout, /\[post\]/);
  assert.equal(r.exitCode, 1);
});

test('kill-all: TERM to everyone, KILL after KILL_ALL_PROCESSES_TIMEOUT; the command exit code is kept', async () => {
  const stubborn = await run({
    args: ['--skip-runit', '--', 'sh', '-c', '(trap "" TERM; touch /etc/trapped; exec sleep 1000) & until [ -e /etc/trapped ]; do sleep 0.01; done; echo started; exit 4'],
    env: { KILL_ALL_PROCESSES_TIMEOUT: '1' },
  });
  assert.equal(stubborn.all, '*** Running sh -c (trap "" TERM; touch /etc/trapped; exec sleep 1000) & until [ -e /etc/trapped ]; do sleep 0.01; done; echo started; exit 4...\nstarted\n*** sh exited with status 4.\n*** Killing all processes...\n*** Not all processes have exited in time. Forcing them to exit.');
  assert.equal(stubborn.exitCode, 4);
  // Never before the deadline, however busy the machine; how much later is load's.
  assert.ok(stubborn.durationMs > 1000, `took ${stubborn.durationMs} ms`);
  // A process that obeys TERM is gone at once: no deadline used (600 s would outlast the harness's bound).
  const polite = await run({ args: ['--', 'sh', '-c', 'sleep 1000 & exit 0'], env: { KILL_ALL_PROCESSES_TIMEOUT: '600' } });
  assert.equal(polite.exitCode, 0);
  assert.doesNotMatch(polite.all, /Not all processes have exited in time/);
});

test('--no-kill-all-on-exit skips the final kill', async () => {
  const r = await run({ args: ['--skip-runit', '--no-kill-all-on-exit', '--', 'sh', '-c', '(trap "" TERM; exec sleep 1000) & exit 0'], env: { KILL_ALL_PROCESSES_TIMEOUT: '600' } });
  // Not even a wait: 600 s would outlast the harness's bound.
  assert.equal(r.all, '*** Running sh -c (trap "" TERM; exec sleep 1000) & exit 0...\n*** sh exited with status 0.');
});

test('HUP, USR1, USR2, QUIT and WINCH reach the main command; SIGUSR1 never opens a debugger', async () => {
  const traps = ['HUP', 'USR1', 'USR2', 'QUIT', 'WINCH'].map((s) => `trap "echo got ${s}" ${s}`).join('; ');
  const r = await run({
    args: ['--quiet', '--', 'bash', '-c', `${traps}; echo ready; for i in $(seq 40); do sleep 0.05; done; ls -l /proc/1/fd | awk \'$9 > 2\' | grep -c socket: || true`],
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      for (const signal of ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT', 'SIGWINCH'] as const) {
        await init.signal(signal);
        await pause(120);
      }
    },
  });
  assert.equal(r.all, 'ready\ngot HUP\ngot USR1\ngot USR2\ngot QUIT\ngot WINCH\n0');
  assert.equal(r.exitCode, 0);
});
