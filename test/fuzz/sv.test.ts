// sv against Debian's /usr/bin/sv on service directories whose supervise/ is
// made by hand: no supervisor runs, so every state a runsv could leave (and
// many it never would: short or garbage status records, regular files where
// FIFOs belong, FIFOs nobody reads) is cheap to build. The test itself holds
// the `ok` and `control` FIFOs open for reading where it plays a live runsv,
// and afterwards reads what sv wrote to `control`. Each side gets a fresh copy
// of the same directories; stdout, stderr, the exit code, every file and the
// bytes written to each control FIFO must agree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Case, type Outcome, runSide } from '../differential/harness.ts';
import { fuzz } from './fuzzing.ts';

type Fifo = 'held' | 'unread' | 'file' | 'missing';

interface Status {
  /** The stamp: seconds from the moment the directory is made (negative: in the past). */
  offset: number;
  nano: number;
  pid: number;
  paused: number;
  want: number;
  term: number;
  state: number;
  /** The record's length: 20 as runit writes, 18 as daemontools did, or anything. */
  length: number;
}

interface Supervise {
  kind: 'dir' | 'file' | 'missing' | 'link';
  ok: Fifo;
  control: Fifo;
  lock: boolean;
  status: Status | Uint8Array | null;
}

interface Service {
  name: string;
  kind: 'dir' | 'file';
  supervise: Supervise;
  down: boolean;
  check: 'none' | 'pass' | 'fail' | 'talk' | 'slow-fail' | 'noexec' | 'noshebang' | 'directory';
  /** log/: none, an empty directory, or one with its own supervise/. */
  log: 'none' | 'empty' | 'file' | Supervise;
}

interface Input {
  services: Service[];
  options: string[];
  command: string;
  names: string[];
  /** Called as an init.d script of this name (runit's LSB mode), or as sv. */
  calledAs: string | null;
  /** $SVDIR, relative to the working directory; null: '.' */
  svdir?: string | null;
}

const NAMES = ['web', 'db', 'a b', 'x.y', '-v'];

const COMMANDS = [
  'status', 'up', 'down', 'once', 'pause', 'cont', 'hup', 'alarm', 'interrupt', 'quit', '1', '2', 'term', 'kill', 'exit',
  'start', 'stop', 'restart', 'reload', 'shutdown', 'force-stop', 'force-reload', 'force-restart', 'force-shutdown',
  'try-restart', 'check', 's', 'u', 'd', 'o', 'p', 'c', 'h', 'a', 'i', 'q', 't', 'k', 'x', 'e', 'bogus', 'D', 'X', '',
];

const fifo: fc.Arbitrary<Fifo> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Fifo>('held') },
  { weight: 1, arbitrary: fc.constantFrom<Fifo>('unread', 'file', 'missing') },
);

const byteOf = (usual: number[]): fc.Arbitrary<number> =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) });

const status: fc.Arbitrary<Status> = fc.record({
  offset: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: -100_000, max: 0 }) },
    { weight: 1, arbitrary: fc.integer({ min: -2_000_000_000, max: 0 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000_000 }) },
  ),
  nano: fc.oneof(fc.constant(500), fc.integer({ min: 0, max: 999_999_999 }), fc.constant(0xffffffff)),
  pid: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 99_999 }) }, { weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(0xffffffff) }),
  paused: byteOf([0, 1]),
  want: byteOf([0x75, 0x64]),
  term: byteOf([0, 1]),
  state: byteOf([0, 1, 2]),
  length: fc.oneof({ weight: 8, arbitrary: fc.constant(20) }, { weight: 1, arbitrary: fc.constantFrom(18, 19, 21, 0) }),
});

const supervise: fc.Arbitrary<Supervise> = fc.record({
  kind: fc.oneof({ weight: 8, arbitrary: fc.constant<Supervise['kind']>('dir') }, { weight: 1, arbitrary: fc.constantFrom<Supervise['kind']>('file', 'missing', 'link') }),
  ok: fifo,
  control: fifo,
  lock: fc.boolean(),
  status: fc.oneof(
    { weight: 8, arbitrary: status },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.constant(null) },
  ),
});

const service: fc.Arbitrary<Service> = fc.record({
  name: fc.constantFrom(...NAMES),
  kind: fc.oneof({ weight: 12, arbitrary: fc.constant<'dir'>('dir') }, { weight: 1, arbitrary: fc.constant<'file'>('file') }),
  supervise,
  down: fc.boolean(),
  check: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Service['check']>('none') },
    { weight: 1, arbitrary: fc.constantFrom<Service['check']>('pass', 'fail', 'talk', 'slow-fail', 'noexec', 'noshebang', 'directory') },
  ),
  log: fc.oneof(
    { weight: 3, arbitrary: fc.constant<Service['log']>('none') },
    { weight: 1, arbitrary: fc.constantFrom<Service['log']>('empty', 'file') },
    { weight: 2, arbitrary: supervise },
  ),
});

