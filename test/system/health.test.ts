// Health for orchestrators: `my_init --health` as a probe runs it, and the
// opt-in status endpoint (MY_INIT_STATUS_ADDR), read as a scraper reads it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BINARY, MAIN, PRELUDE, runAndClean, scaled, script, type FileSpec, type RunningInit } from './harness.ts';
import { parsePrometheusText } from './prometheus-text.ts';

/** The executable under the name probes call it by. */
const MY_INIT_LINK: Record<string, FileSpec> = { '/usr/sbin/my_init': { symlink: BINARY } };

test('my_init --health: 1 naming each service not ready, and why; 0 once all wanted up run and are ready', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'my_init-health-'));
  try {
    const r = await runAndClean({
      args: ['--quiet', '--', MAIN],
      files: {
        ...MY_INIT_LINK,
        '/etc/my_init.d/10-probe': script('my_init --health; echo "before-supervisor $?"'),
        '/etc/service/web/run': script('exec sleep 1000'),
        // The machine's /tmp is the sandbox's: the test's marker decides when web is ready.
        '/etc/service/web/check': script(`test -e ${marker}/ready`),
        '/etc/service/idle/run': script('exec sleep 1000'),
        '/etc/service/idle/down': '',
        '/etc/service/logged/run': script('exec sleep 1000'),
        '/etc/service/logged/log/run': script('exec cat >/dev/null'),
        [MAIN]: script(`${PRELUDE}
wait_for '[ -s /etc/service/web/supervise/pid ] && [ -s /etc/service/logged/log/supervise/pid ]'
my_init --health; echo "not-ready $?"
touch ${marker}/ready
my_init --health; echo "ready $?"
# Down for good before up: a run still ending would pass the wait below, and then restart.
sv -w 30 down logged/log >/dev/null
my_init --health; echo "logger-down $?"
sv up logged/log >/dev/null
# sv returns once the control byte is written: wait for the supervisor to act on it.
wait_for 'sv status logged/log | grep -q "^run: "'
sv pause logged >/dev/null
wait_for 'sv status logged | grep -q ", paused"'
my_init --health; echo "paused $?"
`),
      },
    });
    const lines = r.stdout.split('\n');
    const block = (until: string): string[] => {
      const end = lines.findIndex((line) => line.startsWith(`${until} `));
      assert.notEqual(end, -1, `no "${until}" in:\n${r.all}`);
      const start = lines.slice(0, end).findLastIndex((line) => /^[a-z-]+ \d+$/.test(line)) + 1;
      return [...lines.slice(start, end), lines[end]!];
    };
    // Before PID 1 supervises anything (a startup script), nothing is ready.
    assert.deepEqual(block('before-supervisor').sort(), [
      'before-supervisor 1', 'idle: not supervised (no supervisor has it)', 'logged/log: not supervised (no supervisor has it)',
      'logged: not supervised (no supervisor has it)', 'web: not supervised (no supervisor has it)',
    ], r.all);
    const notReady = block('not-ready');
    assert.equal(notReady.length, 2, r.all);
    assert.match(notReady[0]!, /^web: running \(pid \d+\) but not ready: \.\/check fails$/);
    assert.equal(notReady[1], 'not-ready 1');
    // idle is wanted down: not counted.
    assert.deepEqual(block('ready'), ['ready 0'], r.all);
    // Wanted down by sv down: healthy again.
    assert.deepEqual(block('logger-down'), ['logger-down 0'], r.all);
    assert.match(block('paused').join('\n'), /^logged: paused \(pid \d+\)\npaused 1$/, r.all);
    assert.equal(r.exitCode, 0, r.all);
  } finally {
    rmSync(marker, { recursive: true, force: true });
  }
});

test('my_init --health finds supervise/ where a read-only service directory made PID 1 keep it (the runtime directory)', async () => {
  const r = await runAndClean({
    args: ['--quiet', '--', MAIN],
    restricted: { user: '1000:1000', readOnlyRoot: true },
    files: {
      ...MY_INIT_LINK,
      '/etc/service/web/run': script('exec sleep 1000'),
      '/etc/service/web/check': script('test -e /tmp/ready'),
      [MAIN]: script(`${PRELUDE}
wait_for 'my_init --health >/dev/null; [ $? -eq 1 ] && [ -n "$(ls /tmp/my_init-1000/services 2>/dev/null)" ]'
my_init --health; echo "not-ready $?"
touch /tmp/ready
my_init --health; echo "ready $?"
`),
    },
  });
  assert.match(r.stdout, /^web: running \(pid \d+\) but not ready: \.\/check fails\nnot-ready 1$/m, r.all);
  assert.match(r.stdout, /^ready 0$/m, r.all);
});

