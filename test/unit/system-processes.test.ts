// src/system/processes.ts on the platform (src/platform/processes.c): this
// process's arguments, environment, ids, names and limits, some seen from a
// process of its own; and spawn, waitFor and childrenOf, the calls
// src/children.ts is made of.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SystemError } from '../../src/system/errors.ts';
import { close, pipe, read, readFile, readlink, readText, readToEnd, writeAll } from '../../src/system/files.ts';
import { setTimeout } from '../../src/system/loop.ts';
import * as processes from '../../src/system/processes.ts';
import { fromUtf8 } from '../../src/system/text.ts';
import { runAsProgram, runProgram } from '../host/programs.ts';

const print = (text: string): void => void writeAll(1, `${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const RLIMIT_NOFILE = 7;

function ok<T>(result: T | SystemError): T {
  if (result instanceof SystemError) assert.fail(`unexpected ${result.message}`);
  return result;
}

function failed(result: unknown, code: string, syscall: string): SystemError {
  if (!(result instanceof SystemError)) assert.fail(`expected ${code} from ${syscall}, got ${JSON.stringify(result)}`);
  assert.equal(result.code, code);
  assert.equal(result.syscall, syscall);
  return result;
}

/** The numbers on a line of /proc/PID/status (`Uid:`, `Gid:`...). */
function statusLine(name: string): number[] {
  const line = ok(readText('/proc/self/status')).split('\n').find((text) => text.startsWith(`${name}:`));
  return (line ?? '').split(/\s+/).slice(1).map(Number);
}

/** Waits (on the loop) for our child `pid` to end: its raw status. */
async function ended(pid: number): Promise<number> {
  for (;;) {
    const raw = ok(processes.waitFor(pid));
    if (raw !== null) return raw;
    await sleep(5);
  }
}

const PROGRAMS: Record<string, (args: readonly string[]) => void> = {
  'arguments': () => print(JSON.stringify({ argv: processes.argv, argv0: processes.argv0 })),
  'environment': () => print(JSON.stringify({ start: [...processes.startEnvironment()], env: processes.env })),
  'exit': ([code]) => {
    setTimeout(() => print('not reached'), 1000);
    processes.exit(Number(code));
  },
  'session': () => {
    const sid = ok(processes.newSession());
    print(JSON.stringify({ sid, pid: processes.pid, session: processes.sessionOf(0), group: processes.processGroup() }));
  },
  'nice': ([step]) => {
    const before = ok(processes.niceValue());
    ok(processes.setNiceValue(before + Number(step)));
    print(JSON.stringify([before, processes.niceValue()]));
  },
  'names': ([name]) => {
    ok(processes.setProcessName(name!));
    const wrote = processes.rewriteArgument(3, 'XY');
    const cmdline = fromUtf8(ok(readFile('/proc/self/cmdline')));
    print(JSON.stringify({ comm: ok(readText('/proc/self/comm')), wrote, cmdline }));
  },
};

if (!runAsProgram(PROGRAMS)) {
  describe('this process', () => {
    test('argv: the bundle, then the arguments after it, as the kernel gave them; argv0 the first', () => {
      const run = runProgram('arguments', ['a b', '', 'h\u00e9']);
      const { argv, argv0 } = JSON.parse(run.stdout) as { argv: string[]; argv0: string };
      assert.equal(argv0, processes.argv[0]);
      assert.deepEqual(argv, [processes.argv[0], 'program', 'arguments', 'a b', '', 'h\u00e9']);
    });

    test('the start environment in its order; of a name given twice the first wins, as getenv\'s; env is frozen', async () => {
      const run = runProgram('environment', [], { env: { B: '2', A: '1', EMPTY: '', 'WEIRD-NAME.x': 'w', EQ: 'a=b' } });
      const { start, env } = JSON.parse(run.stdout) as { start: Array<[string, string]>; env: Record<string, string> };
      assert.deepEqual(start, [['B', '2'], ['A', '1'], ['EMPTY', ''], ['WEIRD-NAME.x', 'w'], ['EQ', 'a=b']]);
      assert.deepEqual(env, { B: '2', A: '1', EMPTY: '', 'WEIRD-NAME.x': 'w', EQ: 'a=b' });
      assert.equal(Object.isFrozen(processes.env), true);
      // A repeated name, an entry without "=" or with an empty name: only execve's own list can have them.
      const [readEnd, writeEnd] = ok(pipe());
      const child = ok(processes.spawn({
        file: ok(readlink('/proc/self/exe')), argv: ['host', processes.argv[0]!, 'program', 'environment'],
        envp: ['X=first', 'NOEQUALS', 'X=second', '=empty-name', 'Y=1'], cwd: null, fds: [-1, writeEnd, 2], group: 'inherit', terminal: -1,
      }));
      close(writeEnd);
      const text = fromUtf8(ok(readToEnd(readEnd)));
      close(readEnd);
      assert.equal(await ended(child), 0);
      assert.deepEqual((JSON.parse(text) as { start: unknown }).start, [['X', 'first'], ['Y', '1']]);
    });

    test('exit: at once, with the code, whatever is pending', () => {
      const run = runProgram('exit', ['42']);
      assert.deepEqual([run.status, run.stdout], [42, '']);
      assert.equal(runProgram('exit', ['0']).status, 0);
    });

    test('ids and the pid: as /proc says', () => {
      assert.equal(processes.pid, statusLine('Pid')[0]);
      assert.equal(processes.parentPid(), statusLine('PPid')[0]);
      const [uid, euid] = statusLine('Uid');
      const [gid, egid] = statusLine('Gid');
      assert.deepEqual([processes.uid(), processes.euid(), processes.gid(), processes.egid()], [uid, euid, gid, egid]);
      assert.equal(processes.processGroup(), ok(processes.processGroupOf(0)));
      assert.equal(ok(processes.sessionOf(0)), ok(processes.sessionOf(processes.pid)));
    });

    test('newSession: a session (and group) of its own, led by the process', () => {
      const { sid, pid, session, group } = JSON.parse(runProgram('session').stdout) as Record<string, number>;
      assert.deepEqual([sid, session, group], [pid, pid, pid]);
    });

    test('the nice value, raised in a process of its own', () => {
      const [before, after_] = JSON.parse(runProgram('nice', ['3']).stdout) as [number, number];
      assert.equal(after_, Math.min(19, before + 3));
      assert.equal(ok(processes.niceValue()), before);
    });

    test('setProcessName is what ps shows (15 bytes); rewriteArgument writes over an argument, cut to its length', () => {
      const { comm, wrote, cmdline } = JSON.parse(runProgram('names', ['a-long-process-name', 'abcdef']).stdout) as { comm: string; wrote: number; cmdline: string };
      assert.equal(comm, 'a-long-process-\n');
      assert.equal(wrote, 2);
      // argv[3] was 'a-long-process-name': 19 bytes and its NUL, now XY and 18 NULs.
      assert.ok(cmdline.endsWith(`\0program\0names\0XY${'\0'.repeat(18)}abcdef\0`), JSON.stringify(cmdline));
    });

    test('resource limits: a pair of bigints; setting what they are changes nothing; a bad one is EINVAL', () => {
      const [soft, hard] = ok(processes.getResourceLimit(RLIMIT_NOFILE));
      assert.equal(typeof soft, 'bigint');
      assert.ok(soft <= hard);
      assert.equal(processes.setResourceLimit(RLIMIT_NOFILE, soft, hard), undefined);
      assert.deepEqual(ok(processes.getResourceLimit(RLIMIT_NOFILE)), [soft, hard]);
      failed(processes.setResourceLimit(RLIMIT_NOFILE, hard + 1n, hard), 'EINVAL', 'setrlimit');
      failed(processes.getResourceLimit(999), 'EINVAL', 'getrlimit');
    });

    test('kill: signal 0 says whether a process is there', () => {
      assert.equal(processes.kill(processes.pid, 0), undefined);
      failed(processes.kill(2 ** 22 + 1, 0), 'ESRCH', 'kill');
    });
  });

  describe('spawn, waitFor, childrenOf', () => {
    const sh = (script: string, options: Partial<processes.SpawnRequest> = {}): number => ok(processes.spawn({
      file: '/bin/sh', argv: ['sh', '-c', script], envp: ['PATH=/usr/bin:/bin'], cwd: null, fds: [0, 1, 2], group: 'inherit', terminal: -1, ...options,
    }));
    const started: number[] = [];
    after(() => {
      for (const pid of started) processes.kill(-pid, 9);
    });

    test('waitFor: null while it runs, then its raw status once; after that ECHILD', async () => {
      const pid = sh('sleep 0.1; exit 7');
      assert.equal(ok(processes.waitFor(pid)), null);
      assert.equal(await ended(pid), 7 << 8);
      failed(processes.waitFor(pid), 'ECHILD', 'waitpid');
    });

    test('fds: the child\'s fd i is fds[i], -1 closed, nothing else passed', async () => {
      const [readEnd, writeEnd] = ok(pipe());
      // ls alone, not in a pipeline: the shell, waiting for it, holds no pipe of its own then.
      const pid = sh('echo out; echo err >&2; ls /proc/$$/fd', { fds: [-1, writeEnd, writeEnd] });
      close(writeEnd);
      assert.equal(await ended(pid), 0);
      const text = fromUtf8(ok(readToEnd(readEnd)));
      close(readEnd);
      assert.equal(text, 'out\nerr\n1\n2\n');
    });

    test('a group of its own, or a session of its own; the working directory', async () => {
      const group = sh('sleep 5', { group: 'own-group' });
      started.push(group);
      assert.equal(ok(processes.processGroupOf(group)), group);
      assert.equal(ok(processes.sessionOf(group)), ok(processes.sessionOf(0)));
      const session = sh('sleep 5', { group: 'own-session' });
      started.push(session);
      assert.equal(ok(processes.sessionOf(session)), session);
      const [readEnd, writeEnd] = ok(pipe());
      const pid = sh('pwd', { fds: [0, writeEnd, 2], cwd: '/proc' });
      close(writeEnd);
      assert.equal(await ended(pid), 0);
      assert.equal(fromUtf8(ok(readToEnd(readEnd))), '/proc\n');
      close(readEnd);
    });

    test('an exec that fails: its errno as the error (the child is reaped already)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'my_init-unit-processes-'));
      after(() => rmSync(dir, { recursive: true, force: true }));
      writeFileSync(join(dir, 'data'), '');
      chmodSync(join(dir, 'data'), 0o644);
      const request = { argv: ['x'], envp: [], cwd: null, fds: [0, 1, 2], group: 'inherit' as const, terminal: -1 };
      const childrenBefore = ok(processes.childrenOf(0)).length;
      const missing = processes.spawn({ ...request, file: '/no/such/file' });
      assert.ok(missing instanceof SystemError);
      assert.deepEqual([missing.code, missing.syscall, missing.path], ['ENOENT', 'execve', '/no/such/file']);
      const denied = processes.spawn({ ...request, file: join(dir, 'data') });
      assert.ok(denied instanceof SystemError);
      assert.equal(denied.code, 'EACCES');
      const noDirectory = processes.spawn({ ...request, file: '/bin/true', cwd: join(dir, 'none') });
      assert.ok(noDirectory instanceof SystemError);
      assert.equal(noDirectory.code, 'ENOENT');
      assert.equal(ok(processes.childrenOf(0)).length, childrenBefore, 'no child left, not even a zombie');
    });

    test('childrenOf: ours (0), another process\'s (more than 4096 bytes of them), none, and a gone one\'s ENOENT', async () => {
      const [readEnd, writeEnd] = ok(pipe());
      const shell = sh('i=0; while [ $i -lt 800 ]; do sleep 60 & i=$((i + 1)); done; echo started; wait', { fds: [0, writeEnd, 2], group: 'own-group' });
      started.push(shell);
      close(writeEnd);
      // One read: the sleeps hold the pipe open, so it never ends.
      const line = new Uint8Array(64);
      assert.equal(fromUtf8(line.subarray(0, ok(read(readEnd, line)))), 'started\n');
      close(readEnd);
      assert.ok(ok(processes.childrenOf(0)).includes(shell));
      const grandchildren = ok(processes.childrenOf(shell));
      assert.equal(grandchildren.length, 800);
      assert.equal(new Set(grandchildren).size, 800);
      assert.deepEqual(ok(processes.childrenOf(grandchildren[0]!)), []);
      const gone = 2 ** 22 + 1;
      const error = failed(processes.childrenOf(gone), 'ENOENT', 'open');
      assert.equal(error.path, `/proc/${gone}/task`);
      processes.kill(-shell, 9);
      await ended(shell);
    });
  });
}
