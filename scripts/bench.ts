// Measures the executable against the targets of issue 13, each beside its peer
// measured in the same run on the same machine, and prints one Markdown table:
// figure | target | ours | peer | verdict. Needs root (unshare, mounts) and the
// peers .ci/run installs (tini, dumb-init, runit, python3); installs nothing.
//   npm run bench                        (builds dist/ first)
//   BENCH_BINARY=/tmp/x/dist/my_init node scripts/bench.ts
// BENCH_ARM64_BINARY (default: my_init-arm64 beside BENCH_BINARY),
// BENCH_IDLE_SECONDS (30), BENCH_ROUNDS (40), BENCH_BOOT_ROUNDS (7) and
// BENCH_SVLOGD_ROUNDS (3) shorten a quick run; the defaults are the figures'.
//
// How: inits run as PID 1 of a new PID namespace inside test/system/sandbox.sh
// (overlays over /etc and /usr/sbin, laid out as baseimage-docker's image), the
// peers the same way, so that both pay the sandbox alike. Timed commands run in
// rounds, one run of each in turn, and the medians are compared: a change in the
// machine's speed during the bench (it is shared) moves both sides alike. The
// timing loops are small Python probes (posix_spawn + wait, or wait4 for CPU
// time), so that no Node overhead sits inside a measured interval.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync,
  realpathSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

// ---------------------------------------------------------------- settings

const ROOT = join(import.meta.dirname, '..');
const BINARY = resolve(ROOT, process.env.BENCH_BINARY || join('dist', 'my_init'));
const ARM64_BINARY = resolve(ROOT, process.env.BENCH_ARM64_BINARY || join(dirname(BINARY), 'my_init-arm64'));
const AMD64_BINARY = existsSync(join(dirname(BINARY), 'my_init-amd64')) ? join(dirname(BINARY), 'my_init-amd64') : BINARY;
const SANDBOX = join(ROOT, 'test', 'system', 'sandbox.sh');
const UNSHARE = ['--pid', '--fork', '--mount-proc', '--mount', '--propagation', 'private', '--kill-child'];
/** The nested namespace each timed run gets inside the sandbox: its command is PID 1. */
const NESTED_PID1 = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];

const IDLE_SECONDS = positiveNumber('BENCH_IDLE_SECONDS', 30);
const ROUNDS = positiveNumber('BENCH_ROUNDS', 40);
const BOOT_ROUNDS = positiveNumber('BENCH_BOOT_ROUNDS', 7);
const SVLOGD_ROUNDS = positiveNumber('BENCH_SVLOGD_ROUNDS', 3);
/** How long services are left to settle before memory is read ("a few seconds" after boot). */
const SETTLE_SECONDS = 5;
/** A stop that has not ended by then is killed and counted as not bounded. */
const STOP_DEADLINE_SECONDS = 20;
const LINES = 1_000_000;

/** A container's environment: chpst, sv and the inits look `true` and `sleep` up in this PATH. */
const CONTAINER_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
const PYTHON = '/usr/bin/python3';
const TINI = '/usr/bin/tini';
const TINI_STATIC = '/usr/bin/tini-static';
const DUMB_INIT = '/usr/bin/dumb-init';
const RUNIT = { chpst: '/usr/bin/chpst', sv: '/usr/bin/sv', svlogd: '/usr/bin/svlogd', runsv: '/usr/bin/runsv', runsvdir: '/usr/bin/runsvdir' };

function positiveNumber(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, not "${text}"`);
  return value;
}

// ---------------------------------------------------------------- the table

type Verdict = 'met' | 'not met' | 'information';
interface Row { figure: string; target: string; ours: string; peer: string; verdict: Verdict }
const rows: Row[] = [];
const row = (figure: string, target: string, ours: string, peer: string, verdict: Verdict | boolean): void => {
  rows.push({ figure, target, ours, peer, verdict: typeof verdict === 'boolean' ? (verdict ? 'met' : 'not met') : verdict });
};

function printTable(): void {
  const cell = (text: string) => text.replaceAll('|', '\\|');
  console.log('| figure | target | ours | peer | verdict |\n|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${[r.figure, r.target, r.ours, r.peer, r.verdict].map(cell).join(' | ')} |`);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const ms = (value: number) => value.toFixed(1);
const mb = (kb: number) => (kb / 1024).toFixed(2);
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
const sleep = (milliseconds: number) => new Promise((done) => setTimeout(done, milliseconds));
const loadAverage = () => readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ');

// ---------------------------------------------------------------- cleaning up

// Everything the bench starts lives in a PID namespace of its own, started by
// `unshare --kill-child`: killing that unshare kills its PID 1, and with it the
// namespace and its private mounts. Scratch directories are all under one root.
const BENCH_ROOT = mkdtempSync(join(tmpdir(), 'my_init-bench-'));
const running = new Set<ChildProcess>();

function cleanUp(): void {
  for (const child of running) child.kill('SIGKILL');
  rmSync(BENCH_ROOT, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));

/** Processes the bench may have left: its own children, and any process of the executable under test. */
function leftovers(): string[] {
  const found: string[] = [];
  for (const pid of childrenOf(process.pid)) found.push(`${pid} (${commandLine(pid)})`);
  const ours = realpathSync(BINARY);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let exe = '';
    try { exe = readlinkSync(`/proc/${entry}/exe`); } catch { continue; }
    if (exe === ours) found.push(`${entry} (${commandLine(Number(entry))})`);
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'latin1').split('\n').filter((line) => line.includes(BENCH_ROOT));
  return [...new Set(found), ...mounts.map((line) => `mount ${line}`)];
}

/** A fresh directory under the bench's root. */
function scratchDirectory(name: string): string {
  return mkdtempSync(join(BENCH_ROOT, `${name}-`));
}

// ---------------------------------------------------------------- /proc

