// /etc/container_environment: import, precedence, re-import after scripts, dumps.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanUp, runAndClean, runInit, script, type FileSpec } from './harness.ts';

const run = runAndClean;

const BIG = `${'x'.repeat(1024 * 1024 - 2)}'q`;
const TRICKY: Record<string, string> = {
  NL: 'line1\nline2',
  SQ: "it's",
  DQ: 'say "hi"',
  DOLLAR: '$HOME `x` $(id)',
  BS: 'a\\b\\\\c',
  TAB: 'tab\there',
  UNI: 'héllo ✓ 日本 x😀y',
  EMPTY: '',
  GLOB: 'glob*?[x]',
  TILDE: '~tilde',
  BANG: '!bang',
  SEMI: 'semi;colon&amp|pipe',
  TRAILING: 'two\n\n',
  DASH: '-n',
};

test('the .sh dump gives back every value byte for byte in bash and sh; names are valid identifiers', async () => {
  const names = Object.keys(TRICKY);
  // Each shell sources the dump in an empty environment and prints every value NUL-terminated.
  const printer = [...names, 'BIG'].map((n) => `printf "%s\\0" "$${n}"`).join('; ');
  const r = await runInit({
    args: ['--quiet', '--', 'sh', '-c',
      `env -i bash -c '. /etc/container_environment.sh && ${printer}' > /etc/bash.out && ` +
      `env -i sh -c '. /etc/container_environment.sh && ${printer}' > /etc/sh.out && echo sourced`],
    env: { ...TRICKY, 'weird-name.x': 'w', '1STARTDIGIT': 'd', 'sp ace': 's', 'ünï': 'u' },
    // Too large for execve, so only a file can bring it in; the dump must still carry it.
    files: { '/etc/container_environment/BIG': BIG },
  });
  try {
    assert.equal(r.stdout, 'sourced');
    assert.match(r.stderr, /^\*\*\* BIG is too large to pass to processes \(1048581 bytes; Linux allows 131072\); it stays in the dumps only\.$/m);
    const expected = Buffer.from([...names.map((n) => TRICKY[n]), BIG].join('\0') + '\0');
    assert.ok(r.etcFile('/etc/bash.out')!.equals(expected), 'bash reads every value back');
    assert.ok(r.etcFile('/etc/sh.out')!.equals(expected), 'sh reads every value back');
    const dump = r.etcFile('/etc/container_environment.sh')!.toString();
    assert.match(dump, /^export weird_name_x=w$/m);
    assert.match(dump, /^export _1STARTDIGIT=d$/m);
    assert.match(dump, /^export sp_ace=s$/m);
    assert.match(dump, /^export _n_=u$/m);
    assert.match(dump, /^export SQ='it'"'"'s'$/m);
    assert.doesNotMatch(dump, /^export (HOME|USER|GROUP|UID|GID|SHELL)=/m);
    const json = JSON.parse(r.etcFile('/etc/container_environment.json')!.toString()) as Record<string, string>;
    for (const name of names) assert.equal(json[name], TRICKY[name], `${name} in the .json`);
    assert.equal(json.HOME, '/root', 'the .json holds the whole environment');
    assert.equal(r.etcFile(`/etc/container_environment/NL`)!.toString(), TRICKY.NL, 'files hold the value, no newline added');
  } finally {
    cleanUp(r);
  }
});

test('Docker variables win over files at boot; files fill in the rest and are normalised', async () => {
  const r = await run({
    args: ['--quiet', '--', 'sh', '-c', 'echo "FOO=$FOO NEW=$NEW CRLF=$(printf %s "$CRLF" | od -An -c | tr -s " ")"'],
    env: { FOO: 'fromdocker' },
    files: {
      '/etc/container_environment/FOO': 'fromfile',
      '/etc/container_environment/NEW': 'fromfile\n',
      '/etc/container_environment/CRLF': 'crlf\r\n',
    },
  });
  assert.equal(r.stdout, 'FOO=fromdocker NEW=fromfile CRLF= c r l f');
});

