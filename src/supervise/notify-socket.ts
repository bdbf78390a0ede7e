// sd_notify sockets: one per run of a service that asks for one (`notify` or
// `watchdog`), made only then, so an image without those files pays nothing.
// The address tells which service a datagram is for; the pid the kernel vouches
// for (SCM_CREDENTIALS) tells whether its sender may speak for that service.
import * as log from '../log.ts';
import { SystemError } from '../system/errors.ts';
import { close } from '../system/files.ts';
import { READABLE, watch } from '../system/loop.ts';
import { pid as ourPid, sessionOf as platformSessionOf } from '../system/processes.ts';
import { bindNotify, receiveNotify } from '../system/sockets.ts';
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

/** sd_notify's messages are short: a longer one is dropped, since it may have lost lines. */
const DATAGRAM_BYTES = 4096;
/** Datagrams read per wake-up: a chatty service cannot hold the loop. */
const DATAGRAMS_PER_TURN = 16;

let sequence = 0;
/** One buffer for every socket: a datagram is parsed before the next is read. */
let buffer: Uint8Array | null = null;

/** A socket for one receiver; an Error naming the cause when it cannot be made. */
export function openNotifySocket(receiver: NotifyReceiver, owner: string): NotifySocket | Error {
  const name = `my_init/${ourPid}/${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 10)}.${sequence++}`;
  const fd = bindNotify(name);
  if (fd instanceof SystemError) return new Error(`cannot make its notification socket: ${fd.code}`);
  const watched = watch(fd, READABLE, () => {
    buffer ??= new Uint8Array(DATAGRAM_BYTES);
    for (let i = 0; i < DATAGRAMS_PER_TURN; i++) {
      const datagram = receiveNotify(fd, buffer);
      if (datagram === null || datagram instanceof SystemError) return;
      if (datagram.truncated) continue;
      const sender = datagram.pid;
      if (sender > 0 && receiver.accepts(sender, sessionOf(sender))) receiver.receive(parseNotifyMessage(buffer.subarray(0, datagram.length)), sender);
      else log.debug(`Ignored a notification for ${owner} from PID ${sender}: not one of its processes.`);
    }
  });
  if (watched instanceof SystemError) {
    close(fd);
    return new Error(`cannot make its notification socket: ${watched.code}`);
  }
  // The run it serves keeps the process alive, not its socket.
  watched.unref();
  let open = true;
  return {
    address: `@${name}`,
    close: () => {
      if (!open) return;
      open = false;
      watched.close();
      close(fd);
    },
  };
}

/** The session id of `pid`; null when the process is gone. */
export function sessionOf(pid: number): number | null {
  const session = platformSessionOf(pid);
  return session instanceof SystemError ? null : session;
}