function readOr(path: string, fallback = ''): string {
  try { return readFileSync(path, 'latin1'); } catch { return fallback; }
}
const commandLine = (pid: number) => readOr(`/proc/${pid}/cmdline`).split('\0').join(' ').trim();
const commandName = (pid: number) => readOr(`/proc/${pid}/comm`).trim();

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const task of (() => { try { return readdirSync(`/proc/${pid}/task`); } catch { return []; } })()) {
    for (const word of readOr(`/proc/${pid}/task/${task}/children`).split(' ')) if (word !== '') found.push(Number(word));
  }
  return found;
}

/** Every process below `pid`. */
function descendants(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift()!)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** A field of /proc/PID/status, in kB. */
function statusKb(pid: number, field: 'VmRSS' | 'RssAnon'): number {
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readOr(`/proc/${pid}/status`))?.[1] ?? NaN);
}

/** Proportional set size, kB: shared pages split among every process on the machine that maps them. */
function pssKb(pid: number): number {
  return Number(/^Pss:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/smaps_rollup`))?.[1] ?? NaN);
}

/** utime + stime, in clock ticks: what `ps` and `top` show. */
function cpuTicks(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of all the process's threads, ms, from the scheduler's own count: finer than ticks. */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readOr(`/proc/${pid}/task/${task}/schedstat`, '0').split(' ')[0]);
  return ns / 1e6;
}

// ---------------------------------------------------------------- fixtures

type FileSpec = string | { content: string; mode?: number; gid?: number } | { directory: true; mode?: number } | { symlink: string };
const script = (body: string): FileSpec => ({ content: `#!/bin/sh\n${body}\n`, mode: 0o755 });

/** baseimage-docker's layout (test/system/harness.ts IMAGE_ENV_LAYOUT): what a container's first boot finds. */
const IMAGE_ENV_LAYOUT: Record<string, FileSpec> = {
  '/etc/container_environment': { directory: true, mode: 0o700 },
  '/etc/container_environment.sh': { content: '', mode: 0o640, gid: 8377 },
  '/etc/container_environment.json': { content: '', mode: 0o640, gid: 8377 },
};
/** The same, as a shell line that restores it before each timed run (untimed). */
const RESET_ENV_LAYOUT = (() => {
  const e = '/etc/container_environment';
  return `rm -rf ${e} ${e}.sh ${e}.json && mkdir -m 0700 ${e} && for f in sh json; do : > ${e}.$f && chgrp 8377 ${e}.$f && chmod 0640 ${e}.$f; done`;
})();

/** Writes a fixture tree (paths under /etc or /usr/sbin, which the sandbox overlays); returns its directory. */
function writeFixture(scratch: string, files: Record<string, FileSpec>): string {
  const root = join(scratch, 'fixture');
  mkdirSync(root, { recursive: true });
  for (const [path, spec] of Object.entries({ ...IMAGE_ENV_LAYOUT, ...files })) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof spec === 'string') writeFileSync(target, spec);
    else if ('directory' in spec) { mkdirSync(target, { recursive: true }); chmodSync(target, spec.mode ?? 0o755); }
    else if ('symlink' in spec) symlinkSync(spec.symlink, target);
    else {
      writeFileSync(target, spec.content);
      chmodSync(target, spec.mode ?? 0o644);
      if (spec.gid !== undefined) chownSync(target, 0, spec.gid);
    }
  }
  return root;
}

/** Where the boot probe's services say they have started (one line each). */
const STARTED_FIFO = '/etc/bench/started.fifo';

/**
 * `count` services under `dir`, each `exec sleep 100000` (shell run scripts, as
 * most images have); with `announce`, each first writes a line to STARTED_FIFO;
 * with `svlogd`, each has a `log/run` of `exec SVLOGD -tt ./main`.
 */
function services(dir: string, count: number, options: { announce?: boolean; svlogd?: string } = {}): Record<string, FileSpec> {
  const files: Record<string, FileSpec> = {};
  for (let i = 1; i <= count; i++) {
    files[`${dir}/svc${i}/run`] = script(`${options.announce ? `echo svc${i} > ${STARTED_FIFO}\n` : ''}exec sleep 100000`);
    if (options.svlogd !== undefined) {
      files[`${dir}/svc${i}/log/run`] = script(`exec ${options.svlogd} -tt ./main`);
      // svlogd does not make its directory.
      files[`${dir}/svc${i}/log/main`] = { directory: true, mode: 0o755 };
    }
  }
  return files;
}

/** argv that runs `command` as PID 1 of a new namespace inside the sandbox over `fixture`. */
const inSandbox = (scratch: string, fixture: string, command: string[]): string[] => ['unshare', ...UNSHARE, SANDBOX, scratch, fixture, ...command];

// ---------------------------------------------------------------- Python probes

/**
 * Interleaved one-shot timing: for each round, each config {name, setup, argv}
 * in turn: `setup` (a shell line, untimed), then argv from posix_spawn to its
 * exit. The first round only warms the page cache. Prints {name: [ms...]}.
 */
const TIMER_PROBE = String.raw`
import json, os, subprocess, sys, time
configs, rounds = json.loads(sys.argv[1]), int(sys.argv[2])
null = os.open('/dev/null', os.O_RDWR)
times = {c['name']: [] for c in configs}
for round in range(rounds + 1):
    for c in configs:
        if c['setup']: subprocess.run(['sh', '-c', c['setup']], check=True)
        begin = time.perf_counter()
        pid = os.posix_spawnp(c['argv'][0], c['argv'], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)])
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - begin
        if status != 0: sys.exit(f"{c['name']}: {' '.join(c['argv'])}: wait status {status}")
        if round > 0: times[c['name']].append(elapsed * 1000)
print(json.dumps(times))
`;

/**
 * Boot, memory and stop of a supervisor with N services, as PID 1 of a nested
 * namespace (the probe is PID 1 of the sandbox, so it sees every process). Per
 * round and config: `setup` (untimed), then from posix_spawn until N services
 * have written their line to the FIFO ("started": every `run` process exists);
 * after `settle` s, the Pss, RssAnon and names of the init's whole tree but the
 * services' own `sleep` processes; then SIGTERM to the init and the time until
 * the namespace is gone (a PID namespace ends only when all its processes have),
 * killed at `deadline` s. Configs take turns going first. Prints
 * {name: [{boot, pss, anon, processes, stop, ended}...]}, one entry a round.
 */
