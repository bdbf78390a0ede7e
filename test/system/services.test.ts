// The built-in runit supervisor, driven and observed with runit's own `sv`:
// status formats, down files, control commands, finish arguments, the restart
// throttle and backoff, loggers, new and hidden service directories, shutdown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanUp, type FileSpec, runAndClean, runInit, script, withMain } from './harness.ts';

/** The one match of a pattern's first group, as a number. */
function numberIn(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  assert.ok(match?.[1] !== undefined, `no match for ${pattern} in:\n${text}`);
  return Number(match[1]);
}

test('a service starts; sv status shows the pid its run script has', async () => {
  const r = await runAndClean(
    withMain(
      `
wait_for '[ -s /etc/service/demo/started ]'
sv status demo
echo "sv-exit $?"
echo "recorded $(cat /etc/service/demo/started)"
`,
      { files: { '/etc/service/demo/run': script('echo "demo-pid $$"; echo $$ > started; exec sleep 1000') } },
    ),
  );
  const printed = numberIn(r.stdout, /^demo-pid (\d+)$/m);
  assert.equal(numberIn(r.stdout, /^run: demo: \(pid (\d+)\) \d+s$/m), printed, r.all);
  assert.equal(numberIn(r.stdout, /^recorded (\d+)$/m), printed);
  assert.match(r.stdout, /^sv-exit 0$/m);
  assert.equal(r.exitCode, 0, r.all);
});

test('a down file keeps a service down until sv up', async () => {
  const r = await runAndClean(
    withMain(
      `
sleep 0.4
sv status lazy
[ -e /etc/service/lazy/ran ] && echo RAN-TOO-EARLY
echo "pid-file '$(cat /etc/service/lazy/supervise/pid)'"
sv -w 5 up lazy
echo "up-exit $?"
wait_for '[ -s /etc/service/lazy/ran ]'
sv status lazy
`,
      {
        files: {
          '/etc/service/lazy/run': script('echo "lazy-pid $$"; echo $$ > ran; exec sleep 1000'),
          '/etc/service/lazy/down': '',
        },
      },
    ),
  );
  // sv adds `, normally down` only while something runs: down and wanted down is plain `down`.
  assert.match(r.stdout, /^down: lazy: \d+s$/m, r.all);
  assert.doesNotMatch(r.stdout, /RAN-TOO-EARLY/);
  assert.match(r.stdout, /^pid-file ''$/m, 'supervise/pid is empty while nothing runs');
  const pid = numberIn(r.stdout, /^lazy-pid (\d+)$/m);
  assert.equal(r.stdout.match(/^lazy-pid /gm)?.length, 1, r.all);
  // The run script never printed before `sv up` reported.
  assert.ok(r.stdout.indexOf('down: lazy:') < r.stdout.indexOf('lazy-pid '), r.all);
  assert.equal(numberIn(r.stdout, /^ok: run: lazy: \(pid (\d+)\) \d+s, normally down$/m), pid, r.all);
  assert.match(r.stdout, /^up-exit 0$/m);
  assert.equal(numberIn(r.stdout, /^run: lazy: \(pid (\d+)\) \d+s, normally down$/m), pid, r.all);
  assert.equal(r.exitCode, 0, r.all);
});

