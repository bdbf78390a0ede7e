// Our runsv against Debian's on the same service directory, observed through
// Debian's sv (its lines go to `observed`, compared with the other files):
// usage and fatal errors, a second runsv, control bytes, TERM, a logger.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertSameAsRunit, type Case, type Running } from './harness.ts';
import {
  isSupervised, killProcessesIn, makeService, normalizeStatus, normalizeSupervise, observe, startRunsv, stopRunsvs, untilStatus, untilSteady,
} from './runsv-peer.ts';

function runsvCase(args: string[], setup: (dir: string) => void, during?: (run: Running) => Promise<void>): Case {
  return {
    program: 'runsv',
    args,
    setup,
    during,
    normalize: normalizeStatus,
    normalizeFile: normalizeSupervise,
    cleanup: (dir) => {
      stopRunsvs(dir);
      killProcessesIn(dir);
    },
    timeoutMs: 20_000,
  };
}

const same = (c: Case) => () => assertSameAsRunit(c).then(() => undefined);

/** Waits for the runsv under test to supervise `svc` (and its log), then lets Debian's sv look. */
async function whenUp(run: Running, service = 'svc', log = false): Promise<void> {
  await run.until(() => isSupervised(join(run.dir, service)) && (!log || isSupervised(join(run.dir, service, 'log'))), 'supervision');
  untilSteady(run.dir);
}

describe('runsv: usage and fatal errors', () => {
  test('no directory', same(runsvCase([], () => {})));
  test('two directories', same(runsvCase(['a', 'b'], () => {})));
  test('a missing directory exits 111', same(runsvCase(['nosuch'], () => {})));
  test('a file exits 111', same(runsvCase(['plain'], (dir) => writeFileSync(join(dir, 'plain'), ''))));
  test('a directory supervised already: unable to lock, 111', same(runsvCase(['svc'], (dir) => {
    makeService(join(dir, 'svc'), 'exec sleep 1000');
    startRunsv(dir, 'svc');
  })));
});

describe('runsv: supervising', () => {
  test('status, control bytes through sv, then TERM: exits 0 once down', same(runsvCase(['svc'], (dir) => makeService(join(dir, 'svc'), 'exec sleep 1000'), async (run) => {
    await whenUp(run);
    observe(run.dir, 'status', 'svc');
    observe(run.dir, '-w', '5', 'down', 'svc');
    observe(run.dir, '-w', '5', 'up', 'svc');
    observe(run.dir, 'pause', 'svc');
    untilStatus(run.dir, 'svc', /paused/);
    untilSteady(run.dir);
    observe(run.dir, 'status', 'svc');
    observe(run.dir, '-w', '5', 'cont', 'svc');
    observe(run.dir, '-w', '5', 'once', 'svc');
    await run.signal('SIGTERM');
  })));
  test('a down file: not started until up', same(runsvCase(['svc'], (dir) => makeService(join(dir, 'svc'), 'exec sleep 1000', { files: { down: '' } }), async (run) => {
    await whenUp(run);
    observe(run.dir, 'status', 'svc');
    observe(run.dir, '-w', '5', 'up', 'svc');
    observe(run.dir, '-w', '5', 'exit', 'svc');
  })));
  test('./finish gets the exit code and signal', same(runsvCase(['svc'], (dir) => makeService(join(dir, 'svc'), 'exec sleep 1000', {
    files: { finish: '' },
  }), async (run) => {
    const { writeScript } = await import('./runsv-peer.ts');
    writeScript(join(run.dir, 'svc', 'finish'), 'echo "$@" >> ../finished');
    await whenUp(run);
    observe(run.dir, '-w', '5', 'down', 'svc');
    observe(run.dir, '-w', '5', 'exit', 'svc');
  })));
  test('with a log: the pipe, exit closes it and the logger ends', same(runsvCase(['svc'], (dir) => makeService(join(dir, 'svc'), 'echo hello; exec sleep 1000', {
    log: 'exec cat > out',
  }), async (run) => {
    await whenUp(run, 'svc', true);
    observe(run.dir, 'status', 'svc');
    observe(run.dir, 'exit', 'svc/log');
    observe(run.dir, 'status', 'svc');
    await run.signal('SIGTERM');
  })));
});