const BOOT_PROBE = String.raw`
import json, os, select, signal, subprocess, sys, time
spec = json.loads(sys.argv[1])
fifo, count = spec['fifo'], spec['count']
null = os.open('/dev/null', os.O_RDWR)
if not os.path.exists(fifo): os.mkfifo(fifo)
started = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
def drain():
    try:
        while os.read(started, 65536): pass
    except BlockingIOError: pass
def children(pid):
    found = []
    for task in os.listdir(f'/proc/{pid}/task'):
        with open(f'/proc/{pid}/task/{task}/children') as f: found += [int(w) for w in f.read().split()]
    return found
def tree(pid):
    found, queue = [pid], [pid]
    while queue:
        for child in children(queue.pop()):
            found.append(child); queue.append(child)
    return found
def kb(path, field):
    with open(path) as f:
        for line in f:
            if line.startswith(field + ':'): return int(line.split()[1])
    return 0
def comm(pid):
    with open(f'/proc/{pid}/comm') as f: return f.read().strip()
results = {c['name']: [] for c in spec['configs']}
for round in range(spec['rounds'] + 1):
    # Each goes first in every other round: a boot may find the disk still busy with the one before.
    for c in (spec['configs'] if round % 2 == 0 else reversed(spec['configs'])):
        subprocess.run(['sh', '-c', c['setup']], check=True)
        drain()
        begin = time.perf_counter()
        pid = os.posix_spawnp(c['argv'][0], c['argv'], os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)])
        lines = 0
        while lines < count:
            if not select.select([started], [], [], 60)[0]:
                os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
                sys.exit(f"{c['name']}: only {lines} of {count} services started in 60 s")
            lines += os.read(started, 65536).count(b'\n')
        boot = (time.perf_counter() - begin) * 1000
        time.sleep(spec['settle'])
        init = children(pid)[0]
        kept = [p for p in tree(init) if comm(p) != 'sleep']
        names = {}
        for p in kept: names[comm(p)] = names.get(comm(p), 0) + 1
        pss = sum(kb(f'/proc/{p}/smaps_rollup', 'Pss') for p in kept)
        anon = sum(kb(f'/proc/{p}/status', 'RssAnon') for p in kept)
        ended = os.pidfd_open(pid)
        signalled = time.perf_counter()
        os.kill(init, signal.SIGTERM)
        done = bool(select.select([ended], [], [], spec['deadline'])[0])
        stop = (time.perf_counter() - signalled) * 1000
        if not done: os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ended)
        if round > 0: results[c['name']].append({'boot': boot, 'pss': pss, 'anon': anon, 'processes': names, 'stop': stop, 'ended': done})
print(json.dumps(results))
`;

/**
 * The main command of the init under test. 10,000 orphans arrive at once;
 * meanwhile the probe sends SIGHUP to PID 1, which passes it back to its main
 * command (all three inits forward it): the round trip is how long PID 1 took
 * to notice a signal at that moment, i.e. how long its loop was blocked.
 * Prints "REAPED ms worst_round_trip_ms".
 */
const REAPER_PROBE = String.raw`
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
print(f"REAPED {(time.monotonic() - start) * 1000:.1f} {worst:.1f}")
`;

/**
 * Runs argv with stdin from a file; prints {wall, cpu, peak} (ms, ms, kB): CPU
 * from wait4's rusage; the peak from VmHWM, read every 20 ms until the exit
 * (rusage's maxrss would be the probe's own: exec keeps the high-water mark
 * of the memory it replaces, and posix_spawn shares the probe's).
 */
const WAIT4_PROBE = String.raw`
import json, os, select, sys, time
argv, stdin = json.loads(sys.argv[1]), sys.argv[2]
source = os.open(stdin, os.O_RDONLY)
null = os.open('/dev/null', os.O_RDWR)
begin = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, source, 0), (os.POSIX_SPAWN_DUP2, null, 1)])
ended, peak = os.pidfd_open(pid), 0
while not select.select([ended], [], [], 0.02)[0]:
    try:
        with open(f'/proc/{pid}/status') as f:
            for line in f:
                if line.startswith('VmHWM:'): peak = max(peak, int(line.split()[1]))
    except OSError: pass
_, status, usage = os.wait4(pid, 0)
wall = (time.perf_counter() - begin) * 1000
if status != 0: sys.exit(f"{' '.join(argv)}: wait status {status}")
print(json.dumps({'wall': wall, 'cpu': (usage.ru_utime + usage.ru_stime) * 1000, 'peak': peak}))
`;

/** Runs a Python probe (directly, or as given by `wrap`) and returns its stdout; throws with its stderr on failure. */
function python(code: string, args: string[], wrap: (argv: string[]) => string[] = (argv) => argv, timeoutMs = 30 * 60_000): string {
  const argv = wrap([PYTHON, '-c', code, ...args]);
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: CONTAINER_ENV, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`probe failed (${result.signal ?? result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return result.stdout;
}

/** Runs the timer probe over `configs` in a sandbox over `files` (or directly, without); medians by name. */
function timeInterleaved(configs: Array<{ name: string; setup?: string; argv: string[] }>, rounds: number, files?: Record<string, FileSpec>): Record<string, number> {
  const payload = JSON.stringify(configs.map((c) => ({ ...c, setup: c.setup ?? '' })));
  let wrap: ((argv: string[]) => string[]) | undefined;
  if (files !== undefined) {
    const scratch = scratchDirectory('timer');
    const fixture = writeFixture(scratch, files);
    wrap = (argv) => inSandbox(scratch, fixture, argv);
  }
  const times = JSON.parse(python(TIMER_PROBE, [payload, String(rounds)], wrap)) as Record<string, number[]>;
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

// ---------------------------------------------------------------- the peers

/** Says which peer is missing, or nothing: the bench installs nothing. */
function missingPeers(): string[] {
  const needed = [TINI, DUMB_INIT, PYTHON, ...Object.values(RUNIT), '/usr/bin/unshare'];
  const missing = needed.filter((path) => !existsSync(path));
  if (!existsSync(BINARY)) missing.push(`${BINARY} (build it: bash scripts/build.sh, or set BENCH_BINARY)`);
  return missing;
}

// ---------------------------------------------------------------- 1. the executables

interface ElfFacts { machine: string; interpreter: boolean; dynamic: boolean }

/** Reads an ELF's program headers: a PT_INTERP means the kernel must load a dynamic loader first. */
function elfFacts(path: string): ElfFacts {
  const bytes = readFileSync(path);
  if (bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF`);
  const machines: Record<number, string> = { 62: 'x86-64', 183: 'AArch64' };
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  const types = Array.from({ length: phnum }, (_, i) => bytes.readUInt32LE(phoff + i * phentsize));
  return { machine: machines[bytes.readUInt16LE(0x12)] ?? `machine ${bytes.readUInt16LE(0x12)}`, interpreter: types.includes(3), dynamic: types.includes(2) };
}

