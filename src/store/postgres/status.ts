/**
 * `crawl status` on a shared PostgreSQL crawl: the last run with its totals, the workers (live and
 * gone), and host leases that ran out. Read-only, a handful of statements, each bounded: counts of
 * the frontier stop at STATUS_COUNT_CAP and go through its partial indexes (frontier_queue for
 * state 0, frontier_claims for state 1), host leases through hosts_owner (owner IS NOT NULL), the
 * workers through run_workers' primary key. No statement reads the whole frontier.
 *
 * Time is the database server's: worker clocks may drift, and leases are decided against the server's
 * clock. "Now" is read once (NOW_SQL) and passed to the other statements as a number: a volatile
 * clock_timestamp() inside a WHERE clause is evaluated per row and cannot bound an index scan, and
 * one value keeps the sections of the report consistent with each other.
 */
import type pg from 'pg';
import { LEASE_MS } from '../../frontier/frontier.js';
import {
  STATUS_COUNT_CAP, STATUS_LIST_LIMIT, type CappedCount, type ExpiredLease, type RunStatusReport, type RunTotals, type WorkerStatus,
} from '../status-types.js';

/** The server's time, ms since epoch. */
export const NOW_SQL = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms';

/** The last run. */
export const RUN_SQL = `SELECT id, started_at, ended_at, status, stop_reason, resumes, options FROM run_log ORDER BY id DESC LIMIT 1`;

/**
 * Capped counts; $1: now (ms), $2: the cap + 1 (one more than the cap tells "more" from "exactly").
 * Claims expire with their host's lease (the heartbeat renews host rows only). Each frontier count is ordered by its partial index's key, so the plan is an index scan that stops
 * at the cap: without the order, a planner that expects queued rows everywhere picks a Seq Scan
 * with LIMIT, which reads every done row first when the queued ones sit at the table's end (new
 * URLs are appended), and a bitmap scan reads the whole index before the LIMIT applies.
 */
export const COUNTS_SQL = `SELECT
  (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 0 ORDER BY host, depth, url_id LIMIT $2) q)::int AS queued,
  (SELECT count(*) FROM (SELECT 1 FROM frontier WHERE state = 1 ORDER BY host, owner LIMIT $2) q)::int AS claimed,
  (SELECT count(*) FROM (SELECT 1 FROM hosts h JOIN frontier f ON f.host = h.host AND f.state = 1
    WHERE h.owner IS NOT NULL AND h.lease_until < $1 LIMIT $2) q)::int AS claims_expired,
  (SELECT count(*) FROM (SELECT 1 FROM hosts WHERE owner IS NOT NULL AND lease_until < $1 LIMIT $2) q)::int AS leases_expired`;

/** Live host leases per owner; $1: now (ms). */
export const HELD_SQL = 'SELECT owner, count(*)::int AS n FROM hosts WHERE owner IS NOT NULL AND lease_until >= $1 GROUP BY owner';

/** Expired host leases, longest expired first; $1: now (ms), $2: how many. */
export const EXPIRED_SQL = `SELECT host, owner, lease_until FROM hosts WHERE owner IS NOT NULL AND lease_until < $1
  ORDER BY lease_until, host LIMIT $2`;

/** The run's workers with their counters; $1: run id, $2: now (ms). */
export const WORKERS_SQL = `SELECT owner, joined_at, last_seen_at, pages, requests, new_pages, changed, unchanged, gone, redirects,
    errors, disallowed, skipped, bytes,
    extract(epoch FROM (last_seen_at::timestamptz - joined_at::timestamptz))::float8 AS span_s,
    ($2::bigint - extract(epoch FROM last_seen_at::timestamptz) * 1000)::float8 AS age_ms
  FROM run_workers WHERE run_id = $1 ORDER BY joined_at, owner`;

/** Every statement of the report with sample parameters, for EXPLAIN in the tests. */
export const STATUS_STATEMENTS: readonly { name: string; sql: string; params: (now: number, runId: number) => unknown[] }[] = [
  { name: 'counts', sql: COUNTS_SQL, params: (now) => [now, STATUS_COUNT_CAP + 1] },
  { name: 'held', sql: HELD_SQL, params: (now) => [now] },
  { name: 'expired', sql: EXPIRED_SQL, params: (now) => [now, STATUS_LIST_LIMIT] },
  { name: 'workers', sql: WORKERS_SQL, params: (now, runId) => [runId, now] },
];

