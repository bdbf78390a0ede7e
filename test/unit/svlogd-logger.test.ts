// The svlogd engine in-process, as PID 1 drives it (src/svlogd/logger.ts):
// fed chunks, told of signals, never exiting the process; where svlogd would
// block, write() says stop and onWritable says go on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Children } from '../../src/children.ts';
import { parseSvlogdArguments, type Options } from '../../src/svlogd/arguments.ts';
import { Logger, type LoggerHost } from '../../src/svlogd/logger.ts';
import { SystemError } from '../../src/system/errors.ts';
import { close, pipe } from '../../src/system/files.ts';
import { readFrom } from '../../src/system/input.ts';
import { fromUtf8 } from '../../src/system/text.ts';

const children = new Children();

let scratch = '';
let warnings: string[] = [];
const host = (): LoggerHost => ({
  children,
  env: new Map([['PATH', '/usr/bin:/bin']]),
  warn: (line) => warnings.push(typeof line === 'string' ? line : fromUtf8(line)),
});
const hasPython = spawnSync('sh', ['-c', 'command -v python3'], { stdio: 'ignore' }).status === 0;

/** A UDP socket on 127.0.0.1 (python3's: the platform sends datagrams, it receives none): its port, and the datagrams it gets. */
async function udpReceiver(count: number): Promise<{ port: number; received: Promise<string[]> }> {
  const script = 'import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("127.0.0.1", 0))\n'
    + 'print(s.getsockname()[1], flush=True)\nfor _ in range(int(sys.argv[1])):\n    print(s.recv(65536).hex(), flush=True)\n';
  const [readEnd, writeEnd] = pipe() as [number, number];
  // Our PATH: where hasPython found it.
  children.spawn({ argv: ['python3', '-c', script, String(count)], env: new Map([['PATH', process.env.PATH ?? '/usr/bin:/bin']]), stdio: [0, writeEnd, 2] });
  close(writeEnd);
  let text = '';
  let portKnown: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => {
    portKnown = resolve;
  });
  const received = new Promise<string[]>((resolve, reject) => {
    const reader = readFrom(readEnd, (bytes) => {
      text += fromUtf8(bytes);
      if (text.includes('\n')) portKnown(Number(text.slice(0, text.indexOf('\n'))));
    }, (error) => {
      close(readEnd);
      if (error !== null) reject(error);
      // Each datagram in hex, one a line.
      else resolve(text.split('\n').slice(1, -1).map((hex) => fromUtf8(Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16)))));
    });
    if (reader instanceof SystemError) reject(reader);
  });
  return { port: await port, received };
}
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

  test('UDP: each line one datagram to the address, nothing in the log', { skip: !hasPython && 'no python3 to receive them' }, async () => {
    const { port, received } = await udpReceiver(2);
    mkdirSync(join(scratch, 'log'));
    writeFileSync(join(scratch, 'log', 'config'), `U127.0.0.1:${port}\npp: \n`);
    const logger = new Logger(options('log'), scratch, host());
    logger.start();
    logger.write(Buffer.from('one\ntwo\n'));
    assert.equal(await logger.end(), 0);
    assert.deepEqual(await received, ['p: one\n', 'p: two\n']);
    assert.equal(readFileSync(join(scratch, 'log', 'current'), 'latin1'), '', 'U: nothing in the log');
  });

  test('start() is false when no directory can be used', () => {
    const logger = new Logger(options('missing'), scratch, host());
    assert.equal(logger.start(), false);
  });
});
