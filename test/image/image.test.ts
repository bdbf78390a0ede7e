// The reference image, built from the repository's Dockerfile on a debootstrapped
// Debian base, tested in real containers with podman. Skipped where podman is
// missing (.ci/run installs it).
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const BASE = 'localhost/debian-base:bookworm';
const IMAGE = 'localhost/my_init-base:latest';
const CONTAINERS_CONF = join(ROOT, 'dist', 'containers.conf');

const hasPodman = (() => {
  try {
    execFileSync('podman', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = hasPodman ? false : 'podman is not installed (.ci/run installs it)';

const env = { ...process.env, CONTAINERS_CONF };
const PODMAN_OPTIONS = { env, reject: false, timeout: 300_000, all: true } as const;
function podman(args: string[]) {
  return execa('podman', args, PODMAN_OPTIONS);
}

/** Runs a container to its end; host networking, as on this machine podman's own networks need more. */
async function run(args: string[]) {
  return podman(['run', '--rm', '--network', 'host', ...args]);
}

before(async () => {
  if (!hasPodman) return;
  const scripts = (name: string, args: string[] = []) => execa('bash', [join(ROOT, 'scripts', name), ...args], { env, all: true, reject: false } as const);
  if ((await podman(['image', 'exists', BASE])).exitCode !== 0) {
    const base = await scripts('make-base.sh', [BASE]);
    assert.equal(base.exitCode, 0, base.all);
  }
  const built = await scripts('build-image.sh', ['my_init-base', `BASE_IMAGE=${BASE}`]);
  assert.equal(built.exitCode, 0, built.all);
}, { timeout: 600_000 });

test('podman run IMAGE boots: startup scripts, syslog, cron running; podman stop is quick and clean, every service got SIGTERM', { skip, timeout: 120_000 }, async () => {
  const name = `my_init-boot-${process.pid}`;
  const started = await podman(['run', '-d', '--name', name, '--network', 'host', IMAGE]);
  assert.equal(started.exitCode, 0, started.all);
  try {
    const status = await waitFor(async () => {
      const r = await podman(['exec', name, 'sh', '-c', 'sv status /etc/service/*']);
      return /^run: \/etc\/service\/cron: \(pid \d+\)/m.test(r.stdout) ? r.stdout : null;
    });
    assert.match(status, /^down: \/etc\/service\/sshd: \d+s$/m, 'sshd is down by default');
    assert.match(status, /^down: \/etc\/service\/app: \d+s$/m, 'the app waits for /app/setup.sh');
    const syslog = await podman(['exec', name, 'sh', '-c', 'pgrep -x syslog-ng >/dev/null && logger -t probe hello-syslog && sleep 0.5 && grep -c hello-syslog /var/log/syslog']);
    assert.equal(syslog.stdout, '1', syslog.all);
    // A service that says when it gets SIGTERM, added while running.
    const probe = await podman(['exec', name, 'sh', '-c',
      "mkdir /etc/.probe && printf '#!/bin/sh\\ntrap \"echo [probe] got SIGTERM; exit 0\" TERM\\necho \"[probe] up\"\\nwhile :; do sleep 0.1; done\\n' > /etc/.probe/run && chmod +x /etc/.probe/run && mv /etc/.probe /etc/service/probe"]);
    assert.equal(probe.exitCode, 0, probe.all);
    await waitFor(async () => ((await podman(['logs', name])).all.includes('[probe] up') ? true : null));
    const stopped = await podman(['stop', '-t', '20', name]);
    assert.equal(stopped.exitCode, 0, stopped.all);
    // my_init's own exit code, not the 137 of podman's SIGKILL after the grace period.
    assert.equal((await podman(['inspect', name, '--format', '{{.State.ExitCode}}'])).stdout, '2');
    const logs = (await podman(['logs', name])).all;
    assert.match(logs, /^\*\*\* Running \/etc\/my_init\.d\/00_regen_ssh_host_keys\.sh\.\.\.$/m);
    assert.match(logs, /^\*\*\* Running \/etc\/my_init\.d\/10_syslog-ng\.init\.\.\.$/m);
    assert.match(logs, /hello-syslog/, 'syslog reaches docker logs');
    assert.match(logs, /^\[probe\] got SIGTERM$/m);
    assert.match(logs, /^\*\*\* Running \/etc\/my_init\.post_shutdown\.d\/10_syslog-ng\.shutdown\.\.\.$/m);
    assert.doesNotMatch(logs, /did not shut down in time/);
    const code = await podman(['inspect', name, '--format', '{{.State.ExitCode}}']);
    assert.equal(code.stdout, '2');
  } finally {
    await podman(['rm', '-f', name]);
  }
});

test('my_init -- ls, and --skip-startup-files --quiet -- ls, in the image', { skip, timeout: 60_000 }, async () => {
  const full = await run([IMAGE, '/sbin/my_init', '--', 'ls', '/']);
  assert.equal(full.exitCode, 0, full.all);
  assert.match(full.stdout, /^bin$/m);
  assert.match(full.stderr, /^\*\*\* Running ls \/\.\.\.$/m);
  assert.match(full.stderr, /^\*\*\* ls exited with status 0\.$/m);
  const quiet = await run([IMAGE, '/sbin/my_init', '--skip-startup-files', '--quiet', '--', 'ls', '/']);
  assert.equal(quiet.exitCode, 0, quiet.all);
  assert.equal(quiet.stderr, '');
  assert.match(quiet.stdout, /^app\nbin\nboot\n/);
});

test('the container environment files have the documented modes and group; setuser and chpst work for a non-root user', { skip, timeout: 60_000 }, async () => {
  const r = await run([IMAGE, '/sbin/my_init', '--quiet', '--skip-startup-files', '--', 'sh', '-c',
    'stat -c "%n %a %U:%G" /etc/container_environment /etc/container_environment.sh /etc/container_environment.json; readlink /etc/profile.d/container_environment.sh; setuser nobody sh -c \'echo "$(id -un) HOME=$HOME"\'; chpst -u nobody -U nobody sh -c \'echo "$(id -un) UID=$UID"\'']);
  assert.equal(r.exitCode, 0, r.all);
  assert.equal(r.stdout, [
    '/etc/container_environment 700 root:root',
    '/etc/container_environment.sh 640 root:docker_env',
    '/etc/container_environment.json 640 root:docker_env',
    '/etc/container_environment.sh',
    'nobody HOME=/nonexistent',
    'nobody UID=65534',
  ].join('\n'));
});

test('the image holds the executable once: what its layers add to the base is under 1.2 x (the executable + the packages it installs)', { skip, timeout: 120_000 }, async () => {
  // podman's Size of an image is the sum of its layers, uncompressed: image minus
  // base is what the Dockerfile's layers add. What they have to hold is the
  // executable, once, and the packages its scripts install, counted by dpkg
  // (Installed-Size, KiB, of every package: the image's sum minus the base's, so
  // new packages and dist-upgrade's changes both count). The 20% is for what dpkg
  // does not count: the generated locale, dpkg's and debconf's own records, the
  // image's scripts and service files. A second copy of the executable (a COPY
  // to /bd_build installed to /sbin by a RUN step, as before) made it 305 MB
  // against a bound of 217.
  const imageSize = async (image: string) => Number((await podman(['image', 'inspect', '--format', '{{.Size}}', image])).stdout);
  const packagesSize = async (image: string) => {
    const r = await run([image, 'dpkg-query', '-W', '-f', '${Installed-Size}\n']);
    assert.equal(r.exitCode, 0, r.all);
    return r.stdout.split('\n').reduce((sum, kib) => sum + Number(kib) * 1024, 0);
  };
  const executable = await run([IMAGE, 'stat', '-c', '%s', '/sbin/my_init']);
  assert.equal(executable.exitCode, 0, executable.all);
  const added = (await imageSize(IMAGE)) - (await imageSize(BASE));
  const packages = (await packagesSize(IMAGE)) - (await packagesSize(BASE));
  const bound = 1.2 * (Number(executable.stdout) + packages);
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  assert.ok(added < bound,
    `the image adds ${mb(added)} to its base; the executable is ${mb(Number(executable.stdout))}, the packages ${mb(packages)}, so the bound is ${mb(bound)}`);
});

/** A local HTTP server on loopback serving fixed bodies; the containers reach it over host networking. */
async function serve(files: Record<string, Buffer>): Promise<{ url: (path: string) => string; server: Server }> {
  const server = createServer((request, response) => {
    const body = files[new URL(request.url ?? '/', 'http://localhost').pathname];
    response.writeHead(body ? 200 : 404).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: (path) => `http://127.0.0.1:${port}${path}`, server };
}

test('Galaxy: setup.sh URL in a build container, commit, run with PORT: the app answers', { skip, timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'my_init-galaxy-'));
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'hello', version: '1.0.0', scripts: { start: 'node server.js' } }));
  writeFileSync(join(app, 'server.js'),
    "require('http').createServer((q, s) => s.end('hello from galaxy as ' + require('os').userInfo().username + '\\n')).listen(process.env.PORT);\n");
  execFileSync('tar', ['-czf', join(work, 'app.tgz'), '-C', app, '.']);
  const { url, server } = await serve({ '/app.tgz': readFileSync(join(work, 'app.tgz')), '/broken.tgz': Buffer.from('this is not a tarball') });
  const builder = `my_init-galaxy-build-${process.pid}`;
  const runner = `my_init-galaxy-run-${process.pid}`;
  const appImage = `localhost/my_init-galaxy-app-${process.pid}`;
  try {
    const setup = await podman(['run', '--name', builder, '--network', 'host', IMAGE, '/app/setup.sh', `${url('/app.tgz')}?token=secret`]);
    assert.equal(setup.exitCode, 0, setup.all);
    assert.doesNotMatch(setup.all, /secret/, 'the signed part of the URL is never printed');
    // As a Dockerfile's RUN step would: the image keeps running my_init, not setup.sh.
    assert.equal((await podman(['commit', '-q', '--change', 'CMD ["/sbin/my_init"]', builder, appImage])).exitCode, 0);
    const port = String(20000 + (process.pid % 10000));
    const started = await podman(['run', '-d', '--name', runner, '--network', 'host', '-e', `PORT=${port}`, appImage]);
    assert.equal(started.exitCode, 0, started.all);
    const body = await waitFor(async () => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        return await response.text();
      } catch {
        return null;
      }
    }, 60_000);
    assert.equal(body, 'hello from galaxy as app\n');
    const stored = await podman(['exec', runner, 'sh', '-c', 'grep -rl "token=secret" /app /etc /root /home 2>/dev/null | head -1']);
    assert.equal(stored.stdout, '', 'the bundle URL is not kept in the image');

    const badUrl = await run([IMAGE, '/app/setup.sh', url('/missing.tgz')]);
    assert.notEqual(badUrl.exitCode, 0);
    assert.match(badUrl.stderr, /^setup\.sh: cannot download the bundle from http:\/\/127\.0\.0\.1:\d+\/missing\.tgz$/m);
    const broken = await run([IMAGE, '/app/setup.sh', url('/broken.tgz')]);
    assert.notEqual(broken.exitCode, 0);
    assert.match(broken.stderr, /^setup\.sh: the bundle from .* is not a gzip-compressed tar archive$/m);
  } finally {
    server.close();
    await podman(['rm', '-f', builder, runner]);
    await podman(['rmi', '-f', appImage]);
    rmSync(work, { recursive: true, force: true });
  }
});

