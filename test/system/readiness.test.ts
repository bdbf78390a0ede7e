// Issue 11, readiness, watchdog and stop control: a service tells when it is
// ready (sd_notify, s6's notification-fd, ./check), a hung one is restarted by
// its watchdog, and down-signal and timeout-kill change how it is stopped.
// Properties only: each wait is a bound, never a measurement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BINARY, PRELUDE, runAndClean, script } from './harness.ts';

const OUR_SV = { '/etc/ours/sv': { symlink: BINARY } };

/** Sends its argument (newlines as \n) to $NOTIFY_SOCKET, an abstract socket when it starts with @, as sd_notify does. */
const NOTIFY = `/usr/bin/python3 -c 'import os,socket,sys
a=os.environ["NOTIFY_SOCKET"]
a="\\0"+a[1:] if a[0]=="@" else a
socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM).sendto(sys.argv[1].replace("\\\\n","\\n").encode(),a)'`;

test('notify: ready only at READY=1 (sent by systemd-notify), for SERVICES_READY_TIMEOUT and sv start; STATUS= shown by sv status', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'test -e /etc/web-ready && echo "main sees a ready web"; /etc/ours/sv -w 5 start web; /etc/ours/sv status web; /usr/bin/sv status web'],
    env: { SERVICES_READY_TIMEOUT: '10' },
    files: {
      ...OUR_SV,
      '/etc/service/web/run': script('sleep 0.5; touch /etc/web-ready; systemd-notify --ready --status="serving; all good"; exec sleep 1000'),
      '/etc/service/web/notify': '',
    },
  });
  const lines = r.all.split('\n');
  assert.equal(lines[0], 'main sees a ready web');
  assert.match(lines[1]!, /^ok: run: web: \(pid \d+\) \d+s, ready \(serving, all good\)$/);
  assert.match(lines[2]!, /^run: web: \(pid \d+\) \d+s, ready \(serving, all good\)$/);
  // runit's own sv reads the same supervise/ and shows its usual line.
  assert.match(lines[3]!, /^run: web: \(pid \d+\) \d+s$/);
  assert.equal(r.exitCode, 0);
});

test('notify: starting until READY=1, not ready again at RELOADING=1; MAINPID= becomes the pid sv shows', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', [
      'sleep 0.3; /etc/ours/sv status web',
      'touch /etc/go; /etc/ours/sv -w 5 check web; cat /etc/main-pid',
      'touch /etc/reload; sleep 0.5; /etc/ours/sv status web',
    ].join('; ')],
    files: {
      ...OUR_SV,
      '/etc/service/web/run': script([
        'sleep 1000 & main=$!',
        'while ! test -e /etc/go; do sleep 0.05; done',
        `${NOTIFY} "READY=1\\nMAINPID=$main"`,
        'echo "main pid $main" > /etc/main-pid',
        'while ! test -e /etc/reload; do sleep 0.05; done',
        `${NOTIFY} "RELOADING=1"`,
        'wait',
      ].join('\n')),
      '/etc/service/web/notify': '',
    },
  });
  const lines = r.all.split('\n');
  assert.match(lines[0]!, /^run: web: \(pid \d+\) \d+s, starting$/);
  const mainPid = /^ok: run: web: \(pid (\d+)\) \d+s, ready$/.exec(lines[1]!)?.[1];
  assert.ok(mainPid !== undefined, r.all);
  assert.equal(lines[2], `main pid ${mainPid}`);
  assert.match(lines[3]!, new RegExp(`^run: web: \\(pid ${mainPid}\\) \\d+s, starting$`));
  assert.equal(r.exitCode, 0);
});

test('notify: a process outside the service cannot make it ready', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', [
      PRELUDE,
      'wait_for "test -s /etc/socket"',
      // The main command is no part of web's session: its READY=1 must be ignored (it lives on, to be looked at).
      `NOTIFY_SOCKET=$(cat /etc/socket) /usr/bin/python3 -c 'import os,socket,time
a=os.environ["NOTIFY_SOCKET"]
socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM).sendto(b"READY=1","\\0"+a[1:]); time.sleep(1)'`,
      '/etc/ours/sv -w 1 check web',
    ].join('\n')],
    files: {
      ...OUR_SV,
      '/etc/service/web/run': script('echo "$NOTIFY_SOCKET" > /etc/socket; exec sleep 1000'),
      '/etc/service/web/notify': '',
    },
  });
  assert.match(r.all, /^timeout: run: web: \(pid \d+\) \d+s, starting$/m);
});

test('notification-fd: ready at the newline on that fd', async () => {
  const r = await runAndClean({
    // db stays starting until the main command lets it go, whatever the machine's load.
    args: ['--quiet', '--', 'sh', '-c', [
      'until /etc/ours/sv status db >/dev/null; do sleep 0.05; done',
      '/etc/ours/sv status db; touch /etc/db-go; /etc/ours/sv -w 60 start db; test -e /etc/db-ready && echo "db was ready"',
    ].join('\n')],
    files: {
      ...OUR_SV,
      '/etc/service/db/run': script('while ! test -e /etc/db-go; do sleep 0.05; done; touch /etc/db-ready; echo >&4; exec sleep 1000'),
      '/etc/service/db/notification-fd': '4\n',
    },
  });
  const lines = r.all.split('\n');
  assert.match(lines[0]!, /^run: db: \(pid \d+\) \d+s, starting$/);
  assert.match(lines[1]!, /^ok: run: db: \(pid \d+\) \d+s, ready$/);
  assert.equal(lines[2], 'db was ready');
});

