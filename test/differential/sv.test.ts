// Our sv against Debian's, both talking to Debian's runsv on the same kind of
// service directories: every command word, -v and -w, several services,
// relative, absolute and ./ names, missing and stale supervise/, and the LSB
// mode of an init.d link.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertSameAsRunit, type Case } from './harness.ts';
import {
  makeService, mkfifoSync, normalizeStatus, normalizeSupervise, realSv, startRunsv, stopRunsvs, untilMade, untilStatus, untilSteady,
} from './runsv-peer.ts';

/** The services a case can ask for, each made (and, unless unsupervised, run by Debian's runsv) in its working directory. */
const SERVICES: Record<string, (dir: string) => void> = {
  web: (dir) => {
    makeService(join(dir, 'web'), 'exec sleep 1000');
    startRunsv(dir, 'web');
  },
  logged: (dir) => {
    makeService(join(dir, 'logged'), 'exec sleep 1000', { log: 'exec cat >/dev/null' });
    startRunsv(dir, 'logged');
  },
  downed: (dir) => {
    makeService(join(dir, 'downed'), 'exec sleep 1000', { files: { down: '' } });
    startRunsv(dir, 'downed');
  },
  stubborn: (dir) => {
    makeService(join(dir, 'stubborn'), 'trap "" TERM; : > trapped; while :; do sleep 0.1; done');
    startRunsv(dir, 'stubborn');
    untilMade(join(dir, 'stubborn', 'trapped'));
  },
  /** Ignores TERM, and its check never passes. */
  hardy: (dir) => {
    makeService(join(dir, 'hardy'), 'trap "" TERM; : > trapped; while :; do sleep 0.1; done');
    writeFileSync(join(dir, 'hardy', 'check'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    startRunsv(dir, 'hardy');
    untilMade(join(dir, 'hardy', 'trapped'));
  },
  checked: (dir) => {
    makeService(join(dir, 'checked'), 'exec sleep 1000');
    writeFileSync(join(dir, 'checked', 'check'), '#!/bin/sh\necho checking >&2; exit 1\n', { mode: 0o755 });
    startRunsv(dir, 'checked');
  },
  passing: (dir) => {
    makeService(join(dir, 'passing'), 'exec sleep 1000');
    // Says whether its stdout is closed, as runit's sv leaves it (without naming $0, which differs: see the report).
    writeFileSync(join(dir, 'passing', 'check'), '#!/bin/sh\n{ echo out || echo "stdout closed" >&2; } 2>/dev/null\n', { mode: 0o755 });
    startRunsv(dir, 'passing');
  },
  /** A check that fails without a word: how often it runs depends on timing. */
  failing: (dir) => {
    makeService(join(dir, 'failing'), 'exec sleep 1000');
    writeFileSync(join(dir, 'failing', 'check'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    startRunsv(dir, 'failing');
  },
  /** Ignores HUP: reload leaves it running. */
  deaf: (dir) => {
    makeService(join(dir, 'deaf'), 'trap "" HUP; : > trapped; exec sleep 1000');
    startRunsv(dir, 'deaf');
    untilMade(join(dir, 'deaf', 'trapped'));
  },
  finishing: (dir) => {
    makeService(join(dir, 'finishing'), 'exec sleep 1000', { files: { finish: '' } });
    writeFileSync(join(dir, 'finishing', 'finish'), '#!/bin/sh\nexec sleep 1000\n', { mode: 0o755 });
    startRunsv(dir, 'finishing');
  },
  /** A service directory nobody supervises. */
  bare: (dir) => makeService(join(dir, 'bare'), 'exec sleep 1000'),
  /** supervise/ left behind by a runsv that is gone. */
  stale: (dir) => {
    makeService(join(dir, 'stale'), 'exec sleep 1000');
    mkdirSync(join(dir, 'stale', 'supervise'));
    for (const fifo of ['ok', 'control']) mkfifoSync(join(dir, 'stale', 'supervise', fifo));
  },
  plain: (dir) => writeFileSync(join(dir, 'plain'), ''),
  /** Supervised, with a log/ whose supervisor is gone. */
  stalelog: (dir) => {
    makeService(join(dir, 'stalelog'), 'exec sleep 1000');
    startRunsv(dir, 'stalelog');
    mkdirSync(join(dir, 'stalelog', 'log', 'supervise'), { recursive: true });
    mkfifoSync(join(dir, 'stalelog', 'log', 'supervise', 'ok'));
  },
  /** Supervised, with a log/ nobody ever supervised. */
  newlog: (dir) => {
    makeService(join(dir, 'newlog'), 'exec sleep 1000');
    startRunsv(dir, 'newlog');
    mkdirSync(join(dir, 'newlog', 'log'));
  },
  /** Supervised, with a file named log. */
  filelog: (dir) => {
    makeService(join(dir, 'filelog'), 'exec sleep 1000');
    startRunsv(dir, 'filelog');
    writeFileSync(join(dir, 'filelog', 'log'), '');
  },
};

interface SvCase {
  args: string[];
  services?: string[];
  /**
   * Debian's sv commands run first, to bring a service into the state the case
   * starts from; each may name a service and a pattern its status line must reach.
   */
  before?: Array<string[] | [string[], string, RegExp]>;
  /** After the run, wait until the status line of each named service matches (the supervisor has acted). */
  settle?: Record<string, RegExp>;
  env?: Record<string, string>;
  calledAs?: string;
  /** Let the services' last change be older than the second sv starts in: sv compares whole seconds. */
  aged?: boolean;
  /** Applied to stdout and stderr before the comparison, for what load changes on both sides alike. */
  normalize?: (text: string) => string;
}

function svCase(c: SvCase): Case {
  return {
    program: 'sv',
    args: c.args,
    calledAs: c.calledAs,
    env: { SVDIR: '.', ...c.env },
    setup: (dir) => {
      for (const name of c.services ?? []) SERVICES[name]!(dir);
      for (const step of c.before ?? []) {
        if (Array.isArray(step[0])) {
          const [args, service, pattern] = step as [string[], string, RegExp];
          realSv(dir, ...args);
          untilStatus(dir, service, pattern);
        } else {
          realSv(dir, ...(step as string[]));
        }
      }
      if (c.aged) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
    },
    after: (dir) => {
      for (const [name, pattern] of Object.entries(c.settle ?? {})) untilStatus(dir, name, pattern);
      untilSteady(dir);
    },
    cleanup: stopRunsvs,
    normalize: (text) => normalizeStatus(c.normalize?.(text) ?? text),
    normalizeFile: normalizeSupervise,
    timeoutMs: 20_000,
  };
}

const same = (c: SvCase) => () => assertSameAsRunit(svCase(c)).then(() => undefined);

describe('sv: usage', () => {
  for (const args of [[], ['-v'], ['status'], ['bogus', 'web'], ['r', 'web'], ['f', 'web'], ['force-x', 'web'], ['-x', 'status', 'web'],
    ['-w'], ['-v', '-w'], ['-w', 'status', 'web'], ['exit']]) {
    test(`sv ${args.join(' ')}`, same({ args, services: ['web'] }));
  }
});

describe('sv status', () => {
  test('up, down, logged, unsupervised, stale, a file, missing', same({
    args: ['status', 'web', 'downed', 'logged', 'bare', 'stale', 'plain', 'nosuch'],
    services: ['web', 'downed', 'logged', 'bare', 'stale', 'plain'],
  }));
  test('./name, absolute and name/ (the last still under $SVDIR)', same({
    args: ['status', './web', '$DIR/logged', 'web/'], services: ['web', 'logged'],
  }));
  test('a log whose runsv is gone, one never supervised, a file named log', same({
    args: ['status', 'stalelog', 'newlog', 'filelog'], services: ['stalelog', 'newlog', 'filelog'],
  }));
  test('paused, want down, got TERM, normally down', same({
    args: ['status', 'web', 'stubborn', 'downed'], services: ['web', 'stubborn', 'downed'],
    before: [[['pause', 'web'], 'web', /paused/], [['down', 'stubborn'], 'stubborn', /got TERM/], [['once', 'downed'], 'downed', /^run: /]],
  }));
  test('finish running', same({
    args: ['status', 'finishing'], services: ['finishing'], before: [['-w', '1', 'down', 'finishing']],
  }));
  test('abbreviated (only the first letter counts)', same({ args: ['stat', 'web'], services: ['web'] }));
  test('$SVDIR elsewhere', same({ args: ['s', 'web'], services: ['web'], env: { SVDIR: '../work' } }));
  test('a hundred failures exit 99', same({ args: ['status', ...Array.from({ length: 101 }, (_, i) => `none${i}`)] }));
});

describe('sv: commands without waiting', () => {
  const cases: Array<[string[], string[], Record<string, RegExp>, SvCase['before']?]> = [
    [['up', 'downed'], ['downed'], { downed: /^run: / }],
    [['down', 'web'], ['web'], { web: /^down: / }],
    [['once', 'downed'], ['downed'], { downed: /^run: / }],
    [['pause', 'web'], ['web'], { web: /paused/ }],
    [['cont', 'web'], ['web'], { web: /^run: web: \(pid \d+\) \d+s$/ }, [[['pause', 'web'], 'web', /paused/]]],
    [['hup', 'web'], ['web'], { web: /^down: / }],
    [['alarm', 'web'], ['web'], { web: /^down: / }],
    [['interrupt', 'web'], ['web'], { web: /^down: / }],
    [['quit', 'web'], ['web'], { web: /^down: / }],
    [['1', 'web'], ['web'], { web: /^down: / }],
    [['2', 'web'], ['web'], { web: /^down: / }],
    [['term', 'stubborn'], ['stubborn'], { stubborn: /got TERM/ }],
    [['kill', 'stubborn'], ['stubborn'], { stubborn: /^down: / }],
    [['exit', 'web'], ['web'], { web: /runsv not running/ }],
    [['e', 'bare', 'stale'], ['bare', 'stale'], {}],
    [['up', 'web', 'stale', 'bare', 'nosuch'], ['web', 'stale', 'bare'], {}],
  ];
  for (const [args, services, settle, before] of cases) {
    // A signal that kills `sleep` leaves it down until `up`: make it want down first, so the end state is steady.
    const pre = before ?? (['hup', 'alarm', 'interrupt', 'quit', '1', '2'].includes(args[0]!) ? [[['once', 'web'], 'web', /want down/]] : []);
    test(`sv ${args.join(' ')}`, same({ args, services, settle, before: pre }));
  }
});

describe('sv: -v, -w and the waiting commands', () => {
  const cases: Array<[string[], string[], SvCase['before']?, SvCase['settle']?]> = [
    [['-v', 'up', 'downed'], ['downed']],
    [['-v', 'down', 'web'], ['web']],
    [['-v', 'pause', 'web'], ['web'], [[['pause', 'web'], 'web', /paused/]]],
    [['-v', 'exit', 'web', 'logged'], ['web', 'logged']],
    [['-vw1', 'up', 'web'], ['web']],
    [['-w', '1', 'down', 'stubborn'], ['stubborn']],
    [['-w1', 'up', 'failing'], ['failing']],
    [['-v', 'hup', 'deaf'], ['deaf']],
    // The running one first: a service started later may print after it in either order, as our
    // supervisor or runsv was quicker to start it (a race on a busy machine, not a difference).
    [['start', 'passing', 'downed'], ['passing', 'downed']],
    [['stop', 'web', 'logged'], ['web', 'logged']],
    [['reload', 'deaf'], ['deaf']],
    [['shutdown', 'web'], ['web']],
    // The kill after the wait is sent as sv exits: compare once runsv has acted on it.
    [['-w', '1', 'force-stop', 'stubborn'], ['stubborn'], [], { stubborn: /^down: / }],
    [['force-stop', 'web'], ['web']],
    [['force-reload', 'web'], ['web'], [['-w5', 'down', 'web']]],
    // The TERM is ignored, the check fails, the wait ends in a kill: compare the run that follows
    // (no "got TERM"), not the killed one still shown while runsv has yet to read the `k`.
    [['-w', '1', 'force-restart', 'hardy'], ['hardy'], [], { hardy: /^run: hardy: \(pid \d+\) \d+s$/ }],
    [['force-shutdown', 'web'], ['web']],
    [['try-restart', 'web'], ['web'], [['-w5', 'down', 'web']]],
    [['check', 'web', 'passing'], ['web', 'passing']],
    [['check', 'bare', 'stale', 'nosuch'], ['bare', 'stale']],
    [['-w', '1', 'stop', 'stubborn', 'web'], ['stubborn', 'web']],
    [['shutdown', 'stale', 'bare'], ['stale', 'bare']],
    [['D', 'web'], ['web']],
    [['X', 'web'], ['web']],
  ];
  for (const [args, services, before, settle] of cases) test(`sv ${args.join(' ')}`, same({ args, services, before, settle }));
  // A failing check runs again and again until the wait ends: how many times fit in the second is
  // load's, on either side; that it runs and its stderr passes through is sv's.
  test('sv -w 1 check web checked passing downed', same({
    args: ['-w', '1', 'check', 'web', 'checked', 'passing', 'downed'], services: ['web', 'checked', 'passing', 'downed'],
    normalize: (text) => text.replaceAll(/(?:checking\n)+/g, 'checking (one or more times)\n'),
  }));
  // A status a second old: sv waits for the restart (in the same second it could not tell the run from the last).
  const restarted = { web: /^run: web: \(pid \d+\) \d+s$/ };
  test('sv -v term web', same({ args: ['-v', 'term', 'web'], services: ['web'], aged: true, settle: restarted }));
  test('sv restart web', same({ args: ['restart', 'web'], services: ['web'], aged: true, settle: restarted }));
  // Started in an earlier second than its status changed: `once` waits for the run.
  test('sv -v once downed, its status a second old', same({ args: ['-v', 'once', 'downed'], services: ['downed'], aged: true, settle: { downed: /^run: / } }));
  test('$SVWAIT is the default wait', same({ args: ['stop', 'stubborn'], services: ['stubborn'], env: { SVWAIT: '1' } }));
});

describe('sv as an init.d script (LSB mode)', () => {
  const lsb = (args: string[], services: string[], before?: SvCase['before'], calledAs = 'web') =>
    same({ args, services, before, calledAs, env: { SVDIR: '.' } });
  test('status of a running service exits 0', lsb(['status'], ['web']));
  test('status of a down service exits 3', lsb(['status'], ['web'], [['-w5', 'down', 'web']]));
  test('status of a running service with a log exits 0', lsb(['status'], ['logged'], [], 'logged'));
  test('status without supervise/ exits 4', lsb(['status'], ['bare'], [], 'bare'));
  test('status with no runsv exits 1', lsb(['status'], ['stale'], [], 'stale'));
  test('status of a missing service', lsb(['status'], []));
  test('status of a file', lsb(['status'], ['plain'], [], 'plain'));
  test('further arguments are ignored', lsb(['status', 'other'], ['web']));
  test('start', lsb(['start'], ['downed'], [], 'downed'));
  test('stop', lsb(['stop'], ['web']));
  test('a timeout exits 1', lsb(['-w', '1', 'stop'], ['stubborn'], [], 'stubborn'));
  test('restart', same({ args: ['restart'], services: ['web'], calledAs: 'web', aged: true, settle: { web: /^run: web: \(pid \d+\) \d+s$/ } }));
  test('reload', lsb(['reload'], ['deaf'], [], 'deaf'));
  test('force-reload', lsb(['force-reload'], ['web'], [['-w5', 'down', 'web']]));
  test('try-restart', lsb(['try-restart'], ['web'], [['-w5', 'down', 'web']]));
  test('shutdown', lsb(['shutdown'], ['web']));
  test('up (any sv command)', same({ args: ['up'], services: ['downed'], calledAs: 'downed', settle: { downed: /^run: / } }));
  for (const args of [[], ['bogus'], ['s'], ['stat'], ['-x', 'status'], ['-v']]) test(`usage: ${args.join(' ')}`, lsb(args, ['web']));
});
