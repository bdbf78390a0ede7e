// Runs one unit test file on the engine that ships (Node side of the test host):
// bundles it with esbuild for QuickJS, runs the bundle in build/amd64/test-host,
// and reads back the TAP lines of test/host/shims/test.ts.
//
// The bundle is what the product's build makes of src/ (esm, es2020, the
// platform's sys:* modules external), plus the shims of test/host/shims/ in
// place of the node:* modules and Node globals the test files use for their
// own work. Only test files get the shims: a src/ module that still imports
// node:* (its port is not done) stops the bundle, naming the module.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { constants } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';

export const ROOT = join(import.meta.dirname, '..', '..');
const SHIMS = join(ROOT, 'test', 'host', 'shims');
/** As scripts/build.sh takes it: relative to the repository. */
export const BUILD = resolve(ROOT, process.env.MY_INIT_BUILD_DIR ?? 'build');
export const HOST = join(BUILD, 'amd64', 'test-host');

/** node:* module -> shim file. */
const NODE_SHIMS: Record<string, string> = {
  'node:test': 'test.ts',
  'node:assert/strict': 'assert.ts',
  'node:fs': 'fs.ts',
  'node:os': 'os.ts',
  'node:path': 'path.ts',
  'node:child_process': 'child_process.ts',
};
/** The Node globals a test file may use, from test/host/shims/globals.ts. */
const GLOBALS = ['Buffer', 'process', 'setTimeout', 'clearTimeout'];

const isTestCode = (file: string): boolean => file.startsWith(join(ROOT, 'test') + '/');

/** Builds the host (make knows when it is up to date); an Error saying what is missing when it cannot. */
export function buildHost(): Error | null {
  const made = spawnSync('make', ['-s', '-f', 'scripts/platform.mk', 'ARCH=amd64', `BUILD=${BUILD}`, HOST], { cwd: ROOT, encoding: 'utf8' });
  if (made.error !== undefined) return new Error(`cannot run make: ${made.error.message}`);
  if (made.status !== 0) return new Error(`building ${relative(ROOT, HOST)} failed (musl-gcc: apt-get install musl-tools):\n${made.stdout}${made.stderr}`);
  return null;
}

/** The import of the Node globals `source` uses and does not declare itself. */
function globalsImport(source: string): string {
  const used = GLOBALS.filter((name) => new RegExp(`\\b${name}\\b`).test(source)
    && !new RegExp(`(import\\s*(type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}|\\b(const|let|var|function|class)\\s+${name}\\b)`).test(source));
  return used.length === 0 ? '' : `import { ${used.join(', ')} } from ${JSON.stringify(join(SHIMS, 'globals.ts'))}; `;
}

const shimPlugin: esbuild.Plugin = {
  name: 'test-host-shims',
  setup(build) {
    build.onResolve({ filter: /^sys:/ }, (args) => ({ path: args.path, external: true }));
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const from = relative(ROOT, args.importer);
      if (!isTestCode(args.importer)) {
        return { errors: [{ text: `${from} imports ${args.path}, which the platform does not have (its port to src/system/ is not done)` }] };
      }
      const shim = NODE_SHIMS[args.path];
      if (shim === undefined) {
        return { errors: [{ text: `${from} imports ${args.path}: the test host has no shim for it (test/host/shims/; the test files may use ${Object.keys(NODE_SHIMS).join(', ')})` }] };
      }
      return { path: join(SHIMS, shim) };
    });
    // Test files (not the shims themselves) get the Node globals they use, and their own import.meta.dirname.
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!isTestCode(args.path) || args.path.startsWith(SHIMS + '/')) return undefined;
      const source = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      // On the first line: the line numbers of the stack traces stay the file's.
      return { contents: globalsImport(source) + source, loader: 'ts', resolveDir: dirname(args.path) };
    });
  },
};

export interface Bundle {
  file: string;
  map: SourceMap;
}

/** The bundle of one test file, or the Error that stopped esbuild (its messages). */
export async function bundle(testFile: string): Promise<Bundle | Error> {
  const outfile = join(BUILD, 'unit', basename(testFile).replace(/\.ts$/, '.js'));
  mkdirSync(dirname(outfile), { recursive: true });
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    await esbuild.build({
      entryPoints: [testFile], bundle: true, format: 'esm', target: 'es2020', platform: 'neutral', outfile,
      sourcemap: 'external', plugins: [shimPlugin], define: { MY_INIT_VERSION: JSON.stringify(version) },
      logLevel: 'silent', absWorkingDir: ROOT,
    });
  } catch (error) {
    const failure = error as { errors?: esbuild.Message[] };
    if (failure.errors === undefined) throw error;
    return new Error(failure.errors.map((message) => `${message.location ? `${message.location.file}:${message.location.line}: ` : ''}${message.text}`).join('\n'));
  }
  return { file: outfile, map: new SourceMap(JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) };
}

