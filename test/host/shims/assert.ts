// node:assert/strict for the test host: the assertions the unit tests use,
// with Node's strict meanings (equal is Object.is, deepEqual is
// deepStrictEqual: prototypes, Map, Set and typed arrays compared by content).
// A value kind the comparison does not know is an error, not a guess.
import { inspect } from './inspect.ts';

export class AssertionError extends Error {
  readonly code = 'ERR_ASSERTION';
  readonly actual: unknown;
  readonly expected: unknown;
  readonly operator: string;
  readonly generatedMessage: boolean;
  /** What the assertion found, when the message is the test's own: the report shows both, as Node's shows actual and expected. */
  readonly explanation: string;

  constructor(options: { message?: string | undefined; actual?: unknown; expected?: unknown; operator: string; generated: string }) {
    super(options.message ?? options.generated);
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
    this.generatedMessage = options.message === undefined;
    this.explanation = options.generated;
  }
}
AssertionError.prototype.name = 'AssertionError';

type Message = string | Error | undefined;

function failWith(message: Message, generated: string, operator: string, actual?: unknown, expected?: unknown): never {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message, generated, operator, actual, expected });
}

function twoValues(title: string, actual: unknown, expected: unknown, where = ''): string {
  return `${title}${where === '' ? '' : ` (they differ at ${where})`}:\n+ actual - expected\n\n+ ${inspect(actual)}\n- ${inspect(expected)}`;
}

export function ok(value: unknown, message?: Message): void {
  if (!value) failWith(message, `The expression evaluated to a falsy value: ${inspect(value)}`, '==', value, true);
}

export function equal<T>(actual: unknown, expected: T, message?: Message): asserts actual is T {
  if (!Object.is(actual, expected)) failWith(message, twoValues('Expected values to be strictly equal', actual, expected), 'strictEqual', actual, expected);
}

export function notEqual(actual: unknown, expected: unknown, message?: Message): void {
  if (Object.is(actual, expected)) failWith(message, `Expected "actual" to be strictly unequal to: ${inspect(expected)}`, 'notStrictEqual', actual, expected);
}

const isObject = (value: unknown): value is object => (typeof value === 'object' && value !== null) || typeof value === 'function';

/** Where `actual` and `expected` first differ (a path such as `[2].code`), or null when they are deep-strict-equal. */
function difference(actual: unknown, expected: unknown, path: string): string | null {
  if (Object.is(actual, expected)) return null;
  if (!isObject(actual) || !isObject(expected) || typeof actual === 'function' || typeof expected === 'function') return path;
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return `${path} (prototype)`;
  const here = path === '' ? '(top)' : path;
  for (const unsupported of [WeakMap, WeakSet, Promise, Number, String, Boolean, ArrayBuffer, DataView]) {
    if (actual instanceof unsupported) throw new Error(`assert.deepEqual in the test host cannot compare ${unsupported.name} values (at ${here}): add it to test/host/shims/assert.ts`);
  }
  if (ArrayBuffer.isView(actual)) {
    if (!(actual instanceof Uint8Array) || !(expected instanceof Uint8Array)) throw new Error(`assert.deepEqual in the test host compares Uint8Array only (at ${here})`);
    if (actual.length !== expected.length) return `${path}.length`;
    for (let i = 0; i < actual.length; i++) if (actual[i] !== expected[i]) return `${path}[${i}]`;
    return null;
  }
  if (actual instanceof Date) return (actual.getTime() === (expected as Date).getTime()) ? null : path;
  if (actual instanceof RegExp) {
    const other = expected as RegExp;
    if (actual.source !== other.source || actual.flags !== other.flags || actual.lastIndex !== other.lastIndex) return path;
  }
  if (actual instanceof Error) {
    const other = expected as Error;
    if (actual.name !== other.name) return `${path}.name`;
    if (actual.message !== other.message) return `${path}.message`;
  }
  if (actual instanceof Map) {
    const other = expected as Map<unknown, unknown>;
    if (actual.size !== other.size) return `${path}.size`;
    const unmatched = [...other.keys()].filter((name) => isObject(name));
    for (const [name, value] of actual) {
      if (!isObject(name)) {
        if (!other.has(name)) return `${path}.get(${inspect(name)}) (missing)`;
        const inner = difference(value, other.get(name), `${path}.get(${inspect(name)})`);
        if (inner !== null) return inner;
        continue;
      }
      const match = unmatched.findIndex((candidate) => difference(name, candidate, '') === null && difference(value, other.get(candidate), '') === null);
      if (match < 0) return `${path}.get(${inspect(name)}) (no equal entry)`;
      unmatched.splice(match, 1);
    }
  } else if (actual instanceof Set) {
    const other = expected as Set<unknown>;
    if (actual.size !== other.size) return `${path}.size`;
    const unmatched = [...other].filter((member) => isObject(member));
    for (const member of actual) {
      if (!isObject(member)) {
        if (!other.has(member)) return `${path} (${inspect(member)} is not expected)`;
        continue;
      }
      const match = unmatched.findIndex((candidate) => difference(member, candidate, '') === null);
      if (match < 0) return `${path} (no equal member for ${inspect(member)})`;
      unmatched.splice(match, 1);
    }
  }
  if (Array.isArray(actual) && actual.length !== (expected as unknown[]).length) return `${path}.length`;
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  if (actualKeys.length !== expectedKeys.length) {
    const extra = actualKeys.find((name) => !Object.prototype.hasOwnProperty.call(expected, name));
    const missing = expectedKeys.find((name) => !Object.prototype.hasOwnProperty.call(actual, name));
    return `${path}.${extra ?? missing} (${extra !== undefined ? 'not expected' : 'missing'})`;
  }
  for (const name of actualKeys) {
    if (!Object.prototype.hasOwnProperty.call(expected, name)) return `${path}.${name} (not expected)`;
    const step = Array.isArray(actual) && /^\d+$/.test(name) ? `${path}[${name}]` : `${path}.${name}`;
    const inner = difference((actual as Record<string, unknown>)[name], (expected as Record<string, unknown>)[name], step);
    if (inner !== null) return inner;
  }
  return null;
}

