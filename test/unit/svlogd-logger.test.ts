// The svlogd engine in-process, as PID 1 drives it (src/svlogd/logger.ts):
// fed chunks, told of signals, never exiting the process; where svlogd would
// block, write() says stop and onWritable says go on.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Children } from '../../src/children.ts';
import { loadNative } from '../../src/native.ts';
import { parseSvlogdArguments, type Options } from '../../src/svlogd/arguments.ts';
import { Logger, type LoggerHost } from '../../src/svlogd/logger.ts';

const native = loadNative(join(import.meta.dirname, '..', '..', 'build', 'Release', 'init_native.node'));
if (native instanceof Error) throw native;
const children = new Children(native);

let scratch = '';
let warnings: string[] = [];
const host = (): LoggerHost => ({
  children,
  env: new Map([['PATH', '/usr/bin:/bin']]),
  warn: (line) => warnings.push(line.toString()),
  lock: (fd) => native.flock(fd, false),
});
const options = (...args: string[]): Options => {
  const parsed = parseSvlogdArguments(args);
  if (parsed instanceof Error) throw parsed;
  return parsed;
};
const lines = (count: number): string => Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join('');
/** Every rotated file's content, oldest first, then current's. */
const logged = (directory: string): string =>
  readdirSync(directory).filter((name) => name.startsWith('@')).sort().concat('current')
    .map((name) => readFileSync(join(directory, name), 'latin1')).join('');

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'svlogd-engine-'));
  warnings = [];
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('Logger', () => {
  test('relative directories are resolved against the cwd it is given, not the process\'s', async () => {
    mkdirSync(join(scratch, 'log'));
    const logger = new Logger(options('log'), scratch, host());
    assert.equal(logger.start(), true);
    assert.equal(logger.write(Buffer.from('hello\n')), true);
    assert.equal(await logger.end(), 0);
    assert.equal(readFileSync(join(scratch, 'log', 'current'), 'latin1'), 'hello\n');
    assert.equal(statSync(join(scratch, 'log', 'current')).mode & 0o777, 0o744);
  });

  test('while the previous processor runs, a rotation stops the input: write() is false until onWritable', async () => {
    const log = join(scratch, 'log');
    mkdirSync(log);
    // The processor waits for the test's go-ahead, so the second rotation must wait for it.
    writeFileSync(join(log, 'config'), 's40\nn100\n!while ! test -e ../go; do sleep 0.01; done; tr a-z A-Z\n');
    const logger = new Logger(options('log'), scratch, host());
    assert.equal(logger.start(), true);
    let resumed = 0;
    logger.onWritable = () => resumed++;
    assert.equal(logger.write(Buffer.from(lines(20))), false, 'blocked behind the first processor');
    assert.equal(resumed, 0);
    writeFileSync(join(scratch, 'go'), '');
    while (resumed === 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await logger.end(), 0);
    // Every rotated file went through the processor; nothing is lost or reordered.
    const rotated = readdirSync(log).filter((name) => name.startsWith('@')).sort();
    assert.ok(rotated.length >= 2, rotated.join(' '));
    assert.ok(rotated.every((name) => name.endsWith('.s')), rotated.join(' '));
    assert.equal(logged(log).toLowerCase(), lines(20));
    assert.deepEqual(warnings, []);
  });

  test('TERM in mid-line: reads one byte at a time to the end of the line, drops it, resolves 0', async () => {
    mkdirSync(join(scratch, 'log'));
    const logger = new Logger(options('log'), scratch, host());
    logger.start();
    logger.write(Buffer.from('kept\npartial'));
    assert.equal(logger.readSize(), 65536);
    const done = logger.terminate();
    assert.equal(logger.readSize(), 1);
    logger.write(Buffer.from('-rest\nnever read\n'));
    assert.equal(await done, 0);
    assert.equal(readFileSync(join(scratch, 'log', 'current'), 'latin1'), 'kept\n');
  });

  test('a reload that finds no usable directory resolves 111 after svlogd\'s fatal line', async () => {
    mkdirSync(join(scratch, 'log'));
    const logger = new Logger(options('log'), scratch, host());
    logger.start();
    rmSync(join(scratch, 'log'), { recursive: true });
    logger.reload();
    assert.equal(await logger.done, 111);
    assert.deepEqual(warnings, [
      'svlogd: warning: unable to open log directory: log: file does not exist',
      'svlogd: fatal: no functional log directories.',
    ]);
  });

  test('UDP without the addon\'s sendUdp: node:dgram sends the same datagrams', async () => {
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((ready) => socket.bind(0, '127.0.0.1', ready));
    const received: string[] = [];
    socket.on('message', (message) => received.push(message.toString()));
    try {
      mkdirSync(join(scratch, 'log'));
      writeFileSync(join(scratch, 'log', 'config'), `U127.0.0.1:${socket.address().port}\npp: \n`);
      const logger = new Logger(options('log'), scratch, host());
      logger.start();
      logger.write(Buffer.from('one\ntwo\n'));
      assert.equal(await logger.end(), 0);
      while (received.length < 2) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(received, ['p: one\n', 'p: two\n']);
      assert.equal(readFileSync(join(scratch, 'log', 'current'), 'latin1'), '', 'U: nothing in the log');
    } finally {
      socket.close();
    }
  });

  test('start() is false when no directory can be used', () => {
    const logger = new Logger(options('missing'), scratch, host());
    assert.equal(logger.start(), false);
  });
});
