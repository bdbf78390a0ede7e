// The unit tests, test/unit/*.test.ts, on the engine that ships: each file is
// bundled for QuickJS and run in build/amd64/test-host (the executable's engine
// and platform; test/host/), and each of its tests is reported here as a
// subtest of the file, with its error. `npm run test:unit` runs this file;
// node --test must never run test/unit/*.test.ts itself (they import the
// platform's sys:* modules, which only the host has).
//
// Environment:
//   MY_INIT_UNIT_ONLY=children,system-files   only these files (names without .test.ts)
//   MY_INIT_UNIT_JOBS=2                       files run at once (default: 2, or fewer CPUs)
//   MY_INIT_UNIT_TIMEOUT_SECONDS=300          a file's host is killed after this long
//   MY_INIT_BUILD_DIR                         where the host and the bundles are built (default build/)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { buildHost, bundle, ROOT, runBundle, unitTestFiles, type Result, type Run } from './host/run-unit.ts';
import { checkCasesOnNode } from './unit/cases/check-on-node.ts';

const timeoutMs = Number(process.env.MY_INIT_UNIT_TIMEOUT_SECONDS ?? 300) * 1000;
const jobs = Math.max(1, Number(process.env.MY_INIT_UNIT_JOBS ?? Math.min(2, availableParallelism())));
const only = process.env.MY_INIT_UNIT_ONLY?.split(',').map((name) => name.trim()).filter((name) => name !== '');

/** An Error whose printed form is `text` alone: the host's message and stack, not this runner's. */
function failure(text: string): Error {
  const error = new Error(text);
  error.stack = text;
  return error;
}

type Outcome = { kind: 'blocked'; why: Error } | { kind: 'ran'; run: Run };