function describeExecutable(path: string): string {
  const facts = elfFacts(path);
  const linking = facts.interpreter ? 'dynamic (PT_INTERP)' : facts.dynamic ? 'static-pie (no PT_INTERP)' : 'static (no PT_INTERP)';
  return `${facts.machine}, ${linking}, ${(statSync(path).size / 1048576).toFixed(2)} MiB`;
}

function executableRows(): void {
  const peer = [TINI_STATIC, TINI].filter(existsSync).map((path) => `\`${path}\`: ${describeExecutable(path)}`).join('; ');
  for (const [arch, path] of [['amd64', AMD64_BINARY], ['arm64', ARM64_BINARY]] as const) {
    if (!existsSync(path)) {
      row(`executable ${arch}`, 'static (no PT_INTERP), at most 2 MiB', `${path} is not built`, peer, false);
      continue;
    }
    const facts = elfFacts(path);
    const ok = !facts.interpreter && statSync(path).size <= 2 * 1048576;
    row(`executable ${arch} (\`${path}\`)`, 'static (no PT_INTERP), at most 2 MiB', describeExecutable(path), peer, ok);
  }
}

// ---------------------------------------------------------------- 2. one-shot start-up

/** `INIT... true` as PID 1 of its own namespace, in the sandbox, after the layout is reset: a container's first boot. */
const firstBoot = (name: string, init: string[]) => ({ name, setup: RESET_ENV_LAYOUT, argv: [...NESTED_PID1, ...init, 'true'] });

function oneShotStartUp(): void {
  const configs = [
    firstBoot('ours', [BINARY, '--skip-runit', '--']),
    firstBoot('tini', [TINI, '--']),
    ...(existsSync(TINI_STATIC) ? [firstBoot('tini-static', [TINI_STATIC, '--'])] : []),
    // The namespace alone: what every row pays before the init's own work.
    firstBoot('bare', []),
    // The engine's start and exit with no init work: what is left of ours once this is taken away is my_init's own.
    { name: 'version', setup: RESET_ENV_LAYOUT, argv: [...NESTED_PID1, BINARY, '--version'] },
  ];
  const t = timeInterleaved(configs, ROUNDS, {});
  const over = t.ours! - t.tini!;
  row(`\`my_init --skip-runit -- true\`, PID 1 in the baseimage layout (first boot), ms (median of ${ROUNDS} rounds)`,
    'within 2 ms of `tini -- true`',
    `${ms(t.ours!)} (${signed(over)} ms, ${(t.ours! / t.tini!).toFixed(2)}x tini)`,
    `tini ${ms(t.tini!)}${t['tini-static'] === undefined ? '' : `; tini-static ${ms(t['tini-static'])}`}; the namespace alone (\`unshare ... true\`) ${ms(t.bare!)}`,
    over <= 2);
  row('  `my_init --version` in the same rounds (the engine\'s start and exit, no init work), ms', 'information',
    `${ms(t.version!)} (${signed(t.version! - t.tini!)} ms)`, `tini ${ms(t.tini!)}`, 'information');
}

/** The arm64 executable's one-shot under qemu-user (binfmt_misc), information only: most of it is the emulator's. */
function arm64StartUp(): void {
  if (!existsSync(ARM64_BINARY)) return console.error(`bench: no arm64 row: ${ARM64_BINARY} is not built`);
  const probe = spawnSync(ARM64_BINARY, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0 || !probe.stdout.startsWith('my_init ')) {
    row('arm64 executable under qemu-user', 'information', 'not measured: qemu-user cannot run it here (bash scripts/qemu-arm64.sh)', 'n/a', 'information');
    return;
  }
  const rounds = 5;
  const t = timeInterleaved([firstBoot('arm64', [ARM64_BINARY, '--skip-runit', '--']), firstBoot('amd64', [BINARY, '--skip-runit', '--'])], rounds, {});
  row(`\`my_init-arm64 --skip-runit -- true\` under qemu-user, same layout, ms (median of ${rounds})`, 'information (emulated)',
    ms(t.arm64!), `the amd64 executable in the same rounds: ${ms(t.amd64!)}`, 'information');
}

// ---------------------------------------------------------------- 3. idle PID 1 and loggers

interface Pid1 { pid: number; child: ChildProcess; ended: Promise<void> }

/** Starts COMMAND as PID 1 in a sandbox over `files`; resolves once it is the namespace's PID 1 running `exe`. */
async function startInSandbox(files: Record<string, FileSpec>, command: string[], exe: string): Promise<Pid1> {
  const scratch = scratchDirectory('pid1');
  const fixture = writeFixture(scratch, files);
  const child = spawn('unshare', inSandbox(scratch, fixture, command).slice(1), { stdio: 'ignore', env: CONTAINER_ENV });
  running.add(child);
  const ended = new Promise<void>((done) => child.on('exit', () => { running.delete(child); done(); }));
  const wanted = realpathSync(exe);
  for (let i = 0; i < 1000; i++) {
    const pid = childrenOf(child.pid!)[0];
    if (pid !== undefined && readOr(`/proc/${pid}/cmdline`) !== '') {
      let current = '';
      try { current = readlinkSync(`/proc/${pid}/exe`); } catch { /* not yet exec'd */ }
      if (current === wanted) return { pid, child, ended };
    }
    await sleep(10);
  }
  child.kill('SIGKILL');
  throw new Error(`${command.join(' ')} did not start in 10 s`);
}