test('sv down, sv up and sv restart stop and start the run as runsv does', async () => {
  const r = await runAndClean(
    withMain(
      `
cd /etc/service/ctl
wait_for '[ -s supervise/pid ]'
p1=$(cat supervise/pid)
sv -w 5 down ctl
echo "down-exit $?"
sv status ctl
echo "stat-after-down $(cat supervise/stat)"
echo "pid-after-down '$(cat supervise/pid)'"
if kill -0 "$p1" 2>/dev/null; then echo "p1 alive"; else echo "p1 gone"; fi
sv -w 5 up ctl
echo "up-exit $?"
p2=$(cat supervise/pid)
sleep 1.2
sv -w 5 restart ctl
echo "restart-exit $?"
p3=$(cat supervise/pid)
if kill -0 "$p2" 2>/dev/null; then echo "p2 alive"; else echo "p2 gone"; fi
if kill -0 "$p3" 2>/dev/null; then echo "p3 alive"; else echo "p3 gone"; fi
echo "pids $p1 $p2 $p3"
sv status ctl
`,
      { files: { '/etc/service/ctl/run': script('echo "ctl-pid $$"; exec sleep 1000') } },
    ),
  );
  assert.match(r.stdout, /^ok: down: ctl: \d+s, normally up$/m, r.all);
  assert.match(r.stdout, /^down-exit 0$/m);
  assert.match(r.stdout, /^down: ctl: \d+s, normally up$/m);
  assert.match(r.stdout, /^stat-after-down down$/m);
  assert.match(r.stdout, /^pid-after-down ''$/m);
  assert.match(r.stdout, /^p1 gone$/m, r.all);
  assert.match(r.stdout, /^up-exit 0$/m);
  assert.match(r.stdout, /^ok: run: ctl: \(pid \d+\) \d+s$/m);
  assert.match(r.stdout, /^restart-exit 0$/m, r.all);
  assert.match(r.stdout, /^p2 gone$/m, r.all);
  assert.match(r.stdout, /^p3 alive$/m, r.all);
  const [p1, p2, p3] = (/^pids (\d+) (\d+) (\d+)$/m.exec(r.stdout) ?? []).slice(1).map(Number);
  assert.ok(p1 && p2 && p3, r.all);
  assert.equal(new Set([p1, p2, p3]).size, 3, `three different pids: ${p1} ${p2} ${p3}`);
  // Every pid the supervisor reported is one its run script printed, in order.
  const printed = [...r.stdout.matchAll(/^ctl-pid (\d+)$/gm)].map((match) => Number(match[1]));
  assert.deepEqual(printed, [p1, p2, p3]);
  assert.equal(numberIn(r.stdout, /^run: ctl: \(pid (\d+)\) \d+s$/m), p3);
  assert.equal(r.exitCode, 0, r.all);
});

test('sv check runs ./check: exit 0 when it passes, a timeout when it fails', async () => {
  const r = await runAndClean(
    withMain(
      `
wait_for '[ -s /etc/service/healthy/supervise/pid ] && [ -s /etc/service/sick/supervise/pid ]'
sv -w 5 check healthy
echo "healthy-exit $?"
sv -w 1 check sick
echo "sick-exit $?"
`,
      {
        files: {
          '/etc/service/healthy/run': script('exec sleep 1000'),
          '/etc/service/healthy/check': script('exit 0'),
          '/etc/service/sick/run': script('exec sleep 1000'),
          '/etc/service/sick/check': script('exit 1'),
        },
      },
    ),
  );
  assert.match(r.stdout, /^ok: run: healthy: \(pid \d+\) \d+s$/m, r.all);
  assert.match(r.stdout, /^healthy-exit 0$/m);
  assert.match(r.stdout, /^timeout: run: sick: \(pid \d+\) \d+s$/m, r.all);
  assert.match(r.stdout, /^sick-exit [1-9]\d*$/m);
  assert.equal(r.exitCode, 0, r.all);
});

test('finish gets the exit code, or -1 and the signal', async () => {
  // Each run records its finish arguments; the second run of each service just sleeps.
  const finish = script('echo "$1 $2" >> finish.log');
  const r = await runAndClean(
    withMain(
      `
wait_for '[ -s /etc/service/three/finish.log ]'
wait_for '[ -s /etc/service/termed/supervise/pid ]'
sv term termed
wait_for '[ -s /etc/service/termed/finish.log ]'
sv -w 5 kill killed
wait_for '[ -s /etc/service/killed/finish.log ]'
echo "three: $(cat /etc/service/three/finish.log)"
echo "termed: $(cat /etc/service/termed/finish.log)"
echo "killed: $(cat /etc/service/killed/finish.log)"
`,
      {
        env: { SERVICE_RESTART_DELAY: '0.1' },
        files: {
          '/etc/service/three/run': script('[ -e ran ] && exec sleep 1000; touch ran; exit 3'),
          '/etc/service/three/finish': finish,
          '/etc/service/termed/run': script('exec sleep 1000'),
          '/etc/service/termed/finish': finish,
          '/etc/service/killed/run': script('exec sleep 1000'),
          '/etc/service/killed/finish': finish,
        },
      },
    ),
  );
  assert.match(r.stdout, /^three: 3 0$/m, r.all);
  assert.match(r.stdout, /^termed: -1 15$/m, r.all);
  assert.match(r.stdout, /^killed: -1 9$/m, r.all);
  assert.equal(r.exitCode, 0, r.all);
});

