// Values as a failure message shows them (a small util.inspect): enough to
// see why two values differ, never the whole of a megabyte string.

const MAX_STRING = 400;
const MAX_ITEMS = 50;
const MAX_DEPTH = 4;

function quote(text: string): string {
  if (text.length <= MAX_STRING) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_STRING))}... ${text.length - MAX_STRING} more characters`;
}

function items(list: string[]): string {
  const shown = list.length > MAX_ITEMS ? [...list.slice(0, MAX_ITEMS), `... ${list.length - MAX_ITEMS} more items`] : list;
  return shown.join(', ');
}

function key(name: string | symbol): string {
  if (typeof name === 'symbol') return `[${name.toString()}]`;
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function className(value: object): string {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype === null) return '[Object: null prototype]';
  const constructor = (prototype as { constructor?: { name?: unknown } }).constructor;
  return typeof constructor?.name === 'string' ? constructor.name : 'Object';
}

function show(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case 'string': return quote(value);
    case 'number': return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint': return `${value}n`;
    case 'undefined': return 'undefined';
    case 'boolean': return String(value);
    case 'symbol': return value.toString();
    case 'function': return `[Function: ${value.name === '' ? '(anonymous)' : value.name}]`;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  if (depth > MAX_DEPTH) return `[${className(object)}]`;
  seen.add(object);
  try {
    const inner = (item: unknown): string => show(item, depth + 1, seen);
    if (object instanceof Error) {
      const extra = Object.keys(object).filter((name) => name !== 'name' && name !== 'message');
      const fields = extra.map((name) => `${key(name)}: ${inner((object as unknown as Record<string, unknown>)[name])}`);
      return `[${object.name}: ${object.message}]${fields.length > 0 ? ` { ${items(fields)} }` : ''}`;
    }
    if (object instanceof Uint8Array) {
      const bytes = Array.from(object.subarray(0, MAX_ITEMS), (byte) => byte.toString(16).padStart(2, '0'));
      const more = object.length > MAX_ITEMS ? ` ... ${object.length - MAX_ITEMS} more bytes` : '';
      return `<${className(object)} ${bytes.join(' ')}${more}>`;
    }
    if (Array.isArray(object)) return `[${items(object.map(inner))}]`;
    if (object instanceof Map) return `Map(${object.size}) {${items([...object].map(([k, v]) => `${inner(k)} => ${inner(v)}`))}}`;
    if (object instanceof Set) return `Set(${object.size}) {${items([...object].map(inner))}}`;
    if (object instanceof RegExp) return object.toString();
    if (object instanceof Date) return object.toISOString();
    const fields = Object.keys(object).map((name) => `${key(name)}: ${inner((object as Record<string, unknown>)[name])}`);
    const name = className(object);
    return `${name === 'Object' ? '' : `${name} `}{${fields.length > 0 ? ` ${items(fields)} ` : ''}}`;
  } finally {
    seen.delete(object);
  }
}

export function inspect(value: unknown): string {
  return show(value, 0, new Set());
}