test('the Kubernetes example runs under podman kube play and stops cleanly', { skip, timeout: 180_000 }, async () => {
  const example = join(ROOT, 'examples', 'kubernetes');
  const built = await podman(['build', '-q', '--network', 'host', '-t', 'localhost/my_init-example:latest', example]);
  assert.equal(built.exitCode, 0, built.all);
  // The example as shipped, but with the greeter's readiness held back until the test says so.
  const manifest = join(mkdtempSync(join(tmpdir(), 'my_init-kube-')), 'pod.yaml');
  const shipped = readFileSync(join(example, 'pod.yaml'), 'utf8');
  const holding = shipped.replace('          value: kubernetes\n', '          value: kubernetes\n        - name: GREETER_READY_AFTER\n          value: /tmp/go\n');
  assert.notEqual(holding, shipped, 'pod.yaml sets GREETING');
  writeFileSync(manifest, holding);
  const played = await podman(['kube', 'play', '--network', 'host', manifest]);
  assert.equal(played.exitCode, 0, played.all);
  try {
    const container = 'my-init-example-main';
    await waitFor(async () => ((await podman(['logs', container])).all.includes('[greeter] up, greeting kubernetes') ? true : null));
    // The probe (podman runs the livenessProbe as the container's healthcheck): not ready while greeter's check fails...
    // podman 4.3 makes an exec probe a CMD-SHELL test (`... || exit 1`): the command is ours either way.
    const inspected = await podman(['inspect', container, '--format', '{{json .Config.Healthcheck.Test}}']);
    const probe = JSON.parse(inspected.stdout) as string[];
    assert.deepEqual(probe.slice(1, 3), ['/sbin/my_init', '--health'], inspected.all);
    const before = await podman(['healthcheck', 'run', container]);
    assert.notEqual(before.exitCode, 0, before.all);
    const said = await podman(['exec', container, '/sbin/my_init', '--health']);
    assert.equal(said.exitCode, 1, said.all);
    assert.match(said.stdout, /^greeter: running \(pid \d+\) but not ready: \.\/check fails$/, said.all);
    // ...and ready once it passes.
    assert.equal((await podman(['exec', container, 'touch', '/tmp/go'])).exitCode, 0);
    await waitFor(async () => ((await podman(['healthcheck', 'run', container])).exitCode === 0 ? true : null));
    const after = await podman(['exec', container, '/sbin/my_init', '--health']);
    assert.deepEqual([after.exitCode, after.stdout], [0, ''], after.all);
    // podman 4.3's `kube down` stops with a zero timeout (SIGKILL at once);
    // `pod stop` is the graceful stop the kubelet makes, within the grace period.
    const stopped = await podman(['pod', 'stop', '-t', '30', 'my-init-example']);
    assert.equal(stopped.exitCode, 0, stopped.all);
    const logs = (await podman(['logs', container])).all;
    assert.match(logs, /^\[startup\] GREETING is kubernetes$/m);
    assert.match(logs, /^\[greeter\] got SIGTERM, saying goodbye$/m);
    assert.match(logs, /^\*\*\* Init system aborted\.$/m);
    // Inside the grace period: my_init's exit code, not the 137 of the kubelet's SIGKILL.
    assert.equal((await podman(['inspect', container, '--format', '{{.State.ExitCode}}'])).stdout, '2');
  } finally {
    const down = await podman(['kube', 'down', manifest]);
    rmSync(dirname(manifest), { recursive: true, force: true });
    assert.equal(down.exitCode, 0, down.all);
  }
});

