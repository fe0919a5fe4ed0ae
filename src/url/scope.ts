/**
 * Scope and trap rules: which discovered URLs the crawler may follow.
 * Out-of-scope links are still stored as links; they are only never fetched.
 */
import type { ResolvedOptions } from '../options.js';

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
   * The public suffix list (tldts, ~12 MB of memory once loaded) is loaded only for `--scope domain`.
   */
  static async create(opts: ScopeOptions, seeds: Iterable<string>): Promise<Scope> {
    return new Scope(opts, seeds, opts.scope === 'domain' ? await loadDomainOf() : null);
  }

  private constructor(private readonly opts: ScopeOptions, seeds: Iterable<string>, private readonly domainOf: DomainOf | null) {
    for (const s of seeds) this.addSeed(s);
  }

  /** A seed widens the scope to its host (or registrable domain). */
  addSeed(url: string): void {
    const u = new URL(url);
    this.hosts.add(u.host);
    if (this.domainOf) this.domains.add(this.domainOf(u.hostname));
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
