// svlogd against Debian's runit 2.1.2 svlogd: the same input, signals and
// directories on both sides; stdout, stderr, exit code and every file left
// behind (names, modes, contents) must agree. TAI64N labels are normalized
// (rotated files keep their order through the harness's numbering), and the
// readable stamps of -tt / -ttt have their digits normalized, their form kept.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertSameAsRunit, BINARY, normalizeTai64n, runSide, type Case, type Running } from './harness.ts';

const normalizeStamps = (text: string): string =>
  normalizeTai64n(text)
    .replace(/\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} /g, 'YYYY-MM-DD_hh:mm:ss.xxxxx ')
    .replace(/\d{4}-\d\d-\d\d[T]\d\d:\d\d:\d\d\.\d{5} /g, 'YYYY-MM-DDThh:mm:ss.xxxxx ')
    // -v names each rotated file's size after its label.
    .replace(/(@TAI64N\.[su]) \d+/g, '$1 SIZE');

const svlogd = (c: Omit<Case, 'program'>) => assertSameAsRunit({ program: 'svlogd', normalize: normalizeStamps, ...c });

/** Makes the named log directories, each with its config (null: none). */
const dirs = (layout: Record<string, string | null>) => (dir: string): void => {
  for (const [name, config] of Object.entries(layout)) {
    mkdirSync(join(dir, name), { recursive: true });
    if (config !== null) writeFileSync(join(dir, name, 'config'), config);
  }
};

const lines = (count: number, make = (i: number) => `line ${i} ${'x'.repeat(i % 17)}`): string =>
  Array.from({ length: count }, (_, i) => `${make(i + 1)}\n`).join('');

const read = (run: Running, path: string): string => {
  try {
    return readFileSync(join(run.dir, path), 'latin1');
  } catch {
    return '';
  }
};
const gone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};
const rotated = (run: Running, directory: string): string[] =>
  existsSync(join(run.dir, directory)) ? readdirSync(join(run.dir, directory)).filter((name) => name.startsWith('@')) : [];

// ---- the command line -------------------------------------------------------

test('usage: no directory, -V, an unknown option, a missing argument, a bad -r, -b not above -l', async () => {
  for (const args of [[], ['-V'], ['-x', 'd'], ['-l'], ['-tvb'], ['-r', '', 'd'], ['-r', 'ab', 'd'], ['-l', '2000', 'd'], ['-b', '1000', 'd'], ['-b', '0', '-l', '1024', 'd'], ['-ttt', '--']]) {
    const outcome = await svlogd({ args, setup: dirs({ d: null }) });
    assert.equal(outcome.code, 111, `svlogd ${args.join(' ')}`);
  }
});

test('options: grouped and attached letters, -- before the directories, -l and -b with garbage read as defaults', async () => {
  for (const args of [['-tv', 'd'], ['-lfoo', 'd'], ['-b', 'x', 'd'], ['--', 'd'], ['-l', '0', '-b', '0', 'd']]) {
    await svlogd({ args, stdin: 'foo\nbar\n', setup: dirs({ d: null }) });
  }
});

// ---- svlogd.check, runit's own test ----------------------------------------

test('svlogd.check: a new directory, appending to it, -r: -R fb', async () => {
  await svlogd({ args: ['d'], stdin: 'foo\n', setup: dirs({ d: null }) });
  await svlogd({
    args: ['d'], stdin: 'bar\nbaz\n',
    setup: (dir) => {
      dirs({ d: null })(dir);
      writeFileSync(join(dir, 'd', 'current'), 'foo\n', { mode: 0o744 });
      chmodSync(join(dir, 'd', 'current'), 0o744);
    },
  });
  await svlogd({ args: ['-r:', '-R', 'fb', 'd'], stdin: 'foo\nbar\nbaz\n', setup: dirs({ d: null }) });
});

test('svlogd.check: t2 rotates a non-empty current after two seconds', async () => {
  await svlogd({
    args: ['d'],
    setup: dirs({ d: 't2\n' }),
    during: async (run) => {
      await run.write('foo\n');
      await run.until(() => rotated(run, 'd').length === 1, 'the rotation by age', 8000);
    },
  });
});