test("the Kubernetes example under the restricted profile (pod-restricted.yaml) runs under podman kube play and stops cleanly", { skip, timeout: 180_000 }, async () => {
  const example = join(ROOT, 'examples', 'kubernetes');
  const built = await podman(['build', '-q', '--network', 'host', '-t', 'localhost/my_init-example:latest', example]);
  assert.equal(built.exitCode, 0, built.all);
  const manifest = join(example, 'pod-restricted.yaml');
  const played = await podman(['kube', 'play', '--network', 'host', manifest]);
  assert.equal(played.exitCode, 0, played.all);
  try {
    const container = 'my-init-restricted-main';
    await waitFor(async () => ((await podman(['logs', container])).all.includes('[greeter] up, greeting restricted') ? true : null));
    const inside = await podman(['exec', container, 'sh', '-c',
      'id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/1/status | tr -s "\\t" " "; touch /etc/x 2>&1 | sed "s/.*: //"; sv status greeter | sed -E "s/[0-9]+/N/g"']);
    assert.equal(inside.stdout, '10001\nCapEff: 0000000000000000\nNoNewPrivs: 1\nSeccomp: 2\nRead-only file system\nrun: greeter: (pid N) Ns', inside.all);
    // The probe as the kubelet runs it: same uid, supervise/ kept in the runtime directory, cron wanted down.
    await waitFor(async () => ((await podman(['healthcheck', 'run', container])).exitCode === 0 ? true : null));
    const stopped = await podman(['pod', 'stop', '-t', '30', 'my-init-restricted']);
    assert.equal(stopped.exitCode, 0, stopped.all);
    const logs = (await podman(['logs', container])).all;
    assert.match(logs, /^\[startup\] GREETING is restricted$/m);
    assert.match(logs, /^syslog-ng: not started: it needs root \(running as uid 10001\)$/m);
    assert.match(logs, /^\[greeter\] got SIGTERM, saying goodbye$/m);
    assert.match(logs, /^\*\*\* Init system aborted\.$/m);
    assert.doesNotMatch(logs, /Warning|cannot supervise|did not shut down in time/);
    assert.equal((await podman(['inspect', container, '--format', '{{.State.ExitCode}}'])).stdout, '2');
  } finally {
    const down = await podman(['kube', 'down', manifest]);
    assert.equal(down.exitCode, 0, down.all);
  }
});

