// Random inputs to my_init itself, as PID 1 (test/system/harness.ts): its command
// line, the variables it reads from its own environment, and the datagrams a
// service (or anyone else) sends to a service's notify socket. The oracle is a
// model of README.md's rules ("Command line", "Environment variables", "Readiness"),
// written here, never taken from src/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { BINARY, cleanUp, PRELUDE, runInit, script, type FileSpec, type RunResult } from '../system/harness.ts';
import { fuzz } from './fuzzing.ts';
import { trickyBytes, trickyText } from './inputs.ts';

const OUT = '/etc/fuzz-out';

/** Signs of a crash rather than a refusal: the engine's stack frames or error names, or a fatal signal. */
function assertNoCrash(r: RunResult, context: string): void {
  assert.ok(r.exitCode < 128, `my_init exited ${r.exitCode} (a signal?)${context}`);
  for (const line of r.all.split('\n')) {
    // `*** Running ...` repeats the command's words, which are random.
    if (line.startsWith('*** Running ')) continue;
    assert.doesNotMatch(line, /^\s+at |^(Internal|Type|Range|Reference|Syntax)?Error\b|uncaught|out of memory/i, `a crash${context}`);
  }
}

const text = (maxPieces: number): fc.Arbitrary<string> => trickyText(maxPieces).map((value) => value.replaceAll('\0', '')); // execve cannot pass a NUL.

// ---- The command line -----------------------------------------------------------

/** README's flags, in full. `--health` (a program of its own) is left out. */
const FLAGS = ['help', 'version', 'enable-insecure-key', 'skip-startup-files', 'skip-runit', 'no-kill-all-on-exit', 'quiet', 'verbose'];

/** Words before the command: flags, prefixes of them, values given to them, unknown options, garbage options. */
const optionWord: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FLAGS.filter((flag) => flag !== 'help' && flag !== 'version')).map((flag) => `--${flag}`) },
  // Prefixes, unique (`--quie`) or not (`--skip`, `--ver`, `--`-less stems).
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...FLAGS), fc.nat(20)).map(([flag, cut]) => `--${flag.slice(0, Math.max(1, flag.length - cut))}`) },
  { weight: 1, arbitrary: fc.constantFrom('-h', '--help', '--version', '--he', '--vers') },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...FLAGS), text(2)).map(([flag, value]) => `--${flag}=${value}`) },
  // Unknown: single-dash words not starting with -h (argparse reads `-hx` as -h given `x`, README says nothing of it).
  { weight: 2, arbitrary: fc.constantFrom('--bogus', '--quiet-ish', '-x', '-l', '-q', '-v', '--skip-runit-now', '---', '--=', '--quiet=') },
  { weight: 1, arbitrary: text(3).map((word) => `-${word}`).filter((word) => !word.startsWith('-h') && word !== '--') },
  { weight: 1, arbitrary: text(3).map((word) => `--${word}`).filter((word) => word !== '--') },
);

/** Words after the command's first word: any of the above, and command words (negative numbers, `-`, words with spaces, text). */
const anyWord: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: optionWord },
  { weight: 2, arbitrary: fc.constantFrom('-5', '-1.5', '-.5', '-', '-x y', '--a b', 'word', '-0') },
  { weight: 2, arbitrary: text(4).filter((word) => word !== '--') },
);

interface ArgvCase {
  before: string[];
  after: string[];
  /** Words after a `--`, or null for none. */
  tail: string[] | null;
}

const SHOW_ARGS = '/etc/show-args';

const argvCase: fc.Arbitrary<ArgvCase> = fc.record({
  // Before the command nothing that could be a command word (`-`, a negative number, a word with a space).
  before: fc.array(optionWord.filter((word) => word !== '-' && !word.includes(' ') && !/^-\d*\.?\d+$/.test(word)), { maxLength: 4 }),
  after: fc.array(anyWord, { maxLength: 4 }),
  tail: fc.option(fc.array(fc.oneof(anyWord, fc.constant('--')), { maxLength: 3 }), { nil: null }),
});

const argvOf = (input: ArgvCase): string[] => [...input.before, SHOW_ARGS, ...input.after, ...(input.tail === null ? [] : ['--', ...input.tail])];

