// my_init as a restricted container runs it (Kubernetes' restricted profile,
// `docker run --read-only --user`): a read-only root, a uid that is not root
// and owns nothing in /etc, no capabilities. Services are supervised with
// their supervise/ under the runtime directory, where our sv finds them; the
// environment dumps go there too; each is said in one line, never per file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { BINARY, PRELUDE, runAndClean, script, type FileSpec } from './harness.ts';

const NOBODY = '65534:65534';
const nobodyRunsOurs = spawnSync('/usr/bin/chpst', ['-u', 'nobody', 'test', '-x', BINARY]).status === 0;
const asNobody = { skip: nobodyRunsOurs ? false : `nobody cannot run ${BINARY}` };

const FILES: Record<string, FileSpec> = {
  '/etc/ours/sv': { symlink: BINARY },
  '/etc/ours/setuser': { symlink: BINARY },
  '/etc/ours/chpst': { symlink: BINARY },
  '/etc/my_init.d/10_hello': script('echo "[startup] as uid $(id -u)"'),
  '/etc/service/web/run': script('echo "web up as uid $(id -u)"; exec sleep 1000'),
  '/etc/service/web/log/run': script('exec sed -u "s/^/[web-log] /"'),
  // As the reference image's root-only services do when not root: down, by our sv, from its own run.
  '/etc/service/rootonly/run': script('[ "$(id -u)" = 0 ] && exec sleep 1000; echo "rootonly: needs root, not started"; exec /etc/ours/sv down /etc/service/rootonly'),
  '/etc/container_environment/FROM_IMAGE': 'image value',
};

/** The main command: waits for the services, then shows what sv and the runtime directory say. */
const CHECKS = `${PRELUDE}
export PATH=/etc/ours:$PATH
wait_for "sv status web | grep -q '^run: web: (pid [0-9]*) [0-9]*s; run: log:'"
wait_for "sv status rootonly | grep -q '^$ROOTONLY'"
echo "rootonly: $(sv status rootonly | sed -E 's/[0-9]+/N/g')"
echo "status: $(sv status web | sed -E 's/[0-9]+/N/g')"
before=$(cat "$RT/services/etc/service/web/supervise/pid")
sleep 1.1
echo "restart: $(sv restart web | sed -E 's/[0-9]+/N/g')"
[ "$(cat "$RT/services/etc/service/web/supervise/pid")" != "$before" ] && echo "restarted: a new pid"
echo "runit's sv: $(/usr/bin/sv status /etc/service/web 2>&1)"
echo "modes: $(stat -c '%a %u' "$RT" "$RT/services/etc/service/web/supervise" "$RT/services/etc/service/web/log/supervise" | tr '\\n' ' ')"
echo "in /etc: $(ls -a /etc/service/web | tr '\\n' ' ')"
(. "$RT/container_environment.sh" && echo "dump: ONE=$ONE")
echo "variable file: $(cat "$RT/container_environment/ONE")"
`;

/**
 * The `*** ` lines other than those of every boot and stop; the service
 * that first found it could not hold supervise/ (any: they start together)
 * shown as SERVICE.
 */
function unusual(stderr: string): string[] {
  const usual = /^\*\*\* (Running |Booting runit|Runit started|Shutting down runit|Killing all|sh exited|Init system aborted)/;
  return stderr.split('\n').filter((line) => line !== '' && !usual.test(line))
    .map((line) => line.replace(/^(\*\*\* Services whose directory cannot hold supervise\/ \()\/etc\/service\/(web|web\/log|rootonly):/, '$1SERVICE:'));
}

test('a read-only root, as root: services supervised from /run/my_init, the dumps there too, one line each', async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', CHECKS], files: FILES, env: { RT: '/run/my_init', ONE: '1', ROOTONLY: 'run: ' }, restricted: { readOnlyRoot: true },
  });
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(unusual(r.stderr), [
    '*** /etc/container_environment is on a read-only file system: the container environment goes to /run/my_init/container_environment (and its .sh and .json) instead.',
    "*** Services whose directory cannot hold supervise/ (SERVICE: read-only file system) keep it under /run/my_init/services; our sv finds it there, runit's sv does not.",
  ], r.all);
  assert.match(r.stdout, /^\[startup\] as uid 0$/m);
  assert.match(r.stdout, /^rootonly: run: rootonly: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^\[web-log\] web up as uid 0$/m, 'the logger gets its service\'s output');
  assert.match(r.stdout, /^status: run: web: \(pid N\) Ns; run: log: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^restart: ok: run: web: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^restarted: a new pid$/m);
  assert.match(r.stdout, /^runit's sv: warning: \/etc\/service\/web: unable to open supervise\/ok: file does not exist$/m);
  assert.match(r.stdout, /^modes: 700 0 700 0 700 0 $/m);
  assert.match(r.stdout, /^in \/etc: \. \.\. log run $/m, 'nothing written in the service directory');
  assert.match(r.stdout, /^dump: ONE=1$/m);
  assert.match(r.stdout, /^variable file: 1$/m);
});

