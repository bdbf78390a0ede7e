// The status endpoint's HTTP/1.1 (src/health/http.ts): a request's head from
// bytes however they come, each malformed one refused with a status and never
// with an exception, and a reply's head.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headEnd, HeadReader, latin1Text, MAX_HEAD_BYTES, type Parsed, parseHead, replyHead } from '../../src/health/http.ts';

const bytes = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** The head fed to a HeadReader in one chunk; null when it is not whole. */
function readAll(text: string): Parsed | null {
  return new HeadReader().push(bytes(text));
}

function request(text: string) {
  const parsed = readAll(text);
  assert.ok(parsed !== null && parsed.ok, `${JSON.stringify(text)}: ${JSON.stringify(parsed)}`);
  return parsed.request;
}

function refused(text: string): number {
  const parsed = parseHead(text);
  assert.ok(!parsed.ok, `${JSON.stringify(text)} was taken`);
  assert.ok(parsed.why.length > 0 && !parsed.why.includes('\n'));
  return parsed.status;
}

describe('the request head', () => {
  test('a probe\'s GET: method, target, path without the query, version, fields by lower-case name', () => {
    const got = request('GET /readyz?verbose=1 HTTP/1.1\r\nHost: 127.0.0.1:9102\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\n\r\n');
    assert.equal(got.method, 'GET');
    assert.equal(got.target, '/readyz?verbose=1');
    assert.equal(got.path, '/readyz');
    assert.equal(got.minorVersion, 1);
    assert.equal(got.headers.get('host'), '127.0.0.1:9102');
    assert.equal(got.headers.get('user-agent'), 'kube-probe/1.30');
  });

  test('HTTP/1.0 needs no Host; bare LFs end lines as CRLFs do', () => {
    assert.equal(request('GET /healthz HTTP/1.0\n\n').minorVersion, 0);
    assert.equal(request('HEAD /status HTTP/1.0\r\n\n').method, 'HEAD');
    assert.equal(request('GET /healthz HTTP/1.1\nHost: x\n\n').path, '/healthz');
  });

  test('a later HTTP/1.x is read as 1.1; empty lines before the request line are skipped', () => {
    assert.equal(request('GET / HTTP/1.9\r\nHost: x\r\n\r\n').minorVersion, 1);
    assert.equal(request('\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n').path, '/healthz');
  });

  test('any method token is a method (the route decides: 404 or 405); odd targets are targets', () => {
    assert.equal(request('BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n').method, 'BREW');
    assert.equal(request('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n').path, '*');
    assert.equal(request('GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n').path, 'http://x/healthz');
    assert.equal(request('GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n').path, '/../etc/passwd');
  });

  test('field values: spaces and tabs around them dropped, repeated fields joined, obs-text kept', () => {
    const got = request('GET / HTTP/1.1\r\nHost: x\r\nX-A: \t one two \t\r\nx-a: three\r\nX-Empty:\r\nX-Latin: caf\xe9\r\n\r\n');
    assert.equal(got.headers.get('x-a'), 'one two, three');
    assert.equal(got.headers.get('x-empty'), '');
    assert.equal(got.headers.get('x-latin'), 'caf\xe9');
  });

  test('what follows the head (a body, a second request) is not the head\'s', () => {
    const got = request('POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello GET / HTTP/1.1\r\n\r\n');
    assert.equal(got.method, 'POST');
    assert.equal(got.headers.size, 2);
  });

  test('malformed request lines: 400', () => {
    for (const line of [
      'GET /healthz', 'GET  /healthz HTTP/1.1', 'GET /healthz  HTTP/1.1', 'GET /healthz HTTP/1.1 ', ' GET / HTTP/1.1',
      'GET / http/1.1', 'GET / HTTP/1', 'GET / HTTP/1.10', 'G(T / HTTP/1.1', 'GET /a\x7fb HTTP/1.1', 'GET /caf\xe9 HTTP/1.1',
      'GET\t/ HTTP/1.1', '/ HTTP/1.1', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03',
    ]) {
      assert.equal(refused(`${line}\r\nHost: x\r\n\r\n`), 400, JSON.stringify(line));
    }
    assert.equal(refused('\r\n\r\n'), 400);
  });

  test('another major version: 505', () => {
    assert.equal(refused('PRI * HTTP/2.0\r\n\r\n'), 505);
    assert.equal(refused('GET / HTTP/0.9\r\n\r\n'), 505);
  });

  test('malformed fields: 400', () => {
    for (const field of [
      'Host : x', 'Host\t: x', 'NoColon', ': empty name', 'Bad Name: x', 'X-A: a\x00b', 'X-A: a\x1bb', 'X-A: a\x7fb', 'X-A: a\rb',
    ]) {
      assert.equal(refused(`GET / HTTP/1.1\r\nHost: x\r\n${field}\r\n\r\n`), 400, JSON.stringify(field));
    }
    // Line folding, obsolete since RFC 7230.
    assert.equal(refused('GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n'), 400);
    // A CR that ends nothing.
    assert.equal(refused('GET / HTTP/1.1\rHost: x\r\n\r\n'), 400);
  });

  test('Host: exactly one in HTTP/1.1 (RFC 9112 3.2)', () => {
    assert.equal(refused('GET /healthz HTTP/1.1\r\n\r\n'), 400);
    assert.equal(refused('GET /healthz HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n'), 400);
    assert.equal(refused('GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n'), 400);
  });

  test('a head without its empty line is refused, not guessed', () => {
    assert.equal(refused('GET / HTTP/1.0\r\n'), 400);
    assert.equal(refused(''), 400);
  });
});

