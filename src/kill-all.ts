// The last step: every remaining process gets SIGTERM, and SIGKILL when they
// are not all gone after KILL_ALL_PROCESSES_TIMEOUT. As PID 1 that is kill(-1),
// as in the reference. Anywhere else kill(-1) would hit every process of the
// user (for root: the machine), so only our own descendants are signalled.
import { readdirSync, readlinkSync } from 'node:fs';
import type { Children } from './children.ts';
import * as log from './log.ts';
import { statFields } from './proc-stat.ts';
import { delay, monotonicMs } from './waiting.ts';

function descendants(children: Children): number[] {
  const found: number[] = [];
  const queue = children.list();
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    try {
      for (const child of children.childrenOf(pid)) queue.push(child);
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

function signalEveryone(children: Children, signal: NodeJS.Signals): void {
  const targets = process.pid === 1 ? [-1] : descendants(children);
  for (const pid of targets) {
    try {
      process.kill(pid, signal);
    } catch {
      // Nobody left to signal.
    }
  }
}

function isZombie(pid: number): boolean {
  try {
    return statFields(pid)[0] === 'Z';
  } catch {
    return true; // Gone already.
  }
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
  if (process.pid !== 1) return children.list().length > 0;
  try {
    if (readlinkSync('/proc/self') !== '1') return true;
    return readdirSync('/proc').some((name) => name !== '1' && /^[0-9]+$/.test(name));
  } catch {
    return true;
  }
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