type Outcome =
  | { kind: 'run'; command: string[]; flags: Set<string> }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'usage' };

/**
 * README's "Command line": argparse's rules. Every option word is looked at first
 * (an ambiguous prefix fails at once); then, in order, a value given to a flag and
 * `--quiet` with `--verbose` fail, `--help` and `--version` print; an unknown
 * option fails at the end. The first `--` ends options and is removed; negative
 * numbers, `-` and words with a space are command words.
 */
function parseModel(argv: string[]): Outcome {
  const dashes = argv.indexOf('--');
  const options = dashes === -1 ? argv : argv.slice(0, dashes);
  type Word = { command: string } | { unknown: string } | { flag: string; value: boolean };
  const words: Word[] = [];
  for (const word of options) {
    if (!word.startsWith('-') || word === '-' || /^-\d+$|^-\d*\.\d+$/.test(word)) {
      words.push({ command: word });
      continue;
    }
    if (word === '-h') {
      words.push({ flag: 'help', value: false });
      continue;
    }
    const equals = word.indexOf('=');
    const stem = word.startsWith('--') ? word.slice(2, equals === -1 ? undefined : equals) : null;
    const matches = stem === null ? [] : FLAGS.includes(stem) ? [stem] : FLAGS.filter((flag) => flag.startsWith(stem));
    if (matches.length > 1) return { kind: 'usage' };
    if (matches.length === 1) words.push({ flag: matches[0]!, value: equals !== -1 });
    else words.push(word.includes(' ') ? { command: word } : { unknown: word });
  }
  const flags = new Set<string>();
  let unknown = false;
  const command: string[] = [];
  for (const word of words) {
    if ('command' in word) command.push(word.command);
    else if ('unknown' in word) unknown = true;
    else if (word.value) return { kind: 'usage' };
    else if (word.flag === 'help') return { kind: 'help' };
    else if (word.flag === 'version') return { kind: 'version' };
    else if ((word.flag === 'quiet' && flags.has('verbose')) || (word.flag === 'verbose' && flags.has('quiet'))) return { kind: 'usage' };
    else flags.add(word.flag);
  }
  if (unknown) return { kind: 'usage' };
  if (dashes !== -1) command.push(...argv.slice(dashes + 1));
  return { kind: 'run', command, flags };
}

const ARGV_FILES: Record<string, FileSpec> = {
  [SHOW_ARGS]: script(`for a in "$@"; do printf '%s\\0' "$a"; done > ${OUT}/args`),
  [`${OUT}/.keep`]: '',
  '/etc/my_init.d/01-startup': script(`touch ${OUT}/startup`),
  '/usr/sbin/enable_insecure_key': script(`touch ${OUT}/insecure-key`),
};

/**
 * The reference's parser (/work/shared/reference/my_init.md, section 1) with README's two flags
 * of ours (`--version`, and `--verbose`, which cannot go with `--quiet`), run by Python's argparse.
 */
const ARGPARSE = `import argparse, json, sys
parser = argparse.ArgumentParser(prog='my_init', description='Initialize the system.')
parser.add_argument('--version', action='version', version='x')
parser.add_argument('--enable-insecure-key', action='store_true')
parser.add_argument('--skip-startup-files', action='store_true')
parser.add_argument('--skip-runit', action='store_true')
parser.add_argument('--no-kill-all-on-exit', action='store_true')
group = parser.add_mutually_exclusive_group()
group.add_argument('--quiet', action='store_true')
group.add_argument('--verbose', action='store_true')
parser.add_argument('main_command', metavar='MAIN_COMMAND', nargs='*')
print(json.dumps(parser.parse_args().main_command))
`;

