// Sockets: the sd_notify datagram socket (the sender's pid vouched for by the
// kernel), a TCP listener for the status endpoint, svlogd's UDP lines, and IP
// literals. Descriptors are non-blocking and close-on-exec; read and write them
// with system/files.ts, wait for them with system/loop.ts.
import * as platform from 'sys:sockets';
import { checked, SystemError } from './errors.ts';

/** 4 or 6 for an IPv4 or IPv6 literal, 0 for anything else. */
export const ipVersion = (text: string): 0 | 4 | 6 => platform.ipVersion(text);

/** A datagram socket bound at the abstract address `name` (no leading NUL), passing its senders' credentials. */
export const bindNotify = (name: string): number | SystemError => checked(platform.bindNotify(name), 'bind', `@${name}`);

export interface Datagram {
  length: number;
  /** The sender's pid as the kernel gives it (0 from another PID namespace). */
  pid: number;
  /** Longer than the buffer: the rest was lost. */
  truncated: boolean;
}

/** One queued datagram into `buffer`; null when none is queued. */
export function receiveNotify(fd: number, buffer: Uint8Array): Datagram | null | SystemError {
  const result = checked(platform.receiveNotify(fd, buffer), 'recvmsg');
  if (result instanceof SystemError) return result.code === 'EAGAIN' ? null : result;
  const [length, pid, truncated] = result;
  return { length, pid, truncated };
}

/** A connected pair of Unix stream sockets. */
export const socketPair = (): [number, number] | SystemError => checked(platform.socketpair(), 'socketpair');

/** `bytes` to ip:port from a fresh UDP socket; the bytes sent. */
export const sendUdp = (ip: string, port: number, bytes: Uint8Array): number | SystemError =>
  checked(platform.sendUdp(ip, port, bytes), 'sendto', `${ip}:${port}`);

/** A listening TCP socket at ip:port. */
export const listenTcp = (ip: string, port: number, backlog: number): number | SystemError =>
  checked(platform.listenTcp(ip, port, backlog), 'listen', `${ip}:${port}`);

/** A waiting connection's fd; null when none waits. */
export function accept(fd: number): number | null | SystemError {
  const connection = checked(platform.accept(fd), 'accept');
  return connection instanceof SystemError && connection.code === 'EAGAIN' ? null : connection;
}

/** Ends what we send on a connected stream (FIN) and keeps reading: the peer sees the end of our reply before we close. */
export function shutdownWrite(fd: number): undefined | SystemError {
  const done = checked(platform.shutdownWrite(fd), 'shutdown');
  return done instanceof SystemError ? done : undefined;
}
