// my_init's command line (src/cli.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Options, parseArguments, USAGE } from '../../src/cli.ts';

const DEFAULTS: Options = {
  enableInsecureKey: false,
  skipStartupFiles: false,
  skipRunit: false,
  killAllOnExit: true,
  verbosity: 'normal',
  command: [],
};

function run(args: string[]): Options {
  const parsed = parseArguments(args);
  if (parsed.kind !== 'run') assert.fail(`${JSON.stringify(args)} gave ${JSON.stringify(parsed)}`);
  return parsed.options;
}

function usageError(args: string[]): string {
  const parsed = parseArguments(args);
  if (parsed.kind !== 'usage-error') assert.fail(`${JSON.stringify(args)} gave ${JSON.stringify(parsed)}`);
  assert.ok(parsed.text.startsWith('usage: my_init'), parsed.text);
  assert.ok(parsed.text.startsWith(`${USAGE}\nmy_init: error: `), parsed.text);
  assert.ok(parsed.text.endsWith('\n'), 'ends with a newline');
  return parsed.text;
}

describe('parseArguments', () => {
  test('no arguments: run until stopped, with the defaults', () => {
    assert.deepEqual(parseArguments([]), { kind: 'run', options: DEFAULTS });
  });

  test('everything after the first "--" is the command, later "--" included', () => {
    assert.deepEqual(run(['--', 'echo', '--', 'hi']), { ...DEFAULTS, command: ['echo', '--', 'hi'] });
    assert.deepEqual(run(['--', '--quiet', '-l']).command, ['--quiet', '-l']);
    assert.equal(run(['--', '--quiet']).verbosity, 'normal');
  });

  test('options before the command, and words on both sides of "--"', () => {
    assert.deepEqual(run(['--quiet', 'echo', '--', '-x']), { ...DEFAULTS, verbosity: 'quiet', command: ['echo', '-x'] });
  });

  test('options may follow positional words', () => {
    assert.deepEqual(run(['echo', '--quiet']), { ...DEFAULTS, verbosity: 'quiet', command: ['echo'] });
    assert.deepEqual(run(['echo', '--skip-runit', 'hi']), { ...DEFAULTS, skipRunit: true, command: ['echo', 'hi'] });
  });

  test('an unknown short option is a usage error worded like argparse', () => {
    const text = usageError(['ls', '-l']);
    assert.ok(text.includes('my_init: error: unrecognized arguments: -l'), text);
  });

  test('all unknown options are listed together', () => {
    assert.ok(usageError(['-x', 'ls', '--bogus']).endsWith('my_init: error: unrecognized arguments: -x --bogus\n'));
  });

  test('unambiguous prefixes of long options are accepted', () => {
    assert.deepEqual(run(['--quie', '--skip-r', '--', 'echo']), {
      ...DEFAULTS, verbosity: 'quiet', skipRunit: true, command: ['echo'],
    });
    assert.equal(run(['--skip-s']).skipStartupFiles, true);
    assert.equal(run(['--enable']).enableInsecureKey, true);
    assert.equal(run(['--no']).killAllOnExit, false);
    assert.equal(parseArguments(['--vers']).kind, 'version');
    assert.equal(parseArguments(['--he']).kind, 'help');
  });

  test('an ambiguous prefix is a usage error listing the candidates', () => {
    const text = usageError(['--skip']);
    assert.ok(text.includes('ambiguous option: --skip could match --skip-startup-files, --skip-runit'), text);
  });

  test('--no-kill-all-on-exit is a flag of its own', () => {
    assert.deepEqual(run(['--no-kill-all-on-exit', 'x']), { ...DEFAULTS, killAllOnExit: false, command: ['x'] });
  });

  test('--skip-startup-files, --skip-runit, --enable-insecure-key', () => {
    assert.deepEqual(run(['--skip-startup-files', '--skip-runit', '--enable-insecure-key']), {
      ...DEFAULTS, skipStartupFiles: true, skipRunit: true, enableInsecureKey: true,
    });
    assert.equal(run(['--enable-insecure-key']).enableInsecureKey, true);
  });

  test('-h and --help give the help, which names every flag', () => {
    for (const args of [['-h'], ['--help'], ['echo', '-h']]) {
      const parsed = parseArguments(args);
      if (parsed.kind !== 'help') assert.fail(`${JSON.stringify(args)} gave ${parsed.kind}`);
      for (const flag of ['-h', '--help', '--version', '--enable-insecure-key', '--skip-startup-files', '--skip-runit',
        '--no-kill-all-on-exit', '--quiet', '--verbose', 'MAIN_COMMAND']) {
        assert.ok(parsed.text.includes(flag), `help lacks ${flag}`);
      }
      assert.ok(parsed.text.startsWith('usage: my_init'), parsed.text);
    }
  });

  test("the help is laid out as argparse laid out the reference's, with our two extra flags", () => {
    const parsed = parseArguments(['--help']);
    if (parsed.kind !== 'help') assert.fail(parsed.kind);
    assert.ok(parsed.text.startsWith(`${USAGE}\n\nInitialize the system.\n\npositional arguments:\n`), parsed.text);
    // Every line the reference's --help printed after its usage, in the same order.
    const reference = [
      '  MAIN_COMMAND          The main command to run. (default: runit)',
      '  -h, --help            show this help message and exit',
      '  --enable-insecure-key',
      '                        Install the insecure SSH key',
      '  --skip-startup-files  Skip running /etc/my_init.d/* and /etc/rc.local',
      '  --skip-runit          Do not run runit services',
      '  --no-kill-all-on-exit',
      "                        Don't kill all processes on the system upon exiting",
      '  --quiet               Only print warnings and errors',
    ];
    const lines = parsed.text.split('\n');
    const positions = reference.map((line) => lines.indexOf(line));
    assert.ok(positions.every((at) => at > 0), `missing: ${reference.filter((_, i) => positions[i]! < 0).join(' | ')}`);
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
  });

  test('help wins over unknown options, as in argparse; an ignored value does not', () => {
    assert.equal(parseArguments(['-x', '--help']).kind, 'help');
    assert.equal(parseArguments(['--quiet=1', '--help']).kind, 'usage-error');
  });

  test('--version', () => {
    assert.deepEqual(parseArguments(['--version']), { kind: 'version' });
  });

  test('--quiet and --verbose exclude each other', () => {
    assert.ok(usageError(['--quiet', '--verbose']).endsWith('my_init: error: argument --verbose: not allowed with argument --quiet\n'));
    assert.ok(usageError(['--verb', 'x', '--qu']).endsWith('my_init: error: argument --quiet: not allowed with argument --verbose\n'));
  });

  test('--verbose', () => {
    assert.deepEqual(run(['--verbose']), { ...DEFAULTS, verbosity: 'verbose' });
  });

  test('words that look like numbers or literals stay strings, exactly', () => {
    assert.deepEqual(run(['echo', '007', '0x10']).command, ['echo', '007', '0x10']);
    assert.deepEqual(run(['1e3', 'true', 'null', '--', '007', '-0']).command, ['1e3', 'true', 'null', '007', '-0']);
  });

  test('"-" and words with "=" are positional', () => {
    assert.deepEqual(run(['cat', '-', 'x=1']).command, ['cat', '-', 'x=1']);
  });

  test('--flag=value is refused with argparse\'s words; an unknown --name=value is unrecognized', () => {
    assert.ok(usageError(['--quiet=1']).endsWith("my_init: error: argument --quiet: ignored explicit argument '1'\n"));
    assert.ok(usageError(['--qui=']).endsWith("my_init: error: argument --quiet: ignored explicit argument ''\n"));
    assert.ok(usageError(['--bogus=1']).endsWith('my_init: error: unrecognized arguments: --bogus=1\n'));
  });

  test('negative numbers and words with a space are positional, as argparse decides', () => {
    assert.deepEqual(run(['seq', '-5', '-1.5', '-.5']).command, ['seq', '-5', '-1.5', '-.5']);
    assert.deepEqual(run(['sh', '-c x', '--a b']).command, ['sh', '-c x', '--a b']);
    assert.ok(usageError(['seq', '-5x']).endsWith('unrecognized arguments: -5x\n'));
  });
});

