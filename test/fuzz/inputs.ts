// Generators of the inputs that break parsers and quoting, shared by the fuzzers.
import fc from 'fast-check';

/** Pieces that have broken someone's quoting, line handling or decoder. */
const TRICKY_PIECES = [
  "'", '"', '`', '\\', '$', '$(id)', '${HOME}', '`id`', ';', '&', '|', '*', '?', '[x]', '~', '!', '#', '%', '=', '-n', '--',
  ' ', '\t', '\n', '\r', '\r\n', '\n\n', '\u2028', '\u2029', '\u0085', '\u0000', '\u0001', '\u001b[31m', '\u007f',
  'é', 'ünï', '日本', '😀', '\ufeff', '\ud7ff', '\ue000', '\uffff',
];

/** Text: tricky pieces and plain characters, mixed. */
export function trickyText(maxPieces = 12): fc.Arbitrary<string> {
  return fc.array(fc.oneof(fc.constantFrom(...TRICKY_PIECES), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ maxLength: 6 })), { maxLength: maxPieces })
    .map((pieces) => pieces.join(''));
}

/** Byte sequences that are not UTF-8: a stray continuation, a cut sequence, an encoded surrogate, an overlong form, 0xff. */
const INVALID_UTF8 = [[0x80], [0xc3], [0xe6, 0x97], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xff], [0xfe], [0xf4, 0x90, 0x80, 0x80]];

/** Bytes: tricky text with, now and then, bytes that are not UTF-8, or any bytes at all. */
export function trickyBytes(maxPieces = 12): fc.Arbitrary<Uint8Array> {
  const piece = fc.oneof(
    { weight: 4, arbitrary: trickyText(3).map((text) => [...Buffer.from(text)]) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_UTF8) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }) },
  );
  return fc.array(piece, { maxLength: maxPieces }).map((pieces) => Uint8Array.from(pieces.flat()));
}

/** Whether `bytes` are valid UTF-8 (what a strict decoder accepts). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
