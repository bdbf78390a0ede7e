// my_init as PID 1 over an /etc/service full of random entries: good and
// broken `run` files, `finish`, `down`, `check`, `log/`, `control/`,
// `depends` (unknown names, slashes, cycles), symlinked service directories,
// garbage beside them, odd names. Among them, each round, one or two CANARY
// services that must run whatever the rest is. The oracle is a model of the
// README's rules (Services, Dependencies between services, Reliability's
// "one line naming the file, said once"): it decides which entries are bad
// and so must be named in exactly one line, which must not be named at all,
// and which may be named at most once (where timing decides whether their
// moment comes before the TERM that ends the round).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { BINARY, type FileSpec, runAndClean, type RunResult, script, withMain } from '../system/harness.ts';
import { fuzz } from './fuzzing.ts';

type Run = 'good' | 'exits' | 'noexec' | 'empty' | 'directory' | 'dangling' | 'garbage' | 'noshebang' | 'missing';
const BAD_RUNS: ReadonlySet<Run> = new Set(['noexec', 'empty', 'directory', 'dangling', 'garbage', 'noshebang', 'missing']);

interface Service {
  name: string;
  run: Run;
  finish: 'none' | 'good' | 'bad';
  down: boolean;
  check: 'none' | 'pass' | 'fail' | 'bad';
  log: 'none' | 'good' | 'norun' | 'bad';
  /** control/<c> overrides: a letter and whether the script is good (exits 0, which skips runsv's own action). */
  control: Array<{ letter: string; good: boolean }>;
  /** The lines of `depends`, or a directory in its place, or none. */
  depends: string[] | 'directory' | null;
  /** Where the directory is: in /etc/service, or in /etc/sv with a symlink in /etc/service. */
  linked: boolean;
  mode: number;
}

interface Canary {
  name: string;
  log: boolean;
  check: boolean;
  finish: boolean;
  /** Depends on the first canary (only the second may). */
  dependsOnFirst: boolean;
  linked: boolean;
}

/** What is in /etc/service beside services: none of it is a service, and none of it may be named. */
type Garbage = 'file' | 'fifo' | 'dangling' | 'dotted' | 'filelink' | 'dotfile';

interface Round {
  services: Service[];
  canaries: Canary[];
  garbage: Array<{ name: string; kind: Garbage }>;
  /** A service directory whose name is not UTF-8 (b, 0xff, then this). */
  notUtf8: string | null;
}

// Names: plain, dotted inside, spaces, a leading dash, non-ASCII, control characters (which a line
// shows as \xHH, as it shows bytes that are not UTF-8: README); never a comma (the cycle line
// lists names joined by ", ") and never a leading dot (not a service).
const SERVICE_NAMES = ['app', 'db', 'a.b', 'sp ace', '-dash', 'x_y', 'ünï', 'web', 'c@t', '日本', 'new\nline', 'esc\u001b[0m'];
const CANARY_NAMES = ['canary', 'can ary', 'cänary.2'];
const GARBAGE_NAMES = ['README', 'notes.txt', '.git', '.old', 'link', 'pipe'];

/** A line of a depends file: mostly the round's own services (itself included) and canaries, some refused names. */
const dependsLine = (present: string[]): fc.Arbitrary<string> => fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...present) },
  { weight: 1, arbitrary: fc.constantFrom(...present).map((name) => `  ${name} `) },
  { weight: 2, arbitrary: fc.constantFrom('missing', 'a/b', '.hidden', '../db', '# a comment', '', '#db', ...SERVICE_NAMES) },
);

