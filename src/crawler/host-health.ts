/**
 * Hosts that stop answering during a run. A host whose requests fail at the connection level
 * (refused, unreachable, DNS, connect timeout: nothing answered at all; not a 5xx, not a body that
 * stalls) HOST_DOWN_AFTER times in a row is suspect: no request goes to it for HOST_PROBE_AFTER_MS,
 * then one request probes it. An answer (any HTTP status) and the host goes on as before; another
 * connection failure and the host is down for the rest of the run: its remaining URLs are recorded
 * at once as HOST_DOWN (through the normal result path) and the next run fetches them again, since
 * a failure is never fresh. A host whose robots.txt gets no answer at all is down at once: its first
 * request already failed and RFC 9309 forbids crawling it without robots.txt.
 *
 * Why a probe after a pause rather than giving up on the third failure: a web server restarting
 * (a deploy, a reload) refuses connections for a second or two, and on a busy host three failures
 * come within a few hundred ms; the pause lets such a host back in with nothing lost (the URLs that
 * failed are still retried). Why not more: a dead host then costs the run seconds, not the
 * --max-crawl-delay back-off per URL that stalled it before.
 */
import { ErrorCodes, type ErrorCode } from '../errors.js';

/** Connection-level failures in a row after which a host is suspect. */
export const HOST_DOWN_AFTER = 3;
/** How long a suspect host gets no request before the one that probes it. */
export const HOST_PROBE_AFTER_MS = 5_000;

/** Failures where nothing answered: the host (or the way to it) is not there. */
const CONNECTION_FAILURES: ReadonlySet<string> = new Set<ErrorCode>([
  ErrorCodes.CONNECTION_REFUSED, ErrorCodes.HOST_UNREACHABLE, ErrorCodes.DNS_FAILED, ErrorCodes.CONNECT_TIMEOUT,
]);

/** A host given up for the rest of the run. */
export interface HostDown {
  host: string;
  /** The connection failure that gave it up (CONNECTION_REFUSED, DNS_FAILED, …). */
  code: ErrorCode;
  /** What happened, naming the host and the failure. */
  message: string;
  /** ISO time it was given up. */
  at: string;
  /** URLs recorded HOST_DOWN since (by this process). */
  urls: number;
}

/** What a fetch's outcome means for its host. */
export type HostVerdict =
  | { kind: 'up' }
  | { kind: 'failing' }
  /** Suspect: hold the host until `until`, then let one request probe it. */
  | { kind: 'hold'; until: number }
  | { kind: 'down'; down: HostDown };

interface Record { streak: number; probeAt: number | null }

export class HostHealth {
  private readonly hosts = new Map<string, Record>();
  private readonly downs = new Map<string, HostDown>();

  constructor(private readonly onDown?: (d: HostDown) => void, private readonly probeAfterMs = HOST_PROBE_AFTER_MS) {}

  /** Whether a failure code is connection-level (counts toward a host being down). */
  static isConnectionFailure(code: string | null | undefined): boolean {
    return code != null && CONNECTION_FAILURES.has(code);
  }

  /** The host's record when it is down for this run. */
  down(host: string): HostDown | undefined {
    return this.downs.get(host);
  }

  /** Hosts given up this run, in order. */
  list(): HostDown[] {
    return [...this.downs.values()].map((d) => ({ ...d }));
  }

  /**
   * A fetch to `host` that started at `startedAt` ended with `code` (null: an HTTP answer). A
   * connection failure of the probe (a request started once the hold ran out) gives the host up.
   */
  observe(host: string, code: string | null, message: string | null, startedAt: number, now: number): HostVerdict {
    const r = this.hosts.get(host) ?? { streak: 0, probeAt: null };
    this.hosts.set(host, r);
    if (!HostHealth.isConnectionFailure(code)) {
      // Something answered (an error status or a broken body included): the host is there.
      r.streak = 0;
      r.probeAt = null;
      return { kind: 'up' };
    }
    if (this.downs.has(host)) return { kind: 'down', down: this.downs.get(host)! };
    r.streak++;
    if (r.probeAt !== null && startedAt >= r.probeAt) {
      return { kind: 'down', down: this.giveUp(host, code as ErrorCode, `${r.streak} connection failures in a row, the last one ${this.probeAfterMs / 1000} s after the others: ${message ?? code}`) };
    }
    if (r.probeAt === null && r.streak >= HOST_DOWN_AFTER) {
      r.probeAt = now + this.probeAfterMs;
      return { kind: 'hold', until: r.probeAt };
    }
    return { kind: 'failing' };
  }

  /** robots.txt got no answer at all: the host is down at once. */
  robotsUnreachable(host: string, code: ErrorCode, message: string): HostDown {
    return this.downs.get(host) ?? this.giveUp(host, code, `robots.txt could not be fetched: ${message}`);
  }

  /** Counts a URL recorded HOST_DOWN. */
  counted(host: string): void {
    const d = this.downs.get(host);
    if (d) d.urls++;
  }

  private giveUp(host: string, code: ErrorCode, why: string): HostDown {
    const d: HostDown = {
      host, code, at: new Date().toISOString(), urls: 0,
      message: `host ${host} is down (${code}: ${why}); its remaining URLs are not fetched this run`,
    };
    this.downs.set(host, d);
    this.onDown?.({ ...d });
    return d;
  }
}