function argparse(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('python3', ['-c', ARGPARSE, ...argv], { encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONIOENCODING: 'utf-8', LC_ALL: 'C.UTF-8' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * repr()'s \\uXXXX and \\UXXXXXXXX escapes put back as the characters: which code points above U+00FF
 * are printable depends on the Unicode version (QuickJS 2021's tables against this Python's), not on a
 * rule of argparse's. \\xHH escapes (controls), quotes and \\n stay compared as they are.
 */
function unescapeWide(text: string): string {
  return text.replaceAll(/(?<!\\)\\(?:u([0-9a-f]{4})|U([0-9a-f]{8}))/g, (_, short?: string, long?: string) => String.fromCodePoint(parseInt(short ?? long!, 16)));
}

const showArgv = (argv: string[]) => `\n  argv: ${JSON.stringify(argv)}`;

async function checkArgv(input: ArgvCase): Promise<void> {
  const argv = argvOf(input);
  const expected = parseModel(argv);
  const r = await runInit({ args: argv, files: ARGV_FILES, separateStreams: true });
  try {
    const context = `${showArgv(argv)}\n  expected: ${expected.kind}\n  exit: ${r.exitCode}\n  stdout: ${JSON.stringify(r.stdout)}\n  stderr: ${JSON.stringify(r.stderr)}`;
    assertNoCrash(r, context);
    if (expected.kind === 'usage') {
      assert.equal(r.exitCode, 2, `a usage error exits 2${context}`);
      assert.equal(r.stdout, '', `a usage error prints nothing on stdout${context}`);
      // argparse's usage block, then ONE line saying what is wrong.
      const usage = /^usage: my_init .*\n(?: {10,}\S.*\n)*/.exec(r.stderr)?.[0];
      assert.ok(usage !== undefined, `the usage block first${context}`);
      const error = r.stderr.slice(usage.length).replace(/\n$/, '');
      assert.ok(error.startsWith('my_init: error: '), `then the error${context}`);
      // argparse shows a flag's value as repr() (one line), but unknown and ambiguous words as they are.
      const raw = /^my_init: error: (unrecognized arguments|ambiguous option): /.test(error) && argv.some((word) => word.includes('\n'));
      assert.ok(raw || !error.includes('\n'), `the error is one line${context}`);
      // Where Python's argparse, given the same interface, refuses a word too, it says the same (its usage block
      // differs: it writes the two exclusive flags as [--quiet | --verbose]). Not for the list of unknown words:
      // argparse takes the command's words in one stretch and calls later ones unknown, where README lets options
      // follow command words and my_init takes every command word.
      const reference = argparse(argv);
      const referenceError = reference.stderr.slice(reference.stderr.indexOf('my_init: error: ')).replace(/\n$/, '');
      if (reference.status === 2 && !referenceError.startsWith('my_init: error: unrecognized arguments: ')) {
        assert.equal(unescapeWide(error), unescapeWide(referenceError), `argparse's own words${context}`);
      }
      return;
    }
    if (expected.kind === 'help') {
      assert.equal(r.exitCode, 0, `--help exits 0${context}`);
      assert.match(r.stdout, /^usage: my_init /, `--help prints the help${context}`);
      assert.equal(r.stderr, '', context);
      return;
    }
    if (expected.kind === 'version') {
      assert.equal(r.exitCode, 0, `--version exits 0${context}`);
      assert.match(r.stdout, /^my_init \S+\n?$/, `--version prints one line${context}`);
      assert.equal(r.stderr, '', context);
      return;
    }
    assert.equal(r.exitCode, 0, `the command ran and exited 0${context}`);
    const args = r.etcFile(`${OUT}/args`);
    assert.ok(args !== null, `${SHOW_ARGS} did not run${context}`);
    assert.deepEqual(args.toString().split('\0').slice(0, -1), expected.command.slice(1), `the command's words${context}`);
    // Where argparse takes the line too, it finds the same command.
    const reference = argparse(argv);
    if (reference.status === 0 && reference.stdout.startsWith('[')) {
      assert.deepEqual(JSON.parse(reference.stdout), expected.command, `argparse's command${context}`);
    }
    const flags = expected.flags;
    assert.equal(r.etcFile(`${OUT}/startup`) !== null, !flags.has('skip-startup-files'), `startup scripts run unless --skip-startup-files${context}`);
    assert.equal(r.etcFile(`${OUT}/insecure-key`) !== null, flags.has('enable-insecure-key'), `enable_insecure_key runs with --enable-insecure-key${context}`);
    const stderr = r.stderr.split('\n');
    if (flags.has('quiet')) {
      assert.equal(r.stderr, '', `--quiet prints only warnings and errors${context}`);
    } else {
      assert.ok(stderr.some((line) => line.startsWith(`*** Running ${SHOW_ARGS}`)), `the Running line${context}`);
      assert.equal(stderr.includes('*** Booting runit daemon...'), !flags.has('skip-runit'), `runit booted unless --skip-runit${context}`);
      assert.equal(stderr.includes('*** Killing all processes...'), !flags.has('no-kill-all-on-exit'), `kill-all unless --no-kill-all-on-exit${context}`);
    }
  } finally {
    cleanUp(r);
  }
}

// Found by this fuzzer: a value given to a flag was printed as it is (a newline split the error line), where
// argparse prints its repr() and names the help flag -h/--help.
test('regression: a value given to --help is shown as argparse shows it, on the one error line', () =>
  checkArgv({ before: ['--help=\n\n'], after: [], tail: null }));

// A round: one boot of my_init with a one-shot command and Python's argparse once or twice, about 160 ms idle
// (60 rounds: about 10 s).
test('fuzz: random command lines either run as parsed or are refused with one error line, exit 2', () =>
  fuzz('my_init argv', argvCase, checkArgv, { runs: 60 }));

// ---- Settings -------------------------------------------------------------------

const TIMEOUTS = [
  'KILL_PROCESS_TIMEOUT', 'KILL_ALL_PROCESSES_TIMEOUT', 'SERVICE_RESTART_DELAY', 'SERVICE_RESTART_DELAY_MAX', 'SERVICES_READY_TIMEOUT',
  'SERVICE_DEPENDENCY_TIMEOUT',
];

/** Timeout values: numbers in the forms README accepts, with nasty details, and garbage. */
const timeoutValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom('0', '1', '7', '30', '_', '.', '+', '-', ' ', '\t', '5', '99999999999'), { maxLength: 6 }).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '0', '+5', ' 7 ', '1_0', '0.5', '2147484', '1e3', '0x10', '5s', 'abc', '-1', '-0', '1__0', '_1', '1_', '1.2.3', '\n3\n', 'NaN', 'Infinity', '٣', '７') },
  { weight: 1, arbitrary: text(3) },
);

