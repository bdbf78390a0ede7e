// MY_INIT_STATUS_ADDR: where PID 1 serves its status over HTTP, only when set.
// An IP literal and a port, nothing guessed: no default address, and 0.0.0.0
// only when written so.
import { ipVersion } from '../system/sockets.ts';

export const STATUS_ADDRESS_VARIABLE = 'MY_INIT_STATUS_ADDR';

export interface StatusAddress {
  host: string;
  port: number;
  /** As given, for messages. */
  text: string;
}

/** null when unset or empty (the endpoint is off); an Error naming the variable and its value when malformed. */
export function readStatusAddress(env: Readonly<Record<string, string | undefined>>): StatusAddress | null | Error {
  const text = env[STATUS_ADDRESS_VARIABLE];
  if (text === undefined || text === '') return null;
  const invalid = (why: string) =>
    new Error(`${STATUS_ADDRESS_VARIABLE} must be IP:PORT (such as 127.0.0.1:9102, or [::1]:9102), not ${JSON.stringify(text)}: ${why}`);
  const colon = text.lastIndexOf(':');
  if (colon === -1) return invalid('no port');
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) {
    host = host.slice(1, -1);
    if (ipVersion(host) !== 6) return invalid(`${host} is not an IPv6 address`);
  } else if (ipVersion(host) !== 4) {
    return invalid(host.includes(':') ? 'an IPv6 address goes in brackets' : `${JSON.stringify(host)} is not an IPv4 address`);
  }
  if (!/^[1-9]\d{0,4}$/.test(portText) || Number(portText) > 65535) return invalid(`the port must be 1 to 65535`);
  return { host, port: Number(portText), text };
}
