// The last step: every remaining process gets SIGTERM, and SIGKILL when they
// are not all gone after KILL_ALL_PROCESSES_TIMEOUT. As PID 1 that is kill(-1),
// as in the reference. Anywhere else kill(-1) would hit every process of the
// user (for root: the machine), so only our own descendants are signalled.
import type { Children } from './children.ts';
import { SIGNALS, type SignalName } from './linux-signals.ts';
import * as log from './log.ts';
import { statFields } from './proc-stat.ts';
import { SystemError } from './system/errors.ts';
import { readdir, readlink } from './system/files.ts';
import { kill, pid as ourPid } from './system/processes.ts';
import { delay, monotonicMs } from './waiting.ts';

function descendants(children: Children): number[] {
  const found: number[] = [];
  const queue = children.list();
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    // An error: it exited while we looked.
    const grandchildren = children.childrenOf(pid);
    if (!(grandchildren instanceof SystemError)) queue.push(...grandchildren);
  }
  return found;
}

/** An error is ESRCH: nobody left to signal. */
function signalEveryone(children: Children, signal: SignalName): void {
  const targets = ourPid === 1 ? [-1] : descendants(children);
  for (const pid of targets) kill(pid, SIGNALS[signal]);
}

function isZombie(pid: number): boolean {
  const fields = statFields(pid);
  return fields instanceof SystemError || fields[0] === 'Z'; // An error: gone already.
}

/** Most processes die within a few ms of SIGTERM: look soon, then less often. */
const FIRST_POLL_MS = 1;
const POLL_MS = 20;

/**
 * Resolves true once no child of ours is alive, false after `seconds`. A zombie
 * counts as gone: the reaper takes it, or (without the addon) nobody can.
 */
async function allGone(children: Children, seconds: number): Promise<boolean> {
  const deadline = monotonicMs() + seconds * 1000;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(2 * pause, POLL_MS)) {
    if (children.list().every(isZombie)) return true;
    if (monotonicMs() >= deadline) return false;
    await delay(Math.min(pause, deadline - monotonicMs()) / 1000).promise;
  }
}

/**
 * Whether any process but us may be left: a one-shot's usual end has none, and
 * one look tells (as PID 1, our namespace's /proc lists every process in it;
 * otherwise every process left is a descendant, so first a child of ours: we
 * are their subreaper). A /proc of another namespace, or none, cannot tell.
 */
function anyoneElse(children: Children): boolean {
  if (ourPid !== 1) return children.list().length > 0;
  if (readlink('/proc/self') !== '1') return true;
  const names = readdir('/proc');
  return names instanceof SystemError || names.some((name) => name !== '1' && /^[0-9]+$/.test(name));
}

export async function killAllProcesses(children: Children, timeoutSeconds: number): Promise<void> {
  log.info('Killing all processes...');
  if (!anyoneElse(children)) return;
  signalEveryone(children, 'SIGTERM');
  signalEveryone(children, 'SIGCONT'); // A stopped process could not act on SIGTERM.
  if (await allGone(children, timeoutSeconds)) return;
  log.warn('Not all processes have exited in time. Forcing them to exit.');
  signalEveryone(children, 'SIGKILL');
}