/** How a service is named on the command line: bare (under $SVDIR), ./, absolute, with a trailing slash, its log. */
function spell(name: string, how: number): string {
  return [name, `./${name}`, `$DIR/${name}`, `${name}/`, `${name}/log`, name][how]!;
}

// Options: mostly none or -v; a wait only now and then, and at most 1 s: nobody answers, so a wait
// that is not satisfied at once costs all of it, on both sides.
const options: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<readonly string[]>([]) },
  { weight: 3, arbitrary: fc.constant<readonly string[]>(['-v']) },
  { weight: 3, arbitrary: fc.constantFrom<readonly string[]>(['-w', '0'], ['-w0'], ['-vw', '0']) },
  { weight: 1, arbitrary: fc.constantFrom<readonly string[]>(['-w', '1'], ['-v', '-w', '1']) },
  // Not -V: README's sv section says it prints our version, not runit's $Id line, on purpose.
  { weight: 1, arbitrary: fc.constantFrom<readonly string[]>(['-w'], ['-x'], ['-w', 'z'], ['-vx'], ['--'], ['-w', '-1']) },
).map((list): string[] => [...list]);

/** One to three services and a command line naming some of them (or others), as sv or as an init.d link. */
const input: fc.Arbitrary<Input> = fc.record({
  services: fc.uniqueArray(service, { minLength: 1, maxLength: 3, selector: (s) => s.name }),
  options,
  command: fc.constantFrom(...COMMANDS),
  names: fc.array(fc.tuple(fc.constantFrom(...NAMES, 'nosuch'), fc.integer({ min: 0, max: 5 })).map(([name, how]) => spell(name, how)), { minLength: 0, maxLength: 3 }),
  calledAs: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('web', 'db', 'x.y', 'nosuch') }),
  svdir: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('./', '', 'nosuch', 'web', '../work') }),
}).map((i) => ({ ...i, names: i.names.length === 0 && i.command !== '' ? [i.services[0]!.name] : i.names }));

/** FIFOs a side holds open for reading, by working directory: its live "runsv". */
const held = new Map<string, Array<{ fd: number; control: string | null }>>();

function mkfifo(path: string): void {
  execFileSync('mkfifo', ['-m', '600', path]);
}

function statusBytes(s: Status | Uint8Array, made: number): Buffer {
  if (s instanceof Uint8Array) return Buffer.from(s);
  const bytes = Buffer.alloc(Math.max(20, s.length));
  bytes.writeBigUInt64BE(2n ** 62n + 10n + BigInt(made + s.offset), 0);
  bytes.writeUInt32BE(s.nano, 8);
  bytes.writeUInt32LE(s.pid, 12);
  bytes[16] = s.paused;
  bytes[17] = s.want;
  bytes[18] = s.term;
  bytes[19] = s.state;
  return bytes.subarray(0, s.length);
}

function makeFifo(dir: string, path: string, kind: Fifo, isControl: boolean): void {
  if (kind === 'missing') return;
  if (kind === 'file') return writeFileSync(path, '');
  mkfifo(path);
  if (kind === 'held') {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    held.set(dir, [...(held.get(dir) ?? []), { fd, control: isControl ? path : null }]);
  }
}

function makeSupervise(work: string, directory: string, s: Supervise, made: number): void {
  const path = join(directory, 'supervise');
  if (s.kind === 'missing') return;
  if (s.kind === 'file') return writeFileSync(path, 'not a directory\n');
  if (s.kind === 'link') {
    mkdirSync(`${path}.real`);
    symlinkSync('supervise.real', path);
  } else {
    mkdirSync(path, { mode: 0o700 });
  }
  makeFifo(work, join(path, 'ok'), s.ok, false);
  makeFifo(work, join(path, 'control'), s.control, true);
  if (s.lock) writeFileSync(join(path, 'lock'), '', { mode: 0o600 });
  if (s.status !== null) writeFileSync(join(path, 'status'), statusBytes(s.status, made));
}

const CHECKS: Record<Exclude<Service['check'], 'none' | 'noexec' | 'noshebang' | 'directory'>, string> = {
  pass: 'exit 0',
  fail: 'exit 1',
  // Its stdout is closed under runit's sv: only stderr shows.
  talk: 'echo "check says hi" >&2; exit 0',
  'slow-fail': 'sleep 0.1; exit 3',
};