test('after each startup script the directory is re-imported: scripts add and remove variables; HOME survives', async () => {
  const r = await run({
    args: ['--quiet', '--', 'sh', '-c', 'echo "[main] NEWVAR=${NEWVAR-unset} TODELETE=${TODELETE-unset} HOME=${HOME-unset}"; cat /etc/container_environment.sh'],
    env: { TODELETE: 'x', USER: 'someone' },
    files: {
      '/etc/my_init.d/01_set': script('echo fromscript > /etc/container_environment/NEWVAR; rm /etc/container_environment/TODELETE'),
      '/etc/my_init.d/02_show': script('echo "[02] NEWVAR=${NEWVAR-unset} TODELETE=${TODELETE-unset} HOME=${HOME-unset} USER=${USER-unset}"'),
    },
  });
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], '[02] NEWVAR=fromscript TODELETE=unset HOME=/root USER=someone');
  assert.equal(lines[1], '[main] NEWVAR=fromscript TODELETE=unset HOME=/root');
  assert.ok(lines.includes('export NEWVAR=fromscript'), 'the .sh dump was rewritten after the script');
  assert.ok(!lines.some((line) => line.startsWith('export TODELETE=')));
});

test('a startup script that changes nothing leaves the dumps and files as they are; one that changes a variable has them rewritten', async () => {
  const look = (file: string) => `stat -c %i /etc/container_environment.sh /etc/container_environment.json /etc/container_environment/KEPT > ${file}`;
  const r = await run({
    args: ['--quiet', '--', 'sh', '-c', `${look('/etc/looks-3')}; cat /etc/looks-1; echo; cat /etc/looks-2; echo; cat /etc/looks-3`],
    env: { KEPT: 'same' },
    files: {
      '/etc/my_init.d/01_look': script(look('/etc/looks-1')),
      '/etc/my_init.d/02_look': script(`${look('/etc/looks-2')}; echo new > /etc/container_environment/CHANGED`),
    },
  });
  const [first, second, third] = r.stdout.split('\n\n').map((text) => text.trim().split('\n'));
  assert.equal(first!.length, 3, r.all);
  assert.deepEqual(second, first, 'after 01, which changed nothing: the same inodes');
  assert.notEqual(third![0], second![0], 'after 02 added a variable: a new .sh');
  assert.notEqual(third![1], second![1], 'and a new .json');
  assert.equal(third![2], second![2], 'KEPT, unchanged, is the same file');
});

test('dumps keep the mode, owner and group the image gave them; new files get 0644', async () => {
  const r = await runInit({ args: ['--quiet', '--', 'true'], env: { NEWV: '1' } });
  try {
    for (const name of ['container_environment.sh', 'container_environment.json']) {
      const stat = statSync(join(r.scratch, 'etc.upper', name));
      assert.equal(stat.mode & 0o7777, 0o640, `${name} mode`);
      assert.equal(stat.gid, 8377, `${name} group`);
    }
    assert.equal(statSync(join(r.scratch, 'etc.upper', 'container_environment', 'NEWV')).mode & 0o7777, 0o644);
    assert.ok(r.etcFile('/etc/container_environment.sh')!.toString().includes('export NEWV=1\n'));
  } finally {
    cleanUp(r);
  }
  const fresh = await runInit({ args: ['--quiet', '--', 'true'], files: { '/etc/container_environment.sh': { symlink: 'nothing' } } });
  cleanUp(fresh);
});

test('without /etc/container_environment nothing is imported or written', async () => {
  const r = await runInit({ args: ['--quiet', '--', 'sh', '-c', 'ls /etc/container_environment* 2>&1; echo HOME=$HOME'], noEnvLayout: true });
  try {
    assert.match(r.stdout, /No such file or directory\nHOME=\/root$/);
    assert.equal(r.etcFile('/etc/container_environment.sh'), null);
  } finally {
    cleanUp(r);
  }
});