// ---- current, .u, modes ------------------------------------------------------

test('a current not marked finished (no x bit) is kept as @….u, an empty one is reused', async () => {
  await svlogd({
    args: ['-v', 'd'], stdin: 'new\n',
    setup: (dir) => {
      dirs({ d: null })(dir);
      writeFileSync(join(dir, 'd', 'current'), 'interrupted\n');
      chmodSync(join(dir, 'd', 'current'), 0o644);
    },
  });
  await svlogd({
    args: ['-v', 'd'], stdin: 'new\n',
    setup: (dir) => {
      dirs({ d: null })(dir);
      writeFileSync(join(dir, 'd', 'current'), '');
    },
  });
});

test('input: a last line without newline is dropped, empty lines kept, bytes outside ASCII replaced only with -r/-R', async () => {
  await svlogd({ args: ['d'], stdin: 'foo\n\nbar\nbaz', setup: dirs({ d: null }) });
  await svlogd({ args: ['d'], stdin: Buffer.from('tab\there\x01\x7f\xff\n'), setup: dirs({ d: null }) });
  await svlogd({ args: ['-r', '?', 'd'], stdin: Buffer.from('tab\there\x01\x7f\xff\n'), setup: dirs({ d: null }) });
  await svlogd({ args: ['-R', ' a', 'd'], stdin: Buffer.from('a tab\there\xc3\xa9\n'), setup: dirs({ d: null }) });
  await svlogd({ args: ['-R', 'a', '-r', '#', 'd'], stdin: 'banana\n', setup: dirs({ d: null }) });
  await svlogd({ args: ['-r', '#', '-R', 'a', 'd'], stdin: 'banana\n', setup: dirs({ d: null }) });
});

test('timestamps: -t (TAI64N), -tt, -ttt, and more t is -ttt', async () => {
  for (const flag of ['-t', '-tt', '-ttt', '-tttt']) {
    const outcome = await svlogd({ args: [flag, 'd'], stdin: 'one\ntwo\n', setup: dirs({ d: null }) });
    const current = outcome.files['d/current'];
    assert.ok(current?.kind === 'file' && /^(@TAI64N|YYYY-MM-DD[_T]hh:mm:ss\.xxxxx) one\n/.test(current.content), `${flag}: ${JSON.stringify(current)}`);
  }
});

test('-l: long lines are kept whole in the log, matched and alerted by their first len bytes', async () => {
  await svlogd({
    args: ['-l', '5', '-b', '20', 'd'],
    stdin: 'short\nexactly5\n12345\nthis is a much longer line than twenty bytes\nabcd\n',
    setup: dirs({ d: 'e*\n-this*\n' }),
  });
  await svlogd({ args: ['-t', '-l', '5', '-b', '6', 'd'], stdin: 'abcdefghijklmnopqrstuvwxyz\n', setup: dirs({ d: 'e*\n' }) });
});

// ---- config -----------------------------------------------------------------

test('config s and n: rotation by size keeps every byte in order, n old files at most', async () => {
  await svlogd({ args: ['d'], stdin: lines(60), setup: dirs({ d: 's200\nn3\n' }) });
  await svlogd({ args: ['-l', '10', '-b', '20', 'd'], stdin: lines(100), setup: dirs({ d: 's1k\nn3\n' }) });
  await svlogd({ args: ['-l', '20', '-b', '30', 'd'], stdin: lines(40), setup: dirs({ d: 's150\nn0\n' }) });
  await svlogd({ args: ['d'], stdin: lines(40), setup: dirs({ d: 's0\n' }) });
  await svlogd({ args: ['-l', '5', '-b', '10', 'd'], stdin: lines(30), setup: dirs({ d: 's\nn2\n' }) });
});

test('config: comments, blank lines, unknown letters, a last line of one character, N, suffixes', async () => {
  await svlogd({ args: ['d'], stdin: lines(20), setup: dirs({ d: '# comment\n\nzzz\nN2\ns1m\nt1h\nn5\n-' }) });
  await svlogd({ args: ['d'], stdin: lines(20), setup: dirs({ d: '-*\n+line 1*' }) });
  await svlogd({ args: ['-l', '30', '-b', '40', 'd'], stdin: lines(30), setup: dirs({ d: 's100k\ns200\nn2\n' }) });
});