test('a crashing service is restarted after SERVICE_RESTART_DELAY, doubling up to SERVICE_RESTART_DELAY_MAX', async () => {
  const r = await runInit(
    withMain(`wait_for '[ "$(wc -l < /etc/service/crash/starts)" -ge 6 ]' 10`, {
      env: { SERVICE_RESTART_DELAY: '0.2', SERVICE_RESTART_DELAY_MAX: '0.8' },
      files: { '/etc/service/crash/run': script('date +%s.%N >> starts; exit 1') },
    }),
  );
  try {
    assert.equal(r.exitCode, 0, r.all);
    const starts = (r.etcFile('/etc/service/crash/starts')?.toString() ?? '').trim().split('\n').map(Number);
    const gaps = starts.slice(1).map((start, i) => start - starts[i]!);
    const expected = [0.2, 0.4, 0.8, 0.8, 0.8];
    const shown = gaps.map((gap) => gap.toFixed(3)).join(', ');
    assert.ok(gaps.length >= expected.length, `gaps: ${shown}`);
    expected.forEach((want, i) => {
      assert.ok(gaps[i]! >= want * 0.9 && gaps[i]! < want + 0.5, `gap ${i} should be about ${want} s; gaps: ${shown}`);
    });
  } finally {
    cleanUp(r);
  }
});

test('by default a run that lived under a second is restarted one second later', async () => {
  const r = await runInit(
    withMain(`wait_for '[ "$(wc -l < /etc/service/crash/starts)" -ge 2 ]' 10`, {
      files: { '/etc/service/crash/run': script('date +%s.%N >> starts; exit 1') },
    }),
  );
  try {
    const starts = (r.etcFile('/etc/service/crash/starts')?.toString() ?? '').trim().split('\n').map(Number);
    assert.ok(starts.length >= 2, r.all);
    const gap = starts[1]! - starts[0]!;
    // Not before the second; the upper bound only tells it from a restart with no delay or a longer one.
    assert.ok(gap >= 0.95 && gap < 5, `second start ${gap.toFixed(3)} s after the first`);
  } finally {
    cleanUp(r);
  }
});

test('log/run gets every line across restarts of run, and the last lines at shutdown; the logger keeps running', async () => {
  const LINES = 50;
  const RUNS = 4;
  const run = `
n=$(( $(cat count 2>/dev/null || echo 0) + 1 ))
echo $n > count
cat log/supervise/pid >> logger-pids
i=1
while [ $i -le ${LINES} ]; do echo "run $n line $i"; i=$((i + 1)); done
[ $n -lt ${RUNS} ] && exit 0
trap 'echo "run $n final"; exit 0' TERM
touch settled
while :; do sleep 0.05; done`;
  const r = await runInit(
    withMain(
      `
cd /etc/service/talk
wait_for '[ -s log/supervise/pid ]'
echo "logger-first $(cat log/supervise/pid)"
wait_for '[ -e settled ] && [ "$(wc -l < log/out.txt)" -ge ${LINES * RUNS} ]'
echo "logger-last $(cat log/supervise/pid)"
echo "runs $(cat count)"
`,
      {
        env: { SERVICE_RESTART_DELAY: '0.1' },
        files: {
          '/etc/service/talk/run': script(run),
          '/etc/service/talk/log/run': script('exec cat >> /etc/service/talk/log/out.txt'),
        },
      },
    ),
  );
  try {
    assert.equal(r.exitCode, 0, r.all);
    assert.match(r.stdout, new RegExp(`^runs ${RUNS}$`, 'm'), r.all);
    const expected: string[] = [];
    for (let n = 1; n <= RUNS; n++) for (let i = 1; i <= LINES; i++) expected.push(`run ${n} line ${i}`);
    expected.push(`run ${RUNS} final`);
    assert.equal(r.etcFile('/etc/service/talk/log/out.txt')?.toString(), `${expected.join('\n')}\n`);
    assert.doesNotMatch(r.stdout, /^run \d+ line/m, 'nothing the service printed went past its logger');
    const first = numberIn(r.stdout, /^logger-first (\d+)$/m);
    assert.equal(numberIn(r.stdout, /^logger-last (\d+)$/m), first);
    // Each run saw the same logger.
    assert.equal(r.etcFile('/etc/service/talk/logger-pids')?.toString(), `${first}\n`.repeat(RUNS));
  } finally {
    cleanUp(r);
  }
});

