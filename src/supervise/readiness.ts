// Readiness, beyond runit's "running": what a service said about itself. Kept
// out of runit's 20-byte supervise/status (runit's sv refuses any other size)
// in a file of its own, supervise/readiness, written only for services that
// declare a way to say it (`notify`, `notification-fd`), as s6 keeps its extra
// state apart. Our sv reads it; runit's sv never opens it.

/** ready: it said so (or runs, when it has no way to); starting: running, not yet; unready: not running, or stopping. */
export type Readiness = 'ready' | 'starting' | 'unready';

/** How a service tells its readiness, in the order of precedence. */
export type ReadinessMechanism = 'notify' | 'notification-fd' | 'check' | 'running';

export const READINESS_FILE = 'readiness';

/** `ready`/`starting`/`unready`, a newline, then the service's STATUS= text (if any) on a line. */
export function renderReadiness(readiness: Readiness, statusText: string | null): string {
  return statusText === null ? `${readiness}\n` : `${readiness}\n${statusText}\n`;
}

export function parseReadiness(text: string): { readiness: Readiness; statusText: string | null } | null {
  const [word, statusText] = text.split('\n');
  if (word !== 'ready' && word !== 'starting' && word !== 'unready') return null;
  return { readiness: word, statusText: statusText === undefined || statusText === '' ? null : statusText };
}
