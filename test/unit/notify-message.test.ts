import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNotifyMessage } from '../../src/supervise/notify-message.ts';
import { parseReadiness, renderReadiness } from '../../src/supervise/readiness.ts';

test('sd_notify assignments: the known keys, unknown ones ignored, a bad MAINPID dropped, STATUS kept on one line', () => {
  const m = parseNotifyMessage(Buffer.from('READY=1\nSTATUS=up\tand\nrunning\nMAINPID=42\nFDSTORE=1\nWATCHDOG=1'));
  assert.deepEqual(m, { ready: true, reloading: false, stopping: false, watchdog: true, watchdogTrigger: false, status: 'up and', mainPid: 42 });
  assert.equal(parseNotifyMessage(Buffer.from('MAINPID=0')).mainPid, null);
  assert.equal(parseNotifyMessage(Buffer.from('MAINPID=12x')).mainPid, null);
  assert.equal(parseNotifyMessage(Buffer.from('WATCHDOG=trigger')).watchdogTrigger, true);
  assert.equal(parseNotifyMessage(Buffer.from('READY=0')).ready, false);
});

test('supervise/readiness round-trips, and anything else is not readiness', () => {
  assert.deepEqual(parseReadiness(renderReadiness('starting', 'loading')), { readiness: 'starting', statusText: 'loading' });
  assert.deepEqual(parseReadiness(renderReadiness('ready', null)), { readiness: 'ready', statusText: null });
  assert.equal(parseReadiness('up\n'), null);
});
