// Our update-service against Debian's script, in a scratch $SVDIR (never
// /etc/service): each verb, its errors, and the links it leaves.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertSameAsRunit } from './harness.ts';
import { makeService, normalizeSupervise, startRunsv, stopRunsvs } from './runsv-peer.ts';

/** The working directory: service directories under sv/, the services directory service/ (as $SVDIR). */
function layout(dir: string, extra: (dir: string) => void = () => {}): void {
  makeService(join(dir, 'sv', 'web'), 'exec sleep 1000');
  makeService(join(dir, 'sv', 'db'), 'exec sleep 1000', { files: { down: '' } });
  writeFileSync(join(dir, 'sv', 'plain'), '');
  mkdirSync(join(dir, 'service'));
  extra(dir);
}

const run = (name: string, args: string[], extra?: (dir: string) => void, env: Record<string, string> = { SVDIR: 'service' }) =>
  test(name, () => assertSameAsRunit({ program: 'update-service', args, env, setup: (dir) => layout(dir, extra), cleanup: stopRunsvs, normalizeFile: normalizeSupervise }).then(() => undefined));

const registered = (name: string, target: string) => (dir: string) => symlinkSync(target.replace('$DIR', dir), join(dir, 'service', name));

describe('update-service: usage and bad directories', () => {
  run('no arguments', []);
  run('an unknown verb', ['--bogus']);
  run('an unknown verb with a directory (checked first)', ['--bogus', '$DIR/sv/web']);
  run('--add without a directory', ['--add']);
  run('a relative directory', ['--add', 'sv/web']);
  run('a missing directory', ['--add', '$DIR/sv/nosuch']);
  run('a file', ['--add', '$DIR/sv/plain']);
  run('a name starting with a dot', ['--add', '$DIR/sv/web', '.web']);
  run('a name with a slash', ['--add', '$DIR/sv/web', 'a/b']);
});

describe('update-service --add', () => {
  run('adds a link named as the directory', ['--add', '$DIR/sv/web']);
  run('-a, with a name of its own', ['-a', '$DIR/sv/web', 'www']);
  run('a trailing slash is dropped', ['enable', '$DIR/sv/web/']);
  run('already added', ['--add', '$DIR/sv/web'], registered('web', '$DIR/sv/web'));
  run('already added, the link with a trailing slash', ['--add', '$DIR/sv/web'], registered('web', '$DIR/sv/web/'));
  run('the name is taken by a directory', ['--add', '$DIR/sv/web'], (dir) => mkdirSync(join(dir, 'service', 'web')));
  run('the name points elsewhere', ['--add', '$DIR/sv/web'], registered('web', '$DIR/sv/db'));
  run('the name is a dangling link', ['--add', '$DIR/sv/web'], registered('web', '$DIR/sv/gone'));
  run('no services directory', ['--add', '$DIR/sv/web'], undefined, { SVDIR: 'nosuch' });
  run('supervised already', ['--add', '$DIR/sv/web'], (dir) => void startRunsv(join(dir, 'sv'), 'web'));
  run('disabled before: the .name link goes', ['--add', '$DIR/sv/web'], registered('.web', '$DIR/sv/web'));
  run('defaults keeps a disabled service disabled', ['defaults', '$DIR/sv/web'], registered('.web', '$DIR/sv/web'));
  run('defaults adds', ['defaults', '$DIR/sv/web']);
});

describe('update-service --remove', () => {
  run('removes, leaving a .name link', ['--remove', '$DIR/sv/web'], registered('web', '$DIR/sv/web'));
  run('-r with a name', ['-r', '$DIR/sv/web', 'www'], registered('www', '$DIR/sv/web'));
  run('not registered', ['--remove', '$DIR/sv/web']);
  run('not a link', ['--remove', '$DIR/sv/web'], (dir) => mkdirSync(join(dir, 'service', 'web')));
  run('points elsewhere', ['--remove', '$DIR/sv/web'], registered('web', '$DIR/sv/db'));
  run('a dangling link is replaced by the .name link only', ['disable', '$DIR/sv/web'], registered('web', '$DIR/sv/web/'));
  run('defaults-disabled keeps an enabled service', ['defaults-disabled', '$DIR/sv/web'], registered('web', '$DIR/sv/web'));
});

describe('update-service --list and --check', () => {
  const two = (dir: string) => {
    registered('web', '$DIR/sv/web')(dir);
    registered('.db', '$DIR/sv/db')(dir);
    registered('B', '/elsewhere')(dir);
  };
  run('--list: every name but the dotted', ['--list'], two);
  run('-l NAME', ['-l', 'web'], two);
  run('--list NAME/ (a trailing slash is dropped)', ['--list', 'web/'], two);
  run('--list an unknown name', ['--list', 'db'], two);
  run('--list without a services directory', ['--list'], undefined, { SVDIR: 'nosuch' });
  run('--check NAME', ['--check', 'web'], two);
  run('-c an unknown name', ['-c', 'db'], two);
  run('--check without a name', ['--check'], two);
});

describe('update-service --auto and --noauto', () => {
  run('--auto removes down', ['--auto', '$DIR/sv/db']);
  run('--auto when already auto', ['-u', '$DIR/sv/web']);
  run('--noauto makes down', ['--noauto', '$DIR/sv/web']);
  run('--noauto when already no-auto', ['-n', '$DIR/sv/db']);
});
