// The opt-in status endpoint inside PID 1 (MY_INIT_STATUS_ADDR): /healthz,
// /readyz, /status (JSON) and /metrics (Prometheus). Read only: no route
// changes anything, and only GET and HEAD are answered.
import * as log from '../log.ts';
import { errnoWords, SystemError } from '../system/errors.ts';
import { setImmediate } from '../system/loop.ts';
import type { Service } from '../supervise/service.ts';
import type { Request } from './http.ts';
import { listenHttp, type Reply } from './http-server.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.ts';
import { reportOf, type LiveReadiness, type ServiceReport } from './report.ts';
import { STATUS_ADDRESS_VARIABLE, type StatusAddress } from './status-address.ts';
import { problemLine } from './verdict.ts';

/** What the endpoint reads; a view, so that the server holds no supervisor of its own. */
export interface StatusSource {
  /** Every supervised service and logger, by sv's name (`NAME`, `NAME/log`). */
  services(): Array<[string, Service]>;
  orphansReaped(): number;
}

/** Few and short: a probe's requests, not a web server's. */
const MAX_CONNECTIONS = 16;
const REQUEST_TIMEOUT_MS = 10_000;

export interface StatusServer {
  /** Stops listening and drops open connections (at shutdown). */
  close(): void;
}

export function serveStatus(address: StatusAddress, source: StatusSource, readiness: LiveReadiness): StatusServer {
  // Requests that come together share one round of ./check runs: a flood of probes cannot multiply them.
  let pending: Promise<ServiceReport[]> | null = null;
  const reports = (): Promise<ServiceReport[]> => {
    pending ??= Promise.all(source.services().map(([name, service]) => reportOf(name, service, readiness, Date.now()))).finally(() => {
      pending = null;
    });
    return pending;
  };
  const handler = (request: Request): Promise<Reply> =>
    answer(request, reports, source).catch((error: unknown) => {
      log.warn(`Warning: the status endpoint could not answer ${request.target}: ${(error as Error).message}`);
      return text(500, 'internal error\n');
    });
  const server = listenHttp(address.host, address.port, handler, { maxConnections: MAX_CONNECTIONS, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  let closed = false;
  // Said on the next turn, as Node's server said them: after the lines of what PID 1 goes on with now.
  setImmediate(() => {
    if (server instanceof SystemError) {
      // Shaped as Node's listen error was: `listen EADDRINUSE: address already in use 127.0.0.1:9102`.
      const why = `${server.syscall} ${server.code}: ${errnoWords(server.errno)} ${address.host}:${address.port}`;
      log.warn(`Warning: cannot serve status on ${STATUS_ADDRESS_VARIABLE}=${address.text}: ${why}`);
    } else if (!closed) {
      log.info(`Serving status on http://${address.text}/ (healthz, readyz, status, metrics).`);
    }
  });
  return {
    close() {
      closed = true;
      if (!(server instanceof SystemError)) server.close();
    },
  };
}

const ROUTES = new Set(['/healthz', '/readyz', '/status', '/metrics']);

async function answer(request: Request, reports: () => Promise<ServiceReport[]>, source: StatusSource): Promise<Reply> {
  const { method, path } = request;
  if (!ROUTES.has(path)) return text(404, `no such path: try ${[...ROUTES].join(', ')}\n`);
  if (method !== 'GET' && method !== 'HEAD') {
    return { ...text(405, `${method} is not allowed: this endpoint only reads\n`), allow: 'GET, HEAD' };
  }
  // Liveness: PID 1's event loop answers. Whether services are ready is /readyz's question.
  if (path === '/healthz') return text(200, 'ok\n');
  const services = await reports();
  if (path === '/readyz') {
    const problems = services.filter((s) => s.problem !== null).map((s) => problemLine(s.name, s.problem!));
    return text(problems.length === 0 ? 200 : 503, problems.length === 0 ? 'ok\n' : `${problems.join('\n')}\n`);
  }
  if (path === '/status') {
    const body = { services, orphansReaped: source.orphansReaped() };
    return { status: 200, type: 'application/json', body: `${JSON.stringify(body, null, 2)}\n` };
  }
  return { status: 200, type: METRICS_CONTENT_TYPE, body: renderMetrics(services, source.orphansReaped()) };
}

function text(status: number, body: string): Reply {
  return { status, type: 'text/plain; charset=utf-8', body };
}
