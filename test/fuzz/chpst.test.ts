// chpst and its personalities fuzzed against Debian's runit 2.1.2 /usr/bin/chpst:
// a random envdir (names, bytes, empty files, NULs, trailing blanks,
// directories, links that cannot be read), random options in random order
// (-e, -u, -U, -/, -n, the limits, -P, -0/-1/-2, -v) or a personality
// (envdir, envuidgid, setuidgid, softlimit, pgrphack) called by its name. The
// program chpst runs is a shell that reports what it was given: its open
// descriptors among 0-2, its environment (sorted, NUL-separated), its ids and
// groups, its limits, its nice value, its working and root directories, and
// whether it leads its process group and session. Stdout, stderr, the exit code
// and the files left behind (the report, when stdout was closed) must agree.
//
// Kept out on purpose (README, "chpst and its personalities", "What differs"):
// names and values that are not UTF-8 (ours replaces the bad bytes) and `-t 0`
// (kills at the first tick under both, a race); with no /etc/passwd in the new
// root, ours names the file (normalized below). Also `-p` below what a user's
// processes already use, which depends on what else runs as that user, -b, and
// -l/-L (locks: test/differential/chpst.test.ts).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runSide, type Case, type Outcome } from '../differential/harness.ts';
import { fuzz } from './fuzzing.ts';
import { isUtf8, trickyBytes } from './inputs.ts';

type EnvEntry =
  | { kind: 'file'; name: string; content: Uint8Array }
  | { kind: 'dir'; name: string }
  | { kind: 'link'; name: string; target: string };

interface Input {
  program: 'chpst' | 'envdir' | 'envuidgid' | 'setuidgid' | 'softlimit' | 'pgrphack';
  /** The arguments before the program chpst runs; `env` names the envdir made in the working directory. */
  args: readonly string[];
  entries: EnvEntry[];
}

/**
 * What the program reports. Its stdout may be closed (-1): the report then goes
 * to a file in the working directory, which the harness compares too.
 */
const PROBE = [
  'fds=; for f in 0 1 2; do [ -e /proc/$$/fd/$f ] && fds="$fds$f "; done',
  // An absolute path ($DIR: the harness puts the working directory there): -/ may have moved the root.
  '[ -e /proc/$$/fd/1 ] || exec >"$DIR/report"',
  'echo "fds: $fds"',
  '/usr/bin/env -0 | /usr/bin/sort -z; echo',
  '/bin/grep -E "^(Uid|Gid|Groups):" /proc/self/status',
  '/bin/cat /proc/self/limits',
  'echo "nice: $(/usr/bin/nice)"',
  'echo "cwd: $(pwd -P) root: $(/bin/readlink /proc/self/root)"',
  'read -r pid comm state ppid pgrp sid rest </proc/$$/stat; echo "leader of group: $((pid == pgrp)), of session: $((pid == sid))"',
].join('\n');
const PROGRAM = ['/bin/sh', '-c', PROBE];

/** Names of envdir entries: plain ones, ones the environment has, and odd ones. */
const entryName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('A', 'B', 'FIRST', 'EMPTY', 'PATH', 'HOME', 'LANG', 'UID', 'GID', 'X_1') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,4}$/) },
  { weight: 1, arbitrary: fc.constantFrom('K=V', '=', '.hidden', 'a b', '-', 'é', '日本', 'tab\there', 'new\nline', '1digit', '..x') },
);

/** Contents: tricky bytes that are UTF-8 (README: not-UTF-8 values differ on purpose), with NULs, newlines and trailing blanks. */
const content = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(trickyBytes(4).filter(isUtf8), fc.constantFrom('', '\n', '  \t', ' \n', '\t\n', '\n\n', '\0', '\0\n', '\r\n', 'x\ny\n')).map(([b, tail]) => Uint8Array.from(Buffer.concat([b, Buffer.from(tail)]))) },
  { weight: 1, arbitrary: fc.constantFrom('', '\n', ' ', '\0', '\0\0\n', 'value', 'a\0b \n').map((s) => Uint8Array.from(Buffer.from(s))) },
);

const entry: fc.Arbitrary<EnvEntry> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('file' as const), name: entryName, content }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dir' as const), name: entryName }) },
  // A dangling link, a loop, a link to a directory, to /dev/null (empty), to a file elsewhere.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('link' as const), name: entryName, target: fc.constantFrom('nowhere', 'LOOP', '.', '/dev/null', '../file') }) },
);

const entries = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 8 });

/** Users as -u, -U, setuidgid and envuidgid take them: names of this machine, numeric forms, unknown ones. */
const user = fc.constantFrom(
  'root', 'nobody', 'daemon', 'nobody:daemon', 'daemon:adm:sys', 'root:nobody', ':4242:4243', ':0:0', ':65534:65534:4', ':4242:',
  'nosuchuser', 'nobody:nosuchgroup', 'nobody:', '', ':x', ':4242', 'root:root:root',
);

const nice = fc.constantFrom('5', '+3', '-4', '0', '', '-', '19', '-20', '100', 'x');

/** Limits, by letter. -p stays high (see the top of the file), -t above 0 (README). */
const LIMIT_VALUES: Record<string, readonly string[]> = {
  m: ['300000000', '100000000', '20000000', '', '12k'],
  d: ['300000000', '50000000', '0x10'],
  o: ['64', '10', '5', '1024', '99999999999'],
  p: ['5000', '100000'],
  f: ['0', '1000', '100000000'],
  c: ['0', '1000000', ''],
  r: ['1000000', '100000000'],
  t: ['1000', '100', '5'],
};
const limit = fc.constantFrom(...Object.keys(LIMIT_VALUES)).chain((letter) => fc.constantFrom(...LIMIT_VALUES[letter]!).map((value) => [`-${letter}`, value]));