type Verdict = 'valid' | 'invalid' | 'either';

/**
 * README: Python int()'s forms (spaces around, `+`, `_` between digits) and decimal
 * fractions; 0 or more; anything else is malformed. What README leaves open (a
 * fraction with `_`, `5.`, `.5`, digits that are not ASCII, `1e3`) may go either way.
 */
function timeoutVerdict(value: string): Verdict {
  const trimmed = value.replace(/^[ \t\n]+|[ \t\n]+$/g, '');
  if (/^\+?\d+(_\d+)*$/.test(trimmed) || /^\+?\d+\.\d+$/.test(trimmed)) return 'valid';
  if (/^\+?[\d_.]*\d[\d_.]*$/.test(trimmed) && !/__|^_|_$|\..*\./.test(trimmed)) return 'either';
  if (/^[\p{Nd}]+$/u.test(trimmed) || /^\d+(\.\d*)?e\d+$/i.test(trimmed)) return 'either';
  return 'invalid';
}

/** MY_INIT_STATUS_ADDR: README says an IP literal and a port, off when empty, else malformed. */
const statusAddress: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.integer({ min: 30000, max: 60000 }).map((port) => `127.0.0.1:${port}`) },
  { weight: 3, arbitrary: fc.constantFrom('', 'localhost:9102', '127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:x', '::1:9102', '[::1]', '1.2.3:80', '256.0.0.1:80', ':80', '127.0.0.1:080', '127.0.0.1: 80') },
  { weight: 1, arbitrary: text(3) },
);

function statusVerdict(value: string): Verdict {
  if (value === '') return 'valid';
  const match = /^127\.0\.0\.1:([1-9]\d{0,4})$/.exec(value);
  // A valid address whose port another process holds: may refuse to start, in one line.
  if (match !== null && Number(match[1]) <= 65535) return 'either';
  return 'invalid';
}

