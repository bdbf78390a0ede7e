// src/supervise/line-carry.ts: what a handed-over logger's supervisor passes
// to the svlogd engine is whole lines; the start of a line waits, across the
// end of a logger run, for the rest of it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LineCarry, MAX_CARRY_BYTES } from '../../src/supervise/line-carry.ts';
import { fromLatin1, latin1 } from '../../src/system/text.ts';

const text = (bytes: Uint8Array): string => fromLatin1(bytes);

describe('LineCarry', () => {
  test('whole lines pass at once, as a view of the chunk itself', () => {
    const carry = new LineCarry();
    const chunk = latin1('one\ntwo\n');
    const lines = carry.take(chunk);
    assert.equal(text(lines), 'one\ntwo\n');
    assert.equal(lines.buffer, chunk.buffer);
    assert.equal(carry.rest().length, 0);
  });

  test('the start of a line is held (a copy: the read buffer is used again) until its newline comes', () => {
    const carry = new LineCarry();
    const buffer = latin1('one\npar');
    assert.equal(text(carry.take(buffer)), 'one\n');
    buffer.set(latin1('XXXXXXX'));
    assert.equal(carry.take(latin1('t')).length, 0);
    // A logger run ends here; the next one reads on.
    assert.equal(text(carry.take(latin1('ial\nnext'))), 'partial\n');
    assert.equal(text(carry.rest()), 'next');
    assert.equal(carry.rest().length, 0);
  });

  test('a line as long as the carry without a newline is passed on: svlogd cuts long lines itself', () => {
    const carry = new LineCarry();
    const half = new Uint8Array(MAX_CARRY_BYTES / 2).fill(0x61);
    assert.equal(carry.take(half).length, 0);
    assert.equal(carry.take(half).length, MAX_CARRY_BYTES);
    assert.equal(text(carry.take(latin1('a\n'))), 'a\n');
  });
});