async function stop(init: Pid1): Promise<void> {
  init.child.kill('SIGKILL');
  await init.ended;
}

/** Waits until `count` processes named `name` run under `pid` (the services and loggers are up). */
async function waitForProcesses(pid: number, name: string, count: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (descendants(pid).filter((p) => commandName(p) === name).length >= count) return;
    await sleep(50);
  }
  throw new Error(`not ${count} ${name} processes under PID 1 in 30 s`);
}

interface TreeMemory { anonKb: number; rssKb: number; pssKb: number; byName: Map<string, { count: number; anonKb: number }> }

/** Memory of the init and everything below it but the services' own `sleep` processes. */
function treeMemory(pid: number): TreeMemory {
  const memory: TreeMemory = { anonKb: 0, rssKb: 0, pssKb: 0, byName: new Map() };
  for (const p of [pid, ...descendants(pid)]) {
    const name = commandName(p);
    if (name === 'sleep') continue;
    const anon = statusKb(p, 'RssAnon');
    memory.anonKb += anon;
    memory.rssKb += statusKb(p, 'VmRSS');
    memory.pssKb += pssKb(p);
    const entry = memory.byName.get(name) ?? { count: 0, anonKb: 0 };
    memory.byName.set(name, { count: entry.count + 1, anonKb: entry.anonKb + anon });
  }
  return memory;
}

const breakdown = (memory: TreeMemory) =>
  [...memory.byName].map(([name, { count, anonKb }]) => `${count > 1 ? `${count} ` : ''}${name} ${mb(anonKb)}`).join(', ');

/** The whole tree's CPU: ticks and ms. */
const treeCpu = (pid: number) => [pid, ...descendants(pid)].reduce((sum, p) => ({ ticks: sum.ticks + cpuTicks(p), ms: sum.ms + cpuMs(p) }), { ticks: 0, ms: 0 });

/**
 * Four containers at once, settled, then idle for IDLE_SECONDS: ours and
 * runit's (`tini -- runsvdir -P /etc/service`, Debian's runsvdir and a runsv per
 * service) with the same 10 services, and each again with a `svlogd -tt` logger
 * per service (ours: a link to the executable; runit's: Debian's C svlogd).
 */
async function idleMemoryAndCpu(): Promise<void> {
  const ourSvlogd = '/etc/bench/svlogd';
  const runit = [TINI, '--', RUNIT.runsvdir, '-P', '/etc/service'];
  const started: Pid1[] = [];
  const start = async (files: Record<string, FileSpec>, command: string[], exe: string) => {
    const init = await startInSandbox(files, command, exe);
    started.push(init);
    return init;
  };
  try {
    const ours = await start(services('/etc/service', 10), [BINARY], BINARY);
    const theirs = await start(services('/etc/service', 10), runit, TINI);
    const oursLogged = await start({ ...services('/etc/service', 10, { svlogd: ourSvlogd }), [ourSvlogd]: { symlink: BINARY } }, [BINARY], BINARY);
    const theirsLogged = await start(services('/etc/service', 10, { svlogd: RUNIT.svlogd }), runit, TINI);
    for (const init of [ours, theirs, oursLogged, theirsLogged]) await waitForProcesses(init.pid, 'sleep', 10);
    for (const init of [oursLogged, theirsLogged]) await waitForProcesses(init.pid, 'svlogd', 10);
    await sleep(SETTLE_SECONDS * 1000);

    const ourMemory = { anonKb: statusKb(ours.pid, 'RssAnon'), rssKb: statusKb(ours.pid, 'VmRSS') };
    const theirMemory = treeMemory(theirs.pid);
    const ourLogged = treeMemory(oursLogged.pid);
    const theirLogged = treeMemory(theirsLogged.pid);

    const before = { ours: { ticks: cpuTicks(ours.pid), ms: cpuMs(ours.pid) }, theirs: treeCpu(theirs.pid) };
    await sleep(IDLE_SECONDS * 1000);
    const ourIdle = { ticks: cpuTicks(ours.pid) - before.ours.ticks, ms: cpuMs(ours.pid) - before.ours.ms };
    const theirsNow = treeCpu(theirs.pid);
    const theirIdle = { ticks: theirsNow.ticks - before.theirs.ticks, ms: theirsNow.ms - before.theirs.ms };

    const runitTree = `tini -- runsvdir, the same services (${breakdown(theirMemory)})`;
    row(`PID 1 with 10 idle services: RssAnon, MB (after ${SETTLE_SECONDS} s)`, 'at most 2 MB', mb(ourMemory.anonKb),
      `${mb(theirMemory.anonKb)} in all: ${runitTree}`, ourMemory.anonKb <= 2048);
    row('  VmRSS, MB', 'at most 4 MB', mb(ourMemory.rssKb),
      `${mb(theirMemory.rssKb)} in all (Pss ${mb(theirMemory.pssKb)})`, ourMemory.rssKb <= 4096);
    row(`  CPU of PID 1 over ${IDLE_SECONDS} s idle, ticks (CPU time)`, '0 ticks', `${ourIdle.ticks} (${ourIdle.ms.toFixed(2)} ms)`,
      `${theirIdle.ticks} (${theirIdle.ms.toFixed(2)} ms) for tini, runsvdir and the 10 runsv`, ourIdle.ticks === 0);

    const ourLoggers = ourLogged.byName.get('svlogd') ?? { count: 0, anonKb: 0 };
    const theirLoggers = theirLogged.byName.get('svlogd') ?? { count: 0, anonKb: 0 };
    const pid1Anon = statusKb(oursLogged.pid, 'RssAnon');
    row('PID 1 + 10 idle `svlogd -tt` loggers: RssAnon in all, MB', 'at most 4 MB',
      `${mb(pid1Anon + ourLoggers.anonKb)} (PID 1 ${mb(pid1Anon)}, ${ourLoggers.count} svlogd ${mb(ourLoggers.anonKb)})`,
      `${mb(theirLogged.anonKb)} in all, runit with Debian's svlogd (${breakdown(theirLogged)})`,
      ourLoggers.count === 10 && pid1Anon + ourLoggers.anonKb <= 4096);
    if (theirLoggers.count !== 10) console.error(`bench: runit's tree has ${theirLoggers.count} svlogd, not 10`);
  } finally {
    await Promise.all(started.map(stop));
  }
}

