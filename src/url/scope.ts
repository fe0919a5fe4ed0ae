/**
 * Scope and trap rules: which discovered URLs the crawler may follow.
 * Out-of-scope links are still stored as links; they are only never fetched.
 */
import { getDomain } from 'tldts';
import type { ResolvedOptions } from '../options.js';

/** Why a URL is not followed; undefined when it is. Stored on the link row's target as `skip_reason`. */
export type SkipReason = 'out-of-scope' | 'excluded' | 'not-included' | 'url-too-long' | 'repeated-segments' | 'max-depth';

/** Decides whether a URL is followed, given the seeds that define the scope. */
export class Scope {
  private readonly hosts = new Set<string>();
  private readonly domains = new Set<string>();

  constructor(private readonly opts: Pick<ResolvedOptions, 'scope' | 'include' | 'exclude' | 'maxUrlLength' | 'maxRepeatedSegments' | 'maxDepth'>, seeds: Iterable<string>) {
    for (const s of seeds) this.addSeed(s);
  }

  /** A seed widens the scope to its host (or registrable domain). */
  addSeed(url: string): void {
    const u = new URL(url);
    this.hosts.add(u.host);
    this.domains.add(registrableDomain(u.hostname));
  }

  /** True when the URL's host is a seed host (seed hosts may be private addresses). */
  isSeedHost(host: string): boolean {
    return this.hosts.has(host);
  }

  /** Checks a URL found at `depth`; returns why it is skipped, or undefined to follow it. */
  check(url: string, depth: number): SkipReason | undefined {
    if (url.length > this.opts.maxUrlLength) return 'url-too-long';
    const u = new URL(url);
    if (this.opts.scope === 'host' && !this.hosts.has(u.host)) return 'out-of-scope';
    if (this.opts.scope === 'domain' && !this.domains.has(registrableDomain(u.hostname))) return 'out-of-scope';
    if (depth > this.opts.maxDepth) return 'max-depth';
    if (hasRepeatedSegments(u.pathname, this.opts.maxRepeatedSegments)) return 'repeated-segments';
    if (this.opts.exclude.some((re) => re.test(url))) return 'excluded';
    if (this.opts.include.length && !this.opts.include.some((re) => re.test(url))) return 'not-included';
    return undefined;
  }
}

/** The registrable domain (example.co.uk for a.b.example.co.uk); the hostname itself for IPs and local names. */
export function registrableDomain(hostname: string): string {
  return getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
}

/** True when one non-empty path segment occurs more than `max` times (e.g. /a/b/a/b/a/b with max 2). */
export function hasRepeatedSegments(pathname: string, max: number): boolean {
  const counts = new Map<string, number>();
  for (const seg of pathname.split('/')) {
    if (!seg) continue;
    const n = (counts.get(seg) ?? 0) + 1;
    if (n > max) return true;
    counts.set(seg, n);
  }
  return false;
}