/** A directory of startup scripts: none that could run something of the machine's. */
const initDirectory: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('/etc/fuzz-init.d', '/nonexistent', 'relative.d', '', '/etc/fuzz-init.d/', '/etc/passwd', '/etc/fuzz-init.d/01-startup'),
  text(3).map((value) => `/nonexistent/${value}`),
);

const runtimeDirectory: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', '/run/fuzz', 'relative', '/nonexistent/deep/dir', '/etc/passwd', '/', '/run/my_init'),
  text(3),
);

interface SettingsCase {
  env: Record<string, string>;
}

const settingsCase: fc.Arbitrary<SettingsCase> = fc.record({
  timeouts: fc.array(fc.tuple(fc.constantFrom(...TIMEOUTS), timeoutValue), { maxLength: 3 }),
  status: fc.option(statusAddress, { nil: undefined, freq: 3 }),
  init: fc.option(initDirectory, { nil: undefined, freq: 2 }),
  runtime: fc.option(runtimeDirectory, { nil: undefined, freq: 3 }),
}).map(({ timeouts, status, init, runtime }) => {
  const env: Record<string, string> = Object.fromEntries(timeouts);
  if (status !== undefined) env.MY_INIT_STATUS_ADDR = status;
  if (init !== undefined) env.ENV_INIT_DIRECTORY = init;
  if (runtime !== undefined) env.MY_INIT_RUNTIME_DIR = runtime;
  return { env };
});

function settingsVerdicts(env: Record<string, string>): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();
  for (const [name, value] of Object.entries(env)) {
    if (TIMEOUTS.includes(name)) verdicts.set(name, timeoutVerdict(value));
    else if (name === 'MY_INIT_STATUS_ADDR') verdicts.set(name, statusVerdict(value));
    // README gives no rule for an empty ENV_INIT_DIRECTORY; any other value is a directory that may not exist.
    else if (name === 'ENV_INIT_DIRECTORY') verdicts.set(name, value === '' ? 'either' : 'valid');
    // The runtime directory is claimed only when something needs it; a one-shot with a writable /etc does not.
    else verdicts.set(name, 'valid');
  }
  return verdicts;
}

async function checkSettings(input: SettingsCase): Promise<void> {
  const verdicts = settingsVerdicts(input.env);
  const r = await runInit({
    args: ['--quiet', '--', 'true'],
    env: input.env,
    files: { '/etc/fuzz-init.d/01-startup': script('exit 0') },
    separateStreams: true,
  });
  cleanUp(r);
  const context = `\n  environment: ${JSON.stringify(input.env)}\n  verdicts: ${JSON.stringify([...verdicts])}\n  exit: ${r.exitCode}\n  stdout: ${JSON.stringify(r.stdout)}\n  stderr: ${JSON.stringify(r.stderr)}`;
  assertNoCrash(r, context);
  const lines = r.stderr === '' ? [] : r.stderr.replace(/\n$/, '').split('\n');
  const refusable = [...verdicts].filter(([, verdict]) => verdict !== 'valid').map(([name]) => name);
  const mustRefuse = [...verdicts].some(([, verdict]) => verdict === 'invalid');
  if (r.exitCode === 1 && refusable.length > 0) {
    // README: "one line, `*** KILL_PROCESS_TIMEOUT must be ...`, exit 1", before anything else.
    assert.equal(lines.length, 1, `a refusal is one line${context}`);
    assert.ok(refusable.some((name) => lines[0]!.startsWith(`*** ${name} `)), `the line names a malformed variable first${context}`);
    assert.equal(r.stdout, '', context);
    return;
  }
  assert.ok(!mustRefuse, `a malformed value was taken${context}`);
  assert.equal(r.exitCode, 0, `\`-- true\` exits 0${context}`);
  assert.ok(lines.every((line) => line.startsWith('*** ')), `only *** lines${context}`);
}

// A round: one boot of my_init with `-- true`, about 40 ms idle (80 rounds: about 3 s).
test('fuzz: random settings either run my_init or stop it with one line naming the variable, exit 1', () =>
  fuzz('my_init settings', settingsCase, checkSettings, { runs: 80 }));

// ---- The notify socket ----------------------------------------------------------

