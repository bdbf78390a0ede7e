// A log directory's `config` file, read line by line as svlogd 2.1.2 reads it
// (svlogd(8), CONFIG). Unknown lines are ignored, numbers are scan_ulong's
// (no digits is 0), and the quirks are kept: a last line of one character
// without a newline is not read, `s` takes a k or m suffix and `t` an m or h
// one, and a `U` line makes the directory UDP-only even when its address is bad.
import { concatBytes, fromUtf8, utf8 } from '../system/text.ts';
import { scanUnsigned } from './numbers.ts';

export interface Instruction {
  /** `+` select, `-` deselect, `e` select for stderr, `E` deselect for stderr. */
  op: '+' | '-' | 'e' | 'E';
  pattern: Uint8Array;
}

export interface DirectoryConfig {
  sizeMax: number;
  countMax: number;
  countMin: number;
  /** Seconds; 0: no rotation by age. */
  ageMax: number;
  /** `sh -c` command for rotated files, or '' for none. */
  processor: string;
  /** IPv4 address bytes and port (0: no UDP), as the last `u`/`U` line left them. */
  udpAddress: [number, number, number, number];
  udpPort: number;
  udpOnly: boolean;
  prefix: Uint8Array;
  instructions: Instruction[];
}

export function defaultConfig(): DirectoryConfig {
  return {
    sizeMax: 1_000_000, countMax: 10, countMin: 10, ageMax: 0, processor: '',
    udpAddress: [0, 0, 0, 0], udpPort: 0, udpOnly: false, prefix: new Uint8Array(0), instructions: [],
  };
}

/** ip4_scan: four dotted decimal numbers, each kept as a byte; returns how many characters it read, 0 when it failed. */
function scanAddress(text: Uint8Array, start: number, into: [number, number, number, number]): number {
  let at = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (text[at] !== 0x2e) return 0;
      at++;
    }
    const number = scanUnsigned(text, at);
    if (number.length === 0) return 0;
    into[part] = number.value % 256;
    at += number.length;
  }
  return at - start;
}

/** `warnings` are the complete stderr lines svlogd prints while reading it. */
export function parseConfig(file: Uint8Array): { config: DirectoryConfig; warnings: Uint8Array[] } {
  const config = defaultConfig();
  const warnings: Uint8Array[] = [];
  for (let start = 0; start + 1 < file.length; start++) {
    let end = file.indexOf(0x0a, start);
    if (end < 0) end = file.length;
    // svlogd works on NUL-terminated lines: a NUL inside a line ends it.
    let stop = file.indexOf(0, start);
    if (stop < 0 || stop > end) stop = end;
    const line = file.subarray(start, stop);
    const rest = line.subarray(1);
    const letter = String.fromCharCode(line[0] ?? 0);
    switch (letter) {
      case '+': case '-': case 'e': case 'E':
        config.instructions.push({ op: letter, pattern: rest.slice() });
        break;
      case 's': {
        const number = scanUnsigned(rest);
        const suffix = rest[number.length];
        config.sizeMax = number.value * (suffix === 0x6d ? 1024 * 1024 : suffix === 0x6b ? 1024 : 1);
        break;
      }
      case 'n':
        config.countMax = scanUnsigned(rest).value;
        break;
      case 'N':
        config.countMin = scanUnsigned(rest).value;
        break;
      case 't': {
        const number = scanUnsigned(rest);
        const suffix = rest[number.length];
        config.ageMax = number.value * (suffix === 0x68 ? 3600 : suffix === 0x6d ? 60 : 1);
        break;
      }
      case '!':
        if (end - start > 1) config.processor = fromUtf8(rest);
        break;
      case 'U': case 'u': {
        if (letter === 'U') config.udpOnly = true;
        const length = scanAddress(rest, 0, config.udpAddress);
        if (length === 0) {
          warnings.push(concatBytes([utf8('svlogd: warning: unable to scan ip address: '), rest]));
          break;
        }
        let port = 514;
        if (rest[length] === 0x3a) {
          port = scanUnsigned(rest, length + 1).value;
          if (port === 0) {
            warnings.push(concatBytes([utf8('svlogd: warning: unable to scan port number: '), rest.subarray(length + 1)]));
            break;
          }
        }
        config.udpPort = port % 65536; // htons keeps 16 bits
        break;
      }
      case 'p':
        if (end - start > 1) config.prefix = rest.slice();
        break;
    }
    start = end;
  }
  return { config, warnings };
}
