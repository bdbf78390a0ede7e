// svlogd as a service's logger under our PID 1: a process of its own, as in
// runit, reading the pipe from the service on its stdin; small, answering sv
// and signals, and no line is lost or split across rotations, logger
// restarts, sv hup and the stop.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BINARY, cleanUp, PRELUDE, runAndClean, runInit, script } from './harness.ts';

const SVLOGD = '/etc/ours/svlogd';
const SV = '/etc/ours/sv';
const LINKS = { [SVLOGD]: { symlink: BINARY }, [SV]: { symlink: BINARY } };

test('an svlogd started by our supervisor is a small process of its own: it keeps its pid, sv hup, alarm and term reach it', async (t) => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}
      log=/etc/service/talker/log
      wait_for '[ -s $log/main/current ] && [ -s $log/supervise/pid ]'
      pid=$(cat $log/supervise/pid)
      echo "exe: $(readlink /proc/$pid/exe)"
      echo "comm: $(cat /proc/$pid/comm)"
      echo "cmdline: $(tr '\\0' ' ' < /proc/$pid/cmdline)"
      echo "anon-kb: $(awk '/^RssAnon/ {print $2}' /proc/$pid/status)"
      echo "rss-kb: $(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
      ${SV} status talker | sed -E 's/[0-9]+s/Ns/g; s/pid [0-9]+/pid P/g'
      echo s200 > $log/main/config
      ${SV} hup $log
      ${SV} alarm $log
      wait_for 'ls $log/main | grep -q "^@.*\\.s$"'
      # Rotated by size too, once the config that HUP re-read says 200 bytes.
      wait_for '[ "$(ls $log/main | grep -c "^@.*\\.s$")" -ge 3 ]'
      [ "$(cat $log/supervise/pid)" = "$pid" ] && [ "$(cat /proc/$pid/comm)" = svlogd ] && echo "same logger after hup and alarm: yes"
      ${SV} term $log
      wait_for '[ "$(cat $log/supervise/pid)" != "$pid" ] && [ -s $log/supervise/pid ]'
      echo "restarted: yes"
    `],
    env: { SVDIR: '/etc/service' },
    files: {
      ...LINKS,
      '/etc/service/talker/run': script('i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.01; done'),
      '/etc/service/talker/log/run': script(`exec ${SVLOGD} ./main`),
      '/etc/service/talker/log/main/.keep': '',
    },
  });
  assert.match(r.stdout, new RegExp(`^exe: ${realpathSync(BINARY).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), r.all);
  assert.match(r.stdout, /^comm: svlogd$/m);
  assert.match(r.stdout, new RegExp(`^cmdline: ${SVLOGD} \\./main $`, 'm'));
  const anon = Number(/^anon-kb: (\d+)$/m.exec(r.stdout)?.[1]);
  t.diagnostic(`the logger: ${anon} kB anonymous, ${/^rss-kb: (\d+)$/m.exec(r.stdout)?.[1]} kB resident`);
  // Measured: about 600 kB (Debian's C svlogd: about 100 kB); a Node process was 8 MB.
  assert.ok(anon > 0 && anon < 1024, `a logger should hold well under 1 MB of anonymous memory, not ${anon} kB`);
  assert.match(r.stdout, /^run: talker: \(pid P\) Ns; run: log: \(pid P\) Ns$/m);
  assert.match(r.stdout, /^same logger after hup and alarm: yes$/m, r.all);
  assert.match(r.stdout, /^restarted: yes$/m, r.all);
});

test('100,000 numbered lines through a logger that rotates by size, by sv alarm, and restarts: each once, in order', { timeout: 120_000 }, async () => {
  const total = 100_000;
  const r = await runInit({
    args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}
      log=/etc/service/numbers/log
      wait_for '[ -s $log/supervise/pid ]'
      # Disturb the logger while the lines flow: rotations, re-reads of its config, and
      # restarts (each run lives over a second, so that no restart waits for the throttle).
      terms=0
      until [ -e /etc/numbers-done ]; do
        ${SV} alarm $log >/dev/null; sleep 0.3
        ${SV} hup $log >/dev/null; sleep 0.3
        ${SV} alarm $log >/dev/null; sleep 0.2
        # Only a run that has lived a second: a shorter one would be restarted after runit's throttle.
        wait_for "${SV} status $log | grep -qE '^run: .*\\) [1-9][0-9]*s'" || break
        ${SV} term $log >/dev/null; terms=$((terms+1))
      done
      echo "disturbed, restarts: $terms"
    `],
    env: { SVDIR: '/etc/service' },
    timeoutMs: 110_000,
    files: {
      ...LINKS,
      // Paced, so that the disturbances land in the middle of the stream.
      '/etc/service/numbers/run': script(`
        [ -e /etc/numbers-done ] && exec sleep 100000
        i=0
        while [ $i -lt ${total} ]; do
          i=$((i+1)); echo "$i"
          [ $((i % 200)) -eq 0 ] && sleep 0.01
        done
        touch /etc/numbers-done
        exec sleep 100000`),
      '/etc/service/numbers/log/run': script(`exec ${SVLOGD} ./main`),
      '/etc/service/numbers/log/main/config': 's65536\nn0\n',
    },
  });
  try {
    assert.ok(Number(/^disturbed, restarts: (\d+)$/m.exec(r.stdout)?.[1]) >= 2, r.all);
    assert.equal(r.exitCode, 0, r.all);
    const dir = join(r.scratch, 'etc.upper', 'service', 'numbers', 'log', 'main');
    const rotated = readdirSync(dir).filter((name) => /^@[0-9a-f]{24}\.[su]$/.test(name)).sort();
    assert.ok(rotated.length >= 5, `expected several rotations, got ${rotated.join(' ')}`);
    const lines = [...rotated, 'current'].flatMap((name) => readFileSync(join(dir, name), 'latin1').split('\n').filter((l) => l !== ''));
    const wrong = lines.findIndex((line, i) => line !== String(i + 1));
    assert.equal(wrong, -1, `line ${wrong + 1} is ${JSON.stringify(lines[wrong])}, lines around it: ${lines.slice(Math.max(0, wrong - 2), wrong + 3).join(' ')}`);
    assert.equal(lines.length, total);
  } finally {
    cleanUp(r);
  }
});