describe('the head as bytes come', () => {
  const probe = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

  test('one byte at a time: null until the last, then the request', () => {
    const reader = new HeadReader();
    for (let i = 0; i < probe.length - 1; i++) assert.equal(reader.push(bytes(probe[i]!)), null, `byte ${i}`);
    const parsed = reader.push(bytes(probe.slice(-1)));
    assert.ok(parsed?.ok);
    assert.equal(parsed.request.path, '/healthz');
    assert.equal(reader.received, probe.length);
  });

  test('split at every point, each end of line kind', () => {
    for (const text of [probe, probe.replaceAll('\r\n', '\n'), 'GET /healthz HTTP/1.0\r\n\n', 'GET /healthz HTTP/1.0\n\r\n']) {
      for (let cut = 0; cut <= text.length; cut++) {
        const reader = new HeadReader();
        const first = reader.push(bytes(text.slice(0, cut)));
        const parsed = cut === text.length ? first : (assert.equal(first, null, `${JSON.stringify(text)} cut at ${cut}`), reader.push(bytes(text.slice(cut))));
        assert.ok(parsed?.ok, `${JSON.stringify(text)} cut at ${cut}`);
        assert.equal(parsed.request.path, '/healthz');
      }
    }
  });

  test('an empty chunk changes nothing', () => {
    const reader = new HeadReader();
    assert.equal(reader.push(new Uint8Array(0)), null);
    assert.equal(reader.received, 0);
    assert.ok(reader.push(bytes(probe))?.ok);
  });

  test(`a head of ${MAX_HEAD_BYTES} bytes is taken; one byte more, 431, in one chunk or in many`, () => {
    const start = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ';
    const end = '\r\n\r\n';
    const fits = `${start}${'a'.repeat(MAX_HEAD_BYTES - start.length - end.length)}${end}`;
    assert.equal(fits.length, MAX_HEAD_BYTES);
    assert.ok(readAll(fits)?.ok);
    const over = `${start}${'a'.repeat(MAX_HEAD_BYTES - start.length - end.length + 1)}${end}`;
    const once = readAll(over);
    assert.ok(once !== null && !once.ok);
    assert.equal(once.status, 431);
    const reader = new HeadReader();
    let parsed: Parsed | null = null;
    for (let i = 0; i < over.length && parsed === null; i += 1000) parsed = reader.push(bytes(over.slice(i, i + 1000)));
    assert.ok(parsed !== null && !parsed.ok);
    assert.equal(parsed.status, 431);
    assert.ok(reader.received <= MAX_HEAD_BYTES);
  });

  test('a request line without an end, or endless fields: 431 once the bound is reached, never more kept', () => {
    const reader = new HeadReader();
    let parsed: Parsed | null = null;
    let pushes = 0;
    while (parsed === null) {
      parsed = reader.push(bytes('GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'));
      pushes++;
      assert.ok(pushes < 1000);
    }
    assert.ok(!parsed.ok && parsed.status === 431);
    assert.equal(reader.received, MAX_HEAD_BYTES);
    const fields = new HeadReader();
    assert.equal(fields.push(bytes('GET / HTTP/1.1\r\nHost: x\r\n')), null);
    let last: Parsed | null = null;
    for (let i = 0; i < 2000 && last === null; i++) last = fields.push(bytes(`X-${i}: y\r\n`));
    assert.ok(last !== null && !last.ok && last.status === 431);
  });

  test('random bytes: always null, a request or a refusal, within the bound; never an exception', () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const alphabet = bytes('GET /healthz HTTP/1.1\r\n\r\nHost: x:\t \x00\x7f\xff');
    for (let round = 0; round < 500; round++) {
      const reader = new HeadReader();
      let parsed: Parsed | null = null;
      for (let chunk = 0; chunk < 20 && parsed === null; chunk++) {
        const piece = new Uint8Array(random() % 2000);
        // Half the rounds from HTTP's own characters, which make near-misses; half from any byte.
        for (let i = 0; i < piece.length; i++) piece[i] = round % 2 === 0 ? alphabet[random() % alphabet.length]! : random() & 0xff;
        parsed = reader.push(piece);
        assert.ok(reader.received <= MAX_HEAD_BYTES);
      }
      if (parsed !== null && !parsed.ok) assert.ok([400, 431, 505].includes(parsed.status));
    }
  });
});

describe('helpers', () => {
  test('headEnd: past the empty line; -1 when none; a scan may resume near the end', () => {
    const text = bytes('GET / HTTP/1.0\r\n\r\nbody');
    assert.equal(headEnd(text, text.length), 18);
    assert.equal(headEnd(text, 17), -1);
    assert.equal(headEnd(text, text.length, 15), 18);
    assert.equal(headEnd(bytes('a\n\nb'), 4), 3);
    assert.equal(headEnd(bytes('a\n\r'), 3), -1);
  });

  test('latin1Text: one character per byte, past apply()\'s slice size', () => {
    const all = new Uint8Array(10_000).map((_, i) => i & 0xff);
    const text = latin1Text(all);
    assert.equal(text.length, 10_000);
    for (let i = 0; i < text.length; i++) assert.equal(text.charCodeAt(i), i & 0xff);
  });

  test('replyHead: the status line with its reason, each field, the empty line', () => {
    assert.equal(
      replyHead(405, [['Content-Type', 'text/plain; charset=utf-8'], ['Allow', 'GET, HEAD'], ['Content-Length', '3']]),
      'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nAllow: GET, HEAD\r\nContent-Length: 3\r\n\r\n',
    );
    assert.equal(replyHead(431, []), 'HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n');
    assert.equal(replyHead(503, []).split('\r\n')[0], 'HTTP/1.1 503 Service Unavailable');
  });
});