// ---------------------------------------------------------------- 4. chpst, sv, setuser

/** A service supervised by Debian's runsv in a PID namespace of its own (so that killing it leaves nothing), for both sv to read. */
async function superviseWithRunsv(dir: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run'), '#!/bin/sh\nexec sleep 100000\n', { mode: 0o755 });
  const child = spawn('unshare', ['--pid', '--fork', '--kill-child', RUNIT.runsv, dir], { stdio: 'ignore', env: CONTAINER_ENV });
  running.add(child);
  const ended = new Promise<void>((done) => child.on('exit', () => { running.delete(child); done(); }));
  for (let i = 0; i < 500 && !/^run:/.test(spawnSync(RUNIT.sv, ['status', dir], { encoding: 'utf8' }).stdout); i++) await sleep(10);
  return async () => { child.kill('SIGKILL'); await ended; };
}

async function runitPrograms(): Promise<void> {
  const dir = scratchDirectory('programs');
  const links = join(dir, 'bin');
  mkdirSync(links);
  for (const name of ['chpst', 'setuser', 'sv']) symlinkSync(BINARY, join(links, name));
  const service = join(dir, 'service');
  const stopRunsv = await superviseWithRunsv(service);
  try {
    const t = timeInterleaved([
      { name: 'chpst', argv: [join(links, 'chpst'), '-u', 'nobody', 'true'] },
      { name: 'runit chpst', argv: [RUNIT.chpst, '-u', 'nobody', 'true'] },
      { name: 'sv', argv: [join(links, 'sv'), 'status', service] },
      { name: 'runit sv', argv: [RUNIT.sv, 'status', service] },
      { name: 'setuser', argv: [join(links, 'setuser'), 'nobody', 'true'] },
    ], ROUNDS);
    const compare = (figure: string, ours: number, peer: number, peerName: string) =>
      row(`${figure}, ms (median of ${ROUNDS} rounds)`, `within 1 ms of runit's ${peerName}`,
        `${ms(ours)} (${signed(ours - peer)} ms)`, `${ms(peer)} (\`${peerName}\`)`, ours - peer <= 1);
    compare('`chpst -u nobody true`', t.chpst!, t['runit chpst']!, 'chpst -u nobody true');
    compare('`sv status DIR` (DIR supervised by runit\'s runsv)', t.sv!, t['runit sv']!, 'sv status DIR');
    compare('`setuser nobody true`', t.setuser!, t['runit chpst']!, 'chpst -u nobody true');
  } finally {
    await stopRunsv();
  }
}

// ---------------------------------------------------------------- 5. 1,000,000 lines through svlogd

/** Input line `n` (1-based): 80 bytes with its newline, numbered so that a lost, doubled or reordered line shows. */
const inputLine = (n: number) => `line ${String(n).padStart(7, '0')} `.padEnd(79, 'abcdefghij'.charAt(n % 10));

