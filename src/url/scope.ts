/**
 * Scope and trap rules: which discovered URLs the crawler may follow.
 * Out-of-scope links are still stored as links; they are only never fetched.
 */
import type { ResolvedOptions } from '../options/options.js';

type ScopeOptions = Pick<ResolvedOptions, 'scope' | 'include' | 'exclude' | 'maxUrlLength' | 'maxRepeatedSegments' | 'maxDepth'>;
/** hostname -> registrable domain (example.co.uk for a.b.example.co.uk). */
type DomainOf = (hostname: string) => string;

/** Why a URL is not followed; undefined when it is. Stored on the link row's target as `skip_reason`. */
export type SkipReason = 'out-of-scope' | 'excluded' | 'not-included' | 'url-too-long' | 'repeated-segments' | 'max-depth';

/** Decides whether a URL is followed, given the seeds that define the scope. */
export class Scope {
  private readonly hosts = new Set<string>();
  private readonly domains = new Set<string>();

  /**
   * The scope of seeds on `seedHosts` (host[:port] as in URLs). The public suffix list (tldts, ~12 MB
   * of memory once loaded) is loaded only for `--scope domain`.
   */
  static async create(opts: ScopeOptions, seedHosts: Iterable<string>): Promise<Scope> {
    return new Scope(opts, seedHosts, opts.scope === 'domain' ? await loadDomainOf() : null);
  }

  private constructor(private readonly opts: ScopeOptions, seedHosts: Iterable<string>, private readonly domainOf: DomainOf | null) {
    for (const h of seedHosts) this.addSeedHost(h);
  }

  /** A seed's host widens the scope to itself (or its registrable domain). */
  addSeedHost(host: string): void {
    this.hosts.add(host);
    if (this.domainOf) this.domains.add(this.domainOf(new URL(`http://${host}/`).hostname)); // the scheme does not matter here
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
    if (this.domainOf && !this.domains.has(this.domainOf(u.hostname))) return 'out-of-scope';
    if (depth > this.opts.maxDepth) return 'max-depth';
    if (hasRepeatedSegments(u.pathname, this.opts.maxRepeatedSegments)) return 'repeated-segments';
    if (this.opts.exclude.some((re) => re.test(url))) return 'excluded';
    if (this.opts.include.length && !this.opts.include.some((re) => re.test(url))) return 'not-included';
    return undefined;
  }
}

/** The registrable domain (example.co.uk for a.b.example.co.uk); the hostname itself for IPs and local names. */
async function loadDomainOf(): Promise<DomainOf> {
  const { getDomain } = await import('tldts');
  return (hostname) => getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
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