test('config p: the prefix goes before each line, after the stamp, in the log and on stderr', async () => {
  await svlogd({ args: ['-tt', 'd'], stdin: 'foo\nbar\n', setup: dirs({ d: 'pweb: \ne*\n' }) });
  await svlogd({ args: ['d'], stdin: 'foo\n', setup: dirs({ d: 'p\n' }) });
});

test('patterns: + and - select for the log, e and E for stderr, the last match wins', async () => {
  const input = [
    '2005-12-18_09:13:50.97618 tcpsvd: info: pid 1977 from 10.4.1.14', 'tcpsvd: warning: x', 'error: disk', 'aaab', 'ab', 'b',
    'pid', 'foo bar baz', 'foo*', '', 'x+y', 'x++y', 'xxxxy',
  ].map((line) => `${line}\n`).join('');
  const configs = [
    '-*pid*\n', '-*: *: pid *\n', '-*\n+*warning*\n', '-*\n+*: warning: *\ne*error*\n', 'e*\nE*a*\n', '-+a\n', '-+ab\n', '+a+b\n-*\n+a+b\n',
    '-foo*\n+foo*baz\n', '-*\n+\n', '-x+y\n', '-x\\+y\n', '-*y\n', '-***\n', '-+\n', '-*+\n', '-*:*\n', 'e*\n', 'E*\n',
  ];
  for (const config of configs) await svlogd({ args: ['d'], stdin: input, setup: dirs({ d: config }) });
});

test('patterns see the line after -r/-R replacing, and never the stamp', async () => {
  await svlogd({ args: ['-t', '-r', '_', 'd'], stdin: 'a\tb\n@4000\nab\n', setup: dirs({ d: '-a_b\n-@*\n' }) });
});

// ---- the processor -------------------------------------------------------------

test('processor: each rotated file goes through it into @….s; state and newstate on fds 4 and 5', async () => {
  // Without -v: when svlogd says `sigchild received.` depends on when its reads let the signal in.
  const outcome = await svlogd({
    args: ['d'],
    stdin: lines(30),
    setup: dirs({ d: 's120\nn20\n!sed "s/^/p: /"; cat <&4 >&5; echo rotation >&5\n' }),
  });
  const state = outcome.files['d/state'];
  assert.ok(state?.kind === 'file' && state.content.split('rotation').length > 3, JSON.stringify(state));
  const first = outcome.files['d/@TAI64N.s'];
  assert.ok(first?.kind === 'file' && first.content.startsWith('p: line 1') && first.mode === 0o744, JSON.stringify(first));
});

test('processor: one that fails is run again on the same file until it succeeds', async () => {
  const outcome = await svlogd({
    args: ['d'],
    stdin: lines(6),
    setup: dirs({ d: 's60\n!if test -e ../failed-once; then tr a-z A-Z; else : >../failed-once; exit 3; fi\n' }),
  });
  assert.match(outcome.stderr, /processor failed, restart: d/);
});

test('processor: its output, its stderr and its current directory', async () => {
  await svlogd({ args: ['d'], stdin: lines(8), setup: dirs({ d: 's50\n!echo "$0" >&2; exit 0\n' }) });
  // Its low fds: 0, 1, 2, 4 and 5, nothing of svlogd's own. (Fds svlogd inherited
  // pass on to Debian's processor; ours, started by children.ts, gets none of them.)
  await svlogd({ args: ['d'], stdin: lines(8), setup: dirs({ d: 's50\n!for f in 0 1 2 3 4 5 6 7 8 9; do test -e /proc/$$/fd/$f && echo $f; done >&2; cat\n' }) });
  await svlogd({ args: ['d'], stdin: lines(8), setup: dirs({ d: 's50\n!pwd; echo to-stderr >&2; wc -l\n' }) });
});

