// svlogd as a service's logger under our PID 1: it hands its work to the
// supervisor and becomes a stub of a few pages that keeps its pid (answering
// sv and signals), while PID 1 writes the log directories; no line is lost or
// split across rotations, logger restarts, sv hup and the stop.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BINARY, cleanUp, PRELUDE, runAndClean, runInit, script } from './harness.ts';

const SVLOGD = '/etc/ours/svlogd';
const SV = '/etc/ours/sv';
const LINKS = { [SVLOGD]: { symlink: BINARY }, [SV]: { symlink: BINARY } };

/** Shell: is PID $1 a handed-over logger (the stub, with PID 1 holding its log's current)? */
const HANDED_OVER = `
handed_over() {
  tr '\\0' '\\n' < /proc/$1/environ | grep -q '^MY_INIT_LOGGER_STUB=' \\
    && ! ls -l /proc/$1/fd 2>/dev/null | grep -q /current \\
    && ls -l /proc/1/fd | grep -q "$2/current"
}
`;

test('an svlogd started by our supervisor hands its work to PID 1: its pid, name and command line stay, it is a few pages, sv hup, alarm and term reach the logging', async (t) => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}${HANDED_OVER}
      log=/etc/service/talker/log
      wait_for '[ -s $log/main/current ] && [ -s $log/supervise/pid ]'
      pid=$(cat $log/supervise/pid)
      wait_for "handed_over $pid $log/main" && echo "handed over: yes"
      [ "$(cat $log/supervise/pid)" = "$pid" ] && echo "same pid in supervise/pid: yes"
      echo "exe: $(readlink /proc/$pid/exe)"
      echo "comm: $(cat /proc/$pid/comm)"
      echo "cmdline: $(tr '\\0' ' ' < /proc/$pid/cmdline)"
      echo "anon-kb: $(awk '/^RssAnon/ {print $2}' /proc/$pid/status)"
      echo "rss-kb: $(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
      ${SV} status talker | sed -E 's/[0-9]+s/Ns/g; s/pid [0-9]+/pid P/g'
      # HUP re-reads the config: rotation by size at 200 bytes.
      echo s200 > $log/main/config
      ${SV} hup $log
      wait_for '[ "$(ls $log/main | grep -c "^@.*\\.s$")" -ge 3 ]' && echo "rotated by size after hup: yes"
      # ALRM rotates at once, whatever the size: a config of a megabyte first.
      echo s1000000 > $log/main/config
      ${SV} hup $log
      sleep 0.3
      before=$(ls $log/main | grep -c '^@.*\\.s$')
      ${SV} alarm $log
      wait_for '[ "$(ls $log/main | grep -c "^@.*\\.s$")" -gt '$before' ]' && echo "rotated by alarm: yes"
      [ "$(cat $log/supervise/pid)" = "$pid" ] && [ "$(cat /proc/$pid/comm)" = svlogd ] && echo "same logger after hup and alarm: yes"
      ${SV} term $log
      wait_for '[ "$(cat $log/supervise/pid)" != "$pid" ] && [ -s $log/supervise/pid ]'
      new=$(cat $log/supervise/pid)
      wait_for "handed_over $new $log/main" && echo "restarted, handed over again: yes"
      size=$(wc -c < $log/main/current)
      wait_for '[ "$(wc -c < $log/main/current)" -gt '$size' ]' && echo "logging after the restart: yes"
    `],
    env: { SVDIR: '/etc/service' },
    files: {
      ...LINKS,
      '/etc/service/talker/run': script('i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.01; done'),
      '/etc/service/talker/log/run': script(`exec ${SVLOGD} ./main`),
      '/etc/service/talker/log/main/.keep': '',
    },
  });
  assert.match(r.stdout, /^handed over: yes$/m, r.all);
  assert.match(r.stdout, /^same pid in supervise\/pid: yes$/m, r.all);
  assert.match(r.stdout, new RegExp(`^exe: ${realpathSync(BINARY).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), r.all);
  assert.match(r.stdout, /^comm: svlogd$/m);
  assert.match(r.stdout, new RegExp(`^cmdline: ${SVLOGD} \\./main $`, 'm'));
  const anon = Number(/^anon-kb: (\d+)$/m.exec(r.stdout)?.[1]);
  t.diagnostic(`the logger: ${anon} kB anonymous, ${/^rss-kb: (\d+)$/m.exec(r.stdout)?.[1]} kB resident`);
  // Measured: 16 kB (Debian's C svlogd: about 100 kB; an svlogd with its own engine: about 430 kB).
  assert.ok(anon > 0 && anon < 100, `a handed-over logger should hold under 100 kB of anonymous memory, not ${anon} kB`);
  assert.match(r.stdout, /^run: talker: \(pid P\) Ns; run: log: \(pid P\) Ns$/m);
  assert.match(r.stdout, /^rotated by size after hup: yes$/m, r.all);
  assert.match(r.stdout, /^rotated by alarm: yes$/m, r.all);
  assert.match(r.stdout, /^same logger after hup and alarm: yes$/m, r.all);
  assert.match(r.stdout, /^restarted, handed over again: yes$/m, r.all);
  assert.match(r.stdout, /^logging after the restart: yes$/m, r.all);
});

test('a line the service has half written when its logger restarts is logged whole by the next run', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}${HANDED_OVER}
      log=/etc/service/halves/log
      wait_for 'grep -q "^first$" $log/main/current' || exit 1
      pid=$(cat $log/supervise/pid)
      wait_for "handed_over $pid $log/main" || exit 1
      # "par" is in the pipe (or read already), without its newline.
      ${SV} term $log
      wait_for '[ "$(cat $log/supervise/pid)" != "$pid" ] && [ -s $log/supervise/pid ]'
      wait_for "handed_over $(cat $log/supervise/pid) $log/main" && echo "restarted: yes"
      touch /etc/halves-go
      wait_for 'grep -q "^last$" $log/main/current'
      echo "log:"; cat $log/main/@*.s $log/main/current 2>/dev/null
    `],
    env: { SVDIR: '/etc/service' },
    files: {
      ...LINKS,
      '/etc/service/halves/run': script(`
        [ -e /etc/halves-started ] && exec sleep 100000
        touch /etc/halves-started
        echo first; printf par
        while [ ! -e /etc/halves-go ]; do sleep 0.02; done
        printf 'tial\\n'; echo last
        exec sleep 100000`),
      '/etc/service/halves/log/run': script(`exec ${SVLOGD} ./main`),
      '/etc/service/halves/log/main/.keep': '',
    },
  });
  assert.match(r.stdout, /^restarted: yes$/m, r.all);
  assert.match(r.stdout, /^log:\nfirst\npartial\nlast$/m, r.all);
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