/** Kubernetes' restricted profile, as `podman run` flags: Docker's --read-only with only /run given, an unnamed uid, nothing more. */
const RESTRICTED = ['--read-only', '--tmpfs', '/run', '--user', '1000:1000', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges'];

/** A startup script and a service logging through svlogd, as users add them; the log in /tmp, which is writable. */
const RESTRICTED_DOCKERFILE = `FROM ${IMAGE}
RUN mkdir -p /etc/service/web/log \\
 && printf '#!/bin/sh\\necho "[web] up as uid $(id -u)"\\nexec sh -c "while :; do echo tick; sleep 0.2; done"\\n' > /etc/service/web/run \\
 && printf '#!/bin/sh\\nmkdir -p /tmp/web-log\\nexec svlogd -tt /tmp/web-log\\n' > /etc/service/web/log/run \\
 && printf '#!/bin/sh\\necho "[startup] as uid $(id -u)"\\n' > /etc/my_init.d/50_hello \\
 && chmod +x /etc/service/web/run /etc/service/web/log/run /etc/my_init.d/50_hello
`;

test('a restricted container (read-only root, uid 1000, no capabilities): startup scripts, a service with a logger, sv status and restart, a clean stop; my_init -- cmd', { skip, timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'my_init-restricted-'));
  const image = `localhost/my_init-restricted-${process.pid}`;
  const name = `my_init-restricted-${process.pid}`;
  try {
    writeFileSync(join(work, 'Dockerfile'), RESTRICTED_DOCKERFILE);
    const built = await podman(['build', '-q', '--network', 'host', '-t', image, work]);
    assert.equal(built.exitCode, 0, built.all);
    const started = await podman(['run', '-d', '--name', name, '--network', 'host', ...RESTRICTED, image]);
    assert.equal(started.exitCode, 0, started.all);
    // Until web and its logger run and cron's run script (which runs `sv down` on itself: our sv, a start of
    // the executable) has ended: the services start together, and web can be up first.
    const status = await waitFor(async () => {
      const r = await podman(['exec', name, 'sh', '-c', 'sv status /etc/service/*']);
      const webUp = /^run: \/etc\/service\/web: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s$/m.test(r.stdout);
      return webUp && !/^run: \/etc\/service\/cron:/m.test(r.stdout) ? r.stdout : null;
    });
    assert.match(status, /^down: \/etc\/service\/cron: \d+s, normally up$/m, 'cron stepped aside: it needs root');
    assert.match(status, /^down: \/etc\/service\/sshd: \d+s$/m);
    const restart = await podman(['exec', name, 'sh', '-c', 'before=$(sv status web); sleep 1.1; sv restart web; [ "$(sv status web | cut -d" " -f4)" != "$(echo "$before" | cut -d" " -f4)" ] && echo "a new pid"']);
    assert.match(restart.stdout, /^ok: run: web: \(pid \d+\) \d+s\na new pid$/, restart.all);
    const logged = await waitFor(async () => {
      const r = await podman(['exec', name, 'sh', '-c', 'grep -c "^[0-9_:.-]* \\[web\\] up as uid 1000$" /tmp/web-log/current']);
      return r.stdout === '2' ? r.stdout : null;
    });
    assert.equal(logged, '2', 'svlogd got both runs\' output');
    const state = await podman(['exec', name, 'sh', '-c', 'stat -c "%a %u" /tmp/my_init-1000; . /tmp/my_init-1000/container_environment.sh && echo "LANG=$LANG"']);
    assert.equal(state.stdout, '700 1000\nLANG=en_US.UTF-8', state.all);
    const stopped = await podman(['stop', '-t', '20', name]);
    assert.equal(stopped.exitCode, 0, stopped.all);
    assert.equal((await podman(['inspect', name, '--format', '{{.State.ExitCode}}'])).stdout, '2');
    const logs = (await podman(['logs', name])).all;
    assert.match(logs, /^\[startup\] as uid 1000$/m);
    assert.match(logs, /^syslog-ng: not started: it needs root \(running as uid 1000\)$/m);
    assert.match(logs, /^cron: not started: it needs root \(running as uid 1000\)$/m);
    assert.match(logs, /^\*\*\* \/etc\/container_environment is not writable by uid 1000: the container environment goes to \/tmp\/my_init-1000\/container_environment \(and its \.sh and \.json\) instead\.$/m);
    assert.match(logs, /^\*\*\* Services whose directory cannot hold supervise\/ \(.*\) keep it under \/tmp\/my_init-1000\/services; our sv finds it there, runit's sv does not\.$/m);
    assert.match(logs, /^\*\*\* Init system aborted\.$/m);
    assert.doesNotMatch(logs, /Warning|did not shut down in time|cannot supervise/, 'no warning at all');
    const lines = logs.split('\n').filter((line) => line.startsWith('*** ') && !/^\*\*\* (Running |Booting|Runit started|Shutting down|Init system|Killing)/.test(line));
    assert.equal(lines.length, 3, `one line each for the dumps, their import and supervise/:\n${logs}`);

    const once = await run([...RESTRICTED, image, '/sbin/my_init', '--', 'sh', '-c', 'id -u; sv status web >/dev/null && echo "sv answers"']);
    assert.equal(once.exitCode, 0, once.all);
    assert.match(once.stdout, /^1000\n/m);
    assert.match(once.stderr, /^\*\*\* sh exited with status 0\.$/m);

    // Root, with Docker's --read-only (no /tmp of its own) and only /run given: cron runs, syslog-ng steps aside.
    const asRoot = await run(['--read-only', '--read-only-tmpfs=false', '--tmpfs', '/run', IMAGE, '/sbin/my_init', '--', 'sh', '-c',
      'for i in $(seq 100); do sv status cron | grep -q "^run:" && break; sleep 0.1; done; sv status cron | cut -d" " -f1,2']);
    assert.equal(asRoot.exitCode, 0, asRoot.all);
    assert.equal(asRoot.stdout, 'run: cron:', asRoot.all);
    assert.match(asRoot.stderr, /^syslog-ng: not started: \/etc\/syslog-ng is not writable \(a read-only root file system\?\)$/m);
    assert.match(asRoot.stderr, /^\*\*\* Services whose directory cannot hold supervise\/ \(.*: read-only file system\) keep it under \/run\/my_init\/services; /m);
    assert.doesNotMatch(asRoot.all, /Warning|cannot supervise/);
  } finally {
    await podman(['rm', '-f', name]);
    await podman(['rmi', '-f', image]);
    rmSync(work, { recursive: true, force: true });
  }
});

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}


