// my_init's one hook for the status endpoint: the view of the supervisor it
// serves, and the server itself. my_init loads this module (a part of its own
// in the executable) only when MY_INIT_STATUS_ADDR is set.
import type { Children } from '../children.ts';
import type { Supervisor } from '../supervise/supervisor.ts';
import type { Service } from '../supervise/service.ts';
import { serviceIsReady } from './report.ts';
import type { StatusAddress } from './status-address.ts';
import { serveStatus, type StatusServer } from './status-server.ts';

/** `supervisor`: null under --skip-runit (no services, /healthz still answers). */
export function startStatusEndpoint(address: StatusAddress, supervisor: Supervisor | null, children: Children): StatusServer {
  const services = (): Array<[string, Service]> => {
    const listed: Array<[string, Service]> = [];
    for (const [name, unit] of supervisor?.list() ?? []) {
      listed.push([name, unit.service]);
      if (unit.logger !== null) listed.push([`${name}/log`, unit.logger]);
    }
    return listed;
  };
  return serveStatus(address, { services, orphansReaped: () => children.orphansReaped }, serviceIsReady);
}
