// my_init's command line (src/cli.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandOptions, type Options, parseArguments, USAGE } from '../../src/cli.ts';

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

function expanded(args: string[]): string[] {
  const result = expandOptions(args);
  if (result instanceof Error) assert.fail(`${JSON.stringify(args)} refused: ${result.message}`);
  return result;
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

  test('the help begins with one usage line, then the description', () => {
    const parsed = parseArguments(['--help']);
    assert.equal(parsed.kind, 'help');
    if (parsed.kind === 'help') assert.ok(parsed.text.startsWith('usage: my_init [options] [--] [MAIN_COMMAND ...]\n\nInitialize the system.'), parsed.text);
  });

  test('--version', () => {
    assert.deepEqual(parseArguments(['--version']), { kind: 'version' });
  });

  test('--quiet and --verbose exclude each other', () => {
    const text = usageError(['--quiet', '--verbose']);
    assert.match(text, /--quiet/);
    assert.match(text, /--verbose/);
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

  test('--option=value is not accepted', () => {
    assert.ok(usageError(['--quiet=1']).includes('unrecognized arguments: --quiet=1'));
  });
});

describe('expandOptions', () => {
  test('expands unambiguous prefixes and -h', () => {
    assert.deepEqual(expanded(['--quie', '-h', '--skip-r', 'cmd']), ['--quiet', '--help', '--skip-runit', 'cmd']);
  });

  test('keeps full names and positional words as they are', () => {
    assert.deepEqual(expanded(['--verbose', 'echo', '-', '']), ['--verbose', 'echo', '-', '']);
    assert.deepEqual(expanded([]), []);
  });

  test('leaves everything from the first "--" alone', () => {
    assert.deepEqual(expanded(['--quie', '--', '--quie', '-h', '--']), ['--quiet', '--', '--quie', '-h', '--']);
  });

  test('an ambiguous prefix is an Error naming every candidate', () => {
    const result = expandOptions(['--ver']);
    assert.ok(result instanceof Error);
    assert.equal(result.message, 'ambiguous option: --ver could match --verbose, --version');
  });

  test('unknown options are collected into one Error', () => {
    const result = expandOptions(['-x', 'cmd', '--y', '--quiet=1', '-l']);
    assert.ok(result instanceof Error);
    assert.equal(result.message, 'unrecognized arguments: -x --y --quiet=1 -l');
  });

  test('an ambiguous option wins over unrecognized ones seen before it', () => {
    const result = expandOptions(['-x', '--skip']);
    assert.ok(result instanceof Error);
    assert.match(result.message, /^ambiguous option: --skip/);
  });
});