test('not root, read-only root: services and sv from /tmp/my_init-UID; setuser and chpst -u say why not in one line', asNobody, async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', `${CHECKS}
/etc/ours/setuser nobody sh -c 'echo "setuser self: $(id -un) HOME=$HOME"'
/etc/ours/setuser daemon true; echo "setuser other: rc=$?"
/etc/ours/chpst -u daemon true; echo "chpst -u: rc=$?"
echo "FROM_IMAGE=\${FROM_IMAGE-unset}"`],
    files: FILES,
    // Down for good, not between runs: a run that calls sv at once, in the boot's first moments,
    // may find no status yet (runsv, too, writes it after its fork) and is run again.
    env: { RT: '/tmp/my_init-65534', ONE: '1', ROOTONLY: 'down: rootonly: [0-9]*s, normally up$' },
    restricted: { user: NOBODY, readOnlyRoot: true },
  });
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(unusual(r.stderr), [
    '*** /etc/container_environment is on a read-only file system: the container environment goes to /tmp/my_init-65534/container_environment (and its .sh and .json) instead.',
    // The image's directory is root's, 0700: its variables are not ours to read.
    '*** Cannot read /etc/container_environment: EACCES; no variables imported.',
    "*** Services whose directory cannot hold supervise/ (SERVICE: read-only file system) keep it under /tmp/my_init-65534/services; our sv finds it there, runit's sv does not.",
  ], r.all);
  assert.match(r.stdout, /^\[startup\] as uid 65534$/m);
  assert.match(r.stdout, /^\[web-log\] web up as uid 65534$/m);
  assert.match(r.stdout, /^rootonly: needs root, not started$/m);
  assert.match(r.stdout, /^rootonly: down: rootonly: Ns, normally up$/m, 'downed by our sv from its own run');
  assert.match(r.stdout, /^status: run: web: \(pid N\) Ns; run: log: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^restart: ok: run: web: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^restarted: a new pid$/m);
  assert.match(r.stdout, /^modes: 700 65534 700 65534 700 65534 $/m);
  assert.match(r.stdout, /^dump: ONE=1$/m);
  assert.match(r.stdout, /^setuser self: nobody HOME=\/nonexistent$/m);
  assert.match(r.stdout, /^setuser: cannot become daemon: running as uid 65534, not root\nsetuser other: rc=1$/m);
  assert.match(r.stdout, /^chpst: fatal: unable to setgroups: permission denied\nchpst -u: rc=111$/m, "runit's words");
  assert.match(r.stdout, /^FROM_IMAGE=unset$/m);
});

test('not root, writable root: /etc is root\'s, so the same fallback, said as "not writable by uid"; docker stop is clean', asNobody, async () => {
  const r = await runAndClean({
    args: [],
    files: FILES,
    restricted: { user: NOBODY },
    during: async (init) => {
      await init.waitForOutput(/^\[web-log\] web up as uid 65534$/m);
      await init.signal('SIGTERM');
    },
  });
  assert.equal(r.exitCode, 2, r.all);
  assert.deepEqual(unusual(r.stderr), [
    '*** /etc/container_environment is not writable by uid 65534: the container environment goes to /tmp/my_init-65534/container_environment (and its .sh and .json) instead.',
    '*** Cannot read /etc/container_environment: EACCES; no variables imported.',
    "*** Services whose directory cannot hold supervise/ (SERVICE: not writable by uid 65534) keep it under /tmp/my_init-65534/services; our sv finds it there, runit's sv does not.",
  ], r.all);
  assert.match(r.stderr, /\*\*\* Shutting down runit daemon \(PID 1\)\.\.\.\n\*\*\* Init system aborted\.\n\*\*\* Killing all processes\.\.\.$/);
  assert.doesNotMatch(r.all, /did not shut down in time|Forcing/);
});

test('not root: a runtime directory that belongs to someone else is refused in one line; XDG_RUNTIME_DIR comes before /run and /tmp', asNobody, async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', `${PRELUDE}
wait_for "/etc/ours/sv status web | grep -q '^run:'"
ls -d /tmp/my_init*`],
    // A directory of root's where the user asked for it; /tmp is XDG_RUNTIME_DIR here.
    env: { MY_INIT_RUNTIME_DIR: '/etc/foreign', XDG_RUNTIME_DIR: '/tmp' },
    files: { ...FILES, '/etc/foreign': { directory: true, mode: 0o777 } },
    restricted: { user: NOBODY },
  });
  assert.equal(r.exitCode, 0, r.all);
  const lines = unusual(r.stderr);
  assert.equal(lines.filter((line) => line.includes('/etc/foreign')).length, 1, r.all);
  assert.ok(lines.includes('*** Warning: not using /etc/foreign: it belongs to uid 0, not to uid 65534.'), r.all);
  assert.match(r.stdout, /^\/tmp\/my_init$/m);
});

test('a read-only root with a supervise link made at build time: the link\'s target is made, and runit\'s sv sees the service too', async () => {
  const r = await runAndClean({
    args: ['--', 'sh', '-c', `${PRELUDE}
wait_for "/etc/ours/sv status linked | grep -q '^run:'"
echo "ours: $(/etc/ours/sv status linked | sed -E 's/[0-9]+/N/g')"
echo "runit's: $(/usr/bin/sv status /etc/service/linked | sed -E 's/[0-9]+/N/g')"
ls /run/supervise.linked /run/my_init 2>&1 | sed 's/^ls: //'`],
    files: {
      '/etc/ours/sv': { symlink: BINARY },
      '/etc/service/linked/run': script('exec sleep 1000'),
      '/etc/service/linked/supervise': { symlink: '/run/supervise.linked' },
    },
    noEnvLayout: true,
    restricted: { readOnlyRoot: true },
  });
  assert.equal(r.exitCode, 0, r.all);
  assert.deepEqual(unusual(r.stderr), [], 'nothing to say: the service directory holds its supervise/ through the link');
  assert.match(r.stdout, /^ours: run: linked: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^runit's: run: \/etc\/service\/linked: \(pid N\) Ns$/m);
  assert.match(r.stdout, /^cannot access '\/run\/my_init': No such file or directory$/m, 'no runtime directory was needed');
});
