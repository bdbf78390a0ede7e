// src/system/loop.ts, the event loop the programs run on: timers in Node's
// order, clear and refresh, immediates after promise jobs, watched descriptors,
// and what keeps the process alive (each seen in a process of its own, which
// exits when nothing keeps it).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SystemError } from '../../src/system/errors.ts';
import { close, pipe, read, setNonBlocking, writeAll } from '../../src/system/files.ts';
import {
  clearInterval, clearTimeout, HANGUP, monotonicMs, queueMicrotask, READABLE, setExitCode, setImmediate, setInterval,
  setTimeout, waitUntilReady, watch,
} from '../../src/system/loop.ts';
import { runAsProgram, runProgram } from '../host/programs.ts';

const print = (text: string): void => void writeAll(1, `${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()`, up to 5 s: however busy the machine, what is due comes. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 5) {
    if (waited > 5000) assert.fail('not within 5 s');
    await sleep(5);
  }
}

function ok<T>(result: T | SystemError): T {
  if (result instanceof SystemError) throw result;
  return result;
}

const PROGRAMS: Record<string, (args: readonly string[]) => void> = {
  'exit-code': () => setExitCode(3),
  'ref-timer': () => {
    setTimeout(() => print('fired'), 50);
  },
  'unref-timer': () => {
    setExitCode(7);
    setTimeout(() => print('fired'), 60_000).unref();
  },
  'ref-again': () => {
    const timer = setTimeout(() => print('fired'), 50).unref();
    timer.ref();
  },
  'interval-unref': () => {
    let count = 0;
    const interval = setInterval(() => {
      print(`tick ${++count}`);
      if (count === 3) interval.unref();
    }, 10);
  },
  'cleared-timer': () => {
    const timer = setTimeout(() => print('fired'), 60_000);
    setTimeout(() => clearTimeout(timer), 10);
  },
  'watch': ([unref]) => {
    const [readEnd, writeEnd] = ok(pipe());
    const watched = ok(watch(readEnd, READABLE, () => {
      const buffer = new Uint8Array(16);
      print(`read ${ok(read(readEnd, buffer))}`);
      watched.close();
    }));
    if (unref === 'unref') watched.unref();
    setTimeout(() => writeAll(writeEnd, 'abc'), 50).unref();
  },
  'uncaught': () => {
    setTimeout(() => {
      throw new Error('thrown in a timer');
    }, 1);
  },
  'rejection': () => {
    void Promise.reject(new Error('rejected, and nobody handles it'));
  },
  'handled-late': () => {
    const promise = Promise.reject(new Error('handled in the same turn'));
    queueMicrotask(() => void promise.catch(() => print('handled')));
  },
};

