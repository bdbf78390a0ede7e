// svlogd's pattern matching (src/svlogd/pattern.ts), against svlogd(8)'s own examples and its quirks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { patternMatches } from '../../src/svlogd/pattern.ts';

const matches = (pattern: string, line: string): boolean => patternMatches(Buffer.from(pattern), Buffer.from(line), Buffer.byteLength(line));

describe('patternMatches', () => {
  // The stamp in the man page's example is svlogd's own, and patterns never see it.
  const message = 'tcpsvd: info: pid 1977 from 10.4.1.14';

  test("svlogd(8)'s example: -*pid* does not match, -*: *: pid * does", () => {
    assert.equal(matches('*pid*', message), false);
    assert.equal(matches('*: *: pid *', message), true);
  });

  test('plain characters match themselves, and the whole message must be used', () => {
    assert.equal(matches('abc', 'abc'), true);
    assert.equal(matches('abc', 'abcd'), false);
    assert.equal(matches('abcd', 'abc'), false);
    assert.equal(matches('', ''), true);
    assert.equal(matches('', 'a'), false);
  });

  test('a star at the end matches anything, even nothing', () => {
    assert.equal(matches('*', ''), true);
    assert.equal(matches('ab*', 'ab'), true);
    assert.equal(matches('ab*', 'abxyz'), true);
  });

  test('a star inside stops at the first occurrence of the next character', () => {
    assert.equal(matches('*b', 'aab'), true);
    assert.equal(matches('*bc', 'abxbc'), false, 'the star stops at the first b, then x is not c');
    assert.equal(matches('*b', 'aaa'), false);
  });

  test('a plus matches its character once or more', () => {
    assert.equal(matches('a+bc', 'abc'), true);
    assert.equal(matches('a+bc', 'abbbc'), true);
    assert.equal(matches('a+bc', 'ac'), false);
  });

  test('a plus run that reaches the end of the message matches, whatever pattern is left', () => {
    assert.equal(matches('+ax', 'aaa'), true);
  });

  test('a plus compares the byte after the message (svlogd reads its line buffer there)', () => {
    const buffer = Buffer.from('abcdef');
    assert.equal(patternMatches(Buffer.from('abc+d'), buffer, 3), true, 'd is in the buffer after the message');
    assert.equal(patternMatches(Buffer.from('abc+x'), buffer, 3), false);
  });
});
