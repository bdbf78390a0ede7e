// The opt-in status endpoint inside PID 1 (MY_INIT_STATUS_ADDR): /healthz,
// /readyz, /status (JSON) and /metrics (Prometheus). Read only: no route
// changes anything, and only GET and HEAD are answered. Loaded by my_init only
// when the variable is set, so that node:http costs nothing otherwise.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import * as log from '../log.ts';
import type { Service } from '../supervise/service.ts';
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
  const http = require('node:http') as typeof import('node:http');
  // Requests that come together share one round of ./check runs: a flood of probes cannot multiply them.
  let pending: Promise<ServiceReport[]> | null = null;
  const reports = (): Promise<ServiceReport[]> => {
    pending ??= Promise.all(source.services().map(([name, service]) => reportOf(name, service, readiness, Date.now()))).finally(() => {
      pending = null;
    });
    return pending;
  };
  const server: Server = http.createServer((request, response) => {
    answer(request, response, reports, source).catch((error: unknown) => {
      log.warn(`Warning: the status endpoint could not answer ${request.url ?? ''}: ${(error as Error).message}`);
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.on('error', (error) => log.warn(`Warning: cannot serve status on ${STATUS_ADDRESS_VARIABLE}=${address.text}: ${error.message}`));
  server.listen(address.port, address.host, () => log.info(`Serving status on http://${address.text}/ (healthz, readyz, status, metrics).`));
  return {
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

const ROUTES = new Set(['/healthz', '/readyz', '/status', '/metrics']);

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  reports: () => Promise<ServiceReport[]>,
  source: StatusSource,
): Promise<void> {
  const path = (request.url ?? '').split('?', 1)[0]!;
  if (!ROUTES.has(path)) return send(response, 404, 'text/plain; charset=utf-8', `no such path: try ${[...ROUTES].join(', ')}\n`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    return send(response, 405, 'text/plain; charset=utf-8', `${request.method ?? ''} is not allowed: this endpoint only reads\n`);
  }
  // Liveness: PID 1's event loop answers. Whether services are ready is /readyz's question.
  if (path === '/healthz') return send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
  const services = await reports();
  if (path === '/readyz') {
    const problems = services.filter((s) => s.problem !== null).map((s) => problemLine(s.name, s.problem!));
    return send(response, problems.length === 0 ? 200 : 503, 'text/plain; charset=utf-8', problems.length === 0 ? 'ok\n' : `${problems.join('\n')}\n`);
  }
  if (path === '/status') {
    const body = { services, orphansReaped: source.orphansReaped() };
    return send(response, 200, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
  }
  return send(response, 200, METRICS_CONTENT_TYPE, renderMetrics(services, source.orphansReaped()));
}

function send(response: ServerResponse, code: number, type: string, body: string): void {
  response.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}