function setup(dir: string, i: Input): void {
  const made = Math.floor(Date.now() / 1000);
  for (const s of i.services) {
    const directory = join(dir, s.name);
    if (s.kind === 'file') {
      writeFileSync(directory, '');
      continue;
    }
    mkdirSync(directory);
    writeFileSync(join(directory, 'run'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
    if (s.down) writeFileSync(join(directory, 'down'), '');
    if (s.check === 'noexec') writeFileSync(join(directory, 'check'), '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    else if (s.check === 'noshebang') writeFileSync(join(directory, 'check'), 'exit 0\n', { mode: 0o755 });
    else if (s.check === 'directory') mkdirSync(join(directory, 'check'));
    else if (s.check !== 'none') writeFileSync(join(directory, 'check'), `#!/bin/sh\n${CHECKS[s.check]}\n`, { mode: 0o755 });
    makeSupervise(dir, directory, s.supervise, made);
    if (s.log === 'empty') mkdirSync(join(directory, 'log'));
    else if (s.log === 'file') writeFileSync(join(directory, 'log'), '');
    else if (s.log !== 'none') {
      mkdirSync(join(directory, 'log'));
      makeSupervise(dir, join(directory, 'log'), s.log, made);
    }
  }
}

/** Drains each held control FIFO into a file beside it, so that the comparison of files includes what sv wrote. */
function collect(dir: string): void {
  for (const { fd, control } of held.get(dir) ?? []) {
    if (control === null) continue;
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(4096);
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw error;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    writeFileSync(`${control}.written`, Buffer.concat(chunks));
  }
}

function release(dir: string): void {
  for (const { fd } of held.get(dir) ?? []) closeSync(fd);
  held.delete(dir);
}

/**
 * The seconds a status line shows (`13s`) are now minus the record's stamp. Each side writes its
 * stamp as "made + offset" when its copy is made, so both show the same number, except that the
 * clock may pass a second boundary between making the copy and sv reading it: more on a busy
 * machine. The numbers are taken out and compared with that slack (the time each side took from
 * making its copy to its end, rounded up, plus one).
 */
const SECONDS = /(\(pid \d+\) |: )(\d+)s\b/g;
function seconds(text: string): bigint[] {
  // BigInt: a garbage stamp gives numbers near 2^64, where a double is not exact to the second.
  return [...text.matchAll(SECONDS)].map((m) => BigInt(m[2]!));
}
const withoutSeconds = (text: string): string => text.replace(SECONDS, '$1Ns');

function readable(i: Input): string {
  const show = (value: unknown): unknown => (value instanceof Uint8Array ? `<hex ${Buffer.from(value).toString('hex')}>` : value);
  return JSON.stringify(i, (_, value: unknown) => show(value));
}

async function side(i: Input, which: 'real' | 'ours'): Promise<{ outcome: Outcome; seconds: number }> {
  let started = 0;
  const c: Case = {
    program: 'sv',
    calledAs: i.calledAs ?? undefined,
    args: [...i.options, ...(i.command === '' ? [] : [i.command]), ...i.names],
    // SVWAIT=0: the commands that wait by default (start, stop, restart, ...) would wait 7 s for a supervisor that never answers.
    env: { SVDIR: i.svdir ?? '.', SVWAIT: '0' },
    setup: (dir) => {
      started = performance.now();
      setup(dir, i);
    },
    // Each side stamps its copy when it makes it (see SECONDS below): the stamp's 8 bytes differ by nature.
    normalizeFile: (path, content) => (/supervise(\.real)?\/status$/.test(path) && content.length >= 8 ? `<stamp>${content.slice(8)}` : content),
    after: collect,
    cleanup: release,
    timeoutMs: 10_000,
  };
  const outcome = await runSide(c, which);
  return { outcome, seconds: (performance.now() - started) / 1000 };
}

/**
 * sv polls every 420 ms until its wait is over, running ./check at each poll: how many polls fit in a
 * wait of 1 s is up to the machine's load (4 when idle, fewer when busy), and a check that cannot run
 * says so at each. With such a wait only the distinct lines about ./check are compared, after the rest.
 */
function polls(i: Input, stderr: string): string {
  if (!i.options.includes('1')) return stderr;
  const lines = stderr.split('\n');
  const checks = [...new Set(lines.filter((line) => line.includes('/check')))].sort();
  return [...lines.filter((line) => !line.includes('/check')), ...checks].join('\n');
}

/** What differs between the two outcomes, one line a field or file. */
function differences(real: Outcome, ours: Outcome): string {
  const lines: string[] = [];
  for (const key of ['stdout', 'stderr', 'code', 'signal'] as const) {
    if (real[key] !== ours[key]) lines.push(`${key}: real ${JSON.stringify(real[key])}, ours ${JSON.stringify(ours[key])}`);
  }
  for (const path of new Set([...Object.keys(real.files), ...Object.keys(ours.files)])) {
    const [a, b] = [JSON.stringify(real.files[path]), JSON.stringify(ours.files[path])];
    if (a !== b) lines.push(`${path}: real ${a}, ours ${b}`);
  }
  return lines.join('\n');
}

async function check(i: Input): Promise<void> {
  const real = await side(i, 'real');
  const ours = await side(i, 'ours');
  const what = `${i.calledAs ?? 'sv'} ${[...i.options, i.command, ...i.names].join(' ')} on\n${readable(i)}`;
  const slack = Math.ceil(Math.max(real.seconds, ours.seconds)) + 1;
  const a = seconds(real.outcome.stdout);
  const b = seconds(ours.outcome.stdout);
  assert.equal(b.length, a.length, `${what}\nhow many times are shown:\nreal: ${real.outcome.stdout}\nours: ${ours.outcome.stdout}`);
  const distance = (x: bigint, y: bigint): bigint => (x > y ? x - y : y - x);
  a.forEach((n, k) => assert.ok(distance(n, b[k]!) <= BigInt(slack), `${what}\nseconds differ by more than ${slack}:\nreal: ${real.outcome.stdout}\nours: ${ours.outcome.stdout}`));
  const plain = (o: Outcome): Outcome => ({ ...o, stdout: withoutSeconds(o.stdout), stderr: polls(i, withoutSeconds(o.stderr)) });
  assert.deepEqual(plain(ours.outcome), plain(real.outcome), `${what}\nours differs from Debian's:\n${differences(plain(real.outcome), plain(ours.outcome))}`);
}

// A round runs both programs once on up to 3 services (about 60 ms of setup and runs), plus the
// waits nobody answers: a -w 0 or SVWAIT=0 one pass more (0.42 s a side), a rare -w 1 (1.3 s a
// side). 80 rounds take about 16 s on an idle machine.
test('fuzz: sv on hand-made supervise/ states, as Debian\'s sv', () => fuzz('sv hand-made states', input, check, { runs: 80 }));

/** A plausible service directory: supervise/ with both FIFOs held, a lock, and this status record. */
function handMade(name: string, record: Partial<Status>, extra: Partial<Service> = {}): Service {
  const status: Status = { offset: -5, nano: 500, pid: 42, paused: 0, want: 0x75, term: 0, state: 1, length: 20, ...record };
  return {
    name, kind: 'dir', down: false, check: 'none', log: 'none',
    supervise: { kind: 'dir', ok: 'held', control: 'held', lock: true, status }, ...extra,
  };
}

// Our sv chose `run:`/`down:` and whether to show the pid by the pid, runit's by the state byte: a
// record with a pid and state 0 (down) showed `web: (pid 1) 0s` where runit shows `down: web: 0s`,
// and a pid of 2^31 or more is a negative C int that runit prints as an unsigned long.
test('regression: sv status shows the state byte\'s word, and the pid only when not down', () => check({
  services: [handMade('web', { pid: 1, state: 0 }), handMade('db', { pid: 0xffffffff, state: 2 }), handMade('x.y', { pid: 7, state: 9 })],
  options: [], command: 'status', names: ['web', 'db', 'x.y'], calledAs: null,
}));

// Our sv computed the seconds in doubles: a stamp far from now (here the log's garbage record, which
// runit's sv reads over the service's first bytes) printed 3988303752867112000s for 3988303752867111427s.
test('regression: sv status prints seconds exact to 64 bits', () => check({
  services: [
    { ...handMade('web', {}), log: { kind: 'dir', ok: 'held', control: 'held', lock: true, status: Uint8Array.from([8, 166, 178, 222, 141]) } },
    handMade('db', { offset: 0 }, { supervise: { kind: 'dir', ok: 'held', control: 'held', lock: true, status: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0x75, 0, 1]) } }),
  ],
  options: [], command: 'status', names: ['web', 'db'], calledAs: null,
}));

// Our sv looked up `web/` under $SVDIR (runit's only at its waiting passes, which test the first
// character alone), and took a set but empty $SVDIR for the default /etc/service/.
test('regression: sv finds name/ from the working directory, and under an empty $SVDIR nothing', async () => {
  await check({ services: [handMade('web', {})], options: [], command: 'status', names: ['web/'], calledAs: null, svdir: 'nosuch' });
  await check({ services: [handMade('web', {})], options: ['-v'], command: 'up', names: ['web/', 'web'], calledAs: null, svdir: 'nosuch' });
  await check({ services: [handMade('web', {})], options: [], command: 'status', names: ['web', '', './web'], calledAs: null, svdir: '' });
});

// Our sv did not wait for `pause` and `cont` (runit's waits for the paused byte): `sv -v cont`
// on a paused service said `ok:` at once where runit's times out.
test('regression: sv -v pause and cont wait for the paused byte', async () => {
  await check({ services: [handMade('web', { paused: 1 })], options: ['-v'], command: 'cont', names: ['web'], calledAs: null });
  await check({ services: [handMade('web', { paused: 0 })], options: ['-w', '0'], command: 'pause', names: ['web'], calledAs: null });
});