export function deepEqual<T>(actual: unknown, expected: T, message?: Message): asserts actual is T {
  const where = difference(actual, expected, '');
  if (where !== null) failWith(message, twoValues('Expected values to be strictly deep-equal', actual, expected, where === '' ? '' : where), 'deepStrictEqual', actual, expected);
}

export function notDeepEqual(actual: unknown, expected: unknown, message?: Message): void {
  if (difference(actual, expected, '') === null) failWith(message, `Expected "actual" not to be strictly deep-equal to: ${inspect(expected)}`, 'notDeepStrictEqual', actual, expected);
}

export function match(text: string, pattern: RegExp, message?: Message): void {
  if (typeof text !== 'string') failWith(message, `The "string" argument must be of type string. Received ${inspect(text)}`, 'match', text, pattern);
  if (!pattern.test(text)) failWith(message, `The input did not match the regular expression ${pattern.toString()}. Input:\n\n${inspect(text)}\n`, 'match', text, pattern);
}

export function doesNotMatch(text: string, pattern: RegExp, message?: Message): void {
  if (typeof text !== 'string') failWith(message, `The "string" argument must be of type string. Received ${inspect(text)}`, 'doesNotMatch', text, pattern);
  if (pattern.test(text)) failWith(message, `The input was expected to not match the regular expression ${pattern.toString()}. Input:\n\n${inspect(text)}\n`, 'doesNotMatch', text, pattern);
}

export function fail(message?: Message): never {
  failWith(message, 'Failed', 'fail');
}

type ErrorClass = abstract new (...args: never[]) => Error;
type Validation = (error: unknown) => boolean;
type Expected = RegExp | ErrorClass | Validation | Record<string, unknown> | Error;

/** Node's checks of a thrown error against `expected`: a class, a validation function, a RegExp (on its text) or an object of properties. */
function checkError(error: unknown, expected: Expected | undefined, message: Message, operator: string): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) failWith(message, `The input did not match the regular expression ${expected.toString()}. Input:\n\n${inspect(String(error))}\n`, operator, error, expected);
    return;
  }
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && error instanceof (expected as ErrorClass)) return;
    if (Error.isPrototypeOf(expected) || expected === Error) {
      failWith(message, `The error is expected to be an instance of "${expected.name}". Received ${inspect(error)}`, operator, error, expected);
    }
    const result = (expected as Validation)(error);
    if (result !== true) failWith(message, `The ${expected.name === '' ? 'validation function' : `"${expected.name}" validation function`} is expected to return "true". Received ${inspect(result)}\n\nCaught error:\n\n${inspect(error)}`, operator, error, expected);
    return;
  }
  if (!isObject(error)) failWith(message, `The error is expected to be an object with ${inspect(expected)}. Received ${inspect(error)}`, operator, error, expected);
  const keys = expected instanceof Error ? ['name', 'message', ...Object.keys(expected)] : Object.keys(expected);
  for (const name of keys) {
    const want = (expected as Record<string, unknown>)[name];
    const got = (error as Record<string, unknown>)[name];
    if (want instanceof RegExp && typeof got === 'string') {
      if (!want.test(got)) failWith(message, `The error's ${name} ${inspect(got)} does not match ${want.toString()}`, operator, error, expected);
    } else if (difference(got, want, '') !== null) {
      failWith(message, twoValues(`The error's ${name} is not the expected one`, got, want), operator, error, expected);
    }
  }
}

/** throws(fn[, expected][, message]); a string in place of `expected` is the message. */
function splitArguments(expected: Expected | string | undefined, message: Message): [Expected | undefined, Message] {
  return typeof expected === 'string' ? [undefined, expected] : [expected, message];
}

export function throws(fn: () => unknown, expected?: Expected | string, message?: Message): void {
  const [want, text] = splitArguments(expected, message);
  try {
    fn();
  } catch (error) {
    checkError(error, want, text, 'throws');
    return;
  }
  failWith(text, 'Missing expected exception.', 'throws', undefined, want);
}

export async function rejects(promise: Promise<unknown> | (() => Promise<unknown>), expected?: Expected | string, message?: Message): Promise<void> {
  const [want, text] = splitArguments(expected, message);
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    checkError(error, want, text, 'rejects');
    return;
  }
  failWith(text, 'Missing expected rejection.', 'rejects', undefined, want);
}

/** assert(value) is assert.ok(value); the functions are its properties too, as in Node. */
const assert = Object.assign((value: unknown, message?: Message): void => ok(value, message), {
  AssertionError, ok, equal, strictEqual: equal, notEqual, notStrictEqual: notEqual, deepEqual, deepStrictEqual: deepEqual,
  notDeepEqual, notDeepStrictEqual: notDeepEqual, match, doesNotMatch, fail, throws, rejects,
});
// Node's strict assert has itself as `.strict` as well.
export const strict = assert;
export default assert;
