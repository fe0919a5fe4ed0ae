/**
 * A bounded per-run cache of scripts and stylesheets. Intercepted requests bypass the browser's own
 * cache, so without it every page of a site would fetch the same bundle again (and spend the
 * host's politeness budget on it). Least recently used entries go first once `maxBytes` is held.
 */

/** A cached answer, as the browser is given it. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export class ResourceCache {
  private readonly map = new Map<string, CachedResponse>();
  private bytes = 0;
  hits = 0;

  constructor(private readonly maxBytes: number) {}

  get(url: string): CachedResponse | undefined {
    const hit = this.map.get(url);
    if (!hit) return undefined;
    this.map.delete(url); // re-inserted: Map order is recency
    this.map.set(url, hit);
    this.hits++;
    return hit;
  }

  set(url: string, r: CachedResponse): void {
    if (r.body.length > this.maxBytes / 8) return; // one huge bundle would evict everything else
    const old = this.map.get(url);
    if (old) { this.bytes -= old.body.length; this.map.delete(url); }
    this.map.set(url, r);
    this.bytes += r.body.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.body.length;
    }
  }

  get size(): number {
    return this.map.size;
  }
}
