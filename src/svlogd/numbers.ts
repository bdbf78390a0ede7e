// djb's scan_ulong, which svlogd uses for every number: leading decimal digits,
// nothing else (no sign, no blanks); no digits reads as 0.

export interface Scanned {
  value: number;
  /** How many characters were digits. */
  length: number;
}

export function scanUnsigned(text: Uint8Array, start = 0): Scanned {
  let value = 0;
  let index = start;
  for (;;) {
    const digit = (text[index] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) break;
    // unsigned long arithmetic; beyond 2^53 precision is lost, which no sane config reaches.
    value = (value * 10 + digit) % 2 ** 64;
    index++;
  }
  return { value, length: index - start };
}