test('./check and plain running: as before, and sv status adds nothing to their lines', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', '/etc/ours/sv -w 5 start web; /etc/ours/sv status plain'],
    env: { SERVICES_READY_TIMEOUT: '5' },
    files: {
      ...OUR_SV,
      '/etc/service/web/run': script('sleep 0.3; touch /etc/web-ready; exec sleep 1000'),
      '/etc/service/web/check': script('test -e /etc/web-ready'),
      '/etc/service/plain/run': script('exec sleep 1000'),
    },
  });
  const lines = r.all.split('\n');
  assert.match(lines[0]!, /^ok: run: web: \(pid \d+\) \d+s$/);
  assert.match(lines[1]!, /^run: plain: \(pid \d+\) \d+s$/);
});

test('watchdog: a service that stops sending WATCHDOG=1 is stopped with its down-signal, restarted, and counted for critical', async () => {
  const r = await runAndClean({
    args: ['--', 'sleep', '100'],
    files: {
      ...OUR_SV,
      // Pings once, then hangs, ignoring TERM: only the down-signal (INT) stops it.
      '/etc/service/hung/run': script(`echo "[hung] started"; trap 'echo "[hung] got INT"; exit 0' INT; trap '' TERM; ${NOTIFY} WATCHDOG=1; while :; do sleep 0.05; done`),
      '/etc/service/hung/watchdog': '0.5\n',
      '/etc/service/hung/down-signal': 'INT\n',
      '/etc/service/hung/critical': '2\n',
    },
  });
  assert.equal(r.stdout, '[hung] started\n[hung] got INT\n[hung] started\n[hung] got INT');
  const lines = r.stderr.split('\n');
  const watchdogLines = lines.filter((line) => line.includes('sent no WATCHDOG=1'));
  assert.equal(watchdogLines.length, 2);
  for (const line of watchdogLines) {
    assert.match(line, /^\*\*\* \/etc\/service\/hung \(PID \d+\) sent no WATCHDOG=1 for 0\.5 s: stopping it with SIGINT \(SIGKILL after \d+ s\) to restart it\.$/);
  }
  assert.ok(lines.includes('*** /etc/service/hung failed 2 times in a row and is marked critical: stopping the container.'), r.stderr);
  assert.equal(r.exitCode, 1);
});

test('watchdog: a service that keeps pinging is left alone', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'sleep 1.5; /etc/ours/sv status alive'],
    files: {
      ...OUR_SV,
      // A send that meets the socket closed by the stop (a busy machine) is no part of this.
      '/etc/service/alive/run': script(`echo "[alive] started"; while :; do ${NOTIFY} WATCHDOG=1 2>/dev/null; sleep 0.1; done`),
      '/etc/service/alive/watchdog': '10',
    },
  });
  assert.match(r.all, /^\[alive\] started\nrun: alive: \(pid \d+\) \d+s$/);
  assert.equal(r.exitCode, 0);
});

test('down-signal: sv down sends it instead of TERM', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'sleep 0.5; /etc/ours/sv -w 5 down hup; cat /etc/hup-log'],
    files: {
      ...OUR_SV,
      '/etc/service/hup/run': script(`trap 'echo TERM >> /etc/hup-log' TERM; trap 'echo HUP >> /etc/hup-log; exit 0' HUP; while :; do sleep 0.05; done`),
      '/etc/service/hup/down-signal': 'SIGHUP\n',
    },
  });
  assert.match(r.all, /^ok: down: hup: \d+s, normally up\nHUP$/);
});

test('timeout-kill: sv down kills a service that ignores its down-signal; the shutdown uses it instead of KILL_PROCESS_TIMEOUT', async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', 'sleep 0.5; /etc/ours/sv -w 10 down stubborn; /etc/ours/sv up stubborn; sleep 0.5'],
    env: { KILL_PROCESS_TIMEOUT: '600' },
    timeoutMs: 60_000,
    files: {
      ...OUR_SV,
      '/etc/service/stubborn/run': script(`trap '' TERM; while :; do sleep 0.05; done`),
      '/etc/service/stubborn/timeout-kill': '200\n',
    },
  });
  assert.match(r.stdout, /^ok: down: stubborn: \d+s, normally up$/m);
  assert.match(r.stderr, /^\*\*\* \/etc\/service\/stubborn \(PID \d+\) did not shut down in time\. Forcing it to exit\.$/m);
  assert.equal(r.exitCode, 0);
});

test('bad option files: one line naming the file and its value, and the default', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', 'sh', '-c', 'sleep 0.5; /etc/ours/sv -w 5 down svc; cat /etc/log'],
    files: {
      ...OUR_SV,
      '/etc/service/svc/run': script(`trap 'echo TERM >> /etc/log; exit 0' TERM; while :; do sleep 0.05; done`),
      '/etc/service/svc/down-signal': 'SIGFOO\n',
      '/etc/service/svc/timeout-kill': 'soon\n',
      '/etc/service/svc/watchdog': 'often\n',
      '/etc/service/svc/notification-fd': '1\n',
    },
  });
  const warnings = r.stderr.split('\n').filter((line) => line.startsWith('*** Warning'));
  assert.deepEqual(warnings.sort(), [
    '*** Warning: /etc/service/svc/down-signal should hold a signal name such as SIGHUP, not "SIGFOO"; using SIGTERM.',
    '*** Warning: /etc/service/svc/notification-fd should hold a file descriptor number from 3 to 15, not "1"; not using it.',
    '*** Warning: /etc/service/svc/timeout-kill should hold a number of milliseconds, not "soon"; using no SIGKILL.',
    '*** Warning: /etc/service/svc/watchdog should hold a number of seconds, not "often"; no watchdog.',
  ]);
  assert.match(r.stdout, /^ok: down: svc: \d+s, normally up\nTERM$/);
});
