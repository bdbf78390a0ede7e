// svlogd's stamps (src/svlogd/timestamp.ts): TAI64N labels and the -tt / -ttt forms.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instantFromMicroseconds, lineStamp, readableStamp, tai64nLabel } from '../../src/svlogd/timestamp.ts';

describe('svlogd timestamps', () => {
  // 2026-12-01 18:18:02.254650 UTC
  const instant = instantFromMicroseconds(1_796_149_082_254_650);

  test('nanoseconds are microseconds * 1000 + 500, as libtai makes them', () => {
    assert.deepEqual(instant, { seconds: 1_796_149_082, nanoseconds: 254_650_500 });
  });

  test('TAI64N: 2^62 + 10 + Unix seconds, then the nanoseconds, in 24 hex digits', () => {
    assert.equal(tai64nLabel(instant), '@400000006b0f0f640f2da884');
    assert.equal(tai64nLabel({ seconds: 0, nanoseconds: 0 }), '@400000000000000a00000000');
  });

  test('-tt and -ttt: UTC, the fraction cut to five digits', () => {
    assert.equal(readableStamp(instant, '_'), '2026-12-01_18:18:02.25465');
    assert.equal(readableStamp(instant, 'T'), '2026-12-01T18:18:02.25465');
    assert.equal(readableStamp(instantFromMicroseconds(5_999_999), '_'), '1970-01-01_00:00:05.99999');
  });

  test('the line prefix ends in one space', () => {
    assert.equal(lineStamp(1, instant), '@400000006b0f0f640f2da884 ');
    assert.equal(lineStamp(2, instant), '2026-12-01_18:18:02.25465 ');
    assert.equal(lineStamp(3, instant), '2026-12-01T18:18:02.25465 ');
  });
});