/**
 * Builds the report from a client inside a read-only transaction. `leaseCapMs` is the
 * crawl_lease_ms of the --db URL, if any: workers on that URL hold leases no longer than it.
 */
export async function pgRunStatus(c: pg.ClientBase, leaseCapMs?: number): Promise<RunStatusReport> {
  const now = Number((await c.query(NOW_SQL)).rows[0].now_ms);
  const run = (await c.query(RUN_SQL)).rows[0] as Record<string, unknown> | undefined;
  const counts = (await c.query(COUNTS_SQL, [now, STATUS_COUNT_CAP + 1])).rows[0] as Record<string, number>;
  const held = new Map((await c.query(HELD_SQL, [now])).rows.map((r) => [r.owner as string, r.n as number]));
  const expired: ExpiredLease[] = (await c.query(EXPIRED_SQL, [now, STATUS_LIST_LIMIT])).rows.map((r) => ({
    host: r.host, owner: r.owner, lease_until: new Date(Number(r.lease_until)).toISOString(),
    expired_s: round1((now - Number(r.lease_until)) / 1000),
  }));
  const leaseMs = Math.min(runLeaseMs(run?.options), leaseCapMs ?? Infinity);
  const workerRows = run ? (await c.query(WORKERS_SQL, [run.id, now])).rows : [];
  const workers: WorkerStatus[] = [], gone: WorkerStatus[] = [];
  for (const r of workerRows) {
    const w = toWorker(r, held.get(r.owner) ?? 0);
    // A heartbeat within the lease, or a host lease not yet run out: either way its leases still stand.
    // Once the run has ended every worker has left (a worker stopping cleanly heartbeats no more, but
    // its last heartbeat stays recent for up to a lease).
    const live = run!.status === 'running' && (Number(r.age_ms) <= leaseMs || w.hosts_held > 0);
    (live ? workers : gone).push(w);
  }
  return {
    backend: 'postgres',
    now: new Date(now).toISOString(),
    run: run ? {
      id: Number(run.id), status: String(run.status), started_at: String(run.started_at),
      ended_at: (run.ended_at as string | null) ?? null, stop_reason: (run.stop_reason as string | null) ?? null, resumes: Number(run.resumes),
      totals: sumTotals(workerRows),
      queued: capped(counts.queued), claimed: capped(counts.claimed), claims_expired: capped(counts.claims_expired),
    } : null,
    lease_ms: leaseMs,
    workers,
    gone_workers: gone,
    expired_leases: expired,
    expired_leases_total: capped(counts.leases_expired),
    process: null,
  };
}

/** A count read with LIMIT cap + 1. */
function capped(n: number): CappedCount {
  return n > STATUS_COUNT_CAP ? { count: STATUS_COUNT_CAP, capped: true } : { count: n, capped: false };
}

/** The run's --lease (runs.options), which every worker of the run takes; 30 s when not recorded. */
function runLeaseMs(optionsJson: unknown): number {
  try {
    const ms = (JSON.parse(String(optionsJson)) as { leaseMs?: unknown }).leaseMs;
    return typeof ms === 'number' && ms > 0 ? ms : LEASE_MS;
  } catch {
    return LEASE_MS;
  }
}

/** The run's counters: the sum over its workers, as the runs view computes them. */
function sumTotals(rows: Record<string, unknown>[]): RunTotals {
  const sum = (k: string) => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0);
  return {
    pages: sum('pages'), requests: sum('requests'), new: sum('new_pages'), changed: sum('changed'), unchanged: sum('unchanged'),
    gone: sum('gone'), redirects: sum('redirects'), errors: sum('errors'), disallowed: sum('disallowed'), skipped: sum('skipped'), bytes: sum('bytes'),
  };
}

/** A run_workers row as a worker; the owner id is host:pid:random (src/crawler/crawl.ts). */
function toWorker(r: Record<string, unknown>, hostsHeld: number): WorkerStatus {
  const owner = String(r.owner);
  const m = /^(.*):(\d+):[^:]*$/.exec(owner);
  const span = Number(r.span_s);
  const pages = Number(r.pages);
  return {
    owner, host: m ? m[1] : owner, pid: m ? Number(m[2]) : null,
    started: String(r.joined_at), last_heartbeat: String(r.last_seen_at),
    // Negative when the worker's clock runs ahead of the server's (it stamps last_seen_at itself).
    heartbeat_age_s: round1(Number(r.age_ms) / 1000),
    hosts_held: hostsHeld, pages,
    pages_per_s: span > 0 ? round1(pages / span) : 0,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