test('a service directory added while running starts within a second', async () => {
  const r = await runAndClean(
    withMain(`
mkdir /etc/service/.late-tmp
printf '#!/bin/sh\\ndate +%%s.%%N > started-at\\necho late-started\\nexec sleep 1000\\n' > /etc/service/.late-tmp/run
chmod +x /etc/service/.late-tmp/run
sleep 0.2
echo "added-at $(date +%s.%N)"
mv /etc/service/.late-tmp /etc/service/late
wait_for '[ -s /etc/service/late/started-at ]' 20
echo "started-at $(cat /etc/service/late/started-at)"
# run may be under way before PID 1 has written its status: wait for that, not for a moment.
wait_for 'sv status late | grep -q "^run: "' 20
sv status late
`, { files: { '/etc/service': { directory: true } } }),
  );
  assert.match(r.stdout, /^late-started$/m, r.all);
  const added = numberIn(r.stdout, /^added-at ([\d.]+)$/m);
  const started = numberIn(r.stdout, /^started-at ([\d.]+)$/m);
  // Seen by inotify, not by the rescan every 30 s: a bound far from that, not a measurement.
  assert.ok(started - added >= 0 && started - added < 15, `started ${(started - added).toFixed(3)} s after it was added`);
  assert.match(r.stdout, /^run: late: \(pid \d+\) \d+s$/m, r.all);
  assert.equal(r.stdout.match(/^late-started$/gm)?.length, 1, 'the hidden temporary directory did not start it first');
  assert.equal(r.exitCode, 0, r.all);
});

test('directories whose name starts with a dot are ignored; a symlinked service directory is followed', async () => {
  // The symlink target lives under /etc, so that supervise/ lands in the sandbox.
  const files: Record<string, FileSpec> = {
    '/etc/service/.hidden/run': script('echo hidden-ran; exec sleep 1000'),
    '/etc/linked-svc/run': script('echo "linked-pid $$"; exec sleep 1000'),
    '/etc/service/linked': { symlink: '/etc/linked-svc' },
  };
  const r = await runAndClean(
    withMain(
      `
wait_for '[ -s /etc/linked-svc/supervise/pid ]'
sleep 0.3
sv status linked
sv status /etc/service/.hidden
[ -e /etc/service/.hidden/supervise ] && echo hidden-supervised
true
`,
      { files },
    ),
  );
  const pid = numberIn(r.stdout, /^linked-pid (\d+)$/m);
  assert.equal(numberIn(r.stdout, /^run: linked: \(pid (\d+)\) \d+s$/m), pid, r.all);
  assert.doesNotMatch(r.stdout, /hidden-ran|hidden-supervised/, r.all);
  assert.match(r.stdout, /^warning: \/etc\/service\/\.hidden: unable to open supervise\/ok: file does not exist$/m, r.all);
  assert.equal(r.exitCode, 0, r.all);
});

test('docker stop with 10 services that trap TERM: each gets it, and no deadline is used', async (t) => {
  const files: Record<string, FileSpec> = {};
  for (let n = 1; n <= 10; n++) {
    files[`/etc/service/svc${n}/run`] = script(`trap 'echo "[svc${n}] got TERM"; exit 0' TERM; echo ready-${n}; while :; do sleep 0.05; done`);
  }
  let signalled = 0;
  const r = await runAndClean({
    args: [],
    files,
    during: async (init) => {
      for (let n = 1; n <= 10; n++) await init.waitForOutput(new RegExp(`^ready-${n}$`, 'm'));
      signalled = performance.now();
      await init.signal('SIGTERM');
    },
  });
  const stopMs = performance.now() - signalled;
  for (let n = 1; n <= 10; n++) assert.match(r.stdout, new RegExp(`^\\[svc${n}\\] got TERM$`, 'm'), r.all);
  assert.match(r.stderr, /^\*\*\* Shutting down runit daemon \(PID 1\)\.\.\.$/m);
  assert.doesNotMatch(r.stderr, /did not shut down in time/);
  assert.equal(r.exitCode, 2, r.all);
  t.diagnostic(`stopped ${stopMs.toFixed(0)} ms after SIGTERM`);
});

