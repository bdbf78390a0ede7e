// A small HTTP/1.1 server on the loop, for the status endpoint: one request
// per connection, answered with `Connection: close` (a probe sends one GET).
// Everything a client can hold is bounded: the connections open at once, the
// head's size (http.ts), the time its request may take to arrive, the time a
// reply may take to be read, and the time a closing connection lingers.
import { SystemError } from '../system/errors.ts';
import { close, write } from '../system/files.ts';
import { type Reader, readFrom } from '../system/input.ts';
import { clearTimeout, READABLE, setTimeout, type Timer, type Watch, watch, WRITABLE } from '../system/loop.ts';
import { accept, listenTcp, shutdownWrite } from '../system/sockets.ts';
import { concatBytes, utf8 } from '../system/text.ts';
import { HeadReader, replyHead, type Request } from './http.ts';

export interface Reply {
  status: number;
  /** Content-Type. */
  type: string;
  body: string;
  /** The Allow field, for a 405. */
  allow?: string;
}

/** What a request is answered with; never rejects (a rejection drops the connection). */
export type Handler = (request: Request) => Promise<Reply>;

export interface HttpLimits {
  /** Connections beyond these are closed as soon as they are accepted. */
  maxConnections: number;
  /** From the connection to the end of the request's head; 408 after it. */
  requestTimeoutMs: number;
}

export interface HttpServer {
  /** Stops listening (new connections are refused) and drops the open ones. */
  close(): void;
}

/** As Node's default: the kernel caps it anyway (somaxconn). */
const BACKLOG = 511;
/** A reply is a few KiB: one the client does not read within this is dropped. */
const REPLY_TIMEOUT_MS = 10_000;
/** After the reply, how long what the client still sends is read and thrown away before the close. */
const LINGER_MS = 2_000;
/** Connections accepted in one turn of the loop: a flood of them cannot hold it. */
const ACCEPTS_PER_TURN = 32;
/** How long accepting pauses when the process is out of descriptors or memory. */
const ACCEPT_PAUSE_MS = 1_000;
/** accept()'s failures that are about one connection only: the next may be accepted at once. */
const ONE_CONNECTION_FAILURES = new Set(['ECONNABORTED', 'EPROTO', 'EPERM', 'EINTR']);
/** Small reads: a head is rarely more than a few hundred bytes. */
const READ_BYTES = 4096;
const PLAIN = 'text/plain; charset=utf-8';

/** Listens at ip:port and answers each request with `handler`; the SystemError of a listen that failed. */
export function listenHttp(ip: string, port: number, handler: Handler, limits: HttpLimits): HttpServer | SystemError {
  const fd = listenTcp(ip, port, BACKLOG);
  if (fd instanceof SystemError) return fd;
  const connections = new Set<Connection>();
  let pause: Timer | null = null;
  const acceptWaiting = (): void => {
    for (let i = 0; i < ACCEPTS_PER_TURN; i++) {
      const accepted = accept(fd);
      if (accepted === null) return;
      if (accepted instanceof SystemError) {
        if (ONE_CONNECTION_FAILURES.has(accepted.code)) continue;
        // EMFILE and the like: the listener stays readable, and accepting again at once would spin.
        listening.setEvents(0);
        pause = setTimeout(() => {
          pause = null;
          listening.setEvents(READABLE);
        }, ACCEPT_PAUSE_MS);
        return;
      }
      // As Node's server.maxConnections: accepted, then closed at once.
      if (connections.size >= limits.maxConnections) {
        close(accepted);
        continue;
      }
      const connection = new Connection(accepted, handler, limits.requestTimeoutMs, (closed) => connections.delete(closed));
      if (connection.open) connections.add(connection);
    }
  };
  const watched = watch(fd, READABLE, acceptWaiting);
  if (watched instanceof SystemError) {
    close(fd);
    return watched;
  }
  const listening: Watch = watched;
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      listening.close();
      clearTimeout(pause);
      close(fd);
      for (const connection of [...connections]) connection.destroy();
    },
  };
}

/**
 * One connection, through its phases: `request` (its head comes, within the
 * request timeout), `answer` (the handler works), `reply` (written, within
 * the reply timeout), `linger` (our side ended; what the client still sends
 * is thrown away, so that the close does not reset the connection under a
 * reply the client has not read yet), `closed`.
 */
