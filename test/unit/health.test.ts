import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArguments } from '../../src/cli.ts';
import { renderMetrics } from '../../src/health/metrics.ts';
import type { ServiceReport } from '../../src/health/report.ts';
import { readStatusAddress } from '../../src/health/status-address.ts';
import { problemOf } from '../../src/health/verdict.ts';
import { parsePrometheusText } from '../system/prometheus-text.ts';

describe('MY_INIT_STATUS_ADDR', () => {
  test('unset or empty: off', () => {
    assert.equal(readStatusAddress({}), null);
    assert.equal(readStatusAddress({ MY_INIT_STATUS_ADDR: '' }), null);
  });
  test('an IPv4 or bracketed IPv6 literal and a port 1-65535', () => {
    assert.deepEqual(readStatusAddress({ MY_INIT_STATUS_ADDR: '127.0.0.1:9102' }), { host: '127.0.0.1', port: 9102, text: '127.0.0.1:9102' });
    assert.deepEqual(readStatusAddress({ MY_INIT_STATUS_ADDR: '0.0.0.0:65535' }), { host: '0.0.0.0', port: 65535, text: '0.0.0.0:65535' });
    assert.deepEqual(readStatusAddress({ MY_INIT_STATUS_ADDR: '[::1]:1' }), { host: '::1', port: 1, text: '[::1]:1' });
  });
  test('anything else: an Error naming the variable and the value', () => {
    for (const value of ['9102', ':9102', 'localhost:9102', '127.0.0.1:', '127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:09', '::1:80', '[::1]', '1.2.3:4', '127.0.0.1:80x']) {
      const parsed = readStatusAddress({ MY_INIT_STATUS_ADDR: value });
      assert.ok(parsed instanceof Error, value);
      assert.ok(parsed.message.startsWith('MY_INIT_STATUS_ADDR must be IP:PORT') && parsed.message.includes(JSON.stringify(value)), parsed.message);
      assert.ok(!parsed.message.includes('\n'));
    }
  });
});

describe('--health on the command line', () => {
  test('anywhere before --, exactly: the health program with the other words', () => {
    assert.deepEqual(parseArguments(['--health']), { kind: 'health', args: [] });
    assert.deepEqual(parseArguments(['--quiet', '--health']), { kind: 'health', args: ['--quiet'] });
  });
  test('after -- it is the main command, and --he stays --help', () => {
    assert.equal(parseArguments(['--', 'x', '--health']).kind, 'run');
    assert.equal(parseArguments(['--he']).kind, 'help');
    assert.equal(parseArguments(['--heal']).kind, 'usage-error');
  });
});

describe('the verdict', () => {
  const base = { name: 'web', want: 'up' as const, state: 'run' as const, pid: 7, paused: false };
  const notAsked = () => assert.fail('readiness asked');
  test('wanted down: healthy, readiness not asked', () => assert.equal(problemOf({ ...base, want: 'down', state: 'down', pid: 0 }, notAsked), null));
  test('down, finishing, paused: not healthy, readiness not asked', () => {
    assert.equal(problemOf({ ...base, state: 'down', pid: 0 }, notAsked), 'down, want up');
    assert.equal(problemOf({ ...base, state: 'finish' }, notAsked), './finish runs (pid 7), want up');
    assert.equal(problemOf({ ...base, paused: true }, notAsked), 'paused (pid 7)');
  });
  test('running: as readiness says', () => {
    assert.equal(problemOf(base, () => ({ ready: true })), null);
    assert.equal(problemOf(base, () => ({ ready: false, why: 'x' })), 'running (pid 7) but not ready: x');
  });
});

describe('/metrics', () => {
  const report = (name: string): ServiceReport => ({
    name, state: 'run', want: 'up', pid: 1, paused: false, uptimeSeconds: 5, restarts: 2, failures: 1, ready: true, problem: null, lastExit: null,
  });
  test('reads back through a strict parser, label values escaped', () => {
    const odd = 'we"ird\\name\nx';
    const families = parsePrometheusText(renderMetrics([report('web'), report(odd)], 4));
    assert.equal(families.get('my_init_service_restarts_total')?.type, 'counter');
    assert.deepEqual(families.get('my_init_service_restarts_total')?.samples.map((s) => [s.labels.service, s.value]), [['web', 2], [odd, 2]]);
    assert.deepEqual(families.get('my_init_orphans_reaped_total')?.samples, [{ name: 'my_init_orphans_reaped_total', labels: {}, value: 4 }]);
  });
  test('no services: each family still typed, the reaper counted', () => {
    const families = parsePrometheusText(renderMetrics([], 0));
    assert.equal(families.size, 7);
  });
  test('the parser refuses what the format does not allow', () => {
    for (const bad of ['a 1', 'a{b="c} 1\n', 'a{b=c} 1\n', 'a 1x\n', '# TYPE a countr\n', 'a 1\nb 1\na{x="y"} 1\n', 'a 1\na 1\n', 'a{b="\\t"} 1\n']) {
      assert.throws(() => parsePrometheusText(bad), Error, JSON.stringify(bad));
    }
  });
});
