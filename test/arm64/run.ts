// npm run test:arm64: the core of the system tests (SUBSET) against
// dist/my_init-arm64, which the kernel hands to qemu-user through binfmt_misc,
// so the tests run it exactly as they run dist/my_init. In CI it is a failure
// when qemu cannot run it; elsewhere one loud line, and nothing is run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const BINARY = 'dist/my_init-arm64';
/**
 * MY_INIT_TEST_TIME_SCALE for the subset (harness.ts). Measured here: under qemu
 * a start of the executable takes about 0.1 s instead of 3 ms, and the subset's
 * tests 1 to 30 times as long as natively (9 s in all); 3 on top of the
 * harness's own margins, for a machine that is busy as well.
 */
const TIME_SCALE = '3';

/**
 * Boot, exit codes, reaping, signals and SIGTERM stops, startup scripts, a
 * supervised service seen by Debian's sv and by ours, a logger. Left out: tests
 * that bound a duration, and what only emulation breaks (README, "arm64").
 */
const SUBSET: Record<string, string[]> = {
  'test/system/main-command.test.ts': [
    'my_init -- echo hi: the reference messages on stderr, the output on stdout, exit 0',
    'exit codes: n, n mod 256, not found 127, not executable 126, signal N -> 128+N',
    '--help and --version exit 0 on stdout',
    'the main command runs in its own process group, with default signal dispositions and an empty mask',
  ],
  'test/system/pid1.test.ts': ['1000 orphans made by the main command leave no zombie'],
  'test/system/shutdown.test.ts': [
    'SIGTERM while the main command runs: stop it, run the shutdown scripts, exit 2',
    'without a main command my_init waits for SIGTERM; a second SIGTERM changes nothing',
  ],
  'test/system/startup.test.ts': ['executables of /etc/my_init.d run in byte order, then /etc/rc.local; others are skipped'],
  'test/system/services.test.ts': [
    'a service starts; sv status shows the pid its run script has',
    'sv status of a service with a log: both pids, as runsv reports them',
  ],
  'test/system/applets.test.ts': ["our sv prints what runit's sv prints, with the same exit codes, in every state"],
  'test/system/svlogd.test.ts': ['a service logged by our svlogd: its lines land in current, stamped, and survive sv restart of the logger'],
};

/** Why qemu cannot run the arm64 executable here, or null when it can. */
function qemuProblem(): string | null {
  if (!existsSync(join(ROOT, BINARY))) return `${BINARY} is missing: npm run build makes it where the cross compiler and arm64's musl are installed (it says which are missing)`;
  const started = performance.now();
  const r = spawnSync(join(ROOT, BINARY), ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0 && /^my_init \d/.test(r.stdout)) {
    console.log(`test:arm64: ${BINARY} --version took ${((performance.now() - started) / 1000).toFixed(1)} s under qemu`);
    return null;
  }
  // Without an enabled entry the kernel refuses the file, and execvp hands it to /bin/sh: say why.
  const entry = '/proc/sys/fs/binfmt_misc/qemu-aarch64';
  const state = existsSync(entry) ? readFileSync(entry, 'utf8').split('\n')[0] : 'missing';
  const hint = state === 'enabled' ? '' : `; ${entry} is ${state}`;
  const why = r.error?.message ?? (r.stderr.trim().split('\n')[0] || `exit status ${r.status}`);
  return `${BINARY} --version does not run (${why}${hint}); as root: apt-get install qemu-user-static binfmt-support, then bash scripts/qemu-arm64.sh`;
}

const problem = qemuProblem();
if (problem !== null) {
  if (process.env.CI === 'true') {
    console.error(`test:arm64: FAILED: ${problem}`);
    process.exit(1);
  }
  console.log(`test:arm64: NOT RUN: ${problem}`);
  process.exit(0);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const patterns = Object.values(SUBSET).flat().map((name) => `--test-name-pattern=^${escape(name)}$`);
const work = mkdtempSync(join(tmpdir(), 'my_init-arm64-'));
const outcomesFile = join(work, 'outcomes');
const run = spawnSync(process.execPath, [
  '--test', '--test-concurrency=2', ...patterns,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(import.meta.dirname, 'outcomes-reporter.ts')}`, `--test-reporter-destination=${outcomesFile}`,
  ...Object.keys(SUBSET),
], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, MY_INIT_TEST_BINARY: BINARY, MY_INIT_TEST_TIME_SCALE: TIME_SCALE } });

const outcomes = new Map<string, string>();
for (const line of readFileSync(outcomesFile, 'utf8').split('\n').filter(Boolean)) {
  const space = line.indexOf(' ');
  outcomes.set(line.slice(space + 1), line.slice(0, space));
}
rmSync(work, { recursive: true, force: true });
let failed = run.status !== 0;
for (const [file, names] of Object.entries(SUBSET)) {
  for (const name of names) {
    const outcome = outcomes.get(name);
    if (outcome === 'pass') continue;
    failed = true;
    console.error(`test:arm64: ${file}: "${name}" ${outcome === undefined ? 'did not run: no test has that name' : `: ${outcome}`}`);
  }
}
process.exit(failed ? 1 : 0);
