// src/system/path.ts against Node's path.posix: the answers in
// test/unit/cases/path.ts are Node's (checked again on Node by the runner).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SystemError } from '../../src/system/errors.ts';
import { changeDirectory, currentDirectory, mkdir, realpath, removeTree } from '../../src/system/files.ts';
import { basename, dirname, isAbsolute, join, normalize, resolve } from '../../src/system/path.ts';
import { JOINED, PATHS, RELATIVE_PARTS, RESOLVED } from './cases/path.ts';

const show = (value: unknown): string => JSON.stringify(value);

describe('as Node takes a path apart', () => {
  test('normalize', () => {
    for (const { path, normalize: expected } of PATHS) assert.equal(normalize(path), expected, show(path));
  });

  test('dirname', () => {
    for (const { path, dirname: expected } of PATHS) assert.equal(dirname(path), expected, show(path));
  });

  test('basename', () => {
    for (const { path, basename: expected } of PATHS) assert.equal(basename(path), expected, show(path));
  });

  test('isAbsolute', () => {
    for (const { path, isAbsolute: expected } of PATHS) assert.equal(isAbsolute(path), expected, show(path));
  });
});

describe('as Node puts one together', () => {
  test('join', () => {
    for (const [parts, expected] of JOINED) assert.equal(join(...parts), expected, show(parts));
  });

  test('resolve, from an absolute part', () => {
    for (const [parts, expected] of RESOLVED) assert.equal(resolve(...parts), expected, show(parts));
  });

  test('resolve, from the current directory: the one the process is in, wherever it moves', () => {
    const start = currentDirectory();
    after(() => assert.equal(changeDirectory(start), undefined));
    const scratch = `/tmp/my_init-unit-path-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    assert.equal(mkdir(scratch, 0o700), undefined);
    after(() => assert.equal(removeTree(scratch), undefined));
    for (const cwd of [start, '/', scratch]) {
      assert.equal(changeDirectory(cwd), undefined);
      const real = realpath(cwd);
      assert.ok(!(real instanceof SystemError), show(real));
      assert.equal(resolve(), real);
      for (const parts of RELATIVE_PARTS) assert.equal(resolve(...parts), resolve(real, ...parts), `${show(parts)} in ${cwd}`);
    }
  });
});
