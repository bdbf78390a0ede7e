// A node:test reporter that writes each event test/unit.test.ts needs as one
// JSON line: how Node's own runner ends each test of a fixture, to compare
// the test host's node:test with.
interface Event {
  type: string;
  data: { name?: string; nesting?: number; skip?: unknown; todo?: unknown; details?: { type?: string; error?: Error & { cause?: unknown } } };
}

export default async function* report(source: AsyncIterable<Event>): AsyncGenerator<string> {
  for await (const { type, data } of source) {
    if (type !== 'test:start' && type !== 'test:pass' && type !== 'test:fail') continue;
    const cause = data.details?.error?.cause;
    yield `${JSON.stringify({
      type, name: data.name, nesting: data.nesting, skip: data.skip, todo: data.todo, kind: data.details?.type,
      error: cause === undefined ? null : cause instanceof Error ? cause.message : String(cause),
    })}\n`;
  }
}