const service = (name: string, present: string[]): fc.Arbitrary<Service> => fc.record({
  name: fc.constant(name),
  run: fc.oneof(
    { weight: 4, arbitrary: fc.constant<Run>('good') },
    { weight: 2, arbitrary: fc.constant<Run>('exits') },
    { weight: 4, arbitrary: fc.constantFrom<Run>('noexec', 'empty', 'directory', 'dangling', 'garbage', 'noshebang', 'missing') },
  ),
  finish: fc.constantFrom('none', 'none', 'good', 'bad'),
  down: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  check: fc.constantFrom('none', 'none', 'pass', 'fail', 'bad'),
  log: fc.constantFrom('none', 'none', 'good', 'norun', 'bad'),
  control: fc.uniqueArray(fc.record({ letter: fc.constantFrom('t', 'u', 'd', 'x', 'h', 'k'), good: fc.boolean() }), { maxLength: 2, selector: (c) => c.letter }),
  depends: fc.oneof(
    { weight: 4, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.array(dependsLine(present), { minLength: 0, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<'directory'>('directory') },
  ),
  linked: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  mode: fc.constantFrom(0o755, 0o755, 0o700, 0o555, 0o000, 0o1777),
});

const canary = (name: string, index: number): fc.Arbitrary<Canary> => fc.record({
  name: fc.constant(name),
  log: fc.boolean(),
  check: fc.boolean(),
  finish: fc.boolean(),
  dependsOnFirst: index === 0 ? fc.constant(false) : fc.boolean(),
  linked: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const round: fc.Arbitrary<Round> = fc.record({
  names: fc.subarray(SERVICE_NAMES, { minLength: 1, maxLength: 5 }),
  canaryNames: fc.integer({ min: 1, max: 2 }).chain((n) => fc.shuffledSubarray(CANARY_NAMES, { minLength: n, maxLength: n })),
}).chain(({ names, canaryNames }) => fc.record({
  services: fc.tuple(...names.map((name) => service(name, [...names, ...canaryNames]))),
  canaries: fc.tuple(...canaryNames.map((name, i) => canary(name, i))),
  garbage: fc.uniqueArray(fc.record({ name: fc.constantFrom(...GARBAGE_NAMES), kind: fc.constantFrom<Garbage>('file', 'fifo', 'dangling', 'dotted', 'filelink', 'dotfile') }),
    { maxLength: 3, selector: (g) => g.name }),
  notUtf8: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('d', '.x', ' e') }),
})).map((r) => ({
  ...r,
  // A dotted garbage entry needs a dotted name, and a plain one a plain name.
  garbage: r.garbage.map((g) => ({ ...g, name: g.kind === 'dotted' || g.kind === 'dotfile' ? (g.name.startsWith('.') ? g.name : `.${g.name}`) : g.name.replace(/^\./, '_') })),
}));

const SV = '/etc/fuzz/sv';
const SERVICE_DIR = '/etc/service';

/** Where a service's files go: its own directory, or /etc/sv/NAME behind a symlink. */
function home(name: string, linked: boolean): string {
  return linked ? `/etc/sv/${name}` : `${SERVICE_DIR}/${name}`;
}

const RUNS: Record<Run, FileSpec | null> = {
  good: script('exec sleep 1000'),
  exits: script('exit 3'),
  noexec: { content: '#!/bin/sh\nexec sleep 1000\n', mode: 0o644 },
  empty: { content: '', mode: 0o755 },
  directory: null, // Made below: run/ with a file in it.
  dangling: { symlink: '/etc/nowhere/run' },
  garbage: { content: Uint8Array.from([0x01, 0xff, 0x00, 0x80, 0x0a, 0x23, 0x21, 0x0a]), mode: 0o755 },
  noshebang: { content: 'exec sleep 1000\n', mode: 0o755 },
  missing: null,
};

function serviceFiles(s: Service): Record<string, FileSpec> {
  const dir = home(s.name, s.linked);
  const files: Record<string, FileSpec> = { [dir]: { directory: true, mode: s.mode } };
  if (s.linked) files[`${SERVICE_DIR}/${s.name}`] = { symlink: dir };
  const run = RUNS[s.run];
  if (run !== null) files[`${dir}/run`] = run;
  if (s.run === 'directory') files[`${dir}/run/README`] = 'not a program\n';
  if (s.finish === 'good') files[`${dir}/finish`] = script('exit 0');
  if (s.finish === 'bad') files[`${dir}/finish`] = { content: 'exit 0\n', mode: 0o755 };
  if (s.down) files[`${dir}/down`] = '';
  if (s.check === 'pass') files[`${dir}/check`] = script('exit 0');
  if (s.check === 'fail') files[`${dir}/check`] = script('exit 1');
  if (s.check === 'bad') files[`${dir}/check`] = { content: 'exit 0\n', mode: 0o755 };
  if (s.log === 'good') files[`${dir}/log/run`] = script('exec cat > /dev/null');
  if (s.log === 'norun') files[`${dir}/log/README`] = 'no run here\n';
  if (s.log === 'bad') files[`${dir}/log/run`] = { content: 'exec cat\n', mode: 0o755 };
  for (const c of s.control) files[`${dir}/control/${c.letter}`] = c.good ? script('exit 0') : { content: 'exit 0\n', mode: 0o755 };
  if (s.depends === 'directory') files[`${dir}/depends/README`] = 'a directory\n';
  else if (s.depends !== null) files[`${dir}/depends`] = s.depends.map((line) => `${line}\n`).join('');
  // The mode last: a directory made 0o000 is still root's to fill, but keep the order plain.
  return files;
}

function canaryFiles(c: Canary, first: string): Record<string, FileSpec> {
  const dir = home(c.name, c.linked);
  const files: Record<string, FileSpec> = {
    [`${dir}/run`]: script(': > marker\nexec sleep 1000'),
  };
  if (c.linked) files[`${SERVICE_DIR}/${c.name}`] = { symlink: dir };
  if (c.log) files[`${dir}/log/run`] = script('exec cat > /dev/null');
  if (c.check) files[`${dir}/check`] = script('[ -e marker ]');
  if (c.finish) files[`${dir}/finish`] = script('exit 0');
  if (c.dependsOnFirst) files[`${dir}/depends`] = `# the first canary\n${first}\n`;
  return files;
}

function garbageFiles(g: { name: string; kind: Garbage }): Record<string, FileSpec> {
  const path = `${SERVICE_DIR}/${g.name}`;
  switch (g.kind) {
    case 'file': return { [path]: 'not a service\n' };
    case 'fifo': return {}; // Made in setup.
    case 'dangling': return { [path]: { symlink: '/etc/nowhere' } };
    case 'dotted': return { [`${path}/run`]: { content: 'never run\n', mode: 0o755 } };
    case 'filelink': return { [path]: { symlink: '/etc/hostname-of-nothing' }, '/etc/hostname-of-nothing': 'x\n' };
    case 'dotfile': return { [path]: 'hidden\n' };
  }
}

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/**
 * The main command: wait for each canary's marker, then until sv says it runs, show its status,
 * say so, and wait for the TERM. The wait for `run:` is a bound, not a measurement: a run can
 * write its marker before its supervisor has written supervise/status (runsv too forks first
 * and writes the status after), so a status read at once may still say down.
 */
function mainScript(r: Round): string {
  const markers = r.canaries.map((c) => `[ -e ${quote(`${SERVICE_DIR}/${c.name}/marker`)} ]`).join(' && ');
  const running = (name: string): string => quote(`${SV} status ${quote(name)} | grep -q '^run: '`);
  const answers = (name: string): string => quote(`${SV} status ${quote(name)} | grep -Eq '^(run|down|finish): '`);
  return `
wait_for ${quote(markers)} 20
${r.canaries.map((c) => `wait_for ${running(c.name)} 10 >/dev/null; ${SV} status ${quote(c.name)}`).join('\n')}
${r.services.map((s) => `wait_for ${answers(s.name)} 10 >/dev/null; ${SV} status ${quote(s.name)}`).join('\n')}
echo FUZZ-ROUND-DONE
exec sleep 1000
`;
}

/** A name as a `*** ` line shows it: control characters as \xHH, so that it stays one line. */
const shown = (name: string): string => name.replaceAll(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** The not-UTF-8 name as my_init shows such names (README: `A\xffB`). */
const notUtf8Shown = (suffix: string): string => `b\\xff${suffix}`;

interface Expectations {
  /** Text that exactly one line must contain. */
  once: string[];
  /** Text that no line may contain. */
  never: string[];
}

/**
 * The model: README's rules, applied to the round.
 *
 * - Services are the directories of /etc/service (a symlink to one counts) whose name does not start with `.`.
 * - `depends`: blank lines, `#` lines and spaces around a name are skipped; a name with a slash or starting
 *   with `.`, a name that is not a service, or a file that cannot be read leaves the service down with one line
 *   (naming its depends file); a cycle among the rest leaves its members down with one line naming them.
 * - A service started (no depends, no `down`) whose run cannot be executed, or whose log/ has no usable run, gets one
 *   line naming that file; a finish that cannot run gets one once run has exited (a run that exits at once).
 * - Nothing that is not a service is named; a canary (good in every way) is never named.
 */
function expectations(r: Round): Expectations {
  const once: string[] = [];
  const never: string[] = [];
  const present = new Set([...r.services.map((s) => s.name), ...r.canaries.map((c) => c.name)]);
  const candidates = new Map<string, string[]>();
  for (const s of r.services) {
    const dir = `${SERVICE_DIR}/${shown(s.name)}`;
    let names: string[] | null = [];
    if (s.depends === 'directory') names = null;
    else if (s.depends !== null) {
      // A name with a newline is two lines of the file.
      const listed = s.depends.join('\n').split('\n').map((line) => line.trim()).filter((name) => name !== '' && !name.startsWith('#'));
      if (listed.some((name) => name.includes('/') || name.startsWith('.') || !present.has(name))) names = null;
      else names = listed;
    }
    if (names === null) {
      once.push(`${dir}/depends`);
      never.push(`${dir}/run:`);
      continue;
    }
    if (names.length > 0) {
      candidates.set(s.name, names);
      continue;
    }
    // Started at boot (unless down).
    if (s.down) never.push(`${dir}/run:`);
    else if (BAD_RUNS.has(s.run)) once.push(`${dir}/run:`);
    else never.push(`${dir}/run:`);
    if (!s.down && s.run === 'exits' && s.finish === 'bad') once.push(`${dir}/finish:`);
    if (s.log === 'norun' || s.log === 'bad') once.push(`${dir}/log/run:`);
  }
  for (const name of onCycles(candidates)) once.push(`cycle:${name}`);
  for (const c of r.canaries) never.push(`${SERVICE_DIR}/${c.name}/`, `${SERVICE_DIR}/${c.name}:`, ` ${c.name}.`);
  for (const g of r.garbage) never.push(`${SERVICE_DIR}/${g.name}`);
  if (r.notUtf8 !== null) once.push(notUtf8Shown(r.notUtf8));
  return { once, never };
}

/** The services on a cycle of `graph` (edges to names outside it lead nowhere): in a strongly connected component of two or more, or naming themselves. */
function onCycles(graph: Map<string, string[]>): string[] {
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const stack = [...(graph.get(from) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next === to) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(graph.get(next) ?? []));
    }
    return false;
  };
  return [...graph.keys()].filter((name) => reaches(name, name));
}

/** How many lines contain `text`; `cycle:NAME` counts the cycle lines whose "not starting" list holds NAME. */
function linesWith(lines: string[], text: string): string[] {
  if (text.startsWith('cycle:')) {
    const name = text.slice('cycle:'.length);
    return lines.filter((line) => {
      const m = /^\*\*\* Warning: dependency cycle in \/etc\/service: .*; not starting (.*)\.$/.exec(line);
      return m !== null && m[1]!.split(', ').includes(shown(name));
    });
  }
  return lines.filter((line) => line.includes(text));
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function describe(r: Round): string {
  return JSON.stringify(r);
}

async function check(r: Round): Promise<void> {
  const files: Record<string, FileSpec> = { [SV]: { symlink: BINARY } };
  for (const s of r.services) Object.assign(files, serviceFiles(s));
  for (const c of r.canaries) Object.assign(files, canaryFiles(c, r.canaries[0]!.name));
  for (const g of r.garbage) Object.assign(files, garbageFiles(g));
  const expected = expectations(r);
  const result: RunResult = await runAndClean(withMain(mainScript(r), {
    env: { SERVICE_RESTART_DELAY: '0.05', SERVICE_RESTART_DELAY_MAX: '0.2', KILL_PROCESS_TIMEOUT: '1', SERVICE_DEPENDENCY_TIMEOUT: '30' },
    files,
    timeoutMs: 60_000,
    setup: (fixture) => {
      for (const g of r.garbage) if (g.kind === 'fifo') execFileSync('mkfifo', [join(fixture, SERVICE_DIR, g.name)]);
      if (r.notUtf8 !== null) {
        const dir = Buffer.concat([Buffer.from(`${join(fixture, SERVICE_DIR)}/b`), Buffer.from([0xff]), Buffer.from(r.notUtf8)]);
        mkdirSync(dir, { recursive: true });
        writeFileSync(Buffer.concat([dir, Buffer.from('/run')]), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
      }
    },
    during: async (init) => {
      await init.waitForOutput(/^FUZZ-ROUND-DONE$/m, 40_000).catch(() => {}); // The assertions below say what was missing.
      // The lines the model wants once, before the TERM: each comes at the first start (or exit) of its service.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !expected.once.every((text) => linesWith(init.output().split('\n'), text).length > 0)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await init.signal('SIGTERM');
    },
  }));
  const what = `${describe(r)}\noutput:\n${result.all}`;
  assert.doesNotMatch(result.all, /^\s+at /m, `a stack trace:\n${what}`);
  assert.doesNotMatch(result.all, /Internal error|TypeError|RangeError|ReferenceError|InternalError|uncaught/i, `an engine error:\n${what}`);
  const lines = result.stderr.split('\n');
  for (const c of r.canaries) {
    assert.match(result.stdout, new RegExp(`^run: ${escape(c.name)}: \\(pid \\d+\\) \\d+s`, 'm'), `canary ${c.name} is not running:\n${what}`);
  }
  // Every service is supervised, broken or not, and so has runit's status files (README, Services:
  // supervise/ is written exactly as runsv writes it): sv shows a state for each, never a warning.
  for (const s of r.services) {
    assert.match(result.stdout, new RegExp(`^(run|down|finish): ${escape(s.name)}: `, 'm'), `sv status ${s.name} shows no state:\n${what}`);
  }
  assert.doesNotMatch(result.stdout, /warning:|fail:/, `sv status warned:\n${what}`);
  for (const text of expected.once) {
    const found = linesWith(lines, text);
    assert.equal(found.length, 1, `exactly one line must name ${JSON.stringify(text)}, got ${found.length}:\n${found.join('\n')}\n${what}`);
  }
  for (const text of expected.never) {
    const found = linesWith(lines, text);
    assert.deepEqual(found, [], `no line may name ${JSON.stringify(text)}:\n${what}`);
  }
  const warnings = lines.filter((line) => line.startsWith('*** '));
  const repeated = warnings.filter((line, i) => warnings.indexOf(line) !== i);
  assert.deepEqual(repeated, [], `lines said more than once:\n${what}`);
  assert.equal(linesWith(lines, '*** Init system aborted.').length, 1, `the TERM's stop:\n${what}`);
  assert.equal(result.exitCode, 2, `SIGTERM exits 2 (README, What happens: Shutdown):\n${what}`);
}

// A round boots my_init in a sandbox with up to 7 services, waits for the canaries, stops it
// (KILL_PROCESS_TIMEOUT=1 bounds a service a control/t keeps up): about 0.1 s on an idle machine,
// a second or two when a control/t makes the stop wait; 40 rounds take about 4 s.
test('fuzz: random service directories: bad entries named once each, the canaries run, TERM stops it', () =>
  fuzz('service directories', round, check, { runs: 40 }));

// A service directory whose name is not UTF-8 was skipped without a word (its name, decoded, named
// nothing): now one line names it, as for such names in /etc/container_environment.
test('regression: a service directory whose name is not UTF-8 is named in one line', () => check({
  services: [{ name: 'app', run: 'good', finish: 'none', down: false, check: 'none', log: 'none', control: [], depends: null, linked: false, mode: 0o755 }],
  canaries: [{ name: 'canary', log: false, check: false, finish: false, dependsOnFirst: false, linked: false }],
  garbage: [],
  notUtf8: 'd',
}));

// A service whose run could not be executed had no supervise/status (written only once a run had
// started): sv status warned `unable to open supervise/status`, and `sv down` could not stop its retries.
test('regression: a service whose run cannot be executed has status files that sv reads', () => check({
  services: (['noexec', 'missing', 'dangling', 'empty'] as const).map((run, i) => (
    { name: SERVICE_NAMES[i]!, run, finish: 'none', down: false, check: 'none', log: i === 0 ? 'norun' : 'none', control: [], depends: null, linked: false, mode: 0o755 })),
  canaries: [{ name: 'canary', log: false, check: false, finish: false, dependsOnFirst: false, linked: false }],
  garbage: [],
  notUtf8: null,
}));

// A service named with a newline split its `Cannot execute` line in two (the second half could pass
// for a line of its own), and an escape sequence in a name reached the terminal: both now \xHH.
test('regression: a service name with control characters stays on one line', () => check({
  services: [
    { name: 'new\nline', run: 'noshebang', finish: 'none', down: false, check: 'none', log: 'none', control: [], depends: null, linked: false, mode: 0o755 },
    { name: 'esc\u001b[0m', run: 'noexec', finish: 'none', down: false, check: 'none', log: 'none', control: [], depends: null, linked: false, mode: 0o755 },
    { name: 'app', run: 'good', finish: 'none', down: false, check: 'none', log: 'none', control: [], depends: ['esc\u001b[0m', 'app'], linked: false, mode: 0o755 },
  ],
  canaries: [{ name: 'canary', log: false, check: false, finish: false, dependsOnFirst: false, linked: false }],
  garbage: [],
  notUtf8: null,
}));
