// depends files and the cycles they make (src/supervise/dependencies.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { findCycles, parseDepends, readDepends } from '../../src/supervise/dependencies.ts';

describe('parseDepends', () => {
  test('one name a line; blank lines, comments and surrounding spaces are skipped; repeats count once', () => {
    assert.deepEqual(parseDepends('/s/b/depends', '# the database first\ndb\n\n  cache \t\ndb\n'), ['db', 'cache']);
    assert.deepEqual(parseDepends('/s/b/depends', ''), []);
  });

  test('a name with a slash or a leading dot is refused, naming the file, the line and the name', () => {
    const slash = parseDepends('/s/b/depends', 'db\n../a\n');
    assert.ok(slash instanceof Error);
    assert.match(slash.message, /^\/s\/b\/depends, line 2: "\.\.\/a" is not a service name \(it has a slash/);
    const dot = parseDepends('/s/b/depends', '.hidden');
    assert.ok(dot instanceof Error);
    assert.match(dot.message, /line 1: "\.hidden" is not a service name/);
  });
});

describe('readDepends', () => {
  test('no file is null; a directory in its place is an error naming it', () => {
    const root = mkdtempSync(join(tmpdir(), 'depends-'));
    try {
      assert.equal(readDepends(root), null);
      mkdirSync(join(root, 'depends'));
      const result = readDepends(root);
      assert.ok(result instanceof Error);
      assert.match(result.message, new RegExp(`^cannot read ${join(root, 'depends')}: EISDIR`));
      rmSync(join(root, 'depends'), { recursive: true });
      writeFileSync(join(root, 'depends'), 'a\n');
      assert.deepEqual(readDepends(root), ['a']);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});

describe('findCycles', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  test('a chain has none', () => {
    assert.deepEqual(findCycles(graph({ a: [], b: ['a'], c: ['b', 'a'] })), []);
  });

  test('a cycle is shown from its first name, with every member of its component', () => {
    const cycles = findCycles(graph({ c: ['a'], a: ['b'], b: ['c', 'd'], d: ['b'], free: ['a'] }));
    assert.deepEqual(cycles, [{ members: ['a', 'b', 'c', 'd'], path: ['a', 'b', 'c', 'a'] }]);
  });

  test('a service that depends on itself is a cycle; names outside the graph are no edges', () => {
    assert.deepEqual(findCycles(graph({ a: ['a', 'gone'] })), [{ members: ['a'], path: ['a', 'a'] }]);
  });

  test('a long chain does not overflow the stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 50_000; i++) edges[`s${i}`] = i === 0 ? [] : [`s${i - 1}`];
    assert.deepEqual(findCycles(graph(edges)), []);
  });
});
