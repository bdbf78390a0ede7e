// sd_notify sockets: one per run of a service that asks for one (`notify` or
// `watchdog`), made only then, so an image without those files pays nothing.
// The address tells which service a datagram is for; the pid the kernel vouches
// for (SCM_CREDENTIALS) tells whether its sender may speak for that service.
import { statFields } from '../proc-stat.ts';
import * as log from '../log.ts';
import type { Native } from '../native.ts';
import { type NotifyMessage, parseNotifyMessage } from './notify-message.ts';

export interface NotifyReceiver {
  /** Whether a process (its pid, and its session id or null once it is gone) may speak for this service. */
  accepts(pid: number, session: number | null): boolean;
  receive(message: NotifyMessage, pid: number): void;
}

export interface NotifySocket {
  /** NOTIFY_SOCKET's value: an abstract address, so no file on a read-only root, none another uid cannot reach. */
  readonly address: string;
  close(): void;
}

let sequence = 0;

/** A socket for one receiver; an Error naming the cause when it cannot be made (no addon, say). */
export function openNotifySocket(native: Native | null, receiver: NotifyReceiver, owner: string): NotifySocket | Error {
  if (native === null || typeof native.listenNotify !== 'function') return new Error('the native helper is not loaded');
  const name = `my_init/${process.pid}/${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}.${sequence++}`;
  let id: number;
  try {
    id = native.listenNotify(name, (pid, bytes) => {
      if (pid > 0 && receiver.accepts(pid, sessionOf(pid))) receiver.receive(parseNotifyMessage(bytes), pid);
      else log.debug(`Ignored a notification for ${owner} from PID ${pid}: not one of its processes.`);
    });
  } catch (error) {
    return new Error(`cannot make its notification socket: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let open = true;
  return {
    address: `@${name}`,
    close: () => {
      if (open) native.closeWatch(id);
      open = false;
    },
  };
}

/** The session id from /proc/PID/stat; null when the process is gone. */
export function sessionOf(pid: number): number | null {
  try {
    const session = Number(statFields(pid)[3]);
    return Number.isInteger(session) ? session : null;
  } catch {
    return null;
  }
}