test('processor: after ALRM, then at the end of input, svlogd waits for it', async () => {
  await svlogd({
    args: ['d'],
    setup: dirs({ d: '!sleep 0.3; cat; echo done\n' }),
    during: async (run) => {
      await run.write('one\n');
      await run.until(() => read(run, 'd/current') === 'one\n', 'the first line');
      await run.signal('SIGALRM');
      await run.until(() => rotated(run, 'd').length > 0, 'the rotation');
      await run.write('two\n');
    },
  });
});

// ---- UDP ------------------------------------------------------------------------

/** `expected`: how many datagrams Debian's svlogd sends, waited for before comparing. */
async function udpCase(config: (port: number) => string, input: string, expected: number, args: string[] = ['d']): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((ready) => socket.bind(0, '127.0.0.1', ready));
  const port = socket.address().port;
  const received: string[] = [];
  socket.on('message', (message) => received.push(normalizeStamps(message.toString('latin1'))));
  try {
    const c: Case = { program: 'svlogd', args, stdin: input, setup: dirs({ d: config(port) }), normalize: normalizeStamps };
    const sides: { outcome: Awaited<ReturnType<typeof runSide>>; datagrams: string[] }[] = [];
    for (const side of ['real', 'ours'] as const) {
      received.length = 0;
      const outcome = await runSide(c, side);
      const deadline = Date.now() + 5000;
      while (received.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      sides.push({ outcome, datagrams: [...received] });
    }
    assert.equal(sides[0]!.datagrams.length, expected, 'datagrams from Debian\'s svlogd');
    assert.deepEqual(sides[1], sides[0], `udp ${config(port)}: ours differs from Debian's`);
  } finally {
    socket.close();
  }
}

test('config u: lines go through UDP and to the log; U: through UDP only', async () => {
  await udpCase((port) => `u127.0.0.1:${port}\n`, 'foo\nbar\n', 2);
  await udpCase((port) => `U127.0.0.1:${port}\n`, 'foo\nbar\n', 2);
  await udpCase((port) => `U127.0.0.1:${port}\npudp: \n-*b*\n`, 'foo\nbar\nbaz\nqux\n', 2, ['-tt', 'd']);
  await udpCase((port) => `u127.0.0.1:${port}\n`, 'a very long line indeed\nshort\n', 2, ['-l', '6', '-b', '10', 'd']);
  await udpCase((port) => `u127.0.0.1:${port}\nu127.0.0.1:0\n`, 'foo\n', 1);
});

test('config u/U: a bad address or port is a warning, and U without a good address logs nothing', async () => {
  for (const config of ['u1.2.3\n', 'u1.2.3.4:0x\n', 'Ufoo\n', 'u\n', 'u1.2.3.4:65536\n']) {
    await svlogd({ args: ['-v', 'd'], stdin: 'foo\n', setup: dirs({ d: config }) });
  }
});

test('config u: a datagram that cannot be sent (broadcast without SO_BROADCAST) is noted in the log, before its line', async () => {
  const outcome = await svlogd({ args: ['-tt', 'd'], stdin: 'foo\nbar\n', setup: dirs({ d: 'u255.255.255.255:9\npx: \n' }) });
  const current = outcome.files['d/current'];
  assert.ok(current?.kind === 'file' && current.content.startsWith('warning: failure sending through udp: '), JSON.stringify(current));
});

// ---- signals --------------------------------------------------------------------

test('ALRM rotates every non-empty current, and only those', async () => {
  await svlogd({
    args: ['-v', 'a', 'b'],
    setup: dirs({ a: null, b: '-*\n' }),
    during: async (run) => {
      await run.write('first\n');
      await run.until(() => read(run, 'a/current') === 'first\n', 'the first line');
      await run.signal('SIGALRM');
      await run.until(() => rotated(run, 'a').length === 1, 'the rotation');
      await run.write('second\n');
      await run.until(() => read(run, 'a/current') === 'second\n', 'the second line');
    },
  });
});

