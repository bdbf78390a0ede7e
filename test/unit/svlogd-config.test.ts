// svlogd's command line and config files (src/svlogd/arguments.ts, src/svlogd/config.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSvlogdArguments, SvlogdUsageError, type Options } from '../../src/svlogd/arguments.ts';
import { defaultConfig, parseConfig } from '../../src/svlogd/config.ts';
import { fromUtf8 } from '../../src/system/text.ts';

const config = (text: string) => parseConfig(Buffer.from(text));

describe('parseConfig', () => {
  test('no lines: the defaults (s1000000, n10, N10, no age, no processor, no UDP)', () => {
    assert.deepEqual(config(''), { config: defaultConfig(), warnings: [] });
    assert.equal(defaultConfig().sizeMax, 1_000_000);
    assert.equal(defaultConfig().countMax, 10);
  });

  test('s, n, N, t with their suffixes; the last line of a kind wins', () => {
    const { config: c } = config('s100\ns2k\nn3\nN1\nt5m\n');
    assert.equal(c.sizeMax, 2048);
    assert.equal(c.countMax, 3);
    assert.equal(c.countMin, 1);
    assert.equal(c.ageMax, 300);
    assert.equal(config('s1m\n').config.sizeMax, 1024 * 1024);
    assert.equal(config('t2h\n').config.ageMax, 7200);
    assert.equal(config('t7\n').config.ageMax, 7);
    assert.equal(config('t1d\n').config.ageMax, 1, 'svlogd 2.1.2 has no d suffix');
    assert.equal(config('sfoo\n').config.sizeMax, 0, 'no digits reads as 0');
  });

  test('patterns are kept in order with their letter; comments, blanks and unknown letters are skipped', () => {
    const { config: c } = config('# x\n\n-*\nzz\n+a*\ne*b\nE*\n');
    assert.deepEqual(c.instructions.map(({ op, pattern }) => `${op}${pattern.toString()}`), ['-*', '+a*', 'e*b', 'E*']);
  });

  test('a last line of one character without a newline is not read', () => {
    assert.equal(config('-').config.instructions.length, 0);
    assert.equal(config('-\n').config.instructions.length, 1);
    assert.equal(config('-a').config.instructions.length, 1);
  });

  test('! and p need something after the letter', () => {
    assert.equal(config('!gzip\n').config.processor, 'gzip');
    assert.equal(config('!\n').config.processor, '');
    assert.equal(config('pfoo: \n').config.prefix.toString(), 'foo: ');
    assert.equal(config('p\n').config.prefix.length, 0);
  });

  test('u and U: address, port (514 by default), UDP only with U', () => {
    const u = config('u10.0.0.1\n').config;
    assert.deepEqual([u.udpAddress, u.udpPort, u.udpOnly], [[10, 0, 0, 1], 514, false]);
    const U = config('U127.0.0.1:5140\n').config;
    assert.deepEqual([U.udpAddress, U.udpPort, U.udpOnly], [[127, 0, 0, 1], 5140, true]);
  });

  test('a bad address or port is a warning worded as svlogd words it', () => {
    const bad = config('U1.2.3\n');
    assert.deepEqual(bad.warnings.map(fromUtf8), ['svlogd: warning: unable to scan ip address: 1.2.3']);
    assert.equal(bad.config.udpOnly, true, 'U makes the directory UDP-only even so');
    assert.equal(bad.config.udpPort, 0);
    assert.deepEqual(config('u1.2.3.4:x\n').warnings.map(fromUtf8), ['svlogd: warning: unable to scan port number: x']);
  });
});

describe('parseSvlogdArguments', () => {
  const parsed = (args: string[]): Options => {
    const result = parseSvlogdArguments(args, '/usr/bin/svlogd');
    if (result instanceof Error) assert.fail(`${JSON.stringify(args)}: ${result.stderr}`);
    return result;
  };
  const refused = (args: string[]): string => {
    const result = parseSvlogdArguments(args, '/usr/bin/svlogd');
    assert.ok(result instanceof SvlogdUsageError, JSON.stringify(args));
    return result.stderr;
  };
  const USAGE = 'usage: /usr/bin/svlogd [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...\n\n';

  test('defaults, and the directories after the options', () => {
    assert.deepEqual(parsed(['a', 'b']), {
      verbose: 0, timestamp: 0, lineMax: 1000, bufferLength: 1024, replacement: 0, replaced: new Uint8Array(0), directories: ['a', 'b'],
    });
    assert.deepEqual(parsed(['--', '-t']).directories, ['-t']);
    assert.deepEqual(parsed(['d', '-t']).directories, ['d', '-t'], 'options end at the first directory');
  });

  test('t counts up to three; v counts; letters group; arguments attach or follow', () => {
    assert.equal(parsed(['-tttt', 'd']).timestamp, 3);
    assert.equal(parsed(['-tv', '-v', 'd']).verbose, 2);
    assert.equal(parsed(['-l20', '-b', '30', 'd']).lineMax, 20);
    assert.equal(parsed(['-l20', '-b', '30', 'd']).bufferLength, 30);
    assert.equal(parsed(['-l', 'x', 'd']).lineMax, 1000, 'no digits: the default');
  });

  test('-R alone replaces with _, -r sets the byte whichever comes first', () => {
    assert.equal(parsed(['-R', 'ab', 'd']).replacement, 0x5f);
    assert.equal(parsed(['-r', ':', '-R', 'ab', 'd']).replacement, 0x3a);
    assert.equal(parsed(['-R', 'ab', '-r', ':', 'd']).replacement, 0x3a);
  });

  test('refusals: the usage line, after getopt\'s complaint when there is one', () => {
    assert.equal(refused([]), USAGE);
    assert.equal(refused(['-r', 'ab', 'd']), USAGE);
    assert.equal(refused(['-l', '1024', 'd']), USAGE, 'buflen must be greater than len');
    assert.equal(refused(['-x', 'd']), `svlogd: illegal option -- x\n${USAGE}`);
    assert.equal(refused(['-b']), `svlogd: option requires an argument -- b\n${USAGE}`);
    assert.equal(refused(['-V', 'd']), `$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $\n${USAGE}`);
  });
});
