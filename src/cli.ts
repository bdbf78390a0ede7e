// my_init's command line: the reference's argparse interface, rule for rule.
// argparse accepts options between the command's words, unambiguous prefixes
// (`--quie`), removes the first `--`, and words its errors and help its own
// way. Doing that here takes a few dozen lines; yargs (measured: 8-11 ms of a
// 40 ms start-up) would still need all of them as a pre-pass, and lays out
// help its own way, not argparse's.

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
  /** `--health` anywhere before `--` (entry.ts takes it first): the health program, given the other words. */
  | { kind: 'health'; args: string[] }
  | { kind: 'usage-error'; text: string };

type Flag = 'help' | 'version' | 'enable-insecure-key' | 'skip-startup-files' | 'skip-runit' | 'no-kill-all-on-exit' | 'quiet' | 'verbose';

/** In argparse's order, which is the order of the help. */
const FLAGS: readonly Flag[] = [
  'help', 'version', 'enable-insecure-key', 'skip-startup-files', 'skip-runit', 'no-kill-all-on-exit', 'quiet', 'verbose',
];

export const USAGE =
  'usage: my_init [-h] [--version] [--enable-insecure-key] [--skip-startup-files]\n' +
  '               [--skip-runit] [--no-kill-all-on-exit] [--quiet] [--verbose]\n' +
  '               [MAIN_COMMAND ...]';

const HELP = `${USAGE}

Initialize the system.

positional arguments:
  MAIN_COMMAND          The main command to run. (default: runit)

options:
  -h, --help            show this help message and exit
  --version             show program's version number and exit
  --enable-insecure-key
                        Install the insecure SSH key
  --skip-startup-files  Skip running /etc/my_init.d/* and /etc/rc.local
  --skip-runit          Do not run runit services
  --no-kill-all-on-exit
                        Don't kill all processes on the system upon exiting
  --quiet               Only print warnings and errors
  --verbose             Also print debug messages`;

/** Ours, not the reference's: src/programs/health.ts. */
const HEALTH = '--health';

/** argparse's own test: with no option that looks like one, a negative number is a word. */
const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

type Word = { flag: Flag } | { flag: Flag; ignored: string } | { positional: string } | { unrecognized: string };

/** What argparse makes of one word before `--`; an Error for an ambiguous prefix. */
function classify(word: string): Word | Error {
  if (!word.startsWith('-') || word === '-' || NEGATIVE_NUMBER.test(word)) return { positional: word };
  if (word === '-h') return { flag: 'help' };
  if (!word.startsWith('--')) return word.includes(' ') ? { positional: word } : { unrecognized: word };
  const equals = word.indexOf('=');
  const stem = word.slice(2, equals === -1 ? undefined : equals);
  const matches = FLAGS.includes(stem as Flag) ? [stem as Flag] : FLAGS.filter((name) => name.startsWith(stem));
  if (matches.length > 1) {
    return new Error(`ambiguous option: ${word} could match ${matches.map((m) => `--${m}`).join(', ')}`);
  }
  if (matches.length === 0) return word.includes(' ') ? { positional: word } : { unrecognized: word };
  // Our flags take no value: argparse names the value it will not take.
  return equals === -1 ? { flag: matches[0]! } : { flag: matches[0]!, ignored: word.slice(equals + 1) };
}

export function parseArguments(args: readonly string[]): Parsed {
  const dashes = args.indexOf('--');
  const options = dashes === -1 ? args : args.slice(0, dashes);
  // Exact only, never a prefix: `--he` must stay argparse's --help, as in the reference.
  if (options.includes(HEALTH)) return { kind: 'health', args: options.filter((word) => word !== HEALTH) };
  // argparse reads every option word before it acts on any: an ambiguous one fails first.
  const words: Word[] = [];
  for (const word of options) {
    const classified = classify(word);
    if (classified instanceof Error) return usageError(classified.message);
    words.push(classified);
  }

  const seen = new Set<Flag>();
  const command: string[] = [];
  const unrecognized: string[] = [];
  for (const word of words) {
    if ('positional' in word) command.push(word.positional);
    else if ('unrecognized' in word) unrecognized.push(word.unrecognized);
    else if ('ignored' in word) {
      // argparse names the help action by both its strings, and shows the value as Python's repr().
      const name = word.flag === 'help' ? '-h/--help' : `--${word.flag}`;
      return usageError(`argument ${name}: ignored explicit argument ${pythonRepr(word.ignored)}`);
    }
    else if (word.flag === 'help') return { kind: 'help', text: HELP };
    else if (word.flag === 'version') return { kind: 'version' };
    else {
      const other = word.flag === 'quiet' ? 'verbose' : word.flag === 'verbose' ? 'quiet' : null;
      if (other !== null && seen.has(other)) return usageError(`argument --${word.flag}: not allowed with argument --${other}`);
      seen.add(word.flag);
    }
  }
  if (unrecognized.length > 0) return usageError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  if (dashes !== -1) command.push(...args.slice(dashes + 1));

  return {
    kind: 'run',
    options: {
      enableInsecureKey: seen.has('enable-insecure-key'),
      skipStartupFiles: seen.has('skip-startup-files'),
      skipRunit: seen.has('skip-runit'),
      killAllOnExit: !seen.has('no-kill-all-on-exit'),
      verbosity: seen.has('quiet') ? 'quiet' : seen.has('verbose') ? 'verbose' : 'normal',
      command,
    },
  };
}

function usageError(message: string): Parsed {
  return { kind: 'usage-error', text: `${USAGE}\nmy_init: error: ${message}\n` };
}

/**
 * Python's repr() of a string, as argparse prints a value: in single quotes (double
 * when it holds a ' and no "), backslash escapes for the quote, `\\`, `\n`, `\r`, `\t`,
 * and \xhh, \uhhhh or \Uhhhhhhhh for what Python does not print (controls, format
 * characters, separators other than the space, unassigned and private-use code points).
 * So a value with a newline stays on the error's one line.
 */
export function pythonRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    if (c === quote || c === '\\') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(c)) {
      const code = c.codePointAt(0)!;
      const hex = code.toString(16);
      out += code < 0x100 ? `\\x${hex.padStart(2, '0')}` : code < 0x10000 ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`;
    } else out += c;
  }
  return out + quote;
}
