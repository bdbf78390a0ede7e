// svlogd's side of the hand-off to PID 1 (the protocol: handoff-protocol.ts).
// Started by our own supervisor, svlogd asks PID 1 to do its work and becomes
// the small C stub, so that a logger costs no Node heap. Anywhere else, or when
// PID 1 says no, it returns and svlogd runs on its own.
import { closeSync, readFileSync, readSync, writeSync } from 'node:fs';
import { getRawAsset, isSea } from 'node:sea';
import { join } from 'node:path';
import { processEnvironment } from '../children.ts';
import type { Native } from '../native.ts';
import { ACCEPTED, CHANNEL_ENV, EXIT_BYTE, SIGNAL_BYTES, type Request } from './handoff-protocol.ts';

const STUB_ASSET = 'logger-stub';

/**
 * false: svlogd is to run on its own. true: PID 1 does the logging; this
 * process has become the stub or, where the kernel would not exec it, acts as
 * one, and svlogd must do nothing more.
 */
export function handOffToSupervisor(args: readonly string[], native: Native): boolean {
  const named = process.env[CHANNEL_ENV];
  if (named === undefined) return false;
  // Neither a processor nor an svlogd on its own should see it.
  delete process.env[CHANNEL_ENV];
  const fd = Number(named);
  if (!Number.isInteger(fd) || fd < 3) return false;
  const stub = loadStub(native);
  if (stub === null) {
    closeQuietly(fd);
    return false;
  }
  const request: Request = { pid: process.pid, args: [...args], cwd: process.cwd(), env: environment() };
  if (!ask(fd, `${JSON.stringify(request)}\n`)) {
    closeQuietly(fd);
    closeQuietly(stub);
    return false;
  }
  try {
    // Node made every inherited fd close-on-exec as it started.
    native.keepOnExec(fd);
    // The stub's own fd too: qemu-user (an arm64 image on an x64 host, through
    // binfmt_misc) opens /proc/self/fd/N only after the exec, and exits 1 if it
    // is closed by then. The stub maps that memfd anyway; the fd costs nothing.
    native.keepOnExec(stub);
    // argv as it was, so that ps shows the same command line.
    process.execve?.(`/proc/self/fd/${stub}`, ['svlogd', ...args], { ...environment(), [CHANNEL_ENV]: named });
  } catch {
    // No exec from a memfd here (a hardened kernel, no /proc): be the stub in Node instead.
  }
  actAsStub(fd);
  return true;
}

/** The stub, in a memfd, or null when it cannot be had (no addon, no memfd). */
function loadStub(native: Native): number | null {
  try {
    const bytes = isSea()
      ? new Uint8Array(getRawAsset(STUB_ASSET))
      : readFileSync(join(process.argv[1] ?? '.', '..', '..', 'build', STUB_ASSET));
    const fd = native.memfdCreate('svlogd');
    writeSync(fd, bytes);
    return fd;
  } catch {
    return null;
  }
}

/** Sends the request and reads the one-line answer; true for yes. */
function ask(fd: number, request: string): boolean {
  try {
    writeSync(fd, request);
    const answer = Buffer.alloc(ACCEPTED.length);
    let got = 0;
    while (got < answer.length) {
      const n = readSync(fd, answer, got, answer.length - got, null);
      if (n === 0) return false;
      got += n;
    }
    return answer.toString('latin1') === ACCEPTED;
  } catch {
    return false;
  }
}

function environment(): Record<string, string> {
  return Object.fromEntries(processEnvironment());
}

/** What the C stub does, for a kernel that will not exec it: signals become bytes, `x` and a code end it. */
function actAsStub(fd: number): void {
  for (const [byte, signal] of Object.entries(SIGNAL_BYTES)) {
    process.on(signal, () => writeSync(fd, byte));
  }
  const { Socket } = require('node:net') as typeof import('node:net');
  const channel = new Socket({ fd, readable: true, writable: false });
  let ending = false;
  channel.on('data', (bytes: Buffer) => {
    for (const byte of bytes) {
      if (ending) process.exit(byte);
      ending = byte === EXIT_BYTE.charCodeAt(0);
    }
  });
  channel.on('close', () => process.exit(111));
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
