// node:test for the test host: describe/it/test, before/after/beforeEach/afterEach,
// the options skip, todo and timeout, and a context with diagnostic, skip, todo
// and after. Tests run one at a time, in the order they were declared, once the
// module has been evaluated; each result is one TAP line on stdout:
//
//   # Subtest: suite > name         (before it runs: what was running if the host dies)
//   ok 1 - suite > name [# SKIP why | # TODO why]
//   not ok 2 - suite > name
//     ---
//     error: |-
//       AssertionError: ...
//     ...
//   # a diagnostic of test 2
//   1..2                            (the end: all ran)
//
// Names escape \, # and newlines as Node's TAP reporter does. The process exits
// 1 when a test failed, 0 when none did. Should the loop run dry while a test
// waits for a promise that nothing can settle any more, the process exits 13
// without the plan line, as Node ends a file whose promise stays pending.
import { writeAll } from '../../../src/system/files.ts';
import { clearTimeout, setExitCode, setImmediate, setTimeout, type Timer } from '../../../src/system/loop.ts';
import { exit } from '../../../src/system/processes.ts';
import { AssertionError } from './assert.ts';
import { inspect } from './inspect.ts';

type Body = (context: TestContext) => unknown;
type Hook = (context?: TestContext) => unknown;

export interface TestOptions {
  skip?: boolean | string;
  todo?: boolean | string;
  timeout?: number;
}

const KNOWN_OPTIONS = new Set(['skip', 'todo', 'timeout']);

interface Hooks {
  before: Hook[];
  after: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
}

interface Suite {
  kind: 'suite';
  name: string;
  parent: Suite | null;
  options: TestOptions;
  children: Array<Suite | Case>;
  hooks: Hooks;
}

interface Case {
  kind: 'test';
  name: string;
  parent: Suite;
  options: TestOptions;
  body: Body | undefined;
  /** Where test() was called, as a stack frame: QuickJS gives a function written on one line no line of its own. */
  declared: string | null;
}

const root: Suite = { kind: 'suite', name: '', parent: null, options: {}, children: [], hooks: { before: [], after: [], beforeEach: [], afterEach: [] } };
/** The suite whose describe() body is being evaluated: where test() and the hooks go. */
let declaring: Suite = root;
/** The after() hooks of the test running now, which its body may add to. */
let runningAfter: Hook[] | null = null;
let scheduled = false;
let started = false;

/** Node's exit code for a file whose pending promise can no longer settle. */
const UNSETTLED = 13;

function print(text: string): void {
  const failed = writeAll(1, `${text}\n`);
  if (failed !== undefined) throw failed;
}

const escapeName = (name: string): string => name.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, '\\n');

function fullName(node: Suite | Case): string {
  const names: string[] = [];
  for (let at: Suite | Case | null = node; at !== null && at !== root; at = at.parent) names.unshift(at.name);
  return names.join(' > ');
}

/** test([name][, options][, fn]), as Node takes them. */
function readArguments(args: unknown[], what: string): { name: string; options: TestOptions; body: Body | undefined } {
  let name = '<anonymous>';
  let options: TestOptions = {};
  let body: Body | undefined;
  for (const arg of args) {
    if (typeof arg === 'string') name = arg;
    else if (typeof arg === 'function') body = arg as Body;
    else if (typeof arg === 'object' && arg !== null) options = arg as TestOptions;
    else if (arg !== undefined) throw new TypeError(`${what}(): unexpected argument ${inspect(arg)}`);
  }
  for (const option of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(option)) throw new Error(`${what}(${JSON.stringify(name)}): the option ${option} is not in the test host's node:test (test/host/shims/test.ts)`);
  }
  if (body !== undefined && body.length > 1) throw new Error(`${what}(${JSON.stringify(name)}): callback-style tests (done) are not in the test host's node:test: return a promise`);
  return { name, options, body };
}

function declare(what: string): Suite {
  if (runningAfter !== null) throw new Error(`${what}() inside a running test: subtests are not in the test host's node:test; declare it in a describe()`);
  if (started) throw new Error(`${what}() after the tests started: declare every test when the module is evaluated`);
  if (!scheduled) {
    scheduled = true;
    setImmediate(() => void runAll());
  }
  return declaring;
}

