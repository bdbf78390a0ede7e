// depends files: a service starts only once what it names is ready, stops
// before it, and a bad file, an unknown name or a cycle leaves it down with
// one line. Order is proven by events the services append to one file, never
// by how long anything took.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanUp, type FileSpec, runInit, type RunOptions, type RunResult, script, withMain } from './harness.ts';

const EVENTS = '/etc/events';

/**
 * A service that is ready a while after it starts (its check passes once
 * `ready` exists), and that records its start, its readiness and its stop.
 * `directory` defaults to /etc/service/NAME.
 */
function slowService(name: string, depends: string | null, directory = `/etc/service/${name}`): Record<string, FileSpec> {
  return {
    [`${directory}/run`]: script(`
echo "${name} start" >> ${EVENTS}
( sleep 0.3; echo "${name} ready" >> ${EVENTS}; touch ready ) &
trap 'echo "${name} stop" >> ${EVENTS}; exit 0' TERM
sleep 1000 & wait $!`),
    [`${directory}/check`]: script('[ -e ready ]'),
    ...(depends === null ? {} : { [`${directory}/depends`]: `# started after ${depends}\n${depends}\n` }),
  };
}

/** A service that only says it started, by a `started` file in its directory. */
function plainService(name: string, extra: Record<string, FileSpec> = {}): Record<string, FileSpec> {
  return { [`/etc/service/${name}/run`]: script('touch started; exec sleep 1000'), ...extra };
}

async function runKeeping(options: RunOptions): Promise<{ r: RunResult; file: (path: string) => string | null }> {
  const r = await runInit(options);
  const files = new Map<string, string | null>();
  const file = (path: string): string | null => {
    if (!files.has(path)) files.set(path, r.etcFile(path)?.toString() ?? null);
    return files.get(path) ?? null;
  };
  // Read what the tests look at before the scratch directory goes.
  for (const path of [EVENTS, ...Object.keys(options.files ?? {}).map((p) => p.replace(/\/[^/]+$/, '/started'))]) file(path);
  cleanUp(r);
  return { r, file };
}

const events = (text: string | null): string[] => (text ?? '').split('\n').filter((line) => line !== '');

test('a chain of three: each starts after the one before is ready, and they stop in reverse, within the deadline', async () => {
  const { r, file } = await runKeeping(
    withMain(`wait_for '[ -e /etc/service/c/ready ]' 30`, {
      env: { KILL_PROCESS_TIMEOUT: '20' },
      files: { ...slowService('a', null), ...slowService('b', 'a'), ...slowService('c', 'b') },
      timeoutMs: 60_000,
    }),
  );
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(events(file(EVENTS)), [
    'a start', 'a ready', 'b start', 'b ready', 'c start', 'c ready', 'c stop', 'b stop', 'a stop',
  ], r.all);
  assert.doesNotMatch(r.stderr, /did not shut down in time/);
  assert.doesNotMatch(r.stderr, /Warning/);
});

test('a cycle is refused in one line naming it; its members stay down, the other services run', async () => {
  const { r, file } = await runKeeping(
    withMain(
      `
wait_for '[ -e /etc/service/free/started ]'
sv status a b
`,
      {
        files: {
          ...plainService('a', { '/etc/service/a/depends': 'b\n' }),
          ...plainService('b', { '/etc/service/b/depends': 'a\n' }),
          ...plainService('self', { '/etc/service/self/depends': 'self\n' }),
          ...plainService('free'),
        },
      },
    ),
  );
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stderr, /^\*\*\* Warning: dependency cycle in \/etc\/service: a -> b -> a; not starting a, b\.$/m);
  assert.match(r.stderr, /^\*\*\* Warning: dependency cycle in \/etc\/service: self -> self; not starting self\.$/m);
  assert.match(r.stdout, /^down: a: \d+s, normally up, want up$/m, r.all);
  assert.match(r.stdout, /^down: b: \d+s, normally up, want up$/m, r.all);
  assert.equal(file('/etc/service/a/started'), null);
  assert.equal(file('/etc/service/b/started'), null);
  assert.equal(file('/etc/service/self/started'), null);
});