const OUR_SV = '/etc/ours/sv';
const MARKER = 'fuzz-marker-after-foreign';

/** A sd_notify datagram: KEY=VALUE lines, with the keys that mean something, nasty values, odd separators; or garbage. */
function datagram(keys: string[], values: string[]): fc.Arbitrary<Uint8Array> {
  const assignment = fc.tuple(fc.constantFrom(...keys), fc.oneof(fc.constantFrom(...values), text(3))).map(([key, value]) => `${key}=${value}`);
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.array(assignment, { maxLength: 4 }), fc.constantFrom('\n', '\n', '\0', '\r\n', '\n\n')).map(([lines, separator]) => new Uint8Array(Buffer.from(lines.join(separator)))) },
    { weight: 2, arbitrary: trickyBytes(8) },
    // Over the 4096 bytes a notify message may have.
    { weight: 1, arbitrary: fc.integer({ min: 4000, max: 9000 }).map((size) => new Uint8Array(Buffer.from(`STATUS=${'x'.repeat(size)}\nREADY=1`))) },
  );
}

const KEYS = ['READY', 'STATUS', 'MAINPID', 'RELOADING', 'STOPPING', 'WATCHDOG', 'ERRNO', 'FDSTORE', 'X', '', ' READY', 'READY '];
/** No small pid: a pid of the namespace could be a process of the service's session, which may speak for it. */
const VALUES = ['1', '0', '', '2', 'trigger', ' 1', '1\r', '-1', '99999', '4194304', '4194305', '12345678901', 'abc'];

/**
 * Datagrams the service sends before its own READY=1. Left out: WATCHDOG=trigger, which restarts a
 * service (README, Watchdog), and STOPPING=1, after which the run is not ready again (README: "STOPPING=1
 * not ready"; as systemd, the run is on its way out), since this property looks at one run becoming ready.
 */
const serviceDatagram = datagram(KEYS, VALUES).filter((bytes) => !/WATCHDOG=trigger|STOPPING=1/.test(Buffer.from(bytes).toString('latin1')));
/** What a foreign process sends: anything, and a READY=1 among it. */
const foreignDatagrams = fc.tuple(fc.array(datagram(KEYS, [...VALUES, '1']), { maxLength: 3 }), fc.nat(3)).map(([datagrams, at]) => {
  const all = [...datagrams];
  all.splice(Math.min(at, all.length), 0, new Uint8Array(Buffer.from('READY=1')));
  return all;
});

interface NotifyCase {
  own: Uint8Array[];
  foreign: Uint8Array[];
  /** Who the foreign sender is: a process of the main command, as root or as another user. */
  foreigner: 'main' | 'nobody';
}

const notifyCase: fc.Arbitrary<NotifyCase> = fc.record({
  own: fc.array(serviceDatagram, { maxLength: 4 }),
  foreign: foreignDatagrams,
  foreigner: fc.constantFrom<NotifyCase['foreigner']>('main', 'nobody'),
});

/**
 * Sends the files named after `--` as datagrams to the address in the first argument's file (an
 * abstract socket for `@...`, as sd_notify does), touches the second argument, and, with
 * `--hold FILE`, stays alive until FILE exists: a live sender is looked at, a dead one cannot be.
 */
const SENDER = `import os, socket, sys, time
args = sys.argv[1:]
hold = None
if args[0] == '--hold':
    hold, args = args[1], args[2:]
address = open(args[0]).read().strip()
address = '\\0' + address[1:] if address.startswith('@') else address
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for path in args[3:]:
    try:
        sock.sendto(open(path, 'rb').read(), address)
    except OSError as error:
        print('send failed:', error, file=sys.stderr)
open(args[1], 'w').close()
while hold is not None and not os.path.exists(hold):
    time.sleep(0.02)
`;

