// Random /etc/container_environment directories, imported by my_init as PID 1
// (test/system/harness.ts). The oracle is a model of the DOCUMENTED rules, written
// here and never taken from src/: README.md's "What happens, in order" (steps 1
// and 2) and its "Differences from the reference" table (names in .sh, the
// collision rule, 128 KiB values, FIFOs and other non-files), and the
// reference's text-mode read (/work/shared/reference/my_init.md, 4.2).
//
// What is observed: the main command's own environment (/proc/$$/environ, as
// execve gave it), what `env -i bash` sees after sourcing the .sh dump, the
// .json dump parsed, the per-variable files, and my_init's warning lines.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runInit, cleanUp, type RunResult } from '../system/harness.ts';
import { fuzz } from './fuzzing.ts';
import { isUtf8, trickyBytes, trickyText } from './inputs.ts';

const DIR = '/etc/container_environment';
const SH = '/etc/container_environment.sh';
const JSON_DUMP = '/etc/container_environment.json';

/** README step 2: never written to the files or the .sh dump. */
const PER_USER = new Set(['HOME', 'USER', 'GROUP', 'UID', 'GID', 'SHELL']);

type Kind = 'file' | 'directory' | 'fifo' | 'dangling';

interface Entry {
  /** The file name's bytes (never `/`, NUL, `.` or `..`). */
  name: Uint8Array;
  kind: Kind;
  content: Uint8Array;
}

/** Entries a variable's file cannot replace: a directory, and a link to a missing directory (written through). */
const UNWRITABLE: ReadonlySet<Kind> = new Set(['directory', 'dangling']);

interface EnvCase {
  entries: Entry[];
  /** Variables my_init gets from Docker (besides the harness's PATH, HOME, HOSTNAME). */
  docker: Array<[string, string]>;
}

// ---- Generators -------------------------------------------------------------

/**
 * A name's characters: few, so that names collide (Docker against files, real
 * against renamed shell names), with characters bash does not allow and leading
 * digits. No `/` and no NUL: a file name cannot hold them.
 */
const NAME_PIECES = ['A', 'B', 'a', '0', '1', '_', '_', '-', '.', ':', ' ', 'é', '日', '😀', '=', '\t', '\n'];

function nameText(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 4 }).map((pieces) => pieces.join('')) },
    // Docker's own variables, and ones the .sh dump leaves out (README step 2).
    { weight: 1, arbitrary: fc.constantFrom('HOME', 'USER', 'SHELL', 'PATH', 'HOSTNAME') },
  ).filter((name) => name !== '.' && name !== '..');
}

/** A file name: mostly text, now and then with a byte that is not UTF-8. */
const fileName: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: nameText().map((text) => new Uint8Array(Buffer.from(text))) },
  {
    weight: 1,
    arbitrary: fc.tuple(nameText(), fc.constantFrom([0xff], [0xc3], [0x80], [0xed, 0xa0, 0x80]), fc.nat(4)).map(([text, bad, at]) => {
      const bytes = [...Buffer.from(text)];
      bytes.splice(Math.min(at, bytes.length), 0, ...bad);
      return Uint8Array.from(bytes);
    }),
  },
);

/** A value file: tricky bytes, often ending in the line endings the import normalizes. */
const content: fc.Arbitrary<Uint8Array> = fc.tuple(trickyBytes(8), fc.constantFrom('', '', '\n', '\r\n', '\r', '\n\n', '\r\r\n')).map(
  ([bytes, ending]) => Uint8Array.from([...bytes, ...Buffer.from(ending)]),
);

const kind: fc.Arbitrary<Kind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<Kind>('file') },
  { weight: 1, arbitrary: fc.constantFrom<Kind>('directory', 'fifo', 'dangling') },
);

const entries = fc.uniqueArray(fc.record({ name: fileName, kind, content }), {
  maxLength: 8,
  selector: (entry) => Buffer.from(entry.name).toString('hex'),
});

