// svlogd's own pattern matching (svlogd(8), PATTERN MATCHING): not a regular
// expression and not a glob. `*` followed by a character c skips up to the
// first c (never past it); `*` at the end matches the rest; `+c` matches one or
// more c. The quirks are svlogd's and are kept: a `+` run that reaches the end
// of the message matches whatever pattern is left, and `+` compares its
// character before checking that the message has one left (it then sees the
// byte after the message in the line buffer, which `line` must therefore be).

const STAR = 0x2a;
const PLUS = 0x2b;

/**
 * Does `pattern` match the first `length` bytes of `line`? Bytes of `line`
 * past `length` are what svlogd's line buffer holds there (a previous, longer
 * line); they matter only to a `+` at the very end of the message.
 */
export function patternMatches(pattern: Uint8Array, line: Uint8Array, length: number): boolean {
  let p = 0;
  let s = 0;
  let left = length;
  // A byte past the pattern is the C string's terminating NUL.
  const at = (bytes: Uint8Array, index: number): number => bytes[index] ?? 0;
  for (;;) {
    const c = at(pattern, p++);
    if (c === 0) return left === 0;
    if (c === STAR) {
      const next = at(pattern, p);
      if (next === 0) return true;
      for (;;) {
        if (left === 0) return false;
        if (at(line, s) === next) break;
        s++;
        left--;
      }
      continue;
    }
    if (c === PLUS) {
      const repeated = at(pattern, p++);
      if (repeated !== at(line, s)) return false;
      for (;;) {
        if (left === 0) return true;
        if (at(line, s) !== repeated) break;
        s++;
        left--;
      }
      continue;
    }
    if (left === 0 || at(line, s) !== c) return false;
    s++;
    left--;
  }
}
