// What the reference's users asked for beyond runit: a critical service that
// stops the container, and a readiness wait before the main command.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAndClean, script } from './harness.ts';

test('a critical service that keeps failing stops the container with exit 1', async () => {
  const r = await runAndClean({
    args: ['--', 'sleep', '100'],
    env: { SERVICE_RESTART_DELAY: '0.05' },
    files: { '/etc/service/db/run': script('echo "[db] crashing"; exit 3'), '/etc/service/db/critical': '2\n' },
  });
  assert.equal(r.stdout, '[db] crashing\n[db] crashing');
  assert.match(r.stderr, /^\*\*\* \/etc\/service\/db failed 2 times in a row and is marked critical: stopping the container\.\n\*\*\* Shutting down sleep \(PID \d+\)\.\.\.\n\*\*\* Shutting down runit daemon \(PID 1\)\.\.\.\n\*\*\* Init system aborted\.$/m);
  assert.equal(r.exitCode, 1);
});

test('a critical service stopped on purpose, or one that exits 0, does not count', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'sleep 0.5; sv -w 3 down /etc/service/db >/dev/null; sv -w 3 up /etc/service/db >/dev/null; sleep 0.5; echo main done'],
    env: { SERVICE_RESTART_DELAY: '0.05' },
    files: { '/etc/service/db/run': script('exec sleep 1000'), '/etc/service/db/critical': '', '/etc/service/ok/run': script('exit 0'), '/etc/service/ok/critical': '1' },
  });
  assert.equal(r.all, 'main done');
  assert.equal(r.exitCode, 0);
});

test('SERVICES_READY_TIMEOUT: the main command waits for ./check to pass', async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', 'test -e /etc/web-ready && echo "main sees a ready web"'],
    env: { SERVICES_READY_TIMEOUT: '5' },
    files: {
      '/etc/service/web/run': script('sleep 0.5; touch /etc/web-ready; exec sleep 1000'),
      '/etc/service/web/check': script('test -e /etc/web-ready'),
      '/etc/service/lazy/run': script('exec sleep 1000'),
      '/etc/service/lazy/down': '',
    },
  });
  assert.match(r.all, /\*\*\* Waiting up to 5 s for the services to be ready\.\.\.\n\*\*\* Running sh -c .*\nmain sees a ready web\n/);
  assert.equal(r.exitCode, 0);
});

test('SERVICES_READY_TIMEOUT: services not ready in time are named, the command never runs, exit 1', async () => {
  const r = await runAndClean({
    args: ['--', 'echo', 'never'],
    env: { SERVICES_READY_TIMEOUT: '0.5' },
    files: { '/etc/service/web/run': script('exec sleep 1000'), '/etc/service/web/check': script('exit 1'), '/etc/service/fine/run': script('exec sleep 1000') },
  });
  assert.match(r.stderr, /^\*\*\* Services not ready after 0\.5 s: \/etc\/service\/web$/m);
  assert.doesNotMatch(r.stdout, /never/);
  assert.equal(r.exitCode, 1);
});

test('control/<c> scripts: one that succeeds replaces the action, one that fails does not; `sv exit` ends supervision, which resumes', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', [
      'sleep 0.5',
      'sv hup /etc/service/demo; sleep 0.3',
      'sv term /etc/service/demo; sleep 0.3',
      // Running again (after runit's throttle) before `sv exit`, so that exit goes through control/t and TERM.
      'for i in $(seq 50); do sv status /etc/service/demo | grep -q "^run: .*) [1-9]" && break; sleep 0.1; done',
      'sv exit /etc/service/demo; sleep 0.3; sv status /etc/service/demo',
      // As runsvdir does, the next scan (within 5 s) supervises it again.
      'for i in $(seq 70); do sv status /etc/service/demo 2>/dev/null | grep -q "^run:" && break; sleep 0.1; done; echo "supervised again"',
    ].join('; ')],
    env: { KILL_PROCESS_TIMEOUT: '1' },
    files: {
      '/etc/service/demo/run': script('trap "echo [demo] got HUP" HUP; trap "echo [demo] got TERM; exit 0" TERM; while :; do sleep 0.05; done'),
      '/etc/service/demo/control/h': script('echo "[control/h] instead of HUP"'),
      '/etc/service/demo/control/t': script('echo "[control/t] then TERM"; exit 1'),
      '/etc/service/demo/control/x': script('echo "[control/x] after exit"'),
    },
  });
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 4), ['[control/h] instead of HUP', '[control/t] then TERM', '[demo] got TERM', '[control/t] then TERM']);
  // control/x runs right after TERM is sent, as in runsv: the service's own line may come before or after it.
  assert.deepEqual(lines.slice(4, 6).sort(), ['[control/x] after exit', '[demo] got TERM']);
  assert.deepEqual(lines.slice(6), [
    'fail: /etc/service/demo: runsv not running',
    'supervised again',
    '[control/t] then TERM',
    '[demo] got TERM',
  ]);
  assert.equal(r.exitCode, 0);
});

test('a service directory removed while running is stopped', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'sleep 0.5; mv /etc/service/gone /etc/gone-saved; sleep 1.5; echo "main done"'],
    files: { '/etc/service/gone/run': script('trap "echo [gone] got TERM; exit 0" TERM; echo "[gone] up"; while :; do sleep 0.05; done') },
  });
  assert.equal(r.all, '[gone] up\n[gone] got TERM\nmain done');
});
