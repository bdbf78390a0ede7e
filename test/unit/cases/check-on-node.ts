// The expected values of the engine's tests, asked of Node again: the tables in
// this directory were written from Node's answers, and stay Node's (run by
// test/unit.test.ts, on Node).
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { JOINED, PATHS, RESOLVED } from './path.ts';
import { DECODED, ENCODED, LATIN1 } from './text.ts';

export function checkCasesOnNode(): void {
  for (const { path, ...expected } of PATHS) {
    assert.deepEqual({ normalize: posix.normalize(path), dirname: posix.dirname(path), basename: posix.basename(path), isAbsolute: posix.isAbsolute(path) }, expected, JSON.stringify(path));
  }
  for (const [parts, expected] of JOINED) assert.equal(posix.join(...parts), expected, JSON.stringify(parts));
  for (const [parts, expected] of RESOLVED) assert.equal(posix.resolve(...parts), expected, JSON.stringify(parts));
  const whatwg = new TextDecoder('utf-8', { ignoreBOM: true });
  const fatal = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  const valid = (bytes: readonly number[]): boolean => {
    try {
      fatal.decode(Uint8Array.from(bytes));
      return true;
    } catch {
      return false;
    }
  };
  for (const [bytes, expected, isValid] of DECODED) {
    assert.equal(Buffer.from(bytes).toString(), expected, JSON.stringify(bytes));
    assert.equal(whatwg.decode(Uint8Array.from(bytes)), expected, `TextDecoder: ${JSON.stringify(bytes)}`);
    assert.equal(valid(bytes), isValid, `fatal TextDecoder: ${JSON.stringify(bytes)}`);
  }
  for (const [text, bytes] of ENCODED) {
    assert.deepEqual([...Buffer.from(text)], bytes, JSON.stringify(text));
    assert.equal(Buffer.byteLength(text), bytes.length, JSON.stringify(text));
  }
  for (const [text, bytes] of LATIN1) assert.deepEqual([...Buffer.from(text, 'latin1')], bytes, JSON.stringify(text));
}
