// HTTP/1.1 as the status endpoint speaks it (RFC 9112): a request's head,
// taken from bytes as they come, and the head of a reply. Pure (no I/O, no
// imports), so that the unit tests run under Node what PID 1 runs under
// QuickJS. Strict where a lax reading would guess (a bare CR, a folded line,
// a space before a colon): whatever a client sends, the answer is a request
// or a status to refuse it with, never an exception.

/** The most a request's head (request line and header fields) may take: Node's default, 16 KiB. */
export const MAX_HEAD_BYTES = 16 * 1024;

export interface Request {
  /** Case-sensitive, as sent: `GET`, `HEAD`, or any other token. */
  method: string;
  /** As sent: origin-form (`/status?x=1`), absolute-form (`http://host/status`) or `*`. */
  target: string;
  /** The target up to its `?`: what a route is matched against. */
  path: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and any later 1.x, read as 1.1). */
  minorVersion: number;
  /** Each field by its lower-case name; a repeated one joined with ", ". */
  headers: Map<string, string>;
}

export type RejectStatus = 400 | 431 | 505;

export type Parsed = { ok: true; request: Request } | { ok: false; status: RejectStatus; why: string };

const LF = 0x0a;
const CR = 0x0d;

/** A method or a field name (RFC 9110's token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** method SP request-target SP HTTP-version; a target of visible ASCII only. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/([0-9])\.([0-9])$/;
/** Control characters other than HTAB: never in a field value. */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

const reject = (status: RejectStatus, why: string): Parsed => ({ ok: false, status, why });

/**
 * Where a head ends in bytes[0, length): just past the empty line that ends
 * it (CRLF CRLF, or bare LFs, which RFC 9112 lets a recipient accept), or -1.
 * The scan starts at `from`, so bytes that came one at a time are looked at
 * about once each.
 */
export function headEnd(bytes: Uint8Array, length: number, from = 0): number {
  for (let i = Math.max(0, from); i < length; i++) {
    if (bytes[i] !== LF) continue;
    if (i + 1 < length && bytes[i + 1] === LF) return i + 2;
    if (i + 2 < length && bytes[i + 1] === CR && bytes[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** Bytes as text, one character per byte (ISO 8859-1, as HTTP's octets are read), in slices that apply() takes in one call. */
export function latin1Text(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return text;
}

/** A field value without the spaces and tabs around it; by hand, as a regular expression could take quadratic time on a long run of spaces. */
function withoutSpaceAround(value: string): string {
  const blank = (c: string): boolean => c === ' ' || c === '\t';
  let start = 0;
  let end = value.length;
  while (start < end && blank(value[start]!)) start++;
  while (end > start && blank(value[end - 1]!)) end--;
  return value.slice(start, end);
}

/** A whole head, as latin1Text gives it (its empty line included), as a request or the status that refuses it. */
export function parseHead(head: string): Parsed {
  if (!head.endsWith('\n\n') && !head.endsWith('\n\r\n')) return reject(400, 'an unfinished head');
  const lines = head.split('\n');
  // The text after the last LF (nothing), then the empty line that ends the head.
  lines.pop();
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const unterminated = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (unterminated.includes('\r')) return reject(400, 'a CR that does not end a line');
    lines[i] = unterminated;
  }
  // RFC 9112 2.2: empty lines before the request line are skipped.
  while (lines.length > 0 && lines[0] === '') lines.shift();
  const requestLine = lines.shift();
  if (requestLine === undefined) return reject(400, 'no request line');
  const parts = REQUEST_LINE.exec(requestLine);
  if (parts === null) return reject(400, 'a malformed request line');
  const [, method, target, major, minor] = parts as unknown as [string, string, string, string, string];
  if (major !== '1') return reject(505, `HTTP/${major}.${minor} is not supported: this endpoint speaks HTTP/1.1`);

  const headers = new Map<string, string>();
  let hosts = 0;
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) return reject(400, 'a folded header line');
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    // A space before the colon is refused too (RFC 9112 5.1): a name must be a token.
    if (!TOKEN.test(name)) return reject(400, 'a malformed header field');
    const value = withoutSpaceAround(line.slice(colon + 1));
    if (CONTROL.test(value)) return reject(400, 'a control character in a header field');
    const key = name.toLowerCase();
    if (key === 'host') hosts++;
    const earlier = headers.get(key);
    headers.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  // RFC 9112 3.2: an HTTP/1.1 request has exactly one Host.
  if (minor !== '0' && hosts === 0) return reject(400, 'no Host header');
  if (hosts > 1) return reject(400, 'more than one Host header');

  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return { ok: true, request: { method, target, path, minorVersion: minor === '0' ? 0 : 1, headers } };
}

/**
 * A request's head as its bytes come, in chunks of any size: at most
 * MAX_HEAD_BYTES are kept. What follows the head (a body, another request)
 * is not kept: one request is answered per connection.
 */
export class HeadReader {
  private bytes = new Uint8Array(1024);
  private length = 0;
  /** Where the next scan for the head's end starts: its end cannot lie before. */
  private scanned = 0;

  /** Bytes received so far (at most MAX_HEAD_BYTES). */
  get received(): number {
    return this.length;
  }

  /** Takes one chunk: the request (or why it is refused) once the head is whole, null while it is not. */
  push(chunk: Uint8Array): Parsed | null {
    const taken = Math.min(chunk.length, MAX_HEAD_BYTES - this.length);
    if (this.length + taken > this.bytes.length) {
      const grown = new Uint8Array(Math.min(MAX_HEAD_BYTES, Math.max(this.bytes.length * 2, this.length + taken)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk.subarray(0, taken), this.length);
    this.length += taken;
    const end = headEnd(this.bytes, this.length, this.scanned);
    if (end !== -1) return parseHead(latin1Text(this.bytes.subarray(0, end)));
    // An end still to come may start with the last two bytes (LF, or LF CR).
    this.scanned = Math.max(0, this.length - 2);
    return this.length >= MAX_HEAD_BYTES ? reject(431, `the request's head is larger than ${MAX_HEAD_BYTES} bytes`) : null;
  }
}

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

/** The status line and the fields of a reply, up to and with the empty line that ends them. */
export function replyHead(status: number, fields: ReadonlyArray<readonly [string, string]>): string {
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Unknown'}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}