test('build arguments leave syslog, cron and SSH out, and the image still boots', { skip, timeout: 300_000 }, async () => {
  const name = 'localhost/my_init-minimal:latest';
  const built = await execa('bash', [join(ROOT, 'scripts', 'build-image.sh'), name, `BASE_IMAGE=${BASE}`, 'DISABLE_SYSLOG=1', 'DISABLE_CRON=1', 'DISABLE_SSH=1'], { env, all: true, reject: false } as const);
  try {
    assert.equal(built.exitCode, 0, built.all);
    const r = await run([name, '/sbin/my_init', '--', 'sh', '-c',
      'ls /etc/service /etc/my_init.d /etc/my_init.post_shutdown.d; command -v syslog-ng cron sshd || echo "none installed"']);
    assert.equal(r.exitCode, 0, r.all);
    assert.equal(r.stdout, '/etc/my_init.d:\n\n/etc/my_init.post_shutdown.d:\n\n/etc/service:\napp\nnone installed');
    assert.match(r.stderr, /^\*\*\* Runit started as PID 1$/m);
  } finally {
    await podman(['rmi', '-f', name]);
  }
});

/**
 * An image as real ones built on baseimage-docker are: its build registers a
 * service with update-service, links an init.d name to sv and gosu to setuser;
 * the service drops to a user with chpst and logs through svlogd -tt. Then the
 * same image with Debian's runit installed over ours: dpkg replaces the links
 * with runit's own programs, which must work against our supervisor.
 */
