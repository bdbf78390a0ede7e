// src/supervise/handed-over-run.ts: a handed-over logger runs the svlogd
// engine inside PID 1, so an engine that throws (a bug) must end that run as a
// failed svlogd would, and never reach the init's event loop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandedOverRun, type StubChannel } from '../../src/supervise/handed-over-run.ts';
import { LineCarry } from '../../src/supervise/line-carry.ts';
import type { Logger } from '../../src/svlogd/logger.ts';
import { SystemError } from '../../src/system/errors.ts';
import { close, pipe, writeAll } from '../../src/system/files.ts';
import { EXIT_BYTE } from '../../src/svlogd/handoff-protocol.ts';

/** An engine whose every call throws, as a bug in it would. */
function brokenEngine(): Logger {
  const broken = (): never => {
    throw new TypeError('engine bug');
  };
  const engine = {
    done: new Promise<number>(() => {}),
    onWritable: () => {},
    readBuffer: () => new Uint8Array(4096),
    write: broken,
    reload: broken,
    rotate: broken,
    terminate: broken,
    end: async () => broken(),
  };
  // Only the calls HandedOverRun makes are there: the rest of Logger is never used by it.
  return engine as unknown as Logger;
}

test('an engine that throws on a line ends its run with 111, once', async () => {
  const sent: number[][] = [];
  let closed = false;
  const channel: StubChannel = { send: (bytes) => sent.push([...bytes]), close: () => (closed = true) };
  const failures: unknown[] = [];
  const run = new HandedOverRun(brokenEngine(), channel, new LineCarry(), (error) => failures.push(error));
  const ends = pipe();
  assert.ok(!(ends instanceof SystemError));
  const [readEnd, writeEnd] = ends;
  run.startReading(readEnd);
  assert.equal(writeAll(writeEnd, 'a line\n'), undefined);
  await run.ended;
  close(writeEnd);
  assert.deepEqual(sent, [[EXIT_BYTE, 111]]);
  assert.equal(closed, true);
  assert.ok(failures.length >= 1 && failures.every((error) => error instanceof TypeError));
});

test("a signal the engine throws on ends the run the same way", async () => {
  const sent: number[][] = [];
  const channel: StubChannel = { send: (bytes) => sent.push([...bytes]), close: () => {} };
  const failures: unknown[] = [];
  const run = new HandedOverRun(brokenEngine(), channel, new LineCarry(), (error) => failures.push(error));
  run.signal(Uint8Array.of(0x68)); // h: SIGHUP, a reload
  await run.ended;
  assert.deepEqual(sent, [[EXIT_BYTE, 111]]);
  assert.ok(failures.length >= 1);
});