test('bad entries are skipped with one line naming the file; the rest is imported and the file kept', async () => {
  const files: Record<string, FileSpec> = {
    '/etc/container_environment/SUBDIR': { directory: true },
    '/etc/container_environment/BADUTF': { content: Buffer.from([0x61, 0xff, 0x62]) },
    '/etc/container_environment/GOOD': 'yes',
  };
  const r = await runInit({ args: ['--', 'sh', '-c', 'echo "GOOD=$GOOD BADUTF=${BADUTF-unset}"'], files });
  try {
    assert.match(r.stderr, /^\*\*\* Ignoring \/etc\/container_environment\/BADUTF: its content is not valid UTF-8\.$/m);
    assert.match(r.stderr, /^\*\*\* Ignoring \/etc\/container_environment\/SUBDIR: it is a directory, not a file\.$/m);
    assert.doesNotMatch(r.all, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, 'GOOD=yes BADUTF=unset');
    assert.equal(r.exitCode, 0);
    assert.deepEqual([...(r.etcFile('/etc/container_environment/BADUTF') ?? [])], [0x61, 0xff, 0x62], 'the bad file is left as it was');
  } finally {
    cleanUp(r);
  }
});

test('a read-only /etc while dumping: one warning per file, boot goes on, no half-written file', async () => {
  const r = await runInit({
    args: ['--', 'sh', '-c', 'echo main ran; ls -a /etc | grep -c my_init-new'],
    // A new variable, so that the dumps must change: dumps that hold their text already are not rewritten.
    files: { '/etc/my_init.d/01_ro': script('echo v > /etc/container_environment/ADDED; mount -o remount,bind,ro /etc') },
  });
  try {
    assert.match(r.stderr, /^\*\*\* Warning: cannot write \/etc\/container_environment\.sh: the file system is read-only; continuing without it\.$/m);
    assert.match(r.stderr, /^\*\*\* Warning: cannot write \/etc\/container_environment\.json: the file system is read-only; continuing without it\.$/m);
    assert.equal(r.stdout, 'main ran\n0');
    assert.doesNotMatch(r.all, /\n\s+at /, 'no stack trace');
  } finally {
    cleanUp(r);
  }
});

// Found by random inputs (issue 19): `é1` took the place of a real `_1` in the .sh dump, and `A-B` lost to `A_B` only by sort order.
test('regression: a real name keeps its .sh name; the renamed one is left out of .sh with one line naming both files, and kept everywhere else', async () => {
  const r = await runInit({
    args: ['--', 'sh', '-c', 'env -i bash -c \'. /etc/container_environment.sh && echo "_1=$_1 A_B=$A_B"\'; tr "\\0" "\\n" < /proc/$$/environ | grep -e ^é1= -e ^A-B='],
    env: { 'A-B': 'renamed2' },
    files: {
      '/etc/container_environment/_1': 'real',
      '/etc/container_environment/é1': 'renamed',
      '/etc/container_environment/A_B': 'real2',
    },
  });
  try {
    assert.equal(r.stdout, '_1=real A_B=real2\nA-B=renamed2\né1=renamed', 'the main command gets both renamed variables');
    const clashes = r.stderr.split('\n').filter((line) => line.includes('out of /etc/container_environment.sh'));
    assert.deepEqual(clashes, [
      '*** Warning: leaving /etc/container_environment/A-B out of /etc/container_environment.sh: bash would read it as A_B, which is /etc/container_environment/A_B.',
      '*** Warning: leaving /etc/container_environment/é1 out of /etc/container_environment.sh: bash would read it as _1, which is /etc/container_environment/_1.',
    ]);
    assert.equal(r.exitCode, 0);
    const json = JSON.parse(r.etcFile('/etc/container_environment.json')!.toString()) as Record<string, string>;
    assert.deepEqual([json['é1'], json['A-B'], json._1, json.A_B], ['renamed', 'renamed2', 'real', 'real2']);
    assert.equal(r.etcFile('/etc/container_environment/A-B')?.toString(), 'renamed2');
  } finally {
    cleanUp(r);
  }
});
