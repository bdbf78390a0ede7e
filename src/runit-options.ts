// Command-line options as runit's programs read them (its sgetopt): options
// come first and end at the first operand, at `-` or after `--`; letters may
// be bundled (`-vw3`); an option's value is the rest of its word or the next word.

export type ParsedOption = { kind: 'option'; letter: string; value: string } | { kind: 'error'; message: string };

export interface Parsed {
  /** In order, up to and including the first error. */
  options: ParsedOption[];
  operands: string[];
}

/** `spec` as getopt's: letters, each followed by `:` when it takes a value. */
export function parseRunitOptions(args: readonly string[], spec: string): Parsed {
  const options: ParsedOption[] = [];
  let index = 0;
  while (index < args.length) {
    const word = args[index]!;
    if (word === '--') {
      index++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    index++;
    for (let at = 1; at < word.length; at++) {
      const letter = word[at]!;
      const known = letter !== ':' ? spec.indexOf(letter) : -1;
      if (known === -1) {
        options.push({ kind: 'error', message: `illegal option -- ${letter}` });
        return { options, operands: args.slice(index) };
      }
      if (spec[known + 1] !== ':') {
        options.push({ kind: 'option', letter, value: '' });
        continue;
      }
      let value = word.slice(at + 1);
      if (value === '') {
        if (index >= args.length) {
          options.push({ kind: 'error', message: `option requires an argument -- ${letter}` });
          return { options, operands: [] };
        }
        value = args[index++]!;
      }
      options.push({ kind: 'option', letter, value });
      break;
    }
  }
  return { options, operands: args.slice(index) };
}