/** At most `jobs` at once, started in order. */
function pool(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const hostError = buildHost();
const files = unitTestFiles().filter((file) => only === undefined || only.some((name) => file.endsWith(`/${name}.test.ts`)));
const limited = pool(jobs);
// Every file starts now (up to `jobs` at once); the tests below report them in order.
const outcomes = new Map(files.map((file) => [file, hostError !== null ? null : limited(async (): Promise<Outcome> => {
  const bundled = await bundle(file);
  if (bundled instanceof Error) return { kind: 'blocked', why: bundled };
  return { kind: 'ran', run: await runBundle(bundled, timeoutMs) };
})]));
// Unhandled until its test awaits it: a rejection here is reported there.
for (const outcome of outcomes.values()) outcome?.catch(() => undefined);

function describeEnd(run: Run): string {
  if (run.timedOut) return `killed after ${timeoutMs / 1000} s (MY_INIT_UNIT_TIMEOUT_SECONDS)`;
  if (run.status === 13) return 'the event loop ran dry while a test waited for a promise that nothing can settle any more (exit status 13)';
  return run.signal !== null ? `killed by ${run.signal}` : `exit status ${run.status}`;
}

/** A skip or todo as node:test takes it: without a reason ('') it is true. */
const directive = (reason: string | null): string | boolean => (reason === null ? false : reason === '' ? true : reason);

async function report(t: TestContext, run: Run): Promise<void> {
  for (const result of run.results) {
    await t.test(result.name, { skip: directive(result.skip), todo: directive(result.todo) }, (subtest) => {
      for (const line of result.diagnostics) subtest.diagnostic(line);
      if (!result.ok) throw failure(result.error ?? 'failed (no error was given)');
    });
  }
  for (const line of [...run.stray, ...run.stderr.split('\n').filter((text) => text !== '')]) t.diagnostic(line);
  if (!run.complete) {
    const name = run.running ?? '(after the last test that reported)';
    await t.test(name, () => {
      throw failure(`the test host ended before the end of the file: ${describeEnd(run)}\n${run.stderr.trimEnd()}`);
    });
    return;
  }
  const failed = run.results.some((result) => !result.ok && result.todo === null);
  if (!failed && run.status !== 0) throw failure(`the test host ended with ${describeEnd(run)} after every test passed\n${run.stderr.trimEnd()}`);
}

test('the test host builds', () => {
  if (hostError !== null) throw hostError;
});

test('the expected values of the engine tests are Node\'s answers', () => {
  checkCasesOnNode();
});

type Summary = Pick<Result, 'name' | 'ok' | 'skip' | 'todo'> & { error: string | null };

/** How Node's own runner ends each test of `file`: its name under its suites' (`suite > name`), and the first line of its error. */
function resultsOnNode(file: string): Summary[] {
  // Not node:test's run(): it runs no files from within a test file. And the child is no subprocess of this run.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const ran = spawnSync(process.execPath, ['--test', `--test-reporter=${join(ROOT, 'test', 'host', 'node-reporter.ts')}`, file], { env, encoding: 'utf8' });
  const results: Summary[] = [];
  const suites: string[] = [];
  const reason = (value: unknown): string | null => (value === undefined || value === false ? null : value === true ? '' : String(value));
  for (const line of ran.stdout.split('\n').filter((text) => text !== '')) {
    const event = JSON.parse(line) as { type: string; name: string; nesting: number; skip?: unknown; todo?: unknown; kind?: string; error: string | null };
    if (event.type === 'test:start') suites.splice(event.nesting, Infinity, event.name);
    if (event.type === 'test:start' || event.kind === 'suite') continue;
    results.push({
      name: [...suites.slice(0, event.nesting), event.name].join(' > '), ok: event.type === 'test:pass',
      skip: reason(event.skip), todo: reason(event.todo), error: event.error?.split('\n')[0] ?? null,
    });
  }
  if (results.length === 0) throw new Error(`node --test ${file} reported nothing:\n${ran.stderr}`);
  return results;
}

test('the test host\'s node:test reports as Node\'s does', async (t) => {
  if (hostError !== null) return t.skip('the test host did not build');
  const fixture = (name: string): string => join(ROOT, 'test', 'host', 'fixtures', `${name}.ts`);
  const run = async (name: string): Promise<Run> => {
    const bundled = await bundle(fixture(name));
    if (bundled instanceof Error) throw bundled;
    return runBundle(bundled, 60_000);
  };

  await t.test('each kind of result, hooks in their order, names with any character', async () => {
    const onNode = resultsOnNode(fixture('reporting'));
    const onHost = await run('reporting');
    assert.equal(onHost.complete, true);
    assert.equal(onHost.status, 1);
    assert.deepEqual(onHost.results.map(({ name, ok, skip, todo }) => ({ name, ok, skip, todo })), onNode.map(({ name, ok, skip, todo }) => ({ name, ok, skip, todo })));
    onNode.forEach((expected, i) => {
      const error = onHost.results[i]!.error;
      if (expected.error === null) assert.equal(error, null, expected.name);
      else assert.ok(error?.includes(expected.error), `${expected.name}: ${error} does not say ${expected.error}`);
    });
    assert.deepEqual(onHost.results.find((result) => result.name === 'says things')?.diagnostics, ['one', 'two']);
    assert.match(onHost.results.find((result) => result.name === 'fails an assertion')!.error!, /\n\+ 2\n- 3\n {4}at the test's declaration \(test\/host\/fixtures\/reporting\.ts:12\)$/);
  });

  await t.test('a test waiting for what nothing can settle: the host ends (13) while it runs, as Node does', async () => {
    const pending = await run('pending');
    assert.deepEqual([pending.complete, pending.status, pending.running, pending.results.map((result) => result.name)], [false, 13, 'waits forever', ['before it']]);
  });

  await t.test('an error thrown in a callback ends the host (1) while its test runs, saying what it was', async () => {
    const crash = await run('crash');
    assert.deepEqual([crash.complete, crash.status, crash.running], [false, 1, 'throws in a timer']);
    assert.match(crash.stderr, /^Uncaught Error: boom in a timer\n/);
  });
});

for (const [file, outcome] of outcomes) {
  test(relative(ROOT, file), async (t) => {
    if (outcome === null) throw failure(`the test host did not build:\n${hostError?.message ?? ''}`);
    const result = await outcome;
    if (result.kind === 'blocked') throw failure(`cannot bundle for the test host:\n${result.why.message}`);
    await report(t, result.run);
  });
}