test('an unknown name or a name with a slash is refused naming the file and the name; the others run', async () => {
  const { r, file } = await runKeeping(
    withMain(`wait_for '[ -e /etc/service/free/started ]'`, {
      files: {
        ...plainService('unknown', { '/etc/service/unknown/depends': 'free\nnope\n' }),
        ...plainService('slash', { '/etc/service/slash/depends': '\n/etc/service/free\n' }),
        ...plainService('free'),
      },
    }),
  );
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stderr, /^\*\*\* Warning: \/etc\/service\/unknown\/depends names "nope", which is not a service in \/etc\/service; not starting \/etc\/service\/unknown\.$/m);
  assert.match(r.stderr, /^\*\*\* Warning: \/etc\/service\/slash\/depends, line 2: "\/etc\/service\/free" is not a service name \(it has a slash[^)]*\); not starting \/etc\/service\/slash\.$/m);
  assert.equal(file('/etc/service/unknown/started'), null);
  assert.equal(file('/etc/service/slash/started'), null);
});

test('a dependency not ready within SERVICE_DEPENDENCY_TIMEOUT leaves its dependent down, in one line naming both', async () => {
  const { r, file } = await runKeeping({
    args: ['--quiet'],
    env: { SERVICE_DEPENDENCY_TIMEOUT: '0.5' },
    files: {
      ...plainService('never', { '/etc/service/never/check': script('exit 1') }),
      ...plainService('app', { '/etc/service/app/depends': 'never\n' }),
    },
    during: async (init) => {
      await init.waitForOutput(/its dependency never/);
      await init.signal('SIGTERM');
    },
  });
  const lines = r.stderr.split('\n').filter((line) => line.includes('Warning'));
  assert.deepEqual(lines, [
    '*** Warning: not starting /etc/service/app: its dependency never was not ready within 0.5 s (SERVICE_DEPENDENCY_TIMEOUT).',
  ], r.all);
  assert.notEqual(file('/etc/service/never/started'), null, 'the dependency itself runs');
  assert.equal(file('/etc/service/app/started'), null);
});

test('sv start of a waiting dependent waits for its dependencies; sv restart starts it at once, and not its dependency', async () => {
  const { r, file } = await runKeeping(
    withMain(
      `
wait_for '[ -e /etc/service/off/supervise/stat ] && [ -e /etc/service/app/supervise/stat ]'
sv -w 1 start app
echo "start-rc $?"
[ -e /etc/service/app/started ] && echo STARTED-EARLY
sv restart app
echo "restart-rc $?"
wait_for '[ -e /etc/service/app/started ]'
sv status off
`,
      {
        files: {
          ...plainService('off', { '/etc/service/off/down': '' }),
          ...plainService('app', { '/etc/service/app/depends': 'off\n' }),
        },
      },
    ),
  );
  assert.equal(r.exitCode, 0, r.all);
  // Wanted up already, so runit's sv writes nothing: the start still waits for `off`.
  assert.match(r.stdout, /^timeout: down: app: \d+s, normally up, want up\nstart-rc 1$/m, r.all);
  assert.doesNotMatch(r.stdout, /STARTED-EARLY/);
  assert.match(r.stdout, /^ok: run: app: \(pid \d+\) \d+s\nrestart-rc 0$/m, r.all);
  assert.match(r.stdout, /^down: off: \d+s$/m, r.all);
  assert.notEqual(file('/etc/service/app/started'), null, r.all);
  assert.equal(file('/etc/service/off/started'), null);
  assert.doesNotMatch(r.stderr, /Warning/);
});

test('a hot-added service waits for its dependency, stops before it, and an unknown name is refused as at boot', async () => {
  const { r, file } = await runKeeping(
    withMain(
      `
wait_for 'grep -q "a start" ${EVENTS}'
cp -a /etc/hot/b /etc/service/.b && mv /etc/service/.b /etc/service/b
cp -a /etc/hot/lost /etc/service/.lost && mv /etc/service/.lost /etc/service/lost
wait_for '[ -e /etc/service/b/ready ]' 30
wait_for '[ -e /etc/service/lost/supervise/stat ]'
`,
      {
        env: { KILL_PROCESS_TIMEOUT: '20' },
        files: {
          ...slowService('a', null),
          ...slowService('b', 'a', '/etc/hot/b'),
          '/etc/hot/lost/run': script('touch started; exec sleep 1000'),
          '/etc/hot/lost/depends': 'gone\n',
        },
        timeoutMs: 60_000,
      },
    ),
  );
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(events(file(EVENTS)), ['a start', 'a ready', 'b start', 'b ready', 'b stop', 'a stop'], r.all);
  assert.match(r.stderr, /^\*\*\* Warning: \/etc\/service\/lost\/depends names "gone", which is not a service in \/etc\/service; not starting \/etc\/service\/lost\.$/m);
  assert.equal(file('/etc/service/lost/started'), null);
  assert.doesNotMatch(r.stderr, /did not shut down in time/);
});
