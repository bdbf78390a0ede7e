// A node:test reporter that writes one line per top-level test, "pass NAME",
// "skip NAME" or "fail NAME", so that run.ts can check that each test of its
// subset ran and passed: a name pattern that matches nothing runs nothing, and
// says nothing either.
interface TestEvent {
  type: string;
  data?: { name: string; nesting: number; skip?: boolean | string };
}

export default async function* outcomes(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const { type, data } of source) {
    if (data === undefined || data.nesting !== 0) continue;
    if (type === 'test:pass') yield `${data.skip ? 'skip' : 'pass'} ${data.name}\n`;
    else if (type === 'test:fail') yield `fail ${data.name}\n`;
  }
}
