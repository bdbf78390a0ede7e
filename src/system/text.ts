// Bytes and text: the engine has typed arrays but no Buffer, TextEncoder or
// TextDecoder. UTF-8 and Latin-1 are converted by the platform (C), the rest
// here on Uint8Array.
import { decodeLatin1, decodeUtf8, encodeLatin1, encodeUtf8, utf8Length, zeroedPages } from 'sys:text';

/** A string's UTF-8 bytes; a lone surrogate becomes U+FFFD, as in Node. */
export const utf8 = (text: string): Uint8Array => encodeUtf8(text);

/** UTF-8 bytes as text, each invalid sequence replaced by U+FFFD. */
export const fromUtf8 = (bytes: Uint8Array): string => decodeUtf8(bytes, false)!;

/** UTF-8 bytes as text; null when they are not valid UTF-8. */
export const fromUtf8Strict = (bytes: Uint8Array): string | null => decodeUtf8(bytes, true);

/** Each byte one character (U+0000 to U+00FF). */
export const fromLatin1 = (bytes: Uint8Array): string => decodeLatin1(bytes);

/** Each character's low byte: the inverse of fromLatin1. */
export const latin1 = (text: string): Uint8Array => encodeLatin1(text);

/** How many bytes `text` is in UTF-8. */
export const byteLength = (text: string): number => utf8Length(text);

/**
 * `length` zero bytes whose memory is taken only as it is written (pages from
 * the kernel): for a large buffer mostly unused, where `new Uint8Array` would
 * hold all of it at once. An ordinary array when the kernel gives none.
 */
export function untouchedBytes(length: number): Uint8Array {
  const pages = zeroedPages(length);
  return typeof pages === 'number' ? new Uint8Array(length) : pages;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Byte order, as memcmp and Buffer.compare: negative, 0 or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A file name that is not UTF-8, printable: bytes outside printable ASCII as \xHH. */
export function showBytes(bytes: Uint8Array): string {
  return [...bytes].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
}