test('HUP re-reads config and reopens current', async () => {
  await svlogd({
    args: ['-v', 'd'],
    setup: dirs({ d: '-*drop*\n' }),
    during: async (run) => {
      await run.write('keep\ndrop this\n');
      await run.until(() => read(run, 'd/current') === 'keep\n', 'the first lines');
      writeFileSync(join(run.dir, 'd', 'config'), '-*keep*\npnew: \n');
      await run.signal('SIGHUP');
      await run.until(() => run.stderr().includes('append: d/current'), 'the reopening');
      await run.write('keep\ndrop this\n');
      await run.until(() => read(run, 'd/current').includes('drop'), 'the lines after HUP');
    },
  });
});

test('HUP: when no directory can be opened any more, svlogd exits 111', async () => {
  await svlogd({
    args: ['-v', 'd'],
    setup: dirs({ d: null }),
    during: async (run) => {
      await run.write('foo\n');
      await run.until(() => read(run, 'd/current') === 'foo\n', 'the first line');
      writeFileSync(join(run.dir, 'other'), '');
      // Replace the directory by a file: the reopening cannot work.
      const { renameSync } = await import('node:fs');
      renameSync(join(run.dir, 'd'), join(run.dir, 'old'));
      renameSync(join(run.dir, 'other'), join(run.dir, 'd'));
      await run.signal('SIGHUP');
      await run.until(() => run.stderr().includes('fatal'), 'the fatal message');
    },
  }).then((outcome) => assert.equal(outcome.code, 111));
});

test('TERM after a complete line: svlogd flushes and exits 0', async () => {
  await svlogd({
    args: ['-v', 'd'],
    setup: dirs({ d: null }),
    during: async (run) => {
      await run.write('foo\nbar\n');
      await run.until(() => read(run, 'd/current') === 'foo\nbar\n', 'the lines');
      await run.signal('SIGTERM');
      // With its stdin still open: the exit must not wait for the writer.
      await run.until(() => gone(run.pid), 'the exit after TERM');
    },
  });
});

test('TERM in mid-line: svlogd reads on to the end of that line, drops it, and exits', async () => {
  await svlogd({
    args: ['-v', 'd'],
    setup: dirs({ d: null }),
    during: async (run) => {
      await run.write('foo\nbar');
      await run.until(() => read(run, 'd/current') === 'foo\n', 'the first line');
      await run.signal('SIGTERM');
      await run.until(() => run.stderr().includes('sigterm received.'), 'the signal');
      await run.write('baz\nqux\n');
      await run.until(() => statSync(join(run.dir, 'd', 'current')).mode % 0o1000 === 0o744, 'the end');
    },
  });
});

// ---- several directories, and the errors --------------------------------------

test('several directories: each line goes to every directory whose patterns select it', async () => {
  await svlogd({
    args: ['-tt', 'all', 'errors', 'rest'],
    stdin: 'error: one\ninfo: two\nerror: three\nwarning: four\n',
    setup: dirs({ all: null, errors: '-*\n+error: *\n', rest: '-error: *\ne*\n' }),
  });
});

test('errors: a missing directory, a file, the same directory twice, none usable', async () => {
  await svlogd({ args: ['missing'], stdin: 'foo\n' });
  await svlogd({ args: ['-v', 'missing', 'd', 'file', 'd'], stdin: 'foo\n', setup: (dir) => {
    dirs({ d: null })(dir);
    writeFileSync(join(dir, 'file'), '');
  } });
  await svlogd({ args: ['file', 'file/x'], stdin: 'foo\n', setup: (dir) => writeFileSync(join(dir, 'file'), '') });
  await svlogd({ args: ['-v', 'a', 'd'], stdin: 'foo\nxx\n', setup: (dir) => {
    dirs({ a: 's100\n-*x*\n', d: null })(dir);
    mkdirSync(join(dir, 'd', 'config'));
  } });
});

test('verbose: what svlogd says while it opens, rotates, deletes and closes', async () => {
  const outcome = await svlogd({ args: ['-v', 'd'], stdin: lines(40), setup: dirs({ d: 's150\nn2\n' }) });
  assert.match(outcome.stderr, /delete: d\/@TAI64N\.s/);
});

// ---- a full disk ---------------------------------------------------------------

