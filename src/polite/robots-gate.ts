/**
 * The robots gate of the per-URL pipeline: asks the RobotsPolicy about a URL and turns its verdict
 * into what the pipeline does next, with the retry policy for an unavailable robots.txt (RFC 9309
 * §2.3.1.4: unreachable means complete disallow). A 5xx/429 robots.txt is fetched again ROBOTS_RETRIES
 * times at the policy's retry time; a host that cannot be reached at all (DNS, refused, timeout) is
 * `unreachable`: the pipeline gives the host up for this run (../crawler/host-health.ts), naming the cause.
 * In a shared run the retries count over every owner of the host: a new owner starts from the
 * failures its predecessors spent (`spent`, the frontier's record of them).
 */
import { ErrorCodes, type ErrorCode } from '../errors.js';
import type { RobotsPolicy } from './robots.js';

/** Times a 5xx robots.txt is fetched again before the host's URLs are given up for this run. */
export const ROBOTS_RETRIES = 2;

/** What to do with a URL. */
export type GateDecision =
  | { kind: 'go'; crawlDelayMs: number | null }
  | { kind: 'retry'; at: number }
  | { kind: 'settle'; change: 'disallowed' | 'error'; code: ErrorCode; message: string }
  /** robots.txt got no answer at all: `code` is the network failure (DNS_FAILED, CONNECTION_REFUSED, …). */
  | { kind: 'unreachable'; code: ErrorCode; message: string };

export class RobotsGate {
  /** Consecutive unavailable robots.txt answers per host. */
  private readonly failures = new Map<string, number>();

  /**
   * `policy` null: --ignore-robots, every URL goes. `spent(host)`: failures already counted for the
   * host before this gate saw it (carried from the host's earlier owners); none when left out.
   */
  constructor(private readonly policy: RobotsPolicy | null, private readonly spent?: (host: string) => number) {}

  async check(host: string, url: string): Promise<GateDecision> {
    if (!this.policy) return { kind: 'go', crawlDelayMs: null };
    const v = await this.policy.check(url);
    if (v.allowed) {
      this.failures.delete(host);
      return { kind: 'go', crawlDelayMs: v.crawlDelayMs };
    }
    if (v.code === ErrorCodes.ROBOTS_DISALLOWED) return { kind: 'settle', change: 'disallowed', code: v.code, message: 'disallowed by robots.txt' };
    if (v.status !== 0) {
      const n = Math.max(this.failures.get(host) ?? 0, this.spent?.(host) ?? 0) + 1;
      this.failures.set(host, n);
      if (n <= ROBOTS_RETRIES) return { kind: 'retry', at: v.retryAt };
      return { kind: 'settle', change: 'error', code: v.code, message: `robots.txt unavailable (HTTP ${v.status}), so the host is treated as disallowed; retried next run` };
    }
    // No answer at all: the host is down (the pipeline records its URLs HOST_DOWN with this cause).
    return { kind: 'unreachable', code: v.cause ?? ErrorCodes.NETWORK_ERROR, message: v.causeMessage ?? 'no response' };
  }
}