const DERIVED_DOCKERFILE = `FROM ${IMAGE}
RUN mkdir -p /etc/sv/ticker/log /var/log/ticker \\
 && printf '#!/bin/sh\\nexec chpst -u nobody sh -c "while :; do echo tick as \\\\$(id -un); sleep 0.2; done"\\n' > /etc/sv/ticker/run \\
 && printf '#!/bin/sh\\nexec svlogd -tt /var/log/ticker\\n' > /etc/sv/ticker/log/run \\
 && chmod +x /etc/sv/ticker/run /etc/sv/ticker/log/run \\
 && update-service --add /etc/sv/ticker \\
 && ln -s /usr/bin/sv /etc/init.d/ticker \\
 && ln -sf "$(command -v setuser)" /usr/local/bin/gosu
`;

/** Each result on a line of its own after `check: `: syslog-ng writes to the same stdout. */
const DERIVED_CHECKS = `
for i in $(seq 50); do grep -q "tick as nobody" /var/log/ticker/current 2>/dev/null && break; sleep 0.2; done
{
/etc/init.d/ticker status | sed -E 's/[0-9]+s/Ns/g; s/pid [0-9]+/pid P/g'
echo "log line: $(tail -n 1 /var/log/ticker/current | sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{5} /STAMP /')"
echo "gosu: $(gosu nobody id -un)"
echo "registered: $(update-service --list ticker)"
sv restart ticker | sed -E 's/[0-9]+s/Ns/g; s/pid [0-9]+/pid P/g'
} | sed 's/^/check: /'
`;

test('a derived image: update-service, an init.d link to sv, gosu -> setuser, chpst -u and svlogd -tt; the same after apt-get install runit', { skip, timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'my_init-derived-'));
  const derived = `localhost/my_init-derived-${process.pid}`;
  const withRunit = `localhost/my_init-derived-runit-${process.pid}`;
  try {
    writeFileSync(join(work, 'Dockerfile'), DERIVED_DOCKERFILE);
    const built = await podman(['build', '-q', '--network', 'host', '-t', derived, work]);
    assert.equal(built.exitCode, 0, built.all);
    writeFileSync(join(work, 'Dockerfile'), `FROM ${derived}\nRUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runit\n`);
    const upgraded = await podman(['build', '-q', '--network', 'host', '-t', withRunit, work]);
    assert.equal(upgraded.exitCode, 0, upgraded.all);
    const expected = [
      'run: ticker: (pid P) Ns; run: log: (pid P) Ns',
      'log line: STAMP tick as nobody',
      'gosu: nobody',
      'registered: ticker -> /etc/sv/ticker',
      'ok: run: ticker: (pid P) Ns',
    ].join('\n');
    for (const image of [derived, withRunit]) {
      const r = await run([image, '/sbin/my_init', '--quiet', '--', 'sh', '-c', DERIVED_CHECKS]);
      const checks = r.stdout.split('\n').filter((line) => line.startsWith('check: ')).map((line) => line.slice('check: '.length));
      assert.equal(checks.join('\n'), expected, `${image}:\n${r.all}`);
      assert.equal(r.exitCode, 0, r.all);
    }
    // The programs are runit's own after the install, and ours before it.
    const which = await run([withRunit, 'sh', '-c', 'for p in /usr/bin/sv /usr/bin/chpst /usr/bin/svlogd /usr/sbin/update-service; do [ -L $p ] && echo "$p link" || echo "$p file"; done']);
    assert.equal(which.stdout, '/usr/bin/sv file\n/usr/bin/chpst file\n/usr/bin/svlogd file\n/usr/sbin/update-service file', which.all);
  } finally {
    await podman(['rmi', '-f', withRunit, derived]);
    rmSync(work, { recursive: true, force: true });
  }
});

