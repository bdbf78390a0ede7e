// Our runsvdir against Debian's on the same services directory, observed
// through Debian's sv: usage, services found at start and added later, TERM
// (exit 0 at once), HUP (every service stopped, exit 111), the log argument.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertSameAsRunit, type Case, type Running } from './harness.ts';
import {
  isSupervised, killProcessesIn, makeService, normalizeStatus, normalizeSupervise, observe, untilSteady, untilUnsupervised,
} from './runsv-peer.ts';

function runsvdirCase(args: string[], setup: (dir: string) => void, during?: (run: Running) => Promise<void>, after?: (dir: string) => void): Case {
  return {
    program: 'runsvdir',
    args,
    setup,
    during,
    after,
    normalize: normalizeStatus,
    normalizeFile: normalizeSupervise,
    cleanup: killProcessesIn,
    timeoutMs: 30_000,
  };
}

const same = (c: Case) => () => assertSameAsRunit(c).then(() => undefined);

function services(dir: string): void {
  makeService(join(dir, 'svcs', 'a'), 'exec sleep 1000');
  makeService(join(dir, 'svcs', 'b'), 'echo to-log; exec sleep 1000', { log: 'exec cat > out' });
  makeService(join(dir, 'svcs', '.hidden'), 'exec sleep 1000');
  writeFileSync(join(dir, 'svcs', 'file'), '');
}

async function whenSupervised(run: Running, ...names: string[]): Promise<void> {
  await run.until(() => names.every((name) => isSupervised(join(run.dir, 'svcs', name))), `${names.join(', ')} supervised`, 10_000);
  untilSteady(run.dir);
}

describe('runsvdir', () => {
  test('no directory: usage', same(runsvdirCase([], () => {})));
  test('-P alone: usage', same(runsvdirCase(['-P'], () => {})));

  test('every subdirectory but dotted ones, a new one within seconds; TERM exits 0 at once', same(runsvdirCase(['-P', 'svcs'], services, async (run) => {
    await whenSupervised(run, 'a', 'b', 'b/log');
    observe(run.dir, 'status', 'svcs/a', 'svcs/b', 'svcs/.hidden');
    // Made aside and moved in, so that it is complete when seen.
    makeService(join(run.dir, 'new'), 'exec sleep 1000');
    renameSync(join(run.dir, 'new'), join(run.dir, 'svcs', 'c'));
    await whenSupervised(run, 'c');
    observe(run.dir, 'status', 'svcs/c');
    await run.signal('SIGTERM');
  })));

  test('HUP: every service is stopped, exit 111', same(runsvdirCase(['svcs'], services, async (run) => {
    await whenSupervised(run, 'a', 'b', 'b/log');
    // The line is on its way through the pipe to the logger: the HUP must not race it.
    const logged = join(run.dir, 'svcs', 'b', 'log', 'out');
    await run.until(() => existsSync(logged) && readFileSync(logged, 'latin1') === 'to-log\n', 'the logger to have the line', 10_000);
    await run.signal('SIGHUP');
  }, (dir) => {
    untilUnsupervised(dir);
    untilSteady(dir);
  })));

  test('a log argument shorter than seven characters is refused', same(runsvdirCase(['svcs', 'abc'], services, async (run) => {
    await whenSupervised(run, 'a');
    await run.signal('SIGTERM');
  })));

  test("log: the services' stderr scrolls through the process title", same(runsvdirCase(['-P', 'svcs', '.'.repeat(30)], (dir) => {
    // After runsvdir's first dot (its first pass writes one): which comes first would otherwise be a race.
    makeService(join(dir, 'svcs', 'talker'), 'sleep 0.5; echo said-on-stderr >&2; exec sleep 1000');
    mkdirSync(join(dir, 'title'));
  }, async (run) => {
    await whenSupervised(run, 'talker');
    const cmdline = (): string => readFileSync(`/proc/${run.pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trimEnd();
    await run.until(() => cmdline().includes('said-on-stderr'), 'the title to show the message');
    writeFileSync(join(run.dir, 'title', 'shown'), cmdline());
    await run.signal('SIGTERM');
  })));
});