if (!runAsProgram(PROGRAMS)) {
  describe('timers', () => {
    test('fire by due time, and those due together in the order they were set', async () => {
      const order: string[] = [];
      setTimeout(() => order.push('30'), 30);
      setTimeout(() => order.push('10 first'), 10);
      setTimeout(() => order.push('10 second'), 10);
      setTimeout(() => order.push('0'), 0);
      setTimeout(() => order.push('-5 (as 1)'), -5);
      await sleep(60);
      assert.deepEqual(order, ['0', '-5 (as 1)', '10 first', '10 second', '30']);
    });

    test('never early: a timer of N ms fires N ms or more after it was set', async () => {
      const start = monotonicMs();
      const fired = await new Promise<number>((resolve) => setTimeout(() => resolve(monotonicMs()), 25));
      assert.ok(fired - start >= 25, `${fired - start} ms`);
    });

    test('each callback\'s promise jobs run before the next timer\'s callback', async () => {
      const order: string[] = [];
      setTimeout(() => {
        order.push('first');
        void Promise.resolve().then(() => order.push('first\'s job'));
      }, 5);
      setTimeout(() => order.push('second'), 5);
      await sleep(30);
      assert.deepEqual(order, ['first', 'first\'s job', 'second']);
    });

    test('clearTimeout: it never fires; null, undefined and a fired timer are fine', async () => {
      let fired = false;
      const timer = setTimeout(() => {
        fired = true;
      }, 5);
      clearTimeout(timer);
      clearTimeout(null);
      clearTimeout(undefined);
      const done = setTimeout(() => undefined, 1);
      await sleep(20);
      clearTimeout(done);
      assert.equal(fired, false);
    });

    test('refresh: due again its whole delay from now, not at its first due time; a fired timer refreshed fires again', async () => {
      const firings: number[] = [];
      const timer = setTimeout(() => firings.push(monotonicMs()), 100);
      await sleep(50);
      assert.deepEqual(firings, [], 'not yet (a machine too busy to wake within 50 ms fails this)');
      const refreshed = monotonicMs();
      assert.equal(timer.refresh(), timer);
      await until(() => firings.length === 1);
      assert.ok(firings[0]! - refreshed >= 100, `${firings[0]! - refreshed} ms after the refresh`);
      const again = monotonicMs();
      timer.refresh();
      await until(() => firings.length === 2);
      assert.ok(firings[1]! - again >= 100);
    });

    test('setInterval repeats until cleared, also from its own callback', async () => {
      let count = 0;
      const interval = setInterval(() => {
        if (++count === 3) clearInterval(interval);
      }, 5);
      await until(() => count === 3);
      await sleep(30);
      assert.equal(count, 3);
    });

    test('unref and ref: hasRef says which was last, as Node\'s (cleared or not)', () => {
      const timer = setTimeout(() => undefined, 1000);
      assert.equal(timer.hasRef(), true);
      assert.equal(timer.unref(), timer);
      assert.equal(timer.hasRef(), false);
      assert.equal(timer.ref(), timer);
      assert.equal(timer.hasRef(), true);
      clearTimeout(timer);
      assert.equal(timer.hasRef(), true);
    });
  });

  describe('immediates and microtasks', () => {
    test('microtasks, then immediates in the order they were set, then the next turn', async () => {
      const order: string[] = [];
      setImmediate(() => {
        order.push('immediate 1');
        queueMicrotask(() => order.push('microtask of immediate 1'));
      });
      setImmediate(() => order.push('immediate 2'));
      queueMicrotask(() => order.push('microtask'));
      void Promise.resolve().then(() => order.push('promise job'));
      order.push('sync');
      await sleep(20);
      assert.deepEqual(order, ['sync', 'microtask', 'promise job', 'immediate 1', 'immediate 2', 'microtask of immediate 1']);
    });
  });

  describe('descriptors', () => {
    test('watch: called while readable (level-triggered); setEvents(0) pauses; close stops; a closed writer is HANGUP', async () => {
      const [readEnd, writeEnd] = ok(pipe());
      ok(setNonBlocking(readEnd, true));
      const seen: number[] = [];
      const watched = ok(watch(readEnd, READABLE, (events) => {
        seen.push(events);
        if (seen.length === 2) watched.setEvents(0);
      }));
      writeAll(writeEnd, 'x');
      await sleep(20);
      assert.equal(seen.length, 2, 'unread data: ready again each turn, until paused');
      assert.equal(seen[0]! & READABLE, READABLE);
      watched.setEvents(READABLE);
      await sleep(5);
      assert.ok(seen.length > 2, 'ready again when resumed');
      const buffer = new Uint8Array(4);
      ok(read(readEnd, buffer));
      seen.length = 0;
      close(writeEnd);
      await sleep(20);
      assert.ok(seen.length > 0 && (seen[0]! & HANGUP) === HANGUP, `events ${seen.join(' ')}`);
      watched.close();
      seen.length = 0;
      await sleep(20);
      assert.deepEqual(seen, []);
      close(readEnd);
    });

    test('waitUntilReady: 0 after the time when nothing comes, the events when something has', () => {
      const [readEnd, writeEnd] = ok(pipe());
      const start = monotonicMs();
      assert.equal(waitUntilReady(readEnd, 1, 30), 0);
      assert.ok(monotonicMs() - start >= 29);
      writeAll(writeEnd, 'x');
      assert.equal(waitUntilReady(readEnd, 1, 1000), 1);
      close(readEnd);
      close(writeEnd);
    });
  });

  describe('what keeps the process alive (a process of its own)', () => {
    test('nothing: it exits at once, with setExitCode\'s code', () => {
      const run = runProgram('exit-code');
      assert.equal(run.status, 3);
      assert.equal(run.stdout, '');
    });

    test('a timer keeps it until it fires; an unref\'d one does not (a ref()\'d again one does)', () => {
      const ref = runProgram('ref-timer');
      assert.deepEqual([ref.status, ref.stdout], [0, 'fired\n']);
      assert.ok(ref.elapsedMs >= 50);
      const unref = runProgram('unref-timer');
      assert.deepEqual([unref.status, unref.stdout, unref.stderr], [7, '', '']);
      // Half the timer's minute: a bound no load reaches, far from a loop that waited for it.
      assert.ok(unref.elapsedMs < 30_000, `${unref.elapsedMs} ms`);
      assert.deepEqual([runProgram('ref-again').stdout], ['fired\n']);
    });

    test('an interval keeps it until unref\'d; a cleared timer no longer does', () => {
      const interval = runProgram('interval-unref');
      assert.deepEqual([interval.status, interval.stdout], [0, 'tick 1\ntick 2\ntick 3\n']);
      const cleared = runProgram('cleared-timer');
      assert.deepEqual([cleared.status, cleared.stdout], [0, '']);
      assert.ok(cleared.elapsedMs < 30_000, `${cleared.elapsedMs} ms`);
    });

    test('a watch keeps it until closed; an unref\'d one does not', () => {
      assert.deepEqual([runProgram('watch').stdout], ['read 3\n']);
      const unref = runProgram('watch', ['unref']);
      assert.deepEqual([unref.status, unref.stdout], [0, '']);
    });

    test('an error thrown in a callback, or a rejection nobody handles, ends it with 1, as in Node', () => {
      const thrown = runProgram('uncaught');
      assert.equal(thrown.status, 1);
      assert.match(thrown.stderr, /^Uncaught Error: thrown in a timer\n/);
      const rejected = runProgram('rejection');
      assert.equal(rejected.status, 1);
      assert.match(rejected.stderr, /^Uncaught \(in promise\) Error: rejected, and nobody handles it\n/);
      const late = runProgram('handled-late');
      assert.deepEqual([late.status, late.stdout, late.stderr], [0, 'handled\n', '']);
    });
  });
}