function writeInput(path: string): void {
  const fd = openSync(path, 'w');
  for (let first = 1; first <= LINES; first += 10_000) {
    let chunk = '';
    for (let n = first; n < first + 10_000 && n <= LINES; n++) chunk += `${inputLine(n)}\n`;
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

interface LogCheck { inOrder: number; missing: number; garbled: number; repeated: number; files: number }

/**
 * Reads the rotated files (@*.s, and @*.u if any, oldest first: their names are
 * TAI64N stamps) and then `current`. A line is in order when it is exactly the
 * input's line behind a `-tt` stamp ("YYYY-MM-DD_HH:MM:SS.xxxxx ") and comes
 * after the last good one; a number skipped is missing, a line that is no
 * input line (split, or its bytes overwritten) is garbled, and an input line
 * seen again or out of its place is repeated.
 */
function checkLog(dir: string): LogCheck {
  const files = [...readdirSync(dir).filter((name) => name.startsWith('@')).sort(), 'current'];
  const check: LogCheck = { inOrder: 0, missing: 0, garbled: 0, repeated: 0, files: files.length };
  const stamped = /^\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} line (\d{7}) /;
  let next = 1;
  for (const name of files) {
    const lines = readFileSync(join(dir, name), 'latin1').split('\n');
    // The text after the last newline: empty, unless a line was left unfinished.
    if (lines.pop() !== '') check.garbled++;
    for (const line of lines) {
      const number = Number(stamped.exec(line)?.[1] ?? 0);
      if (number === 0 || number > LINES || line.slice(26) !== inputLine(number)) check.garbled++;
      else if (number < next) check.repeated++;
      else {
        check.missing += number - next;
        check.inOrder++;
        next = number + 1;
      }
    }
  }
  check.missing += LINES + 1 - next;
  return check;
}

function svlogdThroughput(): void {
  const dir = scratchDirectory('svlogd');
  const input = join(dir, 'input');
  writeInput(input);
  symlinkSync(BINARY, join(dir, 'svlogd'));
  const programs = { ours: join(dir, 'svlogd'), Debian: RUNIT.svlogd };
  const runs: Record<string, Array<{ wall: number; cpu: number; peak: number; check: LogCheck }>> = { ours: [], Debian: [] };
  // Read once so that neither side pays for bringing the input into the page cache.
  readFileSync(input);
  for (let round = 0; round < SVLOGD_ROUNDS; round++) {
    // Alternate who goes first: the second run of a round finds the disk busier with the first's write-back.
    const order = round % 2 === 0 ? (['ours', 'Debian'] as const) : (['Debian', 'ours'] as const);
    for (const who of order) {
      const logDir = join(dir, `log-${who}`);
      rmSync(logDir, { recursive: true, force: true });
      mkdirSync(logDir);
      // The default size (s1000000), and room for every rotated file (default n10 would delete them): the same for both.
      writeFileSync(join(logDir, 'config'), 's1000000\nn1000\n');
      const result = JSON.parse(python(WAIT4_PROBE, [JSON.stringify([programs[who], '-tt', logDir]), input])) as { wall: number; cpu: number; peak: number };
      rmSync(join(logDir, 'config'));
      runs[who]!.push({ ...result, check: checkLog(logDir) });
      rmSync(logDir, { recursive: true, force: true });
    }
  }
  const summary = (who: string) => {
    const r = runs[who]!;
    return {
      wall: median(r.map((x) => x.wall)),
      cpu: median(r.map((x) => x.cpu)),
      peak: median(r.map((x) => x.peak)),
      worst: r.reduce((a, b) => (a.check.inOrder <= b.check.inOrder ? a : b)).check,
    };
  };
  const ours = summary('ours');
  const theirs = summary('Debian');
  const timing = (s: typeof ours) => `${(s.wall / 1000).toFixed(2)} s (CPU ${(s.cpu / 1000).toFixed(2)} s, peak RSS ${mb(s.peak)} MB)`;
  row(`1,000,000 lines (80 bytes) through \`svlogd -tt\`, start to exit (all on disk), median of ${SVLOGD_ROUNDS}`,
    'no later than Debian\'s svlogd', `${timing(ours)}; ${(ours.wall / theirs.wall).toFixed(2)}x`, `${timing(theirs)} (/usr/bin/svlogd)`, ours.wall <= theirs.wall);
  const lines = (c: LogCheck) => `${c.inOrder.toLocaleString('en')} in order, ${c.missing} missing, ${c.garbled} garbled, ${c.repeated} repeated (${c.files} files)`;
  const perfect = (c: LogCheck) => c.inOrder === LINES && c.garbled === 0 && c.repeated === 0;
  row('  lines on disk (current + rotated), the worst run', `all ${LINES.toLocaleString('en')}, each once, in order`, lines(ours.worst), lines(theirs.worst), perfect(ours.worst));
  rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------- 6. many services: boot, Pss, stop

interface BootRound { boot: number; pss: number; anon: number; processes: Record<string, number>; stop: number; ended: boolean }

/**
 * Ours (my_init as PID 1) and runit's (`tini -- runsvdir -P /etc/service` as
 * PID 1) with `count` services, in interleaved rounds inside one sandbox, each
 * round a first boot: /etc/service copied afresh (untimed), no supervise/ yet.
 */
function bootAndStop(count: number): Record<'ours' | 'runit', BootRound[]> {
  const scratch = scratchDirectory(`boot${count}`);
  const template = `/etc/bench/services-${count}`;
  const fixture = writeFixture(scratch, services(template, count, { announce: true }));
  const setup = `${RESET_ENV_LAYOUT} && rm -rf /etc/service && cp -a ${template} /etc/service`;
  const spec = {
    fifo: STARTED_FIFO, count, rounds: BOOT_ROUNDS, settle: 2, deadline: STOP_DEADLINE_SECONDS,
    configs: [
      { name: 'ours', setup, argv: [...NESTED_PID1, BINARY] },
      { name: 'runit', setup, argv: [...NESTED_PID1, TINI, '--', RUNIT.runsvdir, '-P', '/etc/service'] },
    ],
  };
  return JSON.parse(python(BOOT_PROBE, [JSON.stringify(spec)], (argv) => inSandbox(scratch, fixture, argv))) as Record<'ours' | 'runit', BootRound[]>;
}

const processNames = (r: BootRound) => Object.entries(r.processes).map(([name, n]) => (n > 1 ? `${n} ${name}` : name)).join(' + ');

function manyServices(): void {
  const count = 300;
  const r = bootAndStop(count);
  const boot = { ours: median(r.ours.map((x) => x.boot)), runit: median(r.runit.map((x) => x.boot)) };
  const pss = { ours: median(r.ours.map((x) => x.pss)), runit: median(r.runit.map((x) => x.pss)) };
  const anon = { ours: median(r.ours.map((x) => x.anon)), runit: median(r.runit.map((x) => x.anon)) };
  const stopMs = { ours: median(r.ours.map((x) => x.stop)), runit: median(r.runit.map((x) => x.stop)) };
  const ended = { ours: r.ours.every((x) => x.ended), runit: r.runit.every((x) => x.ended) };
  // The disk under the sandbox's overlays swings by several times within minutes on this shared machine:
  // each round's two boots are next to each other, so the verdict is on the median of the rounds' ratios.
  const ratios = r.ours.map((x, i) => x.boot / r.runit[i]!.boot);
  console.error(`bench: ${count} services, boot ms by round: ours ${r.ours.map((x) => Math.round(x.boot)).join(' ')}; runit ${r.runit.map((x) => Math.round(x.boot)).join(' ')}`);
  row(`${count} services: started (from spawn until every \`run\` has started), ms (median of ${BOOT_ROUNDS}; ratio: median of the rounds' ours/runit)`,
    'no slower than `tini -- runsvdir`',
    `${ms(boot.ours)} (ratio ${median(ratios).toFixed(2)}, rounds ${Math.min(...ratios).toFixed(2)} to ${Math.max(...ratios).toFixed(2)})`,
    `${ms(boot.runit)} (tini -- runsvdir -P, Debian's runsvdir and runsv)`, median(ratios) <= 1);
  row(`  Pss of the supervising tree (all but the services' \`sleep\`), MB, 2 s after`, 'no more than runit\'s',
    `${mb(pss.ours)} (${processNames(r.ours[0]!)}; RssAnon ${mb(anon.ours)})`, `${mb(pss.runit)} (${processNames(r.runit[0]!)}; RssAnon ${mb(anon.runit)})`, pss.ours <= pss.runit);
  const longest = Math.max(...r.ours.map((x) => x.stop));
  row(`  stop: SIGTERM to PID 1 until the namespace is gone, ms (median of ${BOOT_ROUNDS})`,
    `bounded: ends within ${STOP_DEADLINE_SECONDS} s`,
    `${ms(stopMs.ours)} (longest ${ms(longest)})${ended.ours ? '' : ' (did NOT end in time)'}: my_init stops every service (TERM), then exits`,
    `${ms(stopMs.runit)}${ended.runit ? '' : ' (did NOT end in time)'}: tini passes TERM to runsvdir, which exits at once without stopping its runsv; as tini (PID 1) exits, the kernel kills the ${count} runsv and services`,
    ended.ours);

  // `docker stop` of a container with 10 services: the same, with 10.
  const small = bootAndStop(10);
  row(`\`docker stop\` with 10 services: SIGTERM to PID 1 until the namespace is gone, ms (median of ${BOOT_ROUNDS})`, 'information',
    ms(median(small.ours.map((x) => x.stop))), `${ms(median(small.runit.map((x) => x.stop)))} (tini -- runsvdir, as above)`, 'information');
}

// ---------------------------------------------------------------- 7. reaping

function reapOnce(init: string[]): { ms: number; worst: number } {
  const scratch = scratchDirectory('reap');
  const fixture = writeFixture(scratch, {});
  const out = python(REAPER_PROBE, [], (argv) => inSandbox(scratch, fixture, [...init, ...argv]), 120_000);
  rmSync(scratch, { recursive: true, force: true });
  const match = /^REAPED (\S+) (\S+)$/m.exec(out);
  if (!match) throw new Error(`the reaping probe said: ${out}`);
  return { ms: Number(match[1]), worst: Number(match[2]) };
}

function reaping(): void {
  const inits = { ours: [BINARY, '--skip-startup-files', '--skip-runit', '--quiet', '--'], tini: [TINI, '--'], 'dumb-init': [DUMB_INIT] };
  const results: Record<string, Array<{ ms: number; worst: number }>> = { ours: [], tini: [], 'dumb-init': [] };
  const rounds = 5;
  for (let round = 0; round <= rounds; round++) {
    for (const [name, init] of Object.entries(inits)) {
      const r = reapOnce(init);
      if (round > 0) results[name]!.push(r);
    }
  }
  const m = (name: string, key: 'ms' | 'worst') => median(results[name]!.map((r) => r[key]));
  row(`reap 10,000 orphans that arrive at once, ms (median of ${rounds})`, 'information',
    ms(m('ours', 'ms')), `tini ${ms(m('tini', 'ms'))}; dumb-init ${ms(m('dumb-init', 'ms'))}`, 'information');
  row('  longest signal round trip through PID 1 meanwhile, ms', 'information',
    ms(m('ours', 'worst')), `tini ${ms(m('tini', 'worst'))}; dumb-init ${ms(m('dumb-init', 'worst'))}`, 'information');
}

// ---------------------------------------------------------------- main

/** What the table counts, where a figure could be read more than one way. */
const NOTES = `What is counted:
- Every init runs as PID 1 of its own PID namespace in test/system/sandbox.sh (overlays over /etc, the image's
  /etc/container_environment layout); timed runs are interleaved rounds (one run of each in turn), medians.
- Memory "in all" is the sum over the init's process tree, leaving out the services' own \`sleep\` processes.
  Ours is PID 1 alone (it supervises in-process) plus, with loggers, its svlogd processes; runit's is tini,
  runsvdir and a runsv per service (plus Debian's svlogd). Pss splits each shared page among every process on
  the machine that maps it (runsv's libc is shared with the whole machine, our static executable with nobody),
  so the sum of Pss is what the tree costs the machine; a sum of VmRSS counts shared pages once per process.
- "started": from posix_spawn of the namespace until every service's \`run\` has written its line to a FIFO
  (each \`run\` is \`echo NAME > FIFO; exec sleep 100000\`); each round is a first boot (no supervise/ yet).
- "stop": SIGTERM to PID 1 until the PID namespace is gone (all of its processes have exited), as \`docker stop\`
  sees it; a stop that has not ended after ${STOP_DEADLINE_SECONDS} s is killed and is not met.
- CPU ticks: utime + stime from /proc/PID/stat over the window; the ms beside them are the scheduler's own count.`;

/** Runs one part of the bench; a failure becomes a row that says so, and the rest still runs. */
const partLoads: string[] = [];

async function part(name: string, measure: () => void | Promise<void>): Promise<void> {
  const began = performance.now();
  const load = loadAverage();
  partLoads.push(`${name} ${load}`);
  try {
    await measure();
  } catch (error) {
    row(name, 'n/a', `failed: ${(error as Error).message}`, 'n/a', false);
    process.exitCode = 1;
  }
  console.error(`bench: ${name}: ${((performance.now() - began) / 1000).toFixed(0)} s (load before: ${load})`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench: run it as root (unshare and the sandbox\'s mounts need it)');
    process.exit(2);
  }
  const missing = missingPeers();
  if (missing.length > 0) {
    console.error(`bench: missing: ${missing.join(', ')}. The bench installs nothing: .ci/run installs tini, dumb-init, runit and python3.`);
    process.exit(2);
  }
  const loadAtStart = loadAverage();
  const startedAt = new Date();

  await part('executables', executableRows);
  await part('one-shot start-up', oneShotStartUp);
  await part('arm64 under qemu', arm64StartUp);
  await part('idle memory and CPU', idleMemoryAndCpu);
  await part('chpst, sv, setuser', runitPrograms);
  await part('svlogd, 1,000,000 lines', svlogdThroughput);
  await part('300 services', manyServices);
  await part('reaping', reaping);

  const left = leftovers();
  console.log(`Measured ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}; ` +
    `\`${BINARY}\`. Load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${loadAverage()}.\n`);
  printTable();
  console.log(`\n${NOTES}`);
  // The bench's own parts raise it (300 services, 10,000 orphans): the start's figure is the machine's.
  console.log(`\nLoad average before each part: ${partLoads.join('; ')}.`);
  console.log(`\nLeft behind: ${left.length === 0 ? 'nothing (no child, no process of the executable, no mount)' : left.join('; ')}.`);
  if (left.length > 0) process.exitCode = 1;
}

await main();
