// src/system/text.ts, on the platform's converters (src/platform/values.c):
// UTF-8 both ways as Node converts it (the expected values in
// test/unit/cases/text.ts are Node's), Latin-1, and the byte helpers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  byteLength, compareBytes, concatBytes, equalBytes, fromLatin1, fromUtf8, fromUtf8Strict, latin1, utf8,
} from '../../src/system/text.ts';
import { DECODED, ENCODED, LATIN1 } from './cases/text.ts';

const bytes = (list: readonly number[]): Uint8Array => Uint8Array.from(list);
const show = (value: unknown): string => JSON.stringify(value);

describe('UTF-8', () => {
  test('decoding replaces each invalid sequence by one U+FFFD, as the WHATWG decoder (and Node) does', () => {
    for (const [input, expected] of DECODED) assert.equal(fromUtf8(bytes(input)), expected, show(input));
  });

  test('strict decoding: the text when the bytes are valid UTF-8, null when they are not', () => {
    for (const [input, expected, valid] of DECODED) assert.equal(fromUtf8Strict(bytes(input)), valid ? expected : null, show(input));
  });

  test('encoding: a lone surrogate is EF BF BD, a pair is its code point', () => {
    for (const [input, expected] of ENCODED) {
      assert.deepEqual([...utf8(input)], expected, show(input));
      assert.equal(byteLength(input), expected.length, show(input));
    }
  });

  test('a view into a larger buffer decodes its own bytes only', () => {
    const whole = utf8('abc\u00e9def');
    assert.equal(fromUtf8(whole.subarray(3, 5)), '\u00e9');
    assert.equal(fromUtf8(whole.subarray(3, 4)), '\ufffd');
    assert.equal(fromUtf8Strict(whole.subarray(4, 5)), null);
  });

  test('every code point survives encoding and decoding, and a megabyte decodes whole', () => {
    let text = '';
    for (let point = 0; point <= 0x10ffff; point += point < 0x800 ? 1 : 97) {
      if (point >= 0xd800 && point <= 0xdfff) continue;
      text += String.fromCodePoint(point);
    }
    assert.equal(fromUtf8Strict(utf8(text)), text);
    const big = 'x\u00e9\u{1f600}'.repeat(150_000);
    assert.equal(byteLength(big), 7 * 150_000);
    assert.equal(fromUtf8(utf8(big)), big);
  });
});

describe('Latin-1', () => {
  test('each byte is one character, and back', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = fromLatin1(all);
    assert.equal(text.length, 256);
    for (let i = 0; i < 256; i++) assert.equal(text.charCodeAt(i), i);
    assert.deepEqual(latin1(text), all);
  });

  test("a character above U+00FF keeps its low byte, as Node's latin1 does", () => {
    for (const [input, expected] of LATIN1) assert.deepEqual([...latin1(input)], expected, show(input));
  });
});

describe('bytes', () => {
  test('concatBytes joins in order; an empty list is empty', () => {
    assert.deepEqual(concatBytes([bytes([1, 2]), bytes([]), bytes([3])]), bytes([1, 2, 3]));
    assert.deepEqual(concatBytes([]), bytes([]));
  });

  test('equalBytes: same length, same bytes', () => {
    assert.equal(equalBytes(bytes([1, 2]), bytes([1, 2])), true);
    assert.equal(equalBytes(bytes([1, 2]), bytes([1, 3])), false);
    assert.equal(equalBytes(bytes([1, 2]), bytes([1, 2, 0])), false);
    assert.equal(equalBytes(bytes([]), bytes([])), true);
  });

  test('compareBytes orders as memcmp, a prefix first', () => {
    assert.ok(compareBytes(bytes([1, 2]), bytes([1, 3])) < 0);
    assert.ok(compareBytes(bytes([0xff]), bytes([0x00, 0x01])) > 0);
    assert.ok(compareBytes(bytes([1]), bytes([1, 0])) < 0);
    assert.equal(compareBytes(bytes([5, 6]), bytes([5, 6])), 0);
    // UTF-8 byte order is code point order: U+FFFD before U+1F600, unlike UTF-16 units.
    assert.ok(compareBytes(utf8('\ufffd'), utf8('\u{1f600}')) < 0);
  });
});
