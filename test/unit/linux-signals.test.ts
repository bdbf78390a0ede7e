// src/linux-signals.ts against Node's own table (os.constants.signals, from the
// C headers Node was built with): the same names, the same numbers; and against
// the arm64 C library the arm64 executable is built with (musl-dev:arm64).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, test } from 'node:test';
import { isSignalName, signalName, SIGNALS } from '../../src/linux-signals.ts';

const ARM64_HEADER = '/usr/include/aarch64-linux-musl/bits/signal.h';

/** `#define SIGNAME N` (or another SIGNAME) of a C header, resolved; the signals 1 to 31 only. */
function headerSignals(text: string): Record<string, number> {
  const defined = new Map<string, string>();
  for (const [, name, value] of text.matchAll(/^#define (SIG[A-Z0-9]+)\s+(\w+)\s*$/gm)) defined.set(name!, value!);
  const table: Record<string, number> = {};
  for (const [name, value] of defined) {
    const number = Number(/^\d+$/.test(value) ? value : defined.get(value));
    if (number >= 1 && number <= 31 && name !== 'SIGUNUSED') table[name] = number;
  }
  return table;
}

describe('SIGNALS', () => {
  test("is Node's table of signal numbers", () => {
    assert.deepEqual({ ...SIGNALS }, { ...constants.signals });
  });

  test("is arm64's table too, as the arm64 executable's C library has it", { skip: !existsSync(ARM64_HEADER) && `${ARM64_HEADER} is missing (apt-get install musl-dev:arm64)` }, () => {
    assert.deepEqual({ ...SIGNALS }, headerSignals(readFileSync(ARM64_HEADER, 'utf8')));
  });

  test('isSignalName takes the names and nothing else', () => {
    assert.equal(isSignalName('SIGHUP'), true);
    assert.equal(isSignalName('SIGRTMIN'), false);
    assert.equal(isSignalName('HUP'), false);
    assert.equal(isSignalName('toString'), false);
  });
});

describe('signalName', () => {
  test('names each number as Node does, the usual name of two first', () => {
    for (let signal = 1; signal <= 31; signal++) {
      const node = Object.entries(constants.signals).find(([, number]) => number === signal)?.[0];
      assert.equal(signalName(signal), node ?? `signal ${signal}`);
    }
    assert.equal(signalName(6), 'SIGABRT');
    assert.equal(signalName(29), 'SIGIO');
  });

  test('describes a number that has no name', () => {
    assert.equal(signalName(999), 'signal 999');
    assert.equal(signalName(40), 'signal 40');
  });
});