describe('parseArguments: before the first "--"', () => {
  test('expands unambiguous prefixes and -h', () => {
    assert.deepEqual(run(['--quie', '--skip-r', 'cmd']), { ...DEFAULTS, verbosity: 'quiet', skipRunit: true, command: ['cmd'] });
    assert.equal(parseArguments(['--skip-r', '-h']).kind, 'help');
  });

  test('keeps positional words as they are, empty ones included', () => {
    assert.deepEqual(run(['--verbose', 'echo', '-', '']), { ...DEFAULTS, verbosity: 'verbose', command: ['echo', '-', ''] });
  });

  test('leaves everything after the first "--" alone', () => {
    assert.deepEqual(run(['--quie', '--', '--quie', '-h', '--']), { ...DEFAULTS, verbosity: 'quiet', command: ['--quie', '-h', '--'] });
  });

  test('an ambiguous prefix is an error naming every candidate', () => {
    assert.ok(usageError(['--ver']).endsWith('my_init: error: ambiguous option: --ver could match --version, --verbose\n'));
  });

  test('unknown options are collected into one error', () => {
    assert.ok(usageError(['-x', 'cmd', '--y', '-l']).endsWith('my_init: error: unrecognized arguments: -x --y -l\n'));
  });

  test('an ambiguous option wins over unrecognized ones seen before it', () => {
    assert.match(usageError(['-x', '--skip']), /my_init: error: ambiguous option: --skip/);
  });
});
