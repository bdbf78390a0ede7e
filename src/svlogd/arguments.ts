// svlogd's command line, read as runit's getopt reads "R:r:l:b:tvV": options
// end at the first non-option or `--`, letters may be grouped, an option's
// argument may be attached (-l80) or the next word. Any problem is svlogd's
// usage message and exit 111.
import { utf8 } from '../system/text.ts';
import { scanUnsigned } from './numbers.ts';

export interface Options {
  /** -v: how many times given (any is verbose). */
  verbose: number;
  /** 0: none, 1: -t (TAI64N), 2: -tt, 3: -ttt. */
  timestamp: 0 | 1 | 2 | 3;
  /** -l: pattern matching, stderr and UDP see this many bytes of a line. */
  lineMax: number;
  /** -b: the input and per-directory output buffer size. */
  bufferLength: number;
  /** -r / -R: the byte that replaces unprintable ones, or 0 for no replacing. */
  replacement: number;
  /** -R: printable bytes replaced too. */
  replaced: Uint8Array;
  /** The log directories, as given (relative ones are resolved against the logger's cwd). */
  directories: string[];
}

const USAGE = ' [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...';
const VERSION = '$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $';
export const EXIT_FATAL = 111;

/** A command line svlogd refuses: `stderr` is all it prints, then it exits 111. */
export class SvlogdUsageError extends Error {
  readonly stderr: string;
  constructor(stderr: string) {
    super(stderr.trimEnd());
    this.stderr = stderr;
  }
}

/** `programName` is argv[0] as the program was called: the usage line names it so. */
export function parseSvlogdArguments(args: readonly string[], programName = 'svlogd'): Options | SvlogdUsageError {
  const usage = (before = ''): SvlogdUsageError => new SvlogdUsageError(`${before}usage: ${programName}${USAGE}\n\n`);
  // getopt's own complaints name the program by its base name.
  const shortName = programName.slice(programName.lastIndexOf('/') + 1);
  const options: Options = {
    verbose: 0, timestamp: 0, lineMax: 1000, bufferLength: 1024, replacement: 0, replaced: new Uint8Array(0), directories: [],
  };
  let index = 0;
  for (; index < args.length; index++) {
    const word = args[index]!;
    if (word === '--') {
      index++;
      break;
    }
    if (word.length < 2 || word[0] !== '-') break;
    for (let at = 1; at < word.length; at++) {
      const letter = word[at]!;
      if (letter === 't') {
        options.timestamp = Math.min(options.timestamp + 1, 3) as Options['timestamp'];
      } else if (letter === 'v') {
        options.verbose++;
      } else if (letter === 'V') {
        return usage(`${VERSION}\n`);
      } else if ('Rrlb'.includes(letter)) {
        let value: string;
        if (at + 1 < word.length) {
          value = word.slice(at + 1);
        } else if (index + 1 < args.length) {
          value = args[++index]!;
        } else {
          return usage(`${shortName}: option requires an argument -- ${letter}\n`);
        }
        at = word.length;
        const bytes = utf8(value);
        if (letter === 'R') {
          options.replaced = bytes;
          if (options.replacement === 0) options.replacement = 0x5f; // '_'
        } else if (letter === 'r') {
          if (bytes.length !== 1 || bytes[0] === 0) return usage();
          options.replacement = bytes[0]!;
        } else if (letter === 'l') {
          options.lineMax = scanUnsigned(bytes).value || 1000;
        } else {
          options.bufferLength = scanUnsigned(bytes).value || 1024;
        }
      } else {
        return usage(`${shortName}: illegal option -- ${letter}\n`);
      }
    }
  }
  options.directories = args.slice(index);
  if (options.directories.length === 0) return usage();
  if (options.bufferLength <= options.lineMax) return usage();
  return options;
}
