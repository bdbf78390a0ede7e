// The Node globals the unit tests use for their own work: Buffer (bytes from
// text and back), process (env, geteuid) and setTimeout/clearTimeout. The
// runner imports them into the test files only (test/host/bundle.ts), never
// into src/: there, a Node global must stay an error, as in the product.
import { euid, startEnvironment } from '../../../src/system/processes.ts';
import { concatBytes, equalBytes, fromLatin1, fromUtf8, latin1, utf8 } from '../../../src/system/text.ts';
export { clearTimeout, setTimeout } from '../../../src/system/loop.ts';

type Encoding = 'utf8' | 'utf-8' | 'latin1';

function checkEncoding(encoding: string | undefined): Encoding {
  const name = encoding ?? 'utf8';
  if (name === 'utf8' || name === 'utf-8' || name === 'latin1') return name;
  throw new Error(`Buffer in the test host has no encoding ${name} (test/host/shims/globals.ts)`);
}

/** A Buffer's bytes: a Uint8Array with Node's equals() and toString(encoding). */
export class NodeBytes extends Uint8Array {
  equals(other: Uint8Array): boolean {
    return equalBytes(this, other);
  }

  override toString(encoding?: string): string {
    return checkEncoding(encoding) === 'latin1' ? fromLatin1(this) : fromUtf8(this);
  }
}

// The same memory, not a copy (the platform hands back fresh arrays already).
const wrap = (bytes: Uint8Array): NodeBytes => new NodeBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length);

export const Buffer = {
  from(value: string | ArrayLike<number>, encoding?: string): NodeBytes {
    if (typeof value === 'string') return wrap(checkEncoding(encoding) === 'latin1' ? latin1(value) : utf8(value));
    if (encoding !== undefined) throw new Error('Buffer.from(bytes, encoding): an encoding goes with a string only');
    return NodeBytes.from(value) as NodeBytes;
  },

  alloc(size: number, fill?: string | number): NodeBytes {
    const bytes = new NodeBytes(size);
    if (fill === undefined || fill === 0) return bytes;
    const pattern = typeof fill === 'number' ? Uint8Array.of(fill) : utf8(fill);
    if (pattern.length === 1) return bytes.fill(pattern[0]!);
    for (let i = 0; i < size; i++) bytes[i] = pattern[i % pattern.length]!;
    return bytes;
  },

  concat(list: readonly Uint8Array[]): NodeBytes {
    return wrap(concatBytes(list));
  },

  byteLength(text: string): number {
    if (typeof text !== 'string') throw new Error('Buffer.byteLength in the test host takes a string only');
    return utf8(text).length;
  },

  isBuffer(value: unknown): value is NodeBytes {
    return value instanceof NodeBytes;
  },
};

/** Node's process, as far as the tests use it; anything else is an error that says so. */
const known: Record<string, unknown> = {
  /** A copy, as Node's: changing it changes what spawnSync passes by default, not our own environment. */
  env: Object.fromEntries(startEnvironment()),
  geteuid: (): number => euid(),
};

export const process = new Proxy(known, {
  get(target, name) {
    if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(target, name)) return target[name];
    throw new Error(`process.${String(name)} is not in the test host (test/host/shims/globals.ts)`);
  },
}) as { env: Record<string, string | undefined>; geteuid(): number };