/** The executable is static: a bare debootstrapped base runs it with nothing added, not even libatomic or libstdc++. */
test('on a bare debootstrapped base the executable runs with nothing added', { skip, timeout: 120_000 }, async () => {
  const binary = `${join(ROOT, 'dist', 'my_init')}:/sbin/my_init:ro`;
  const bare = await run(['-v', binary, BASE, '/sbin/my_init', '--quiet', '--skip-startup-files', '--', 'sh', '-c', 'echo booted']);
  assert.equal(bare.exitCode, 0, bare.all);
  assert.equal(bare.stdout, 'booted');
  assert.equal(bare.stderr, '');
});

/** An image of `files` (host path -> path in the image) and nothing else, made with podman import. */
async function imageOf(name: string, files: Record<string, string>, links: Record<string, string> = {}): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'my_init-root-'));
  try {
    for (const [from, to] of Object.entries(files)) {
      mkdirSync(dirname(join(root, to)), { recursive: true });
      execFileSync('cp', ['-L', from, join(root, to)]);
    }
    for (const [link, target] of Object.entries(links)) {
      mkdirSync(dirname(join(root, link)), { recursive: true });
      execFileSync('ln', ['-s', target, join(root, link)]);
    }
    const imported = await execa('sh', ['-c', `tar -C "${root}" -c . | podman import - ${name}`], { env, all: true, reject: false });
    assert.equal(imported.exitCode, 0, imported.all);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * What the issue asks of an image without glibc, from an example's Dockerfile:
 * a one-shot's exit code, 200 orphans reaped, a supervised service that
 * `sv status` sees, and a TERM stop that exits 2.
 */
async function checkMinimalImage(image: string): Promise<void> {
  const oneShot = await run([image, '/sbin/my_init', '--quiet', '--skip-runit', '--', 'sh', '-c', 'echo one-shot; exit 3']);
  assert.equal(oneShot.exitCode, 3, oneShot.all);
  assert.equal(oneShot.stdout, 'one-shot');
  // 200 children that each leave an orphan behind, which my_init (PID 1) must reap; then the zombies are counted.
  const orphans = await run([image, '/sbin/my_init', '--quiet', '--skip-runit', '--', 'sh', '-c',
    'i=0; while [ $i -lt 200 ]; do (sleep 0.2 &); i=$((i+1)); done; echo "made: $i"; sleep 2; '
    + 'echo "zombies: $(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"']);
  assert.equal(orphans.exitCode, 0, orphans.all);
  assert.match(orphans.stdout, /^made: 200$/m, orphans.all);
  assert.match(orphans.stdout, /^zombies: 0$/m, orphans.all);
  const name = `my_init-minimal-${process.pid}`;
  const started = await podman(['run', '-d', '--name', name, '--network', 'host', image]);
  assert.equal(started.exitCode, 0, started.all);
  try {
    const status = await waitFor(async () => {
      const r = await podman(['exec', name, 'sv', 'status', '/etc/service/hello']);
      return /^run: \/etc\/service\/hello: \(pid \d+\) \d+s$/m.test(r.stdout) ? r.stdout : null;
    });
    assert.match(status, /^run: /);
    const stopped = await podman(['stop', '-t', '10', name]);
    assert.equal(stopped.exitCode, 0, stopped.all);
    const code = await podman(['inspect', name, '--format', '{{.State.ExitCode}}']);
    assert.equal(code.stdout, '2', (await podman(['logs', name])).all);
    const logs = (await podman(['logs', name])).all;
    assert.match(logs, /^hello: supervised as PID \d+$/m);
  } finally {
    await podman(['rm', '-f', name]);
  }
}

/** Builds one of examples/ with podman, from the repository root (the Dockerfiles COPY dist/). */
async function buildExample(example: string, tag: string, buildArgs: Record<string, string>): Promise<void> {
  const args = Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]);
  const built = await podman(['build', '-q', '--network', 'host', ...args, '-f', join(ROOT, 'examples', example, 'Dockerfile'), '-t', tag, ROOT]);
  assert.equal(built.exitCode, 0, built.all);
}

