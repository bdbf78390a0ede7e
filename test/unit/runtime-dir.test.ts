// The runtime directory (src/runtime-dir.ts), where supervise/ and the
// environment dumps go when the service directory or /etc cannot hold them;
// the supervise/ path under it (src/supervise/location.ts); and where the
// environment's files are placed (src/env-location.ts).
import assert from 'node:assert/strict';
import {
  chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { placeEnvironment, runtimeEnvPaths } from '../../src/env-location.ts';
import type { EnvPaths } from '../../src/env-store.ts';
import { claimFirst, findFirst, runtimeCandidates, RuntimeDirectory } from '../../src/runtime-dir.ts';
import { runtimeSupervise, superviseFallback } from '../../src/supervise/location.ts';

const scratch = mkdtempSync(join(tmpdir(), 'my_init-runtime-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;
const fresh = (): string => {
  const dir = join(scratch, String(counter++));
  mkdirSync(dir);
  return dir;
};
const uid = process.geteuid!();
const isRoot = uid === 0;
const asRoot = { skip: isRoot ? false : 'needs root (chown)' };

describe('runtimeCandidates', () => {
  test('root: /run/my_init, then /tmp/my_init-0; XDG_RUNTIME_DIR is not root\'s', () => {
    assert.deepEqual(runtimeCandidates(0, {}), ['/run/my_init', '/tmp/my_init-0']);
    assert.deepEqual(runtimeCandidates(0, { XDG_RUNTIME_DIR: '/run/user/0' }), ['/run/my_init', '/tmp/my_init-0']);
  });

  test('another uid: $XDG_RUNTIME_DIR/my_init, then /run/my_init-UID, then /tmp/my_init-UID', () => {
    assert.deepEqual(runtimeCandidates(1000, {}), ['/run/my_init-1000', '/tmp/my_init-1000']);
    assert.deepEqual(runtimeCandidates(1000, { XDG_RUNTIME_DIR: '/run/user/1000' }), [
      '/run/user/1000/my_init', '/run/my_init-1000', '/tmp/my_init-1000',
    ]);
  });

  test('MY_INIT_RUNTIME_DIR comes first, for anyone; relative paths are ignored, as is an empty XDG_RUNTIME_DIR', () => {
    assert.deepEqual(runtimeCandidates(0, { MY_INIT_RUNTIME_DIR: '/srv/rt' }), ['/srv/rt', '/run/my_init', '/tmp/my_init-0']);
    assert.deepEqual(runtimeCandidates(10001, { MY_INIT_RUNTIME_DIR: 'rt', XDG_RUNTIME_DIR: '' }), ['/run/my_init-10001', '/tmp/my_init-10001']);
    assert.deepEqual(runtimeCandidates(5, { MY_INIT_RUNTIME_DIR: '/tmp/my_init-5' }), ['/tmp/my_init-5', '/run/my_init-5']);
  });
});

describe('claimFirst and findFirst', () => {
  test('the first candidate that can be made is made, mode 0700; findFirst then finds it, and creates nothing itself', () => {
    const base = fresh();
    const candidates = [join(base, 'missing-parent', 'rt'), join(base, 'rt'), join(base, 'later')];
    assert.equal(findFirst(candidates, uid), null);
    assert.deepEqual(readdirSync(base), [], 'findFirst made nothing');
    const claimed = claimFirst(candidates, uid);
    assert.deepEqual(claimed, { path: join(base, 'rt'), refused: [] });
    assert.equal(statSync(join(base, 'rt')).mode & 0o7777, 0o700);
    assert.equal(findFirst(candidates, uid), join(base, 'rt'));
    assert.deepEqual(readdirSync(base), ['rt'], 'the later candidate is not made');
  });

  test('an existing directory of ours is used, and closed to others if it was open', () => {
    const dir = join(fresh(), 'rt');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    assert.deepEqual(claimFirst([dir], uid), { path: dir, refused: [] });
    assert.equal(statSync(dir).mode & 0o7777, 0o700);
  });

  test('one that belongs to someone else is refused, said, and skipped by both', asRoot, () => {
    const base = fresh();
    const foreign = join(base, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 4242, 4242);
    const ours = join(base, 'ours');
    const claimed = claimFirst([foreign, ours], uid);
    assert.deepEqual(claimed, { path: ours, refused: [`${foreign}: it belongs to uid 4242, not to uid 0`] });
    assert.equal(findFirst([foreign, ours], uid), ours);
    // As uid 4242, the same directory is its own.
    assert.equal(findFirst([foreign, ours], 4242), foreign);
  });

  test('a link or a file is refused, even to a directory of ours', () => {
    const base = fresh();
    const target = join(base, 'target');
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, join(base, 'link'));
    writeFileSync(join(base, 'file'), '');
    const claimed = claimFirst([join(base, 'link'), join(base, 'file')], uid);
    assert.ok(claimed instanceof Error);
    assert.equal(claimed.message, `no runtime directory can be used (${join(base, 'link')}: it is a symbolic link; ${join(base, 'file')}: it is not a directory)`);
    assert.equal(findFirst([join(base, 'link'), join(base, 'file')], uid), null);
  });

  test('none usable: an Error naming each candidate and why', () => {
    const base = fresh();
    writeFileSync(join(base, 'file'), '');
    const claimed = claimFirst([join(base, 'a', 'b'), join(base, 'file', 'c')], uid);
    assert.ok(claimed instanceof Error);
    assert.equal(claimed.message, `no runtime directory can be used (${base}/a/b: its parent does not exist; ${base}/file/c: its parent is not a directory)`);
  });

  test('RuntimeDirectory claims once, on first use, and says each refusal once', asRoot, () => {
    const base = fresh();
    const foreign = join(base, 'foreign');
    mkdirSync(foreign);
    chownSync(foreign, 4242, 4242);
    const ours = join(base, 'ours');
    const said: string[] = [];
    const runtime = new RuntimeDirectory([foreign, ours], 0, (line) => said.push(line));
    assert.deepEqual(readdirSync(base), ['foreign'], 'nothing made until it is needed');
    assert.equal(runtime.get(), ours);
    assert.equal(runtime.get(), ours);
    assert.deepEqual(said, [`Warning: not using ${foreign}: it belongs to uid 4242, not to uid 0.`]);
  });
});

describe('the supervise/ of a service directory that cannot hold it', () => {
  test('is <runtime>/services/<real path>/supervise, and a logger\'s is below its service\'s', () => {
    assert.equal(runtimeSupervise('/run/my_init', '/etc/service/web'), '/run/my_init/services/etc/service/web/supervise');
    assert.equal(runtimeSupervise('/tmp/my_init-7', '/etc/sv/web/log'), '/tmp/my_init-7/services/etc/sv/web/log/supervise');
  });

  test('the fallback follows links to the real path, and says so once', () => {
    const base = fresh();
    mkdirSync(join(base, 'sv', 'web', 'log'), { recursive: true });
    mkdirSync(join(base, 'service'));
    symlinkSync(join(base, 'sv', 'web'), join(base, 'service', 'web'));
    const said: string[] = [];
    const fallback = superviseFallback(() => '/rt', (line) => said.push(line));
    assert.equal(fallback(join(base, 'service', 'web'), 'read-only file system'), `/rt/services${base}/sv/web/supervise`);
    assert.equal(fallback(join(base, 'service', 'web', 'log'), 'read-only file system'), `/rt/services${base}/sv/web/log/supervise`);
    assert.equal(said.length, 1);
    assert.equal(said[0], `Services whose directory cannot hold supervise/ (${base}/service/web: read-only file system) keep it under /rt/services; our sv finds it there, runit's sv does not.`);
  });

  test('without a runtime directory the fallback is the runtime directory\'s Error', () => {
    const fallback = superviseFallback(() => new Error('no runtime directory can be used (x)'), () => assert.fail('nothing to say'));
    const result = fallback(fresh(), 'read-only file system');
    assert.ok(result instanceof Error);
    assert.equal(result.message, 'no runtime directory can be used (x)');
  });
});

describe('placeEnvironment', () => {
  function layout(): EnvPaths {
    const etc = fresh();
    const paths = {
      directory: join(etc, 'container_environment'),
      shellDump: join(etc, 'container_environment.sh'),
      jsonDump: join(etc, 'container_environment.json'),
    };
    mkdirSync(paths.directory, { mode: 0o700 });
    return paths;
  }

  test('in place, said nowhere, when /etc can take the files; the runtime directory is not even asked for', () => {
    const paths = layout();
    const placed = placeEnvironment(paths, uid, () => assert.fail('not needed'));
    assert.deepEqual(placed, { placement: { paths, importFrom: paths.directory, writable: true }, note: null });
  });

  test('in place when there is no container environment at all: nothing is written anyway', () => {
    const paths = layout();
    rmSync(paths.directory, { recursive: true });
    assert.equal(placeEnvironment(paths, uid, () => assert.fail('not needed'), () => 'read-only file system').note, null);
  });

  /** As for uid 4242 when /etc's directory is root's, 0700 (access(2) would ask for the real uid, ours). */
  const notOurs = (directory: string, id: number): string | null => (directory.endsWith('container_environment') ? `not writable by uid ${id}` : null);

  test('not writable: the whole set under the runtime directory, made afresh, imported from /etc; one line', () => {
    const paths = layout();
    const runtime = fresh();
    mkdirSync(join(runtime, 'container_environment'));
    writeFileSync(join(runtime, 'container_environment', 'FROM_LAST_BOOT'), 'stale');
    const placed = placeEnvironment(paths, 4242, () => runtime, notOurs);
    assert.deepEqual(placed.placement, { paths: runtimeEnvPaths(runtime), importFrom: paths.directory, writable: true });
    assert.equal(placed.note, `${paths.directory} is not writable by uid 4242: the container environment goes to ${runtime}/container_environment (and its .sh and .json) instead.`);
    assert.deepEqual(readdirSync(join(runtime, 'container_environment')), [], 'nothing of an earlier boot is left');
    assert.equal(statSync(join(runtime, 'container_environment')).mode & 0o7777, 0o700);
  });

  test('a dump in a directory that is not writable moves the whole set', () => {
    const paths = layout();
    const placed = placeEnvironment(paths, 7, () => fresh(), (directory) => (directory === join(paths.directory, '..') ? 'read-only file system' : null));
    assert.match(placed.note ?? '', /^\/.* is on a read-only file system: the container environment goes to /);
  });

  test('not writable, and no runtime directory: nothing is written, said in one warning', () => {
    const paths = layout();
    const placed = placeEnvironment(paths, 4242, () => new Error('no runtime directory can be used (x)'), notOurs);
    assert.deepEqual(placed.placement, { paths, importFrom: paths.directory, writable: false });
    assert.equal(placed.note, `Warning: ${paths.directory} is not writable by uid 4242, and no runtime directory can be used (x): the container environment is not written (every variable keeps its value).`);
  });
});