function notifyFiles(input: NotifyCase): Record<string, FileSpec> {
  const files: Record<string, FileSpec> = {
    [OUR_SV]: { symlink: BINARY },
    '/etc/fuzz-send.py': SENDER,
    // Open to all: the foreign sender may be another user.
    [OUT]: { directory: true, mode: 0o777 },
    '/etc/service/web/notify': '',
    '/etc/service/web/run': script([
      `echo "$NOTIFY_SOCKET" > ${OUT}/address`,
      `while ! test -e ${OUT}/go-marker; do sleep 0.02; done`,
      `printf 'STATUS=${MARKER}' > /etc/dg-marker`,
      `python3 /etc/fuzz-send.py ${OUT}/address ${OUT}/marker-sent -- /etc/dg-marker`,
      `while ! test -e ${OUT}/go-own; do sleep 0.02; done`,
      `printf 'READY=1' > /etc/dg-ready`,
      `python3 /etc/fuzz-send.py ${OUT}/address ${OUT}/own-sent -- ${input.own.map((_, i) => `/etc/dg-own-${i}`).join(' ')} /etc/dg-ready`,
      'exec sleep 1000',
    ].join('\n')),
  };
  input.own.forEach((bytes, i) => (files[`/etc/dg-own-${i}`] = { content: bytes }));
  input.foreign.forEach((bytes, i) => (files[`/etc/dg-foreign-${i}`] = { content: bytes }));
  return files;
}

function notifyMain(input: NotifyCase): string {
  const asWho = input.foreigner === 'nobody' ? 'setpriv --reuid=65534 --regid=65534 --clear-groups ' : '';
  const foreign = input.foreign.map((_, i) => `/etc/dg-foreign-${i}`).join(' ');
  return [
    PRELUDE,
    `wait_for "test -s ${OUT}/address" 20`,
    // The foreign sender lives until the end, so that its datagrams are looked at while it runs.
    `${asWho}python3 /etc/fuzz-send.py --hold ${OUT}/release ${OUT}/address ${OUT}/foreign-sent -- ${foreign} &`,
    `wait_for "test -e ${OUT}/foreign-sent" 20`,
    // The service's marker comes after the foreign datagrams on the same socket: once sv shows it, they were all read.
    `touch ${OUT}/go-marker`,
    `wait_for "${OUR_SV} status web | grep -q '(${MARKER})'" 20`,
    `${OUR_SV} status web > ${OUT}/after-foreign`,
    `touch ${OUT}/go-own`,
    `${OUR_SV} -w 20 check web > ${OUT}/after-own`,
    `touch ${OUT}/release; wait`,
  ].join('\n');
}

const showDatagram = (bytes: Uint8Array): string => {
  const text = Buffer.from(bytes).toString('latin1');
  return text.length > 120 ? `${JSON.stringify(text.slice(0, 120))}... (${bytes.length} bytes)` : JSON.stringify(text);
};

async function checkNotify(input: NotifyCase): Promise<void> {
  const r = await runInit({ args: ['--quiet', '--', 'sh', '-c', notifyMain(input)], files: notifyFiles(input), timeoutMs: 90_000 });
  try {
    const context = `\n  own: ${input.own.map(showDatagram).join(', ')}\n  foreign (${input.foreigner}): ${input.foreign.map(showDatagram).join(', ')}\n  exit: ${r.exitCode}\n  output: ${JSON.stringify(r.all)}`;
    assertNoCrash(r, context);
    assert.equal(r.exitCode, 0, `the main command ran to its end${context}`);
    const afterForeign = r.etcFile(`${OUT}/after-foreign`)?.toString() ?? '';
    // README: a live process of the main command is ignored, whatever it sends; the status text is the service's.
    assert.match(afterForeign, new RegExp(`^run: web: \\(pid \\d+\\) \\d+s, starting \\(${MARKER}\\)\\n$`), `after the foreign datagrams${context}`);
    const afterOwn = r.etcFile(`${OUT}/after-own`)?.toString() ?? '';
    assert.match(afterOwn, /^ok: run: web: \(pid \d+\) \d+s, ready( \(.*\))?\n$/, `the service's own READY=1 is taken${context}`);
  } finally {
    cleanUp(r);
  }
}

// A round: a boot, a service, three Python senders and sv polls; about 0.6 s idle (12 rounds: about 7 s).
test('fuzz: notify datagrams: a foreign sender never makes a service ready; the service\'s own READY=1 does; nothing crashes', () =>
  fuzz('my_init notify', notifyCase, checkNotify, { runs: 12 }));