class Connection {
  private phase: 'request' | 'answer' | 'reply' | 'linger' | 'closed' = 'request';
  private readonly head = new HeadReader();
  private reader: Reader | null = null;
  /** Only while a reply waits for room in the socket's buffer; the reader is paused meanwhile (one watch per fd). */
  private writable: Watch | null = null;
  private timer: Timer | null = null;
  /** The client ended its side (it may still read the reply). */
  private peerEnded = false;
  private out: Uint8Array = new Uint8Array(0);
  private written = 0;
  private readonly fd: number;
  private readonly handler: Handler;
  private readonly onClosed: (connection: Connection) => void;

  constructor(fd: number, handler: Handler, requestTimeoutMs: number, onClosed: (connection: Connection) => void) {
    this.fd = fd;
    this.handler = handler;
    this.onClosed = onClosed;
    this.arm(requestTimeoutMs, () => this.reply({ status: 408, type: PLAIN, body: 'the request did not arrive in time\n' }, false));
    const reader = readFrom(fd, (bytes) => this.received(bytes), (error) => this.ended(error), { chunkBytes: READ_BYTES, nonBlocking: false });
    if (reader instanceof SystemError) this.destroy();
    else this.reader = reader;
  }

  get open(): boolean {
    return this.phase !== 'closed';
  }

  private received(bytes: Uint8Array): void {
    // Past the head: a body, a second request, or what a lingering close throws away.
    if (this.phase !== 'request') return;
    const parsed = this.head.push(bytes);
    if (parsed === null) return;
    if (!parsed.ok) return this.reply({ status: parsed.status, type: PLAIN, body: `${parsed.why}\n` }, false);
    this.phase = 'answer';
    this.disarm();
    const { request } = parsed;
    this.handler(request).then(
      (reply) => this.reply(reply, request.method === 'HEAD'),
      () => this.destroy(),
    );
  }

  private ended(error: SystemError | null): void {
    this.reader = null;
    this.peerEnded = true;
    if (error !== null || this.phase === 'linger') return this.destroy();
    if (this.phase === 'request') {
      // A connection closed before it said anything (a TCP probe) gets nothing; a head cut short, a 400.
      if (this.head.received === 0) return this.destroy();
      return this.reply({ status: 400, type: PLAIN, body: 'the connection ended inside the request\n' }, false);
    }
    // answer or reply: a client may end its side after its request and still read the reply.
  }

  private reply(reply: Reply, headOnly: boolean): void {
    if (this.phase === 'closed' || this.phase === 'reply' || this.phase === 'linger') return;
    this.phase = 'reply';
    const body = utf8(reply.body);
    const fields: Array<[string, string]> = [['Content-Type', reply.type]];
    if (reply.allow !== undefined) fields.push(['Allow', reply.allow]);
    fields.push(
      ['Cache-Control', 'no-store'],
      ['Content-Length', String(body.length)],
      ['Date', new Date().toUTCString()],
      ['Connection', 'close'],
    );
    const head = utf8(replyHead(reply.status, fields));
    this.out = headOnly ? head : concatBytes([head, body]);
    this.written = 0;
    this.arm(REPLY_TIMEOUT_MS, () => this.destroy());
    this.flush();
  }

  private flush(): void {
    while (this.written < this.out.length) {
      const wrote = write(this.fd, this.out, this.written);
      if (wrote instanceof SystemError) {
        if (wrote.code === 'EAGAIN') return this.waitForRoom();
        return this.destroy(); // EPIPE, ECONNRESET: nobody reads it any more.
      }
      this.written += wrote;
    }
    this.writable?.close();
    this.writable = null;
    this.linger();
  }

  private waitForRoom(): void {
    if (this.writable !== null) return;
    this.reader?.pause();
    const watched = watch(this.fd, WRITABLE, () => this.flush());
    if (watched instanceof SystemError) return this.destroy();
    this.writable = watched;
  }

  private linger(): void {
    this.phase = 'linger';
    if (this.peerEnded || shutdownWrite(this.fd) !== undefined) return this.destroy();
    this.arm(LINGER_MS, () => this.destroy());
    this.reader?.resume();
  }

  private arm(ms: number, then: () => void): void {
    this.disarm();
    this.timer = setTimeout(then, ms);
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Closes at once, whatever the phase. */
  destroy(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.disarm();
    this.reader?.close();
    this.reader = null;
    this.writable?.close();
    this.writable = null;
    close(this.fd);
    this.onClosed(this);
  }
}
