// A strict reader of Prometheus's text exposition format (0.0.4), for the
// tests: it throws, naming the line, on anything the format does not allow,
// so that a test checks the endpoint's text as a scraper would read it.
// Written here rather than taken from npm: the maintained parsers are parts of
// client libraries (prom-client only writes the format) or pull in a whole
// scraping stack; the format's grammar is a page.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('the text must end with a newline');
  const families = new Map<string, MetricFamily>();
  const seenSeries = new Set<string>();
  let current: MetricFamily | null = null;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    const fail = (why: string): never => {
      throw new Error(`${where}: ${why}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const [hash, keyword, name, ...rest] = line.split(' ');
      if (hash !== '#' || (keyword !== 'HELP' && keyword !== 'TYPE')) return; // A comment.
      if (name === undefined || !METRIC_NAME.test(name)) fail('bad metric name');
      const family = familyFor(families, name!, current, fail);
      if (keyword === 'TYPE') {
        if (family.samples.length > 0) fail('TYPE after samples');
        if (rest.length !== 1 || !TYPES.has(rest[0]!)) fail('bad type');
        family.type = rest[0] as MetricFamily['type'];
      } else {
        if (family.help !== null) fail('a second HELP');
        family.help = unescapeHelp(rest.join(' '), fail);
      }
      current = family;
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyFor(families, sample.name, current, fail);
    const series = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSeries.has(series)) fail('a series given twice');
    seenSeries.add(series);
    family.samples.push(sample);
    current = family;
  });
  return families;
}

/** A family's lines must come together: once another family has begun, its name may not come back. */
function familyFor(families: Map<string, MetricFamily>, name: string, current: MetricFamily | null, fail: (why: string) => never): MetricFamily {
  const known = families.get(name);
  if (known !== undefined) {
    if (known !== current) fail(`${name} comes back after another family`);
    return known;
  }
  const family: MetricFamily = { name, type: 'untyped', help: null, samples: [] };
  families.set(name, family);
  return family;
}

function unescapeHelp(text: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else fail(`bad escape \\${next ?? ''} in HELP`);
  }
  return out;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) fail('bad metric name');
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      let j = i;
      while (j < line.length && line[j] !== '=') j++;
      const label = line.slice(i, j);
      if (!LABEL_NAME.test(label)) fail(`bad label name ${JSON.stringify(label)}`);
      // Not Object.hasOwn: the unit tests run this on QuickJS 2021, which lacks it.
      if (Object.prototype.hasOwnProperty.call(labels, label)) fail(`label ${label} given twice`);
      if (line[j + 1] !== '"') fail('a label value must be quoted');
      i = j + 2;
      let value = '';
      for (;;) {
        const c = line[i++];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i++];
          if (next === '\\' || next === '"') value += next;
          else if (next === 'n') value += '\n';
          else fail(`bad escape \\${next ?? ''} in a label value`);
        } else {
          value += c;
        }
      }
      labels[label] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') fail('expected , or } after a label');
    }
    i++;
  }
  if (line[i] !== ' ') fail('expected a space before the value');
  const [valueText, timestamp, ...extra] = line.slice(i + 1).split(' ');
  if (extra.length > 0) fail('text after the timestamp');
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) fail('bad timestamp');
  return { name, labels, value: parseValue(valueText ?? '', fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`bad value ${JSON.stringify(text)}`);
  return Number(text);
}
