// Signals as tini handles them, the init's own working directory and its
// process name: each as PID 1 and as the child of a shell (as under
// `docker run --init`), where a signal without a handler kills or stops it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { test } from 'node:test';
import { BASE_ENV, BINARY, PRELUDE, runAndClean, type RunningInit, script } from './harness.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const { signals } = constants;

/** What tini passes on: every signal that can be caught but CHLD, the faults, TERM and INT (the init's stop), TTIN and TTOU. */
const FORWARDED: number[] = [
  ...(['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGALRM', 'SIGPWR', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM',
    'SIGPROF', 'SIGIO', 'SIGURG', 'SIGCONT', 'SIGPIPE', 'SIGSTKFLT', 'SIGTSTP'] as const).map((name) => signals[name]),
  // SIGRTMIN to SIGRTMAX as glibc gives them to programs (it keeps 32 and 33).
  ...Array.from({ length: 31 }, (_, i) => 34 + i),
];

// Prints `got N` for each signal it gets (all it can catch but CHLD); exits on TERM.
// syswrite, not print: one run under heavy load showed "ready" and "got 1" repeated, the
// whole output so far written again, while my_init passes each signal on with one kill(2).
// A handler run inside PerlIO's retry of an interrupted write is the likely cause; a
// write(2) per line leaves no buffer to repeat.
const TRAP_ALL = String.raw`use strict; use warnings; use POSIX ();
my %uncaught = map { $_ => 1 } (9, 17, 19, 32, 33);
for my $n (grep { !$uncaught{$_} } 1 .. 64) {
  POSIX::sigaction($n, POSIX::SigAction->new(sub { syswrite STDOUT, "got $n\n"; POSIX::_exit(0) if $n == 15 })) or die "sigaction $n: $!";
}
syswrite STDOUT, "ready\n";
sleep 1 while 1;
`;

/** The scheduler state of a process (R, S, T, Z...), or 'gone'. */
function state(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2]!;
  } catch {
    return 'gone';
  }
}

function count(text: string, line: string): number {
  return text.split('\n').filter((each) => each === line).length;
}

async function untilCount(init: RunningInit, line: string, wanted: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (count(init.output(), line) < wanted) {
    if (performance.now() > deadline) throw new Error(`not ${wanted} of ${JSON.stringify(line)} in:\n${init.output()}`);
    await pause(5);
  }
}