test('a service that ignores TERM is killed after KILL_PROCESS_TIMEOUT', async () => {
  let signalled = 0;
  const r = await runAndClean({
    args: [],
    env: { KILL_PROCESS_TIMEOUT: '1' },
    files: { '/etc/service/stubborn/run': script('trap "" TERM; echo stubborn-ready; while :; do sleep 0.05; done') },
    during: async (init) => {
      await init.waitForOutput(/^stubborn-ready$/m);
      signalled = performance.now();
      await init.signal('SIGTERM');
    },
  });
  const stopSeconds = (performance.now() - signalled) / 1000;
  assert.match(r.stderr, /\/etc\/service\/stubborn \(PID \d+\) did not shut down in time\. Forcing it to exit\./, r.all);
  assert.equal(r.exitCode, 2, r.all);
  // Never before the deadline, however busy the machine; how much later is load's.
  assert.ok(stopSeconds > 0.9, `stopped ${stopSeconds.toFixed(3)} s after SIGTERM`);
});

test('200 restarts of a crash-looping service leave no zombie and no leaked file descriptor', async () => {
  const r = await runAndClean(
    withMain(
      `
count() { stat -c %s /etc/service/crash/count 2>/dev/null || echo 0; }
# The fewest of a few looks: PID 1 holds a descriptor for a moment now and then (a status write, a /proc read).
fds() { least=; for i in 1 2 3 4 5; do n=$(ls /proc/1/fd | wc -l); [ -z "$least" ] || [ "$n" -lt "$least" ] && least=$n; sleep 0.05; done; echo "$least"; }
wait_for '[ "$(count)" -ge 20 ]'
sv -w 5 down crash > /dev/null
sleep 0.2
echo "fds-before $(fds)"
ls -l /proc/1/fd | sed 's/^/before: /'
sv up crash
wait_for '[ "$(count)" -ge 220 ]' 30
sv -w 5 down crash > /dev/null
sleep 0.2
echo "restarts $(count)"
echo "fds-after $(fds)"
ls -l /proc/1/fd | sed 's/^/after: /'
echo "zombies $(ps -eo stat= | grep -c '^Z')"
ps -eo pid=,stat=,args= | grep ' Z' || true
`,
      {
        env: { SERVICE_RESTART_DELAY: '0.005', SERVICE_RESTART_DELAY_MAX: '0.005' },
        timeoutMs: 60_000,
        files: { '/etc/service/crash/run': script('printf x >> count\nexit 1') },
      },
    ),
  );
  assert.ok(numberIn(r.stdout, /^restarts (\d+)$/m) >= 220, r.all);
  assert.equal(numberIn(r.stdout, /^fds-after (\d+)$/m), numberIn(r.stdout, /^fds-before (\d+)$/m), r.all);
  assert.equal(numberIn(r.stdout, /^zombies (\d+)$/m), 0, r.all);
  assert.equal(r.exitCode, 0, r.all);
});

test('sv status of a service with a log: both pids, as runsv reports them', async () => {
  const r = await runAndClean(
    withMain(
      `
wait_for '[ -s /etc/service/logged/started ] && [ -s /etc/service/logged/log/started ]'
sv status logged
echo "run-pid $(cat /etc/service/logged/started) log-pid $(cat /etc/service/logged/log/started)"
`,
      {
        files: {
          '/etc/service/logged/run': script('echo $$ > started; exec sleep 1000'),
          '/etc/service/logged/log/run': script('echo $$ > started; exec cat'),
        },
      },
    ),
  );
  const runPid = numberIn(r.stdout, /^run-pid (\d+) log-pid \d+$/m);
  const logPid = numberIn(r.stdout, /^run-pid \d+ log-pid (\d+)$/m);
  assert.notEqual(runPid, logPid);
  const status = /^run: logged: \(pid (\d+)\) \d+s; run: log: \(pid (\d+)\) \d+s$/m.exec(r.stdout);
  assert.ok(status, r.all);
  assert.deepEqual([Number(status[1]), Number(status[2])], [runPid, logPid]);
  assert.equal(r.exitCode, 0, r.all);
});