/** The frame of the code that called the function calling this one. */
function caller(): string | null {
  const frame = new Error().stack?.split('\n')[2]?.trim();
  return frame === undefined || !frame.startsWith('at ') ? null : frame.replace(/^at [^(]*/, 'at the test\'s declaration ');
}

export function test(...args: unknown[]): void {
  const parent = declare('test');
  const { name, options, body } = readArguments(args, 'test');
  parent.children.push({ kind: 'test', name, parent, options, body, declared: caller() });
}

export const it = test;

export function describe(...args: unknown[]): void {
  const parent = declare('describe');
  const { name, options, body } = readArguments(args, 'describe');
  const suite: Suite = { kind: 'suite', name, parent, options, children: [], hooks: { before: [], after: [], beforeEach: [], afterEach: [] } };
  parent.children.push(suite);
  if (body === undefined) return;
  declaring = suite;
  try {
    const result = (body as () => unknown)();
    if (result instanceof Promise) throw new Error(`describe(${JSON.stringify(name)}): an async describe() is not in the test host's node:test: declare its tests synchronously`);
  } finally {
    declaring = parent;
  }
}

export const suite = describe;

for (const [fn, option] of [[test, 'skip'], [test, 'todo'], [describe, 'skip'], [describe, 'todo']] as const) {
  (fn as unknown as Record<string, unknown>)[option] = (...args: unknown[]) => {
    const { name, options, body } = readArguments(args, option);
    fn(name, { ...options, [option]: true }, body);
  };
}

function addHook(kind: keyof Hooks, fn: Hook): void {
  if (runningAfter !== null) {
    if (kind !== 'after') throw new Error(`${kind}() inside a running test is not in the test host's node:test: only after() is`);
    runningAfter.push(fn);
    return;
  }
  declare(kind).hooks[kind].push(fn);
}

export const before = (fn: Hook): void => addHook('before', fn);
export const after = (fn: Hook): void => addHook('after', fn);
export const beforeEach = (fn: Hook): void => addHook('beforeEach', fn);
export const afterEach = (fn: Hook): void => addHook('afterEach', fn);

export class TestContext {
  readonly name: string;
  readonly fullName: string;
  /** Lines printed as `# ...` after the test's result. */
  readonly diagnostics: string[] = [];
  skipped: string | null = null;
  todoReason: string | null = null;
  private readonly afterHooks: Hook[];

  constructor(name: string, full: string, afterHooks: Hook[]) {
    this.name = name;
    this.fullName = full;
    this.afterHooks = afterHooks;
  }

  diagnostic(message: string): void {
    this.diagnostics.push(message);
  }

  skip(message = ''): void {
    this.skipped = message;
  }

  todo(message = ''): void {
    this.todoReason = message;
  }

  after(fn: Hook): void {
    this.afterHooks.push(fn);
  }

  test(): never {
    throw new Error('t.test(): subtests are not in the test host\'s node:test; use describe()');
  }
}

const reason = (option: boolean | string | undefined): string | null =>
  option === undefined || option === false ? null : option === true ? '' : option;

/** An AssertionError's own fields, which its message or explanation says already. */
const ASSERTION_FIELDS = ['actual', 'expected', 'operator', 'generatedMessage', 'code', 'explanation'];

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return `thrown: ${inspect(error)}`;
  const assertion = error instanceof AssertionError;
  const fields = Object.keys(error).filter((name) => name !== 'name' && !(assertion && ASSERTION_FIELDS.includes(name)));
  const extra = fields.map((name) => `${name}: ${inspect((error as unknown as Record<string, unknown>)[name])}`);
  const explanation = assertion && !error.generatedMessage ? [error.explanation] : [];
  const stack = typeof error.stack === 'string' ? error.stack.trimEnd() : '';
  return [`${error.name}: ${error.message}`, ...explanation, ...(extra.length > 0 ? [`{ ${extra.join(', ')} }`] : []), ...(stack === '' ? [] : [stack])].join('\n');
}

