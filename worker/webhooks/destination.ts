// Where a delivery may go. Only http(s) URLs; and, unless WEBHOOK_ALLOWED_DESTINATIONS says otherwise,
// only public addresses: never loopback, link-local (cloud metadata at 169.254.169.254), private,
// unique-local, unspecified or other reserved ranges, so a webhook URL cannot reach into the network
// Refill runs in. The check is made on the address the connection actually uses (the lookup of each
// attempt), not on the URL's text alone, so a name that resolves to a private address is refused too.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { WebhookDestinationPolicy } from '../../domain/webhooks.ts';

/** Thrown when a destination is not allowed; its message is recorded as the attempt's error. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
}

/** Why an address may not be reached under the policy, or null when it may. */
export function addressRefusal(address: string, policy: WebhookDestinationPolicy): string | null {
  if (policy === 'any') return null;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return null;
  if (range === 'loopback' && policy === 'loopback') return null;
  return `${address} is a ${range} address; webhooks go to public addresses only (WEBHOOK_ALLOWED_DESTINATIONS)`;
}

/** Why a URL's text cannot be a destination (its scheme, or an address literal it names), or null. */
export function urlRefusal(url: string, policy: WebhookDestinationPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return addressRefusal(host, policy);
  if (policy === 'public' && (host === 'localhost' || host.endsWith('.localhost'))) {
    return 'names a loopback host; webhooks go to public addresses only (WEBHOOK_ALLOWED_DESTINATIONS)';
  }
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for http.request that refuses, at connection time, every address the policy does not allow. */
export function checkedLookup(policy: WebhookDestinationPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const refused = addresses.map((entry) => addressRefusal(entry.address, policy)).find((reason) => reason !== null);
      if (refused !== undefined) return callback(Object.assign(new DestinationRefusedError(`${hostname}: ${refused}`), { code: 'EREFUSED_DESTINATION' }), []);
      if (options.all === true) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
