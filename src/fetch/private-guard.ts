/**
 * Private-network guard (SSRF protection). The check runs on the RESOLVED address, inside the
 * socket's DNS lookup, so a public name pointing at 127.0.0.1 or 169.254.169.254 is caught too.
 */
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CrawlError, ErrorCodes } from '../errors.js';
import { hostnameKey } from '../url/normalize.js';

/** ipaddr.js range names that are publicly routable; everything else counts as private. */
const PUBLIC_RANGES = new Set(['unicast']);

/**
 * True when `ip` is not a public unicast address: loopback, RFC 1918 private, link-local,
 * unique-local (fc00::/7), unspecified, carrier-grade NAT (100.64/10), multicast, broadcast,
 * reserved, documentation ranges, and IPv4-mapped / NAT64 / 6to4 / Teredo forms of those.
 * A string that is not an IP address is treated as private (fail closed).
 */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  // Zone ids (fe80::1%eth0) are link-local by definition.
  if (bare.includes('%')) return true;
  if (!ipaddr.isValid(bare)) return true;
  let addr = ipaddr.parse(bare);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the embedded IPv4 address.
    if (v6.isIPv4MappedAddress()) addr = v6.toIPv4Address();
  }
  return !PUBLIC_RANGES.has(addr.range());
}

/** True when `hostname` (as in URL.hostname, IPv6 possibly bracketed) is an IP literal. */
export function isIpLiteral(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare);
}

/** Strips the brackets of an IPv6 URL hostname. */
export function bareHostname(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The error a refused private address raises; its `code` is PRIVATE_ADDRESS. */
export class PrivateAddressError extends CrawlError {
  constructor(hostname: string, address: string) {
    super(ErrorCodes.PRIVATE_ADDRESS, `${hostname} resolves to private address ${address}; not allowed`);
    this.name = 'PrivateAddressError';
  }
}

/**
 * Wraps an allowPrivateHost callback so it is asked with the host in one form (hostnameKey: no
 * brackets, lower case). A caller that keeps IPv6 hosts as URL.hostname gives them ("[::1]") is
 * asked with that form too, so both kinds of caller match.
 */
export function normalizedAllow(allow: (hostname: string) => boolean): (hostname: string) => boolean {
  return (hostname) => {
    const key = hostnameKey(hostname);
    return allow(key) || (key.includes(':') && allow(`[${key}]`));
  };
}

/** One resolved address, as dns.lookup with `all: true` gives it. */
interface Resolved { address: string; family: number }

/**
 * Builds a `lookup` for net.connect / tls.connect that resolves with `baseLookup` (dns.lookup by
 * default) and fails with PrivateAddressError when ANY resolved address is private and
 * `allowPrivateHost(hostname)` is false. Checking all addresses (not only the first) stops a
 * name with one public and one private record from slipping through on a later connect attempt.
 */
export function createGuardedLookup(
  allowPrivateHost: (hostname: string) => boolean,
  baseLookup: LookupFunction = dns.lookup as unknown as LookupFunction,
): LookupFunction {
  const guarded = (hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void): void => {
    baseLookup(hostname, { ...options, all: true }, (err, result) => {
      if (err) return callback(err);
      const list = (Array.isArray(result) ? result : [{ address: result, family: 0 }]) as Resolved[];
      if (list.length === 0) {
        const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
        return callback(e);
      }
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad && !allowPrivateHost(hostname)) return callback(new PrivateAddressError(hostname, bad.address));
      // net.connect asks for all addresses when autoSelectFamily (happy eyeballs) is on.
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
  return guarded as unknown as LookupFunction;
}