for (const notPid1 of [false, true]) {
  const as = notPid1 ? 'not PID 1' : 'as PID 1';

  test(`${as}: every signal tini forwards reaches the main command; TTIN and TTOU do not, and none stops or kills the init`, async () => {
    const states: string[] = [];
    const r = await runAndClean({
      args: ['--quiet', '--', 'perl', '/etc/signals/trap.pl'],
      files: { '/etc/signals/trap.pl': TRAP_ALL },
      notPid1,
      during: async (init) => {
        await init.waitForOutput(/^ready$/m);
        const pid = await init.hostPid();
        for (const signal of FORWARDED) {
          process.kill(pid, signal);
          await untilCount(init, `got ${signal}`, 1);
          states.push(state(pid));
        }
        // Ignored by the init: the HUP after them is the next thing the main command gets.
        process.kill(pid, 'SIGTTIN');
        process.kill(pid, 'SIGTTOU');
        process.kill(pid, 'SIGHUP');
        await untilCount(init, `got ${signals.SIGHUP}`, 2);
        states.push(state(pid));
        await init.signal('SIGTERM');
      },
    });
    const got = r.stdout.split('\n').filter((line) => line.startsWith('got ')).map((line) => Number(line.slice(4)));
    assert.deepEqual(got.slice(0, FORWARDED.length + 1), [...FORWARDED, signals.SIGHUP], r.all);
    // The stop that follows is the init's own: TERM, and CONT in case the command was stopped (the command may exit first).
    const stop = got.slice(FORWARDED.length + 1);
    assert.ok(stop.includes(signals.SIGTERM) && stop.every((each) => each === signals.SIGTERM || each === signals.SIGCONT), r.all);
    assert.deepEqual(states.filter((each) => each !== 'S' && each !== 'R'), [], 'the init ran on after each signal');
    assert.equal(r.exitCode, 2, r.all);
  });

  test(`${as}: TSTP, TTIN and TTOU never stop the init, which reaps orphans while they arrive`, async () => {
    const states: string[] = [];
    const r = await runAndClean({
      // The main command counts the TSTPs passed on, making orphans until told to stop.
      args: ['--quiet', '--', 'bash', '-c', `${PRELUDE}
        tstp=0; trap 'tstp=$((tstp + 1))' TSTP
        echo ready
        until [ -e /etc/signals/done ]; do (sleep 0.01 &); sleep 0.01; done
        wait_for '[ "$(ps -eo stat= | grep -c "^Z")" = 0 ]'
        echo "zombies: $(ps -eo stat= | grep -c '^Z')"
        [ "$tstp" -gt 0 ] && echo "TSTP passed on"`],
      files: { '/etc/signals/.keep': '' },
      notPid1,
      during: async (init) => {
        await init.waitForOutput(/^ready$/m);
        const pid = await init.hostPid();
        for (let round = 0; round < 40; round++) {
          for (const signal of ['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const) process.kill(pid, signal);
          await pause(10);
          states.push(state(pid));
        }
        writeFileSync(`/proc/${pid}/root/etc/signals/done`, '');
      },
    });
    assert.equal(r.all, 'ready\nzombies: 0\nTSTP passed on');
    assert.equal(r.exitCode, 0);
    assert.deepEqual(states.filter((each) => each === 'T'), [], 'the init never stopped');
  });

  test(`${as}: the init works in /, what it starts in the directory it was started in; relative paths keep working`, async () => {
    const r = await runAndClean({
      args: ['--', 'main-command'],
      cwd: '/etc/app',
      // A relative directory in PATH and a relative ENV_INIT_DIRECTORY, both from /etc/app.
      env: { PATH: `bin:${BASE_ENV.PATH}`, ENV_INIT_DIRECTORY: 'startup' },
      files: {
        '/etc/app/bin/main-command': script(`${PRELUDE}
          echo "main command in $(pwd); the init in $(readlink /proc/$PPID/cwd)"
          ./bin/tool
          wait_for '[ -s /etc/app/service-cwd ]'
          echo "service in $(cat /etc/app/service-cwd)"`),
        '/etc/app/bin/tool': script('echo "tool in $(pwd)"'),
        '/etc/app/startup/10_first': script('echo "startup script in $(pwd)"'),
        '/etc/my_init.post_shutdown.d/10_last': script('echo "shutdown script in $(pwd)"'),
        // Services start in their own directory, as before.
        '/etc/service/demo/run': script('pwd > /etc/app/service-cwd; exec sleep 1000'),
      },
      notPid1,
    });
    assert.match(r.stderr, /^\*\*\* Running startup\/10_first\.\.\.$/m);
    assert.equal(r.stdout, [
      'startup script in /etc/app',
      'main command in /etc/app; the init in /',
      'tool in /etc/app',
      'service in /etc/service/demo',
      'shutdown script in /etc/app',
    ].join('\n'), r.all);
    assert.equal(r.exitCode, 0);
  });

  test(`${as}: the process is named my_init, for ps -C and pgrep -x, and its command line is intact`, async () => {
    let hostName = '';
    const command = 'echo $PPID; pgrep -x my_init; ps -C my_init -o pid=; tr "\\0" " " < /proc/$PPID/cmdline; echo; until [ -e /etc/names/go ]; do sleep 0.02; done';
    const r = await runAndClean({
      args: ['--quiet', '--', 'sh', '-c', command],
      files: { '/etc/names/.keep': '' },
      notPid1,
      during: async (init) => {
        const pid = await init.hostPid();
        await init.waitForOutput(/ -- sh -c/);
        hostName = readFileSync(`/proc/${pid}/comm`, 'latin1');
        writeFileSync(`/proc/${pid}/root/etc/names/go`, '');
      },
    });
    const [ppid, pgrep, ps, cmdline] = r.stdout.split('\n').map((line) => line.trim());
    assert.equal(pgrep, ppid, r.all);
    assert.equal(ps, ppid);
    assert.equal(cmdline, `${BINARY} --quiet -- sh -c ${command}`);
    assert.equal(hostName, 'my_init\n');
    assert.equal(r.exitCode, 0);
  });
}

test('a SIGPIPE the kernel raises for a write of my_init\'s own is not passed on; one sent to it is', async () => {
  const r = await runAndClean({
    // Each of my_init's lines goes to a pipe nobody reads: EPIPE, and a SIGPIPE from the kernel.
    launcher: ['perl', '-e', 'pipe(my $r, my $w) or die; close $r; open(STDERR, ">&", $w) or die; exec @ARGV or die', '--'],
    // --verbose: my_init writes a line as it passes each signal on.
    args: ['--verbose', '--', 'perl', '/etc/signals/trap.pl'],
    files: { '/etc/signals/trap.pl': TRAP_ALL },
    separateStreams: true,
    during: async (init) => {
      await init.waitForOutput(/^ready$/m);
      const pid = await init.hostPid();
      process.kill(pid, 'SIGHUP');
      await untilCount(init, `got ${signals.SIGHUP}`, 1);
      process.kill(pid, 'SIGPIPE');
      await untilCount(init, `got ${signals.SIGPIPE}`, 1);
      await init.signal('SIGTERM');
    },
  });
  const got = r.stdout.split('\n').filter((line) => line.startsWith('got ')).map((line) => Number(line.slice(4)));
  assert.deepEqual(got.slice(0, 2), [signals.SIGHUP, signals.SIGPIPE], r.stdout);
  assert.ok(!got.slice(2).includes(signals.SIGPIPE), r.stdout);
  assert.equal(r.stderr, '', 'nothing of my_init reached a reader');
  assert.equal(r.exitCode, 2);
});