/**
 * Runs svlogd in a private mount namespace on a 16 KiB tmpfs (gone with the
 * namespace: nothing is left mounted on the machine) and reports what it left
 * there: stderr, the exit status, and each file's name, mode and content.
 * `pauses`: svlogd is expected to pause for good (a write that cannot succeed);
 * once it has said so, it is killed.
 */
async function onFullDisk(side: 'real' | 'ours', config: string, input: string, pauses: boolean): Promise<string> {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, rmSync, symlinkSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const scratch = mkdtempSync(join(tmpdir(), `svlogd-full-${side}-`));
  try {
    const program = join(scratch, 'svlogd');
    symlinkSync(side === 'real' ? '/usr/bin/svlogd' : BINARY, program);
    writeFileSync(join(scratch, 'config'), config);
    writeFileSync(join(scratch, 'input'), input);
    mkdirSync(join(scratch, 'disk'));
    const script = `
      set -e
      mount -t tmpfs -o size=16k tmpfs disk
      mkdir disk/d && cp config disk/d/config
      cd disk
      ../svlogd d <../input 2>../stderr & pid=$!
      ${pauses ? 'n=0; until grep -q pausing ../stderr; do n=$((n+1)); [ $n -lt 500 ] || break; sleep 0.02; done; kill -9 $pid' : ''}
      set +e; wait $pid; echo "exit $?"; set -e
      for f in d/*; do echo "== $f $(stat -c %a "$f")"; cat "$f"; done
      echo "== stderr"; cat ../stderr`;
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { cwd: scratch, encoding: 'latin1', timeout: 30_000 });
    assert.equal(result.status, 0, result.stderr);
    return normalizeStamps(result.stdout.replaceAll(scratch, '$SCRATCH'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

test('full disk: with N below n, the oldest rotated files go while more than N remain', async () => {
  const input = lines(400, (i) => `line ${i} ${'x'.repeat(40)}`);
  const real = await onFullDisk('real', 's3000\nn5\nN1\n', input, false);
  assert.match(real, /out of disk space, delete: d\/@TAI64N\.s/);
  assert.equal(await onFullDisk('ours', 's3000\nn5\nN1\n', input, false), real);
});

test('full disk: with nothing left to delete, svlogd pauses (unable to write to current)', async () => {
  const input = lines(400, (i) => `line ${i} ${'x'.repeat(40)}`);
  const real = await onFullDisk('real', 's100000\n', input, true);
  assert.match(real, /svlogd: pausing: unable to write to current: d: out of disk space/);
  assert.equal(await onFullDisk('ours', 's100000\n', input, true), real);
});

// ---- odd currents, and what a reload keeps -------------------------------------

test('current as a symlink loop (unable to stat current), as a dangling link (created through it)', async () => {
  const { symlinkSync } = await import('node:fs');
  await svlogd({ args: ['-v', 'd'], stdin: 'foo\n', setup: (dir) => {
    dirs({ d: null })(dir);
    symlinkSync('current', join(dir, 'd', 'current'));
  } });
  await svlogd({ args: ['d'], stdin: 'foo\n', setup: (dir) => {
    dirs({ d: null })(dir);
    symlinkSync('elsewhere', join(dir, 'd', 'current'));
  } });
});

test('current is a directory: svlogd pauses on it for good (killed here)', async () => {
  const outcome = await svlogd({
    args: ['d'],
    setup: (dir) => mkdirSync(join(dir, 'd', 'current'), { recursive: true }),
    during: async (run) => {
      await run.until(() => run.stderr().includes('pausing'), 'the pause');
      await run.signal('SIGKILL');
    },
  });
  assert.match(outcome.stderr, /^svlogd: pausing: unable to open current: d: is a directory\n/);
});

test('a startup .u is not given to the processor; a later rotation is', async () => {
  await svlogd({
    args: ['d'], stdin: lines(6),
    setup: (dir) => {
      dirs({ d: 's60\n!tr a-z A-Z\n' })(dir);
      writeFileSync(join(dir, 'd', 'current'), 'left over\n');
      chmodSync(join(dir, 'd', 'current'), 0o644);
    },
  });
});

test('HUP: stderr selection (e) outlives a config that no longer has patterns, as in svlogd', async () => {
  await svlogd({
    args: ['-v', 'd'],
    setup: dirs({ d: 'e*\n' }),
    during: async (run) => {
      await run.write('one\n');
      await run.until(() => read(run, 'd/current') === 'one\n', 'the first line');
      writeFileSync(join(run.dir, 'd', 'config'), 's5000\n');
      await run.signal('SIGHUP');
      await run.until(() => run.stderr().includes('append: d/current'), 'the reopening');
      await run.write('two\n');
      await run.until(() => read(run, 'd/current') === 'one\ntwo\n', 'the second line');
    },
  });
});

test('-b smaller than stamp, prefix and line together: the buffer writes through', async () => {
  // No stamp where rotations cut lines: a stamp cut in two cannot be normalized.
  await svlogd({ args: ['-l', '3', '-b', '4', 'd'], stdin: lines(12), setup: dirs({ d: 's90\npa long prefix of many bytes: \n' }) });
  await svlogd({ args: ['-tt', '-l', '3', '-b', '4', 'd'], stdin: lines(12), setup: dirs({ d: 'pa long prefix of many bytes: \n' }) });
});

// ---- seeded random configs and inputs ------------------------------------------

test('random patterns, sizes, counts, prefixes, -l/-b/-r/-R over random lines (fixed seed)', async () => {
  let seed = 20261201;
  // A small LCG: the same cases on every run, so a failure can be replayed.
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(choices: readonly T[]): T => choices[Math.floor(random() * choices.length)]!;
  const text = (most: number): string => Array.from({ length: Math.floor(random() * most) }, () => pick(['a', 'b', 'x', ':', ' ', '*', '+', '\t', 'é'])).join('');
  const pattern = (): string => Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['*', '+a', 'a', 'b', 'x', ':', ' ', '*:', '+x', '*b'])).join('');
  for (let n = 0; n < 40; n++) {
    const config = `${Array.from({ length: Math.floor(random() * 6) }, () => pick(['+', '-', 'e', 'E']) + pattern()).join('\n')}\n`
      + (random() < 0.5 ? `s${Math.floor(random() * 300)}\n` : '') + (random() < 0.3 ? `n${Math.floor(random() * 4)}\n` : '')
      + (random() < 0.3 ? `p${text(5)}\n` : '');
    const input = Array.from({ length: Math.floor(random() * 40) }, () => `${text(30)}\n`).join('') + (random() < 0.3 ? text(5) : '');
    const lineMax = pick([5, 10, 30, 1000]);
    const args = [...(random() < 0.3 ? ['-r', '_'] : []), ...(random() < 0.3 ? ['-R', 'ax'] : []), '-l', String(lineMax), '-b', String(lineMax + pick([1, 5, 100, 2000])), 'd'];
    await svlogd({ args, stdin: input, setup: dirs({ d: config }) });
  }
});

test('a rename that fails (an append-only directory): svlogd pauses, then goes on once it works', async () => {
  const { execFileSync } = await import('node:child_process');
  const chattr = (flag: string, path: string): void => void execFileSync('chattr', [flag, path]);
  await svlogd({
    args: ['d'],
    setup: (dir) => {
      dirs({ d: 's100\n' })(dir);
      // Files can be made in it, not renamed: the rotation's rename fails with EPERM.
      chattr('+a', join(dir, 'd'));
    },
    // How often it says so depends on how long the directory stays append-only.
    normalize: (text) => normalizeStamps(text).replace(/(svlogd: pausing: [^\n]*\n)\1+/g, '$1'),
    during: async (run) => {
      try {
        await run.write(lines(12));
        await run.until(() => run.stderr().includes('pausing'), 'the pause');
      } finally {
        chattr('-a', join(run.dir, 'd'));
      }
      await run.until(() => rotated(run, 'd').length > 0, 'the rotation once the rename works', 10_000);
      await run.write('after\n');
      await run.until(() => read(run, 'd/current').endsWith('after\n'), 'the line after');
    },
    timeoutMs: 20_000,
  }).then((outcome) => assert.match(outcome.stderr, /^svlogd: pausing: unable to rename current: d: permission denied\n$/));
});
