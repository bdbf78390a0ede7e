// Which program the executable is, by the chain of links from the name it was
// run under (src/program-name.ts), on real links in a scratch directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { chooseProgram } from '../../src/program-name.ts';

const PROGRAMS = new Set(['my_init', 'sv', 'setuser', 'chpst']);
const isProgram = (name: string) => PROGRAMS.has(name);
const root = mkdtempSync(join(tmpdir(), 'program-name-'));
after(() => rmSync(root, { recursive: true, force: true }));

// root/sbin/my_init (the executable), root/usr/bin/sv -> ../../sbin/my_init,
// root/etc/init.d/nginx -> /abs/usr/bin/sv, root/bin/gosu -> setuser-link -> my_init.
for (const dir of ['sbin', 'usr/bin', 'etc/init.d', 'bin']) mkdirSync(join(root, dir), { recursive: true });
writeFileSync(join(root, 'sbin', 'my_init'), '');
symlinkSync('../../sbin/my_init', join(root, 'usr', 'bin', 'sv'));
symlinkSync(join(root, 'usr', 'bin', 'sv'), join(root, 'etc', 'init.d', 'nginx'));
symlinkSync(join(root, 'sbin', 'my_init'), join(root, 'sbin', 'setuser'));
symlinkSync(join(root, 'sbin', 'setuser'), join(root, 'bin', 'gosu'));
symlinkSync(join(root, 'sbin', 'my_init'), join(root, 'init'));
symlinkSync(join(root, 'init'), join(root, 'bin', 'init-of-init'));
symlinkSync('loop-b', join(root, 'bin', 'loop-a'));
symlinkSync('loop-a', join(root, 'bin', 'loop-b'));
writeFileSync(join(root, 'bin', 'docker-init'), '');

test('a program name as typed wins at once, with or without a directory', () => {
  assert.equal(chooseProgram('sv', undefined, isProgram), 'sv');
  assert.equal(chooseProgram(join(root, 'usr', 'bin', 'sv'), undefined, isProgram), 'sv');
  assert.equal(chooseProgram(join(root, 'sbin', 'my_init'), undefined, isProgram), 'my_init');
});

test('an init.d link to sv is sv; a gosu link to setuser is setuser; the first program name on the chain wins', () => {
  assert.equal(chooseProgram(join(root, 'etc', 'init.d', 'nginx'), undefined, isProgram), 'sv');
  assert.equal(chooseProgram(join(root, 'bin', 'gosu'), undefined, isProgram), 'setuser');
});

test('a name without a slash is found in PATH first, as the shell found it', () => {
  const path = `${join(root, 'nowhere')}:${join(root, 'bin')}`;
  assert.equal(chooseProgram('gosu', path, isProgram), 'setuser');
  assert.equal(chooseProgram('gosu', join(root, 'nowhere'), isProgram), null);
});

test('a chain that names no program, a copy under another name, a loop: none (the caller boots my_init)', () => {
  assert.equal(chooseProgram(join(root, 'init'), undefined, isProgram), 'my_init');
  assert.equal(chooseProgram(join(root, 'bin', 'init-of-init'), undefined, isProgram), 'my_init');
  assert.equal(chooseProgram(join(root, 'bin', 'docker-init'), undefined, isProgram), null);
  assert.equal(chooseProgram(join(root, 'bin', 'loop-a'), undefined, isProgram), null);
  assert.equal(chooseProgram(join(root, 'missing'), undefined, isProgram), null);
});