test('FROM scratch with a static busybox (examples/scratch): one-shot, 200 orphans reaped, sv status, TERM exits 2', { skip, timeout: 300_000 }, async () => {
  const busybox = `localhost/my_init-busybox-${process.pid}`;
  const image = `localhost/my_init-scratch-${process.pid}`;
  try {
    // Debian's busybox-static stands in for the busybox image of a registry.
    await imageOf(busybox, { '/bin/busybox': '/bin/busybox' });
    await buildExample('scratch', image, { BUSYBOX_IMAGE: busybox });
    const files = await run([image, '/bin/find', '/', '-xdev', '-type', 'f']);
    const contents = files.stdout.split('\n').filter((path) => !/^\/(proc|sys|dev|run|etc\/(hosts|hostname|resolv\.conf))\b/.test(path)).sort();
    assert.deepEqual(contents, ['/bin/busybox', '/etc/service/hello/run', '/sbin/my_init'], files.all);
    const noUsers = await run([image, '/sbin/my_init', '--quiet', '--skip-startup-files', '--', 'sh', '-c', 'setuser nobody true; echo "rc=$?"']);
    assert.match(noUsers.all, /\/etc\/passwd/, 'setuser names the missing file');
    assert.match(noUsers.stdout, /^rc=[1-9]\d*$/m, noUsers.all);
    await checkMinimalImage(image);
  } finally {
    await podman(['rmi', '-f', image, busybox]);
  }
});

test('an image with no glibc, as Alpine (examples/alpine): one-shot, 200 orphans reaped, sv status, TERM exits 2', { skip, timeout: 300_000 }, async () => {
  // Alpine's layout from Debian's parts: musl's loader (the C library of Alpine) and a busybox.
  const base = `localhost/my_init-musl-base-${process.pid}`;
  const image = `localhost/my_init-alpine-${process.pid}`;
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter((name) => name !== '' && name !== 'busybox');
  const links = Object.fromEntries(applets.map((name) => [`/bin/${name}`, '/bin/busybox']));
  const musl = '/usr/lib/x86_64-linux-musl/libc.so';
  try {
    await imageOf(base, { '/bin/busybox': '/bin/busybox', [musl]: '/lib/ld-musl-x86_64.so.1' }, links);
    await buildExample('alpine', image, { ALPINE_IMAGE: base });
    const glibc = await run([image, 'sh', '-c', 'find / -xdev -name "libc.so.6*" | wc -l; ls /lib']);
    assert.equal(glibc.stdout, '0\nld-musl-x86_64.so.1', glibc.all);
    await checkMinimalImage(image);
  } finally {
    await podman(['rmi', '-f', image, base]);
  }
});

/**
 * A real daemon from Debian that speaks sd_notify: haproxy, built with
 * USE_SYSTEMD, sends READY=1 to NOTIFY_SOCKET once it has loaded its
 * configuration. With a `notify` file its service is ready only then, as sv,
 * `my_init --health` and SERVICES_READY_TIMEOUT see it.
 */
test('haproxy from Debian, as a notify service: ready at its own READY=1, for sv status, sv check and --health', { skip, timeout: 300_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'my_init-notify-'));
  const image = `localhost/my_init-haproxy-${process.pid}`;
  try {
    writeFileSync(join(work, 'Dockerfile'), `FROM ${IMAGE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy \\
 && mkdir -p /etc/service/haproxy && touch /etc/service/haproxy/notify \\
 && printf '#!/bin/sh\\nexec haproxy -Ws -db -f /etc/haproxy/ready.cfg\\n' > /etc/service/haproxy/run \\
 && chmod +x /etc/service/haproxy/run \\
 && printf 'defaults\\n  mode http\\n  timeout connect 1s\\n  timeout client 1s\\n  timeout server 1s\\nfrontend probe\\n  bind 127.0.0.1:18089\\n  http-request return status 200 content-type text/plain string ok\\n' > /etc/haproxy/ready.cfg
`);
    const built = await podman(['build', '-q', '--network', 'host', '-t', image, work]);
    assert.equal(built.exitCode, 0, built.all);
    // The main command runs once every service is ready (SERVICES_READY_TIMEOUT), so haproxy has said so.
    const r = await run(['-e', 'SERVICES_READY_TIMEOUT=60', image, '/sbin/my_init', '--quiet', '--', 'sh', '-c',
      'cat /etc/service/haproxy/supervise/readiness; sv status haproxy; sv -w 5 check haproxy; /sbin/my_init --health && echo healthy']);
    assert.equal(r.exitCode, 0, r.all);
    // The image's syslog-ng writes to the same stdout: only the command's own lines.
    const lines = r.stdout.split('\n').filter((line) => !/^[A-Z][a-z]{2} +\d+ [\d:]{8} /.test(line));
    assert.equal(lines[0], 'ready', r.all);
    assert.match(lines[1] ?? '', /^run: haproxy: \(pid \d+\) \d+s, ready$/, r.all);
    assert.match(lines[2] ?? '', /^ok: run: haproxy: \(pid \d+\) \d+s, ready$/, r.all);
    assert.equal(lines[3], 'healthy', r.all);
  } finally {
    await podman(['rmi', '-f', image]);
    rmSync(work, { recursive: true, force: true });
  }
});