/** One chpst option, with its value when it takes one. */
const option: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc.constantFrom(['-e', 'env'], ['-e', 'env'], ['-e', 'nosuchdir'], ['-eenv']),
  user.map((u) => ['-u', u]),
  user.map((u) => ['-U', u]),
  fc.constantFrom(['-/', '/'], ['-/', 'nosuchroot'], ['-/', 'emptyroot']),
  nice.map((n) => ['-n', n]),
  limit,
  limit,
  fc.constantFrom(['-P'], ['-0'], ['-1'], ['-2'], ['-v'], ['-P1'], ['-02']),
);

const chpstArgs = fc.array(option, { minLength: 1, maxLength: 6 }).map((options) => options.flat());

/** softlimit's own letters (as its daemontools namesake), values as for chpst, sometimes malformed. */
const softlimitArgs = fc.array(
  fc.tuple(fc.constantFrom('-a', '-c', '-d', '-f', '-l', '-m', '-o', '-p', '-r', '-s', '-t'), fc.constantFrom('300000000', '100000000', '64', '5000', '1000', '12k', '=')),
  { maxLength: 4 },
).map((pairs) => pairs.map(([letter, value]) => (letter === '-t' && /^0*$/.test(value) ? [letter, '100'] : [letter, value])).flat());

const invocation: fc.Arbitrary<Pick<Input, 'program' | 'args'>> = fc.oneof(
  { weight: 6, arbitrary: chpstArgs.map((args) => ({ program: 'chpst' as const, args })) },
  { weight: 1, arbitrary: fc.constantFrom(['env'], ['nosuchdir'], []).map((args) => ({ program: 'envdir' as const, args })) },
  { weight: 1, arbitrary: user.map((u) => ({ program: 'envuidgid' as const, args: [u] })) },
  { weight: 1, arbitrary: user.map((u) => ({ program: 'setuidgid' as const, args: [u] })) },
  { weight: 1, arbitrary: softlimitArgs.map((args) => ({ program: 'softlimit' as const, args })) },
  { weight: 1, arbitrary: fc.constant({ program: 'pgrphack' as const, args: [] }) },
);

const input: fc.Arbitrary<Input> = fc.tuple(invocation, entries).map(([call, list]) => ({ ...call, entries: list }));

function makeEnvdir(dir: string, list: EnvEntry[]): void {
  const env = join(dir, 'env');
  mkdirSync(env);
  for (const e of list) {
    const path = join(env, e.name);
    if (e.kind === 'file') writeFileSync(path, e.content);
    else if (e.kind === 'dir') mkdirSync(path);
    else symlinkSync(e.target === 'LOOP' ? e.name : e.target, path);
  }
}

const shown = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('latin1'));
const describe = (i: Input): string =>
  `${i.program} ${i.args.map((a) => JSON.stringify(a)).join(' ')} PROGRAM\n  envdir:${i.entries.length === 0 ? ' empty' : ''}\n` +
  i.entries.map((e) => `    ${JSON.stringify(e.name)}: ${e.kind === 'file' ? shown(e.content) : e.kind === 'dir' ? '<dir>' : `-> ${e.target}`}`).join('\n');

/** The outcome as lines, for a readable diff. */
function lines(outcome: Outcome): string[] {
  return [
    `exit ${outcome.code} ${outcome.signal ?? ''}`,
    ...outcome.stdout.split('\n').map((l) => `stdout ${JSON.stringify(l)}`),
    `stderr ${JSON.stringify(outcome.stderr)}`,
    ...Object.entries(outcome.files).map(([path, entry]) => `${path} ${JSON.stringify(entry)}`),
  ];
}

async function check(i: Input): Promise<void> {
  const c: Case = {
    program: i.program,
    // A program that crashes under its limits dumps core in its working directory:
    // after -/ that may be the machine's own root, so there no core is dumped.
    args: [...i.args, ...(i.args.includes('-/') ? ['-c', '0'] : []), ...PROGRAM],
    // Variables for the envdir to replace or remove.
    env: { A: 'old', FIRST: 'replaced', EMPTY: '' },
    // With no /etc/passwd (or /etc/group) in the new root, ours names the file (README, "What differs"); the rest is runit's line.
    normalize: (text) => text.replace(/(unable to get password\/group file entry: )\/etc\/(passwd|group): /g, '$1'),
    // A core dump's content (addresses, registers) differs by nature; whether there is one does not.
    normalizeFile: (path, text) => (/^core(\.\d+)?$/.test(path) ? '<a core dump>' : text),
    setup: (dir) => {
      makeEnvdir(dir, i.entries);
      writeFileSync(join(dir, 'file'), 'outside\n');
      mkdirSync(join(dir, 'emptyroot'));
      // Open to the users it becomes: the report is written here when stdout is closed.
      chmodSync(dirname(dir), 0o755);
      chmodSync(dir, 0o777);
    },
  };
  const real = await runSide(c, 'real');
  const ours = await runSide(c, 'ours');
  assert.deepEqual(lines(ours), lines(real), `ours differs from Debian's for\n${describe(i)}`);
}

// The fuzzer's own first failure: a shell crashing under a tiny stack dumps core in the
// working directory, a file whose content differs by nature (now compared by its presence).
test('regression: a program that dumps core under its limits', () =>
  check({ program: 'softlimit', args: ['-c', '300000000', '-s', '1000'], entries: [] }));

// A round runs both sides once, each a shell and about six commands: about 30 ms idle,
// so the file takes about 8 s idle.
test('fuzz: chpst and its personalities with random envdirs and options are Debian\'s', () => fuzz('chpst', input, check, { runs: 250 }));