/**
 * `(bundle.js:123)` in QuickJS's stack traces as `(test/unit/x.test.ts:45)`;
 * the frames of the shims (the assertion's own, the test runner's) left out.
 */
export function mapStack(text: string, bundled: Bundle): string {
  const name = bundled.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mapped = text.replace(new RegExp(`${name}:(\\d+)`, 'g'), (whole, line: string) => {
    const entry = bundled.map.findEntry(Number(line) - 1, 0);
    if (!('originalSource' in entry) || entry.generatedLine !== Number(line) - 1) return whole;
    const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : join(dirname(bundled.file), entry.originalSource);
    return `${relative(ROOT, source)}:${entry.originalLine + 1}`;
  });
  // QuickJS gives some frames no line (a function declared on one line with its call): where in the bundle says nothing.
  const lineless = `(${bundled.file})`;
  return mapped.split('\n').filter((line) => !/^\s+at .* \(test\/host\/shims\/[^)]*\)$/.test(line) && !line.endsWith(lineless)).join('\n');
}

export interface Result {
  name: string;
  ok: boolean;
  skip: string | null;
  todo: string | null;
  error: string | null;
  diagnostics: string[];
}

export interface Run {
  results: Result[];
  /** The plan line came: every test ran. */
  complete: boolean;
  /** The test that was running when the output stopped, if one was. */
  running: string | null;
  status: number | null;
  signal: string | null;
  stderr: string;
  /** stdout lines that are not the protocol's: a child's output, say. */
  stray: string[];
  timedOut: boolean;
}

const unescapeName = (text: string): string => text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** Reads the TAP lines of test/host/shims/test.ts. */
export function parseTap(stdout: string): Pick<Run, 'results' | 'complete' | 'running' | 'stray'> {
  const results: Result[] = [];
  const stray: string[] = [];
  let running: string | null = null;
  let complete = false;
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (complete) continue;
    const subtest = /^# Subtest: (.*)$/.exec(line);
    if (subtest) {
      running = unescapeName(subtest[1]!);
      continue;
    }
    const result = /^(ok|not ok) \d+ - ((?:[^\\#]|\\.)*?)(?: # (SKIP|TODO)(?: (.*))?)?$/.exec(line);
    if (result) {
      const error: string[] = [];
      if (lines[i + 1] === '  ---') {
        for (i += 2; i < lines.length && lines[i] !== '  ...'; i++) if (lines[i] !== '  error: |-') error.push(lines[i]!.replace(/^ {4}/, ''));
      }
      results.push({
        name: unescapeName(result[2]!), ok: result[1] === 'ok',
        skip: result[3] === 'SKIP' ? result[4] ?? '' : null, todo: result[3] === 'TODO' ? result[4] ?? '' : null,
        error: error.length > 0 ? error.join('\n') : null, diagnostics: [],
      });
      running = null;
      continue;
    }
    if (/^1\.\.\d+$/.test(line)) {
      complete = true;
      continue;
    }
    if (line === 'TAP version 13') continue;
    const comment = /^# (.*)$/.exec(line);
    if (comment && results.length > 0 && running === null) results.at(-1)!.diagnostics.push(comment[1]!);
    else stray.push(line);
  }
  return { results, complete, running, stray };
}

/** Node's table of signal numbers, which the node:os shim gives the tests as os.constants.signals. */
const nodeSignals = JSON.stringify(constants.signals);

/** Runs a bundle in the host, killing it (and what it started in its group) after `timeoutMs`. */
export function runBundle(bundled: Bundle, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(HOST, [bundled.file], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...process.env, MY_INIT_TEST_NODE_SIGNALS: nodeSignals },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      // What the tests left running in the host's process group goes with it.
      killGroup();
      const stdout = mapStack(Buffer.concat(out).toString('utf8'), bundled);
      resolve({ ...parseTap(stdout), status, signal, stderr: mapStack(Buffer.concat(err).toString('utf8'), bundled), timedOut });
    });
  });
}

/** The unit test files, by name. */
export function unitTestFiles(): string[] {
  const directory = join(ROOT, 'test', 'unit');
  return readdirSync(directory).filter((name) => name.endsWith('.test.ts')).sort().map((name) => join(directory, name));
}
