// The `depends` file of a service directory and the graph the files make:
// reading and checking them, and finding cycles. No processes here, so that
// the rules can be tested on their own.
import { SystemError } from '../system/errors.ts';
import { readText } from '../system/files.ts';
import { join } from '../system/path.ts';

export const DEPENDS_FILE = 'depends';

/**
 * The names in `directory`/depends: null when there is no such file. One name
 * a line; blank lines and lines starting with `#` are skipped so that a file
 * can say why, and spaces around a name are dropped (an editor's trailing
 * blank should not make a name unknown).
 */
export function readDepends(directory: string): string[] | null | Error {
  const path = join(directory, DEPENDS_FILE);
  const text = readText(path);
  if (text instanceof SystemError) return text.code === 'ENOENT' ? null : new Error(`cannot read ${path}: ${text.code}`);
  return parseDepends(path, text);
}

export function parseDepends(path: string, text: string): string[] | Error {
  const names: string[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const name = line.trim();
    if (name === '' || name.startsWith('#')) continue;
    const problem = nameProblem(name);
    if (problem !== null) return new Error(`${path}, line ${index + 1}: ${JSON.stringify(name)} is not a service name (${problem})`);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** Why `name` cannot be a directory directly under the service directory, or null. */
function nameProblem(name: string): string | null {
  if (name.includes('/')) return 'it has a slash; name the directory in the service directory';
  if (name.startsWith('.')) return 'names starting with "." are not services';
  if (name.includes('\0')) return 'it has a NUL byte';
  return null;
}

/**
 * The cycles among the services: each strongly connected component of the
 * graph that has more than one service, or a service that depends on itself,
 * as one path that comes back to where it started (`a`, `b`, `a`), starting
 * from its first name in byte order so that the line is the same every boot.
 */
export interface Cycle {
  /** Every service of the component, sorted: none of them can start before another of them. */
  members: string[];
  /** One cycle through them to show, `a`, `b`, `a`. */
  path: string[];
}

export function findCycles(graph: ReadonlyMap<string, readonly string[]>): Cycle[] {
  const cycles: Cycle[] = [];
  for (const component of stronglyConnected(graph)) {
    const members = [...component].sort();
    const first = members[0];
    if (first === undefined) continue;
    const selfLoop = graph.get(first)?.includes(first) ?? false;
    if (component.size === 1 && !selfLoop) continue;
    cycles.push({ members, path: pathBack(graph, component, first) });
  }
  return cycles.sort((a, b) => (a.path[0] ?? '').localeCompare(b.path[0] ?? ''));
}

/** Tarjan's algorithm, iterative: a long chain of depends files must not overflow the stack. */
function stronglyConnected(graph: ReadonlyMap<string, readonly string[]>): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: Set<string>[] = [];
  let next = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ node: string; edge: number }> = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next);
    next++;
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = (graph.get(frame.node) ?? []).filter((target) => graph.has(target));
      if (frame.edge < edges.length) {
        const target = edges[frame.edge++]!;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next);
          next++;
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component = new Set<string>();
        for (;;) {
          const member = stack.pop()!;
          onStack.delete(member);
          component.add(member);
          if (member === frame.node) break;
        }
        components.push(component);
      }
    }
  }
  return components;
}

/** The shortest way from `start` back to itself inside `component` (which has one, being strongly connected). */
function pathBack(graph: ReadonlyMap<string, readonly string[]>, component: ReadonlySet<string>, start: string): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const target of [...(graph.get(node) ?? [])].sort()) {
      if (!component.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = cameFrom.get(at)) path.splice(1, 0, at);
        path.push(start);
        return path;
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}