/** Runs `body`, failing it after `ms` when a timeout is set (Node's default: none). */
async function withTimeout(body: () => unknown, ms: number | undefined): Promise<void> {
  if (ms === undefined || ms === Infinity) {
    await body();
    return;
  }
  let timer: Timer | undefined;
  try {
    await Promise.race([
      body(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`test timed out after ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

let number = 0;
let passed = 0;
let failed = 0;
let skippedCount = 0;
let todoCount = 0;

function report(name: string, error: unknown, skip: string | null, todo: string | null, diagnostics: readonly string[], declared: string | null = null): void {
  number++;
  const directive = skip !== null ? ` # SKIP${skip === '' ? '' : ` ${skip}`}` : todo !== null ? ` # TODO${todo === '' ? '' : ` ${todo}`}` : '';
  const ok = error === undefined || todo !== null;
  print(`${error === undefined ? 'ok' : 'not ok'} ${number} - ${escapeName(name)}${directive.replace(/\n/g, ' ')}`);
  if (error !== undefined) {
    const lines = [...errorText(error).split('\n'), ...(declared === null ? [] : [`    ${declared}`])];
    print(['  ---', '  error: |-', ...lines.map((line) => `    ${line}`), '  ...'].join('\n'));
  }
  for (const line of diagnostics) print(line.split('\n').map((part) => `# ${part}`).join('\n'));
  if (skip !== null) skippedCount++;
  else if (todo !== null) todoCount++;
  else if (ok) passed++;
  if (!ok) failed++;
}

function* casesOf(suite: Suite): Generator<Case> {
  for (const child of suite.children) {
    if (child.kind === 'test') yield child;
    else yield* casesOf(child);
  }
}

async function runHooks(hooks: readonly Hook[], context?: TestContext): Promise<void> {
  for (const hook of hooks) await hook(context);
}

/** The suites from the outermost to `suite`. */
function chain(suite: Suite): Suite[] {
  const suites: Suite[] = [];
  for (let at: Suite | null = suite; at !== null; at = at.parent) suites.unshift(at);
  return suites;
}

async function runCase(test: Case, inheritedSkip: string | null, inheritedTodo: string | null): Promise<void> {
  const name = fullName(test);
  const skip = inheritedSkip ?? reason(test.options.skip);
  const todo = inheritedTodo ?? reason(test.options.todo);
  print(`# Subtest: ${escapeName(name)}`);
  if (skip !== null) {
    report(name, undefined, skip, null, []);
    return;
  }
  // As Node's: a test without a function is one that does nothing.
  const body = test.body ?? ((): void => undefined);
  const afterHooks: Hook[] = [];
  const context = new TestContext(test.name, name, afterHooks);
  const suites = chain(test.parent);
  // The first failure, in a box: anything can be thrown, undefined too.
  const failures: Array<{ thrown: unknown }> = [];
  const attempt = async (step: () => unknown): Promise<void> => {
    try {
      await step();
    } catch (thrown) {
      failures.push({ thrown });
    }
  };
  runningAfter = afterHooks;
  try {
    await attempt(async () => {
      for (const suite of suites) await runHooks(suite.hooks.beforeEach, context);
      await withTimeout(() => body(context), test.options.timeout);
    });
    await attempt(() => runHooks(afterHooks, context));
    for (const suite of [...suites].reverse()) await attempt(() => runHooks(suite.hooks.afterEach, context));
  } finally {
    runningAfter = null;
  }
  const first = failures[0];
  const error = first === undefined || context.skipped !== null ? undefined : first.thrown ?? new Error(`${inspect(first.thrown)} was thrown`);
  report(name, error, context.skipped, todo ?? context.todoReason, context.diagnostics, test.declared);
}

async function runSuite(suite: Suite, inheritedSkip: string | null, inheritedTodo: string | null): Promise<void> {
  const skip = inheritedSkip ?? reason(suite.options.skip);
  const todo = inheritedTodo ?? reason(suite.options.todo);
  if (skip === null) {
    try {
      await runHooks(suite.hooks.before);
    } catch (error) {
      // Each test of the suite fails with the hook's error, as Node fails them.
      for (const test of casesOf(suite)) {
        print(`# Subtest: ${escapeName(fullName(test))}`);
        report(fullName(test), new Error(`before() hook of ${suite === root ? 'the file' : JSON.stringify(fullName(suite))} failed:\n${errorText(error)}`), null, todo, []);
      }
      return;
    }
  }
  for (const child of suite.children) {
    if (child.kind === 'test') await runCase(child, skip, todo);
    else await runSuite(child, skip, todo);
  }
  if (skip === null) {
    try {
      await runHooks(suite.hooks.after);
    } catch (error) {
      const name = `${suite === root ? '' : `${fullName(suite)} > `}after() hook`;
      print(`# Subtest: ${escapeName(name)}`);
      report(name, error, null, null, []);
    }
  }
}

async function runAll(): Promise<void> {
  started = true;
  setExitCode(UNSETTLED);
  print('TAP version 13');
  try {
    await runSuite(root, null, null);
  } catch (error) {
    // No plan line: the runner reports the file as ended early, with this.
    writeAll(2, `the test host's node:test failed: ${errorText(error)}\n`);
    exit(1);
  }
  print(`1..${number}`);
  print(`# tests ${number}\n# pass ${passed}\n# fail ${failed}\n# skipped ${skippedCount}\n# todo ${todoCount}`);
  exit(failed > 0 ? 1 : 0);
}
