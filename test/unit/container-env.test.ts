// The formats of /etc/container_environment and its two dumps (src/container-env.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  compareNames, decodeValue, invalidNameReason, isStorableName, PER_USER_NAMES, renderJsonDump, renderShellDump,
  shellName, shellNameClashes, shellQuote, TEMP_PREFIX,
} from '../../src/container-env.ts';

// stdin is /dev/null in every shell run: libuv's pipes are sockets, and bash
// sources ~/.bashrc when its stdin is a socket (it thinks rsh started it).
const SHELL_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

const BASH_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-env-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

describe('decodeValue', () => {
  const decode = (bytes: string | number[]): string | null =>
    decodeValue(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));

  test('strips exactly one trailing newline', () => {
    assert.equal(decode('value\n'), 'value');
    assert.equal(decode('two\n\n'), 'two\n');
    assert.equal(decode('\n'), '');
    assert.equal(decode('\n\n'), '\n');
    assert.equal(decode('no newline'), 'no newline');
    assert.equal(decode('inner\nnewline'), 'inner\nnewline');
  });

  test('makes CRLF and lone CR into LF (then strips one trailing LF)', () => {
    assert.equal(decode('a\r\nb'), 'a\nb');
    assert.equal(decode('a\rb'), 'a\nb');
    assert.equal(decode('a\r\n'), 'a');
    assert.equal(decode('a\r'), 'a');
    assert.equal(decode('a\r\r\n'), 'a\n');
    assert.equal(decode('\r\n'), '');
  });

  test('returns null for bytes that are not UTF-8', () => {
    assert.equal(decode([0x61, 0xff]), null);
    assert.equal(decode([0xc3]), null); // truncated sequence
    assert.equal(decode([0xed, 0xa0, 0x80]), null); // encoded surrogate
    assert.equal(decode([0xc0, 0xaf]), null); // overlong
  });

  test('empty input is the empty string', () => {
    assert.equal(decode([]), '');
  });

  test('decodes multi-byte UTF-8', () => {
    assert.equal(decode('héllo ✓ 日本 x😀y\n'), 'héllo ✓ 日本 x😀y');
  });

  test('keeps a leading byte order mark (Python\'s utf-8 codec, which the reference used, keeps it)', () => {
    assert.equal(decode([0xef, 0xbb, 0xbf, 0x61]), '\ufeffa');
  });
});

describe('shellName', () => {
  test('replaces characters outside [A-Za-z0-9_] with "_"', () => {
    assert.equal(shellName('weird-name.x'), 'weird_name_x');
    assert.equal(shellName('sp ace'), 'sp_ace');
    assert.equal(shellName('MYDB_ENV_affinity:container'), 'MYDB_ENV_affinity_container');
    assert.equal(shellName('PLAIN_Name_09'), 'PLAIN_Name_09');
  });

  test('puts "_" before a leading digit', () => {
    assert.equal(shellName('1STARTDIGIT'), '_1STARTDIGIT');
    assert.equal(shellName('9'), '_9');
  });

  test('one "_" per non-ASCII code point (astral characters included)', () => {
    assert.equal(shellName('ünï'), '_n_');
    assert.equal(shellName('日本'), '__');
    assert.equal(shellName('x😀y'), 'x_y');
    assert.equal(shellName('😀'), '_');
  });

  test('every non-empty name becomes a valid bash identifier', () => {
    const nasty = [
      'weird-name.x', 'sp ace', '1STARTDIGIT', 'ünï', 'x😀y', '😀😀', '日本', '-', '--', '.', '..', '9',
      '0abc', 'a\nb', '\t', '$(id)', '`id`', 'a=b', "it's", '"', '\\', '\ud800', 'é1', '1é', ' ', '_', 'A',
    ];
    for (const name of nasty) assert.match(shellName(name), BASH_IDENTIFIER, `shellName(${JSON.stringify(name)})`);
  });
});