/** A port nothing listens on now (the kernel's choice). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The TCP ports a process listens on: its socket fds matched against the kernel's tables. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // Closed meanwhile.
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const row of readFileSync(`/proc/${pid}/net/${table}`, 'latin1').trim().split('\n').slice(1)) {
      const fields = row.trim().split(/\s+/);
      const [local, state, inode] = [fields[1]!, fields[3]!, fields[9]!];
      if (state === '0A' && inodes.has(inode)) ports.push(parseInt(local.split(':')[1]!, 16));
    }
  }
  return ports;
}

interface Answer {
  status: number;
  type: string | null;
  allow: string | null;
  body: string;
}

async function request(port: number, path: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, type: response.headers.get('content-type'), allow: response.headers.get('allow'), body: await response.text() };
}

/** Polls `probe` until it gives a value (not null), within a bound (scaled); never a measurement. */
async function until<T>(what: string, probe: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const deadline = performance.now() + scaled(ms);
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what} (last error: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ServiceJson {
  name: string;
  state: string;
  want: string;
  pid: number;
  paused: boolean;
  uptimeSeconds: number;
  restarts: number;
  failures: number;
  ready: boolean;
  problem: string | null;
  lastExit: { code: number | null; signal: number | null } | null;
}

function servicesOf(body: string): { services: Map<string, ServiceJson>; orphansReaped: number } {
  const parsed = JSON.parse(body) as { services: ServiceJson[]; orphansReaped: number };
  assert.ok(Array.isArray(parsed.services));
  return { services: new Map(parsed.services.map((service) => [service.name, service])), orphansReaped: parsed.orphansReaped };
}

test('MY_INIT_STATUS_ADDR: /readyz follows readiness, /status and /metrics say each service, bad requests get 4xx and change nothing', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'my_init-status-'));
  const port = await freePort();
  try {
    const r = await runAndClean({
      args: ['--quiet', '--', MAIN],
      env: { MY_INIT_STATUS_ADDR: `127.0.0.1:${port}` },
      timeoutMs: 90_000,
      files: {
        '/etc/service/web/run': script('exec sleep 1000'),
        '/etc/service/web/check': script(`test -e ${marker}/ready`),
        // Fails once with 3, then stays up: one restart, one failure, a last exit.
        '/etc/service/once/run': script('if [ -e crashed ]; then exec sleep 1000; fi; touch crashed; exit 3'),
        '/etc/service/once/log/run': script('exec cat >/dev/null'),
        '/etc/service/idle/run': script('exec sleep 1000'),
        '/etc/service/idle/down': '',
        // An orphan for the reaper: the subshell exits, its child is left to PID 1.
        [MAIN]: script('( sleep 0.2 & ); exec sleep 1000'),
      },
      async during(init: RunningInit) {
        const pid = await init.hostPid();
        await until('the endpoint', async () => ((await request(port, '/healthz')).status === 200 ? true : null));
        assert.deepEqual(listeningPorts(pid), [port], 'PID 1 listens on the given port, and on no other');

        const healthz = await request(port, '/healthz');
        assert.equal(healthz.body, 'ok\n');
        const notReady = await until('once restarted', async () => {
          const { services } = servicesOf((await request(port, '/status')).body);
          return services.get('once')?.restarts === 1 && services.get('once')?.state === 'run' ? services : null;
        });
        const web = notReady.get('web')!;
        assert.equal(web.state, 'run');
        assert.equal(web.want, 'up');
        assert.ok(Number.isInteger(web.pid) && web.pid > 0);
        assert.equal(web.ready, false);
        assert.equal(web.problem, `running (pid ${web.pid}) but not ready: ./check fails`);
        assert.equal(web.restarts, 0);
        assert.equal(web.failures, 0);
        assert.equal(web.lastExit, null);
        const once = notReady.get('once')!;
        assert.equal(once.failures, 1);
        assert.deepEqual(once.lastExit, { code: 3, signal: null });
        assert.equal(once.ready, true);
        assert.equal(notReady.get('once/log')?.state, 'run');
        const idle = notReady.get('idle')!;
        assert.deepEqual([idle.state, idle.want, idle.pid, idle.ready, idle.problem], ['down', 'down', 0, false, null]);
        assert.deepEqual([...notReady.keys()].sort(), ['idle', 'once', 'once/log', 'web']);

        const readyzBefore = await request(port, '/readyz');
        assert.equal(readyzBefore.status, 503);
        assert.equal(readyzBefore.body, `web: running (pid ${web.pid}) but not ready: ./check fails\n`);

        // Bad requests: 4xx, and nothing changes.
        for (const [method, path, status] of [
          ['POST', '/status', 405], ['PUT', '/readyz', 405], ['DELETE', '/healthz', 405], ['POST', '/metrics', 405],
          ['GET', '/', 404], ['GET', '/status/web', 404], ['POST', '/control', 404], ['GET', '/../etc/passwd', 404],
        ] as const) {
          const answer = await request(port, path, method);
          assert.equal(answer.status, status, `${method} ${path}`);
          if (status === 405) assert.equal(answer.allow, 'GET, HEAD');
        }
        const after = servicesOf((await request(port, '/status')).body).services;
        for (const name of ['web', 'once', 'idle']) {
          const [was, is] = [notReady.get(name)!, after.get(name)!];
          assert.deepEqual([is.state, is.want, is.pid, is.restarts], [was.state, was.want, was.pid, was.restarts], name);
        }

        writeFileSync(join(marker, 'ready'), '');
        await until('/readyz 200', async () => ((await request(port, '/readyz')).status === 200 ? true : null));
        const { services, orphansReaped } = await until('the orphan reaped', async () => {
          const status = servicesOf((await request(port, '/status')).body);
          return status.orphansReaped >= 1 ? status : null;
        });
        assert.equal(services.get('web')!.ready, true);
        assert.equal(services.get('web')!.problem, null);
        assert.ok(Number.isInteger(services.get('web')!.uptimeSeconds) && services.get('web')!.uptimeSeconds >= 0);

        const metrics = await request(port, '/metrics');
        assert.equal(metrics.status, 200);
        assert.equal(metrics.type, 'text/plain; version=0.0.4; charset=utf-8');
        const families = parsePrometheusText(metrics.body);
        const value = (family: string, service?: string): number => {
          const found = families.get(family);
          assert.ok(found, `no ${family}`);
          const sample = found.samples.find((s) => (service === undefined ? Object.keys(s.labels).length === 0 : s.labels.service === service));
          assert.ok(sample, `no ${family} for ${service}`);
          return sample.value;
        };
        const types = Object.fromEntries([...families.values()].map((f) => [f.name, f.type]));
        assert.deepEqual(types, {
          my_init_service_up: 'gauge', my_init_service_wanted_up: 'gauge', my_init_service_ready: 'gauge',
          my_init_service_uptime_seconds: 'gauge', my_init_service_restarts_total: 'counter',
          my_init_service_failures_total: 'counter', my_init_orphans_reaped_total: 'counter',
        });
        for (const family of families.values()) assert.ok(family.help !== null && family.help !== '', `${family.name} has a HELP`);
        assert.equal(value('my_init_service_ready', 'web'), 1);
        assert.equal(value('my_init_service_up', 'idle'), 0);
        assert.equal(value('my_init_service_wanted_up', 'idle'), 0);
        assert.equal(value('my_init_service_restarts_total', 'once'), 1);
        assert.equal(value('my_init_service_failures_total', 'once'), 1);
        assert.equal(value('my_init_service_failures_total', 'web'), 0);
        assert.equal(value('my_init_service_up', 'once/log'), 1);
        assert.ok(value('my_init_orphans_reaped_total') >= orphansReaped);
        assert.ok(value('my_init_service_uptime_seconds', 'web') >= 0);
        // HEAD: the headers alone.
        const head = await request(port, '/status', 'HEAD');
        assert.deepEqual([head.status, head.type, head.body], [200, 'application/json', '']);
        await init.signal('SIGTERM');
      },
    });
    assert.equal(r.exitCode, 2, r.all);
  } finally {
    rmSync(marker, { recursive: true, force: true });
  }
});

