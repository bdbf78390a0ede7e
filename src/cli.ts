// my_init's command line: the reference's argparse interface, parsed by yargs.
// argparse accepts unambiguous prefixes (`--quie`) and words its errors its own
// way; expandOptions() gives yargs arguments it can take literally.
import yargs from 'yargs/yargs';

export interface Options {
  enableInsecureKey: boolean;
  skipStartupFiles: boolean;
  skipRunit: boolean;
  killAllOnExit: boolean;
  verbosity: 'quiet' | 'normal' | 'verbose';
  /** Empty when my_init should run until stopped. */
  command: string[];
}

export type Parsed =
  | { kind: 'run'; options: Options }
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'usage-error'; text: string };

const FLAGS = {
  'enable-insecure-key': 'Install the insecure SSH key',
  'skip-startup-files': 'Skip running /etc/my_init.d/* and /etc/rc.local',
  'skip-runit': 'Do not run runit services',
  'no-kill-all-on-exit': "Don't kill all processes on the system upon exiting",
  quiet: 'Only print warnings and errors',
  verbose: 'Also print debug messages',
  help: 'Show this help message and exit',
  version: "Show my_init's version and exit",
} as const;

const LONG_NAMES = Object.keys(FLAGS);

export const USAGE =
  'usage: my_init [-h] [--version] [--enable-insecure-key] [--skip-startup-files]\n' +
  '               [--skip-runit] [--no-kill-all-on-exit] [--quiet] [--verbose]\n' +
  '               [MAIN_COMMAND ...]';

/**
 * Expands unambiguous prefixes of long options and rejects unknown ones, the way
 * argparse does. Words after the first `--` are left alone.
 */
export function expandOptions(args: readonly string[]): string[] | Error {
  const expanded: string[] = [];
  const unrecognized: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') {
      expanded.push(...args.slice(i));
      break;
    }
    if (word === '-h') {
      expanded.push('--help');
    } else if (word.startsWith('--') && !word.includes('=')) {
      const stem = word.slice(2);
      const matches = LONG_NAMES.filter((name) => name.startsWith(stem));
      if (LONG_NAMES.includes(stem)) expanded.push(word);
      else if (matches.length === 1) expanded.push(`--${matches[0]}`);
      else if (matches.length > 1)
        return new Error(`ambiguous option: ${word} could match ${matches.map((m) => `--${m}`).join(', ')}`);
      else unrecognized.push(word);
    } else if (word.startsWith('-') && word !== '-') {
      unrecognized.push(word);
    } else {
      expanded.push(word);
    }
  }
  if (unrecognized.length > 0) return new Error(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return expanded;
}

export function parseArguments(args: readonly string[]): Parsed {
  const expanded = expandOptions(args);
  if (expanded instanceof Error) return usageError(expanded.message);

  let parser = yargs(expanded)
    .scriptName('my_init')
    .usage('usage: my_init [options] [--] [MAIN_COMMAND ...]\n\nInitialize the system.')
    .positional('MAIN_COMMAND', { describe: 'The main command to run. (default: run services until stopped)' })
    .parserConfiguration({
      'populate--': true,
      // `--no-kill-all-on-exit` is a flag of its own, not the negation of another.
      'boolean-negation': false,
      'camel-case-expansion': false,
      'dot-notation': false,
      'short-option-groups': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'duplicate-arguments-array': false,
    })
    .help(false)
    .version(false)
    .exitProcess(false)
    .strictOptions()
    .wrap(100)
    .fail((message: string | undefined) => {
      throw new Error(message ?? 'invalid arguments');
    });
  for (const [name, describe] of Object.entries(FLAGS)) {
    parser = parser.option(name, { type: 'boolean', describe, alias: name === 'help' ? 'h' : undefined });
  }

  let argv: Record<string, unknown>;
  try {
    argv = parser.parseSync() as Record<string, unknown>;
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (argv.help === true) {
    let text = '';
    parser.showHelp((help: string) => (text = help));
    return { kind: 'help', text };
  }
  if (argv.version === true) return { kind: 'version' };
  if (argv.quiet === true && argv.verbose === true) return usageError('--quiet and --verbose exclude each other');

  const words = (argv._ as unknown[]).map(String);
  const afterDashes = ((argv['--'] as unknown[] | undefined) ?? []).map(String);
  return {
    kind: 'run',
    options: {
      enableInsecureKey: argv['enable-insecure-key'] === true,
      skipStartupFiles: argv['skip-startup-files'] === true,
      skipRunit: argv['skip-runit'] === true,
      killAllOnExit: argv['no-kill-all-on-exit'] !== true,
      verbosity: argv.quiet === true ? 'quiet' : argv.verbose === true ? 'verbose' : 'normal',
      command: [...words, ...afterDashes],
    },
  };
}

function usageError(message: string): Parsed {
  return { kind: 'usage-error', text: `${USAGE}\nmy_init: error: ${message}\n` };
}