describe('shellQuote', () => {
  test('empty value is two single quotes', () => {
    assert.equal(shellQuote(''), "''");
  });

  test('safe characters are left bare', () => {
    assert.equal(shellQuote('a@b%c+d=e:f,g.h/i-j'), 'a@b%c+d=e:f,g.h/i-j');
    assert.equal(shellQuote('-n'), '-n');
    assert.equal(shellQuote('ABC_xyz_019'), 'ABC_xyz_019');
  });

  test('everything else is single-quoted, with embedded single quotes spliced', () => {
    assert.equal(shellQuote("it's"), `'it'"'"'s'`);
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote('$HOME'), "'$HOME'");
    assert.equal(shellQuote('héllo'), "'héllo'");
    assert.equal(shellQuote("''"), `''"'"''"'"''`);
  });

  const TRICKY: ReadonlyArray<readonly [string, string]> = [
    ['NL', 'line1\nline2'],
    ['SQ', "it's 'quoted'"],
    ['DQ', 'say "hi"'],
    ['DOLLAR', '$HOME ${HOME} $(id)'],
    ['BACKTICK', '`id`'],
    ['BS', 'a\\b\\\\c\\'],
    ['TAB', 'tab\there'],
    ['UNI', 'héllo ✓ 日本'],
    ['EMOJI', 'x😀y'],
    ['EMPTY', ''],
    ['GLOB', '*?[x]'],
    ['TILDE', '~tilde'],
    ['HASH', '#hash'],
    ['BANG', '!bang'],
    ['SEMI', 'semi;colon&amp|pipe'],
    ['TRAILING', 'two\n'],
    ['DASH', '-n'],
    ['SAFE', 'a@b%c+d=e:f,g.h/i-j'],
    ['CR', 'a\rb'],
    ['ONLYQUOTE', "'"],
    ['BIG', `${'x'.repeat(1024 * 1024 - 3)}'q\n`],
  ];

  function dumpFile(): { file: string; names: string[] } {
    const file = join(tempDir(), 'dump.sh');
    writeFileSync(file, renderShellDump(TRICKY));
    return { file, names: TRICKY.map(([name]) => name) };
  }

  function assertValues(stdout: Buffer, shell: string): void {
    const expected = Buffer.concat(TRICKY.map(([, value]) => Buffer.concat([Buffer.from(value), Buffer.from([0])])));
    const values = stdout.toString('utf8').split('\0').slice(0, -1);
    assert.equal(values.length, TRICKY.length, `${shell} printed ${values.length} values`);
    TRICKY.forEach(([name, value], i) => {
      if (name === 'BIG') assert.ok(values[i] === value, `${shell}: BIG differs (length ${values[i]?.length})`);
      else assert.equal(values[i], value, `${shell}: ${name}`);
    });
    assert.ok(stdout.equals(expected), `${shell}: output is not byte for byte equal`);
  }

  test('round-trips tricky values through bash', { skip: !hasCommand('bash') && 'no bash' }, () => {
    const { file, names } = dumpFile();
    const result = spawnSync(
      'bash',
      ['-c', 'source "$1" || exit 99; shift; for n in "$@"; do printf "%s\\0" "${!n}"; done', 'bash', file, ...names],
      { env: SHELL_ENV, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(result.stderr.toString(), '');
    assert.equal(result.status, 0);
    assertValues(result.stdout, 'bash');
  });

  test('round-trips tricky values through sh (dash)', () => {
    const { file, names } = dumpFile();
    const printer = `printf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`;
    const result = spawnSync('sh', ['-c', `. "$1" || exit 99; ${printer}`, 'sh', file], {
      env: SHELL_ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(result.stderr.toString(), '');
    assert.equal(result.status, 0);
    assertValues(result.stdout, 'sh');
  });

  test('bash accepts every line of a dump with nasty names and reads each value under its shell name', {
    skip: !hasCommand('bash') && 'no bash',
  }, () => {
    const names = ['weird-name.x', 'sp ace', '1STARTDIGIT', 'ünï', 'x😀y', 'MYDB_ENV_affinity:container', '$(id)'];
    const env = names.map((name, i) => [name, `value ${i}`] as const);
    const file = join(tempDir(), 'names.sh');
    writeFileSync(file, renderShellDump(env));
    const shellNames = names.map(shellName);
    assert.equal(new Set(shellNames).size, names.length, 'test names must not collide');
    const result = spawnSync(
      'bash',
      ['-c', 'source "$1" || exit 99; shift; for n in "$@"; do printf "%s\\0" "${!n}"; done', 'bash', file, ...shellNames],
      { env: SHELL_ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    assert.equal(result.stderr.toString(), '');
    assert.equal(result.status, 0);
    assert.deepEqual(result.stdout.toString().split('\0').slice(0, -1), env.map(([, value]) => value));
  });
});

describe('renderShellDump', () => {
  test('one export line per variable, in input order', () => {
    const text = renderShellDump([
      ['B', 'x'],
      ['A', 'it\'s'],
      ['weird-name.x', ''],
    ]);
    assert.equal(text, `export B=x\nexport A='it'"'"'s'\nexport weird_name_x=''\n`);
  });

  test('skips HOME USER GROUP UID GID SHELL', () => {
    const skipped = ['HOME', 'USER', 'GROUP', 'UID', 'GID', 'SHELL'];
    assert.deepEqual([...PER_USER_NAMES].sort(), [...skipped].sort());
    const env: Array<[string, string]> = [['FIRST', '1'], ...skipped.map((n): [string, string] => [n, 'v']), ['LAST', '2']];
    assert.equal(renderShellDump(env), 'export FIRST=1\nexport LAST=2\n');
  });

  test('is case-sensitive about the skipped names', () => {
    assert.equal(renderShellDump([['home', '/x']]), 'export home=/x\n');
  });

  test('empty input gives the empty string', () => {
    assert.equal(renderShellDump([]), '');
    assert.equal(renderShellDump(new Map()), '');
  });

  test('accepts a Map', () => {
    assert.equal(renderShellDump(new Map([['A', '1'], ['B', '2']])), 'export A=1\nexport B=2\n');
  });

  // Found by random inputs (issue 19): the line written last won, so a renamed name could replace a real one.
  test('regression: a real name keeps its shell name against a renamed one, in either order', () => {
    assert.equal(renderShellDump([['_1', 'real'], ['é1', 'renamed']]), 'export _1=real\n');
    assert.equal(renderShellDump([['é1', 'renamed'], ['_1', 'real']]), 'export _1=real\n');
    assert.equal(renderShellDump([['A-B', 'renamed2'], ['A_B', 'real2']]), 'export A_B=real2\n');
    assert.equal(renderShellDump([['A_B', 'real2'], ['A-B', 'renamed2']]), 'export A_B=real2\n');
  });

  test('among renamed names alone, the first in byte order keeps the shell name', () => {
    assert.equal(renderShellDump([['A.B', '2'], ['A-B', '1'], ['OTHER', 'x']]), 'export A_B=1\nexport OTHER=x\n');
  });
});

describe('shellNameClashes', () => {
  test('names each variable left out and the one that keeps its shell name, in the environment\'s order', () => {
    assert.deepEqual(shellNameClashes([['é1', 'a'], ['A.B', 'b'], ['_1', 'c'], ['A-B', 'd'], ['1', 'e'], ['FINE', 'f']]), [
      { name: 'é1', shellName: '_1', keptBy: '_1' },
      { name: 'A.B', shellName: 'A_B', keptBy: 'A-B' },
      { name: '1', shellName: '_1', keptBy: '_1' },
    ]);
  });

  test('none when every shell name is used once; the per-user names are not in the dump to clash', () => {
    assert.deepEqual(shellNameClashes([['A', '1'], ['a', '2'], ['HOME', '/root'], ['weird-name.x', 'w']]), []);
  });
});

describe('renderJsonDump', () => {
  test('Python json.dumps separators, no trailing newline', () => {
    assert.equal(renderJsonDump([['A', '1'], ['B', 'x']]), '{"A": "1", "B": "x"}');
    assert.equal(renderJsonDump([]), '{}');
    assert.equal(renderJsonDump([['A', '']]), '{"A": ""}');
  });

  test('escapes non-ASCII as lowercase \\uXXXX, astral characters as surrogate pairs', () => {
    assert.equal(renderJsonDump([['A', 'héllo']]), '{"A": "h\\u00e9llo"}');
    assert.equal(renderJsonDump([['A', 'x😀y']]), '{"A": "x\\ud83d\\ude00y"}');
    assert.equal(renderJsonDump([['A', '日本']]), '{"A": "\\u65e5\\u672c"}');
    assert.equal(renderJsonDump([['ü', '\u0080\uffff']]), '{"\\u00fc": "\\u0080\\uffff"}');
  });

  test('escapes control characters, quotes and backslashes like Python', () => {
    assert.equal(
      renderJsonDump([['A', '"q"\\\n\r\t\b\f\u0001\u001f/']]),
      '{"A": "\\"q\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f/"}',
    );
  });

  test('includes HOME USER GROUP UID GID SHELL, in input order', () => {
    const env: Array<[string, string]> = [['Z', 'z'], ['HOME', '/root'], ['USER', 'root'], ['GROUP', 'g'],
      ['UID', '0'], ['GID', '0'], ['SHELL', '/bin/sh'], ['A', 'a']];
    assert.equal(
      renderJsonDump(env),
      '{"Z": "z", "HOME": "/root", "USER": "root", "GROUP": "g", "UID": "0", "GID": "0", "SHELL": "/bin/sh", "A": "a"}',
    );
  });

  test('JSON.parse gives back the exact map', () => {
    const env = new Map<string, string>([
      ['HOME', '/root'], ['NL', 'a\nb'], ['UNI', 'héllo ✓ 日本 x😀y'], ['Q', `'"\\`], ['EMPTY', ''],
      ['weird-name.x', 'w'], ['CTRL', '\u0000\u0001\u001f'],
    ]);
    const text = renderJsonDump(env);
    assert.match(text, /^[\x20-\x7e]*$/, 'output is printable ASCII only');
    const parsed: unknown = JSON.parse(text);
    assert.deepEqual(Object.entries(parsed as Record<string, string>), [...env]);
  });

  test('escapes DEL (U+007F) as \\u007f, as Python\'s json.dumps does', () => {
    assert.equal(renderJsonDump([['A', '\u007f']]), '{"A": "\\u007f"}');
  });

  test('matches python3 json.dumps byte for byte', { skip: !hasCommand('python3') && 'no python3' }, () => {
    const env: Array<[string, string]> = [
      ['DEL', '\u007f'],
      ['A', '1'], ['HOME', '/root'], ['UNI', 'héllo ✓ 日本 x😀y'], ['CTRL', '\u0000\u0001\u001f\b\f\n\r\t'],
      ['Q', `'"\\/`], ['é', ''], ['HIGH', '\u0080\u07ff\u0800\ufffd\uffff'],
    ];
    const script = 'import json,sys; sys.stdout.write(json.dumps(dict(json.load(sys.stdin))))';
    const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(env) });
    assert.equal(result.status, 0, result.stderr.toString());
    assert.equal(renderJsonDump(env), result.stdout.toString());
  });
});

describe('compareNames', () => {
  test('sorts in byte order', () => {
    assert.deepEqual(['a', 'B', '2_b', '10_a', '.x'].sort(compareNames), ['.x', '10_a', '2_b', 'B', 'a']);
    assert.deepEqual(['ab', 'a', '_', 'Z', 'z'].sort(compareNames), ['Z', '_', 'a', 'ab', 'z']);
  });

  test('orders by code point, not UTF-16 unit (U+FFFD before U+1F600)', () => {
    const high = '\ufffd';
    const astral = '😀';
    // Plain UTF-16 sort would put the surrogate pair (0xD83D...) first.
    assert.deepEqual([high, astral].sort(), [astral, high]);
    assert.deepEqual([astral, high].sort(compareNames), [high, astral]);
    assert.ok(compareNames(high, astral) < 0);
    assert.ok(compareNames(astral, high) > 0);
  });

  test('returns 0 for equal names', () => {
    assert.equal(compareNames('same', 'same'), 0);
    assert.equal(compareNames('', ''), 0);
  });
});

describe('invalidNameReason / isStorableName', () => {
  test('"=" in a name is invalid', () => {
    assert.match(invalidNameReason('A=B') ?? '', /=/);
    assert.equal(isStorableName('A=B'), false);
  });

  test('a leftover temporary file is invalid', () => {
    assert.equal(TEMP_PREFIX, '.my_init-new.');
    assert.notEqual(invalidNameReason('.my_init-new.FOO'), null);
    assert.equal(isStorableName('.my_init-new.FOO'), false);
  });

  test('ordinary names are valid and storable', () => {
    for (const name of ['A', 'weird-name.x', '.hidden', 'sp ace', 'ünï', '1X', '.my_init-newer']) {
      assert.equal(invalidNameReason(name), null, name);
      assert.equal(isStorableName(name), true, name);
    }
  });

  test('names that cannot be files are not storable, though not "invalid" as directory entries', () => {
    for (const name of ['a/b', '.', '..', '', '/']) {
      assert.equal(isStorableName(name), false, JSON.stringify(name));
    }
    assert.equal(invalidNameReason('a/b'), null);
  });
});