test('without MY_INIT_STATUS_ADDR PID 1 listens on nothing', async () => {
  await runAndClean({
    args: ['--quiet', '--', MAIN],
    files: { '/etc/service/web/run': script('exec sleep 1000'), [MAIN]: script(`${PRELUDE}\nwait_for '[ -s /etc/service/web/supervise/pid ]'\necho supervised\nexec sleep 1000`) },
    async during(init) {
      await init.waitForOutput(/^supervised$/m);
      assert.deepEqual(listeningPorts(await init.hostPid()), []);
      await init.signal('SIGTERM');
    },
  });
});

test('a malformed MY_INIT_STATUS_ADDR stops the boot with one line naming it', async () => {
  for (const value of ['0.0.0.0', 'localhost:9102', '127.0.0.1:0', '::1:9102']) {
    const r = await runAndClean({ args: ['--', 'true'], env: { MY_INIT_STATUS_ADDR: value } });
    assert.equal(r.exitCode, 1, r.all);
    const lines = r.stderr.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, r.all);
    assert.ok(lines[0]!.includes(`MY_INIT_STATUS_ADDR must be IP:PORT`) && lines[0]!.includes(JSON.stringify(value)), r.all);
  }
});

test('my_init --health reads what a notify service said: not ready while it starts, naming its STATUS=, ready at READY=1', async () => {
  const marker = mkdtempSync(join(tmpdir(), 'my_init-health-'));
  try {
    const r = await runAndClean({
      args: ['--quiet', '--', MAIN],
      files: {
        ...MY_INIT_LINK,
        '/etc/service/db/notify': '',
        '/etc/service/db/run': script(`systemd-notify --status="loading data"; until [ -e ${marker}/ready ]; do sleep 0.05; done; systemd-notify --ready --status=serving; exec sleep 1000`),
        [MAIN]: script(`${PRELUDE}
wait_for 'grep -q "loading data" /etc/service/db/supervise/readiness 2>/dev/null'
my_init --health; echo "starting $?"
touch ${marker}/ready
wait_for 'grep -q "^ready" /etc/service/db/supervise/readiness'
my_init --health; echo "ready $?"
`),
      },
    });
    assert.match(r.stdout, /^db: running \(pid \d+\) but not ready: it is starting \(loading data\)\nstarting 1$/m, r.all);
    assert.match(r.stdout, /^ready 0$/m, r.all);
    assert.equal(r.exitCode, 0, r.all);
  } finally {
    rmSync(marker, { recursive: true, force: true });
  }
});