/** Docker's variables: names a process can be given (no `=`), values without NUL (execve cannot pass one). */
const docker = fc.uniqueArray(
  fc.tuple(nameText().filter((name) => !name.includes('=')), trickyText(4).map((text) => text.replaceAll('\0', ''))),
  { maxLength: 3, selector: ([name]) => name },
).map((pairs) => pairs.filter(([name]) => !['HOME', 'PATH', 'HOSTNAME'].includes(name))); // The harness passes these.

const envCase: fc.Arbitrary<EnvCase> = fc.record({ entries, docker });

// ---- The model (README's rules) -------------------------------------------------

const compareBytes = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** README step 1 and the reference's text-mode read: `\r\n` and `\r` become `\n`, then one trailing newline goes. */
function decodeValue(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8').replaceAll('\r\n', '\n').replaceAll('\r', '\n');
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** README's table: `[A-Za-z_][A-Za-z0-9_]*`, other characters become `_`, a leading digit gets `_` in front. */
function shellNameOf(name: string): string {
  const safe = [...name].map((c) => (/^[A-Za-z0-9_]$/.test(c) ? c : '_')).join('');
  return /^[0-9]/.test(safe) ? `_${safe}` : safe;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Whether a `*** ` line names `text`: README promises one line naming the file, and does not
 * say how a control character in a name is shown (a newline must not split the line), so
 * only the text between control characters must be there, in order.
 */
function mentions(line: string, text: string): boolean {
  let from = 0;
  for (const part of text.split(CONTROL)) {
    const at = line.indexOf(part, from);
    if (at === -1) return false;
    from = at + part.length;
  }
  return true;
}

/** Printable form of a name in a failure message. */
function show(bytes: Uint8Array): string {
  return isUtf8(bytes) ? JSON.stringify(Buffer.from(bytes).toString()) : `<hex ${Buffer.from(bytes).toString('hex')}>`;
}

interface Expected {
  /** The whole environment: the .json dump. */
  env: Map<string, string>;
  /** What a child gets: the entries of 128 KiB or less. */
  children: Map<string, string>;
  /** Per shell name of the .sh dump, the variable that keeps it. */
  shell: Map<string, string>;
  /** Lines expected on stderr, each as a test that one line passes. */
  lines: Array<{ what: string; test: (line: string) => boolean }>;
}

/** Linux's limit on one NAME=VALUE string given to execve (MAX_ARG_STRLEN), its NUL included. */
const KERNEL_LIMIT = 128 * 1024;

function model(input: EnvCase, initEnv: Map<string, string>): Expected {
  const env = new Map(initEnv);
  const lines: Expected['lines'] = [];
  const naming = (what: string, path: string) => lines.push({ what, test: (line) => mentions(line, path) });
  const sorted = [...input.entries].sort((a, b) => compareBytes(a.name, b.name));
  for (const entry of sorted) {
    if (!isUtf8(entry.name)) {
      // The name cannot be shown as it is: the line must say why, and no other line is expected for it.
      lines.push({ what: `a line about the non-UTF-8 name ${show(entry.name)}`, test: (line) => /not valid UTF-8/.test(line) && /name/.test(line) });
      continue;
    }
    const name = Buffer.from(entry.name).toString();
    const path = `${DIR}/${name}`;
    if (entry.kind !== 'file') {
      naming(`one line naming the ${entry.kind} ${path}`, path);
      continue;
    }
    if (name.includes('=')) {
      naming(`one line naming ${path}, whose name has "="`, path);
      continue;
    }
    if (!isUtf8(entry.content)) {
      naming(`one line naming ${path}, whose content is not UTF-8`, path);
      continue;
    }
    if (entry.content.includes(0)) {
      // No process can be given a NUL in a variable (execve ends the string there): bad input, as a
      // non-UTF-8 file is (README's table: "one line naming the file"), not a value cut short.
      naming(`one line naming ${path}, whose content has a NUL byte`, path);
      continue;
    }
    if (!env.has(name)) env.set(name, decodeValue(entry.content)); // Docker's variables win.
  }

  // README step 2 writes Docker's variables back as files: a directory of that name cannot be replaced, nor
  // written through a link to a missing directory, which is a warning naming it ("a warning per file; boot goes
  // on"). A FIFO is replaced by the file.
  for (const entry of sorted) {
    const name = Buffer.from(entry.name).toString();
    if (UNWRITABLE.has(entry.kind) && isUtf8(entry.name) && env.has(name) && !PER_USER.has(name)) {
      naming(`one warning naming ${DIR}/${name}, ${entry.kind}, which the variable cannot be written over`, `${DIR}/${name}`);
    }
  }

  const children = new Map<string, string>();
  for (const [name, value] of env) {
    if (utf8(`${name}=${value}`).length + 1 <= KERNEL_LIMIT) children.set(name, value);
    else lines.push({ what: `one warning naming ${name}, too large for a child`, test: (line) => mentions(line, name) && /large|128|131072/.test(line) });
  }

  // The collision rule of README's table: a real name keeps its .sh name; among renamed names alone, the first in byte order.
  const shell = new Map<string, string>();
  const real = (name: string) => shellNameOf(name) === name;
  for (const name of env.keys()) {
    if (PER_USER.has(name)) continue;
    const shellName = shellNameOf(name);
    const owner = shell.get(shellName);
    if (owner === undefined) shell.set(shellName, name);
    else if (real(name) || (!real(owner) && compareBytes(utf8(name), utf8(owner)) < 0)) shell.set(shellName, name);
  }
  for (const name of env.keys()) {
    if (PER_USER.has(name)) continue;
    const keptBy = shell.get(shellNameOf(name))!;
    if (keptBy === name) continue;
    const line = `*** Warning: leaving ${DIR}/${name} out of ${SH}: bash would read it as ${shellNameOf(name)}, which is ${DIR}/${keptBy}.`;
    const exact = (seen: string) => seen === line;
    // How a control character is shown is not documented: only that the line is one line and names both files.
    const named = (seen: string) =>
      seen.startsWith('*** Warning: leaving ') && mentions(seen, `${DIR}/${name}`) && mentions(seen, `${DIR}/${keptBy}`) && seen.includes(shellNameOf(name));
    lines.push({ what: line, test: CONTROL.test(line) ? named : exact });
  }
  return { env, children, shell, lines };
}

// ---- Running it ----------------------------------------------------------------

const OUT = '/etc/fuzz-out';
/**
 * The main command: my_init's own environment as it was given (PID 1's), the
 * main command's, and bash's after sourcing the .sh dump in an empty environment.
 */
const MAIN = [
  `cat /proc/1/environ > ${OUT}/init`,
  `cat /proc/$$/environ > ${OUT}/main`,
  // Builtins only after the source: a variable too large for execve would stop \`env\` from running.
  `env -i bash -c '. ${SH} && for n in $(compgen -e); do printf "%s=%s\\0" "$n" "\${!n}"; done' > ${OUT}/bash`,
].join('; ');

function setUp(input: EnvCase): (fixture: string) => void {
  return (fixture) => {
    const directory = join(fixture, DIR);
    mkdirSync(join(fixture, OUT));
    for (const entry of input.entries) {
      const path = Buffer.concat([Buffer.from(`${directory}/`), entry.name]);
      if (entry.kind === 'file') writeFileSync(path, entry.content);
      else if (entry.kind === 'directory') mkdirSync(path);
      else if (entry.kind === 'fifo') {
        // Node has no mkfifo; made under a plain name, then renamed to the name's bytes.
        const plain = join(directory, '.fifo-being-made');
        execFileSync('mkfifo', [plain]);
        renameSync(plain, path);
      }
      else symlinkSync('/nonexistent/target', path);
    }
  };
}

/** NUL-separated NAME=VALUE strings, as /proc/PID/environ and `env -0` give them. */
function parseEnviron(bytes: Buffer | null, what: string): Map<string, string> {
  assert.ok(bytes !== null, `${what} was not written`);
  const map = new Map<string, string>();
  for (const entry of bytes.toString('utf8').split('\0')) {
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    map.set(entry.slice(0, equals), entry.slice(equals + 1));
  }
  return map;
}

function assertSameMap(actual: Map<string, string>, expected: Map<string, string>, what: string, input: string): void {
  const sorted = (map: Map<string, string>) => [...map].sort(([a], [b]) => compareBytes(utf8(a), utf8(b)));
  assert.deepEqual(sorted(actual), sorted(expected), `${what} differs from the model\ninput: ${input}`);
}

function describe(input: EnvCase): string {
  const shown = (bytes: Uint8Array) => {
    const text = isUtf8(bytes) ? JSON.stringify(Buffer.from(bytes).toString()) : `<hex ${Buffer.from(bytes).toString('hex')}>`;
    return text.length > 300 ? `${text.slice(0, 300)}... (${bytes.length} bytes)` : text;
  };
  const entries = input.entries.map((entry) => `${show(entry.name)} ${entry.kind}${entry.kind === 'file' ? ` ${shown(entry.content)}` : ''}`);
  return `\n  files: ${entries.join('\n         ') || '(none)'}\n  docker: ${JSON.stringify(input.docker)}`;
}

async function check(input: EnvCase): Promise<void> {
  const r = await runInit({
    args: ['--quiet', '--skip-runit', '--', 'sh', '-c', MAIN],
    env: Object.fromEntries(input.docker),
    setup: setUp(input),
    separateStreams: true,
  });
  try {
    verify(input, r);
  } finally {
    cleanUp(r);
  }
}

function verify(input: EnvCase, r: RunResult): void {
  const shown = describe(input);
  const context = `${shown}\n  stderr: ${JSON.stringify(r.stderr)}\n  stdout: ${JSON.stringify(r.stdout)}`;
  assert.equal(r.exitCode, 0, `my_init exited ${r.exitCode}${context}`);
  assert.equal(r.stdout, '', `the main command (and bash sourcing the .sh dump) printed something${context}`);
  const expected = model(input, parseEnviron(r.etcFile(`${OUT}/init`), 'my_init\'s own environment'));

  assertSameMap(parseEnviron(r.etcFile(`${OUT}/main`), 'the main command\'s environment'), expected.children, 'the main command\'s environment', context);

  const json = r.etcFile(JSON_DUMP);
  assert.ok(json !== null, `no ${JSON_DUMP}${context}`);
  assertSameMap(new Map(Object.entries(JSON.parse(json.toString()) as Record<string, string>)), expected.env, JSON_DUMP, context);

  // bash sets PWD, SHLVL and _ itself; a variable whose shell name is `_` is bash's to overwrite.
  const bash = parseEnviron(r.etcFile(`${OUT}/bash`), 'bash\'s environment');
  for (const own of ['PWD', 'SHLVL', '_']) bash.delete(own);
  const fromShell = new Map([...expected.shell].filter(([shellName]) => shellName !== '_').map(([shellName, name]) => [shellName, expected.env.get(name)!]));
  assertSameMap(bash, fromShell, `what bash sees after sourcing ${SH}`, context);

  // README step 2: each variable written back as a file, except the per-user ones; bad entries kept as they were.
  const unwritable = new Set(input.entries.filter((entry) => UNWRITABLE.has(entry.kind)).map((entry) => Buffer.from(entry.name).toString()));
  for (const [name, value] of expected.env) {
    if (PER_USER.has(name) || name.includes('/') || unwritable.has(name)) continue;
    const file = r.etcFile(`${DIR}/${name}`);
    assert.ok(file !== null && file.equals(utf8(value)), `${DIR}/${name} holds ${file === null ? 'nothing' : JSON.stringify(file.toString())}, not ${JSON.stringify(value)}${context}`);
  }

  const lines = r.stderr === '' ? [] : r.stderr.replace(/\n$/, '').split('\n');
  const missing = matchLines(expected.lines, lines);
  assert.deepEqual(missing, [], `no line for each of these${context}`);
  assert.equal(lines.length, expected.lines.length, `lines nobody expected (one line per problem, no more)${context}`);
}

/**
 * Pairs each expected line with a line of its own (a name may be part of another's
 * path, so the first line that fits is not enough) and returns what found none.
 */
function matchLines(expected: Expected['lines'], lines: string[]): string[] {
  const owner: Array<number | null> = lines.map(() => null);
  const place = (i: number, visited: Set<number>): boolean => {
    for (let j = 0; j < lines.length; j++) {
      if (visited.has(j) || !expected[i]!.test(lines[j]!)) continue;
      visited.add(j);
      const holder = owner[j];
      if (holder === null || holder === undefined || place(holder, visited)) {
        owner[j] = i;
        return true;
      }
    }
    return false;
  };
  return expected.filter((_, i) => !place(i, new Set())).map((line) => line.what);
}

// A round: one my_init boot in a fresh sandbox plus bash, about 60 ms idle (150 rounds: about 9 s).
test('fuzz: names, values and entries of /etc/container_environment reach the main command, bash and the .json as documented', () =>
  fuzz('container-environment import', envCase, check, { runs: 150 }));

/**
 * A value near or over Linux's limit for one variable (README's table: "a variable over
 * 128 KiB ... left out of children's environments with a warning; it stays in the
 * dumps"), in bytes, with two-byte characters so that counting characters would be
 * wrong, beside a few ordinary entries.
 */
const bigCase: fc.Arbitrary<EnvCase> = fc
  .record({
    name: fc.constantFrom('BIG', 'big-é', '1BIG'),
    total: fc.constantFrom(KERNEL_LIMIT - 1, KERNEL_LIMIT, KERNEL_LIMIT + 1, 160 * 1024),
    wide: fc.nat(40_000),
    quote: fc.boolean(),
    ending: fc.constantFrom('', '\n'),
    rest: fc.uniqueArray(fc.record({ name: fileName, kind: fc.constant<Kind>('file'), content }), { maxLength: 3, selector: (entry) => Buffer.from(entry.name).toString('hex') }),
  })
  .map(({ name, total, wide, quote, ending, rest }) => {
    // `NAME=VALUE` and its NUL make `total` bytes.
    const valueBytes = total - utf8(name).length - 2;
    const head = quote ? "'" : '';
    const value = head + 'é'.repeat(wide) + 'x'.repeat(valueBytes - head.length - 2 * wide);
    const big: Entry = { name: utf8(name), kind: 'file', content: utf8(value + ending) };
    return { entries: [big, ...rest.filter((entry) => !Buffer.from(entry.name).equals(big.name))], docker: [] };
  });

// A round: as above, with a value of 128 to 160 KiB through every view; about 120 ms idle (6 rounds: under 1 s).
test('fuzz: a variable over Linux\'s limit is left out of children with one warning, and stays in the dumps', () =>
  fuzz('container-environment big value', bigCase, check, { runs: 6 }));

// Found by this fuzzer: a NUL byte in a value file gave the main command the value cut at the NUL (execve ends
// the string there) while the dumps held all of it. Such a file is now skipped with one line, as a non-UTF-8 one.
test('regression: a value file holding a NUL byte is skipped with one line, not passed on cut short', () =>
  check({ entries: [{ name: utf8('USER'), kind: 'file', content: Uint8Array.from([0]) }], docker: [] }));

// Found by this fuzzer: a newline in a file's name was printed as it is, splitting the warning into two lines
// (the second without `*** `, so a name could forge a line of my_init's).
test('regression: a newline in a file name does not split the line that names the file', () =>
  // As found the file held a NUL; content that is not UTF-8 gets a line naming the file from either binary.
  check({ entries: [{ name: utf8('\n'), kind: 'file', content: Uint8Array.from([0xff]) }], docker: [] }));

