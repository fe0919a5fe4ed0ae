/**
 * PostgresBackend: every port on one PostgreSQL database shared by many worker processes (see
 * README "Crawling on many machines"). Runs are started, resumed or joined under an advisory lock;
 * the frontier leases whole hosts to one owner at a time (./queue.ts); results are written in one
 * transaction per batch, accepted only from the claim's owner (./write.ts); counters are per worker.
 */
import type pg from 'pg';
import type { Claim, EnqueueItem, HostPacing, Lease, RenewedHost } from '../../frontier/types.js';
import { toRunRow } from '../rows.js';
import type {
  Backend, OpenedRunRow, OutcomeBatch, RobotsRecord, RunBreakdown, RunRow, RunStatus, StopReason, WriteResult,
} from '../types.js';
import type { VerdictStore } from '../types.js';
import { loadVerdicts, saveVerdicts } from './verdicts.js';
import { BadInputError } from '../../errors.js';
import { FairShare, offeredTo, worthAsking } from './balance.js';
import { Giver } from './give.js';
import { recount } from './budget.js';
import { beginWithLimits, NOW_ISO, NOW_MS } from './clock.js';
import { inTx, migrate, openPool, pgError, reconnecting, RUN_LOCK, safeLocation } from './db.js';
import { ANY_CLAIMED, ANY_QUEUED, expireLeases, markQueued, pending, PgQueue, releaseIdleHosts, type QueueContext } from './queue.js';
import { SearchMerger } from './search-merge.js';
import { seedsOf } from './seeding.js';
import { writeBatch } from './write.js';

/** Another owner holds a host whose lease has not run out by the server's clock (claims expire with their host). */
const LIVE_LEASES = `SELECT EXISTS (SELECT 1 FROM hosts WHERE owner IS NOT NULL AND lease_until >= ${NOW_MS} AND owner <> $1) AS live`;

export class PostgresBackend implements Backend {
  readonly kind = 'postgres';
  /** Several processes may take part in one run. */
  readonly sharedRuns = true;
  readonly searchIndexer = new URL('./indexer.js', import.meta.url).href;
  readonly location: string;
  private readonly x: QueueContext;
  private readonly queue: PgQueue;
  /** Longest lease this backend grants (URL parameter crawl_lease_ms), or undefined: the frontier's (30 s). */
  private leaseMs: number | undefined;
  /** This process's lease owner id (openRun). */
  private owner = '';
  /** The last write: the next one starts when it settles. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(readonly pool: pg.Pool, private readonly beat: pg.Pool, private readonly merger: SearchMerger, location: string) {
    this.location = location;
    this.x = { pool, beat, location, runId: 0, delayMs: 0, maxPages: 0, maxPagesPerHost: 0, leaseMs: LEASE_MS, share: new FairShare(), giver: new Giver(), begin: beginWithLimits(LEASE_MS) };
    this.queue = new PgQueue(this.x);
  }

  /** Connects to `url` (credentials from it, PGPASSWORD, ~/.pgpass or PG*) and migrates the schema. */
  static async open(url: string): Promise<PostgresBackend> {
    const { connection, leaseMs } = leaseParam(url);
    const b = new PostgresBackend(openPool(connection), openPool(connection, 1, 'crawl-heartbeat'), new SearchMerger(connection), safeLocation(url));
    b.leaseMs = leaseMs;
    try {
      await migrate(b.pool, b.location);
    } catch (err) {
      await b.close();
      throw pgError(b.location, err);
    }
    return b;
  }

  // --- RunLog ---

  async lastRun(): Promise<RunRow | undefined> {
    const r = await this.q('SELECT * FROM runs ORDER BY id DESC LIMIT 1');
    return r.rows[0] ? toRunRow(r.rows[0]) : undefined;
  }

  async getRun(runId: number): Promise<RunRow | undefined> {
    const r = await this.q('SELECT * FROM runs WHERE id = $1', [runId]);
    return r.rows[0] ? toRunRow(r.rows[0]) : undefined;
  }

  /**
   * Starts, resumes or joins, atomically across processes (an advisory lock). Joining or resuming
   * keeps the claims and host leases of live workers; only expired ones go back to the queue.
   */
  async openRun(req: { optionsJson: string; owner: string; fresh?: boolean; seeding?: boolean }): Promise<OpenedRunRow> {
    req = { ...req, optionsJson: withoutPassword(req.optionsJson) };
    const opened = await inTx(this.pool, this.location, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK]);
      const iso = (await c.query(`SELECT ${NOW_ISO} AS t`)).rows[0].t as string;
      const lastRow = (await c.query('SELECT * FROM runs ORDER BY id DESC LIMIT 1')).rows[0];
      const last = lastRow ? toRunRow(lastRow) : undefined;
      const unfinished = last !== undefined && (last.status === 'running' || last.status === 'interrupted');
      const join = async (runId: number) => c.query(`INSERT INTO run_workers (run_id, owner, joined_at, last_seen_at) VALUES ($1, $2, $3, $3)
        ON CONFLICT (run_id, owner) DO UPDATE SET last_seen_at = $3`, [runId, req.owner, iso]);
      // A process that streams a seed file into the run says so: the run is not done until it has.
      const seeding = async (runId: number) => {
        if (req.seeding) await c.query('UPDATE run_log SET seeder = $2, seeds_done = false WHERE id = $1', [runId, req.owner]);
      };
      if (unfinished && !req.fresh) {
        const live = (await c.query(LIVE_LEASES, [req.owner])).rows[0].live as boolean;
        for (let n = 1; n > 0;) n = (await expireLeases(c, 0, { runId: last.id, ...runLimits(last.options) })).length;
        await join(last.id);
        if (live && last.status === 'running') { await seeding(last.id); return { run: last, mode: 'joined' as const, previous: last }; }
        await recount(c, last.id); // no live worker: the counter starts again from what the run wrote and holds
        await c.query("UPDATE run_log SET resumes = resumes + 1, status = 'running', ended_at = NULL, stop_reason = NULL WHERE id = $1", [last.id]);
        await seeding(last.id);
        const run = toRunRow((await c.query('SELECT * FROM runs WHERE id = $1', [last.id])).rows[0]);
        return { run, mode: 'resumed' as const, previous: last };
      }
      // Once per run, over the whole frontier: no statement limit.
      await c.query('SET LOCAL statement_timeout = 0');
      if (unfinished) {
        // --fresh: the unfinished run ends and its queue with it; pages and links stay.
        await c.query("UPDATE run_log SET ended_at = $1, status = 'interrupted', stop_reason = 'superseded' WHERE id = $2", [iso, last.id]);
        await c.query('DELETE FROM frontier');
      }
      // Entries finished in the previous run are dropped; unfetched ones carry over, unclaimed.
      await c.query('DELETE FROM frontier WHERE state = 2');
      await c.query('UPDATE frontier SET state = 0, owner = NULL, epoch = NULL, lease_until = NULL WHERE state = 1');
      await c.query('UPDATE hosts SET owner = NULL, lease_until = NULL, has_queue = false WHERE owner IS NOT NULL OR has_queue');
      await markQueued(c, (await c.query('SELECT DISTINCT host FROM frontier WHERE state = 0')).rows.map((r) => r.host as string));
      const id = (await c.query("INSERT INTO run_log (started_at, status, options) VALUES ($1, 'running', $2) RETURNING id", [iso, req.optionsJson])).rows[0].id as number;
      await join(id);
      await seeding(id);
      const run = toRunRow((await c.query('SELECT * FROM runs WHERE id = $1', [id])).rows[0]);
      return { run, mode: 'started' as const, previous: last };
    });
    this.x.runId = opened.run.id;
    this.owner = req.owner;
    const limits = runLimits(opened.run.options);
    Object.assign(this.x, limits, { begin: beginWithLimits(this.leaseMs ?? limits.leaseMs) });
    return opened;
  }

  /** The seed file this process streams is queued to its end (openRun's `seeding`). */
  async seedsQueued(runId: number, owner: string): Promise<void> {
    await this.q('UPDATE run_log SET seeds_done = true WHERE id = $1 AND seeder = $2', [runId, owner]);
  }

  /** Whether the run still waits for seeds: its seeder is streaming them (live), or stopped before the end (dead). */
  seedsLeft(runId: number): Promise<'none' | 'live' | 'dead'> {
    return reconnecting(this.location, () => seedsOf(this.pool, runId, this.x.leaseMs));
  }

  /**
   * Ends the run unless other workers still hold live leases (the last worker to leave ends it). A
   * worker that finds its own work done while entries stay queued leaves the run resumable.
   */
  finishRun(runId: number, status: RunStatus, reason: StopReason): Promise<boolean> {
    return inTx(this.pool, this.location, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [RUN_LOCK]);
      if ((await c.query(LIVE_LEASES, ['']).then((r) => r.rows[0].live as boolean))) return false;
      let st = status;
      // Seeds not all queued: a live seeder ends the run itself; one that died leaves it resumable.
      const seeds = await seedsOf(c, runId, this.x.leaseMs, this.owner);
      if (seeds === 'live') return false;
      if (seeds === 'dead' && st === 'done' && reason === 'finished') { st = 'interrupted'; reason = 'seeds-incomplete'; }
      // Entries left that no worker knew of make the run resumable, unless the run's page budgets explain them.
      if (st === 'done' && reason === 'finished' && !this.x.maxPages && !this.x.maxPagesPerHost
        && (await c.query(`SELECT ${ANY_QUEUED} OR ${ANY_CLAIMED} AS left`)).rows[0].left) {
        st = 'interrupted';
      }
      const r = await c.query(`UPDATE run_log SET ended_at = ${NOW_ISO}, status = $1, stop_reason = $2 WHERE id = $3 AND status IN ('running', 'interrupted')`,
        [st, reason, runId]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async summarize(runId: number): Promise<RunBreakdown> {
    const [cls, codes] = await Promise.all([
      this.q(`SELECT CASE WHEN status IS NULL THEN 'none' ELSE (status / 100)::text || 'xx' END AS cls, count(*)::int AS n
        FROM page_runs WHERE run_id = $1 GROUP BY cls ORDER BY cls`, [runId]),
      this.q(`SELECT error_code AS code, count(*)::int AS n FROM page_runs WHERE run_id = $1 AND change = 'error' AND error_code IS NOT NULL
        GROUP BY error_code ORDER BY n DESC`, [runId]),
    ]);
    return {
      byStatusClass: Object.fromEntries(cls.rows.map((r) => [r.cls, r.n])),
      errorsByCode: Object.fromEntries(codes.rows.map((r) => [r.code, r.n])),
    };
  }

  // --- QueuePort ---

  enqueue(items: EnqueueItem[]): Promise<Map<string, number>> { return this.queue.enqueue(items); }
  enqueueDue(olderThan: string, adaptive: boolean, now: string): Promise<Map<string, number>> { return this.queue.enqueueDue(olderThan, adaptive, now); }
  queuedByHost(owner?: string): Promise<Map<string, number>> { return reconnecting(this.location, () => this.queue.queuedByHost(owner)); }
  claim(host: string, limit: number, lease: Lease): Promise<Claim> { return this.queue.claim(host, limit, this.clamp(lease)); }
  renew(lease: Lease): Promise<RenewedHost[]> { return reconnecting(this.location, () => this.queue.renew(this.clamp(lease))); }
  release(owner: string, urlIds: number[], leaving?: boolean): Promise<void> { return this.queue.release(owner, urlIds, leaving); }
  requeueExpired(now: number): Promise<Map<string, number>> { return this.queue.requeueExpired(now); }
  /** What the run still has; a live seeder still streaming counts as a live lease (its seeds are to come). */
  pending(now: number): Promise<{ queued: number; leased: number }> {
    return reconnecting(this.location, async () => {
      const p = await pending(this.pool, now);
      if (!p.leased && this.x.runId && (await seedsOf(this.pool, this.x.runId, this.x.leaseMs, this.owner)) === 'live') p.leased = 1;
      return p;
    });
  }
  savePacing(owner: string, items: HostPacing[]): Promise<void> { return this.queue.savePacing(owner, items); }

  // --- ResultSink ---

  /**
   * One batch, one transaction. A process's writes go one after another (as on SQLite's writer
   * thread): two at once would wait on each other's new URLs and frontier rows, and deadlock.
   */
  write(batch: OutcomeBatch): Promise<WriteResult> {
    const next = this.writes.then(() => inTx(this.pool, this.location, async (c) => {
      const { joined, ...r } = await writeBatch(c, batch, this.x);
      this.x.share.joined(joined, this.x.giver); // a worker joined: recount the share and give now, not up to 10 s later
      const queuedByHost = await worthAsking(c, this.x.runId, this.x.leaseMs, this.x.share, batch.owner, r.queuedByHost);
      const { runId, leaseMs, share, giver } = this.x;
      await releaseIdleHosts(c, await giver.give(c, runId, leaseMs, share, batch.owner), batch.owner, true); // given: those with nothing claimed go at once
      // Only a run with other live workers has hosts to offer (the fair share is then finite; cached, no query).
      if ((await share.get(c, runId, leaseMs)) === Infinity) return { ...r, queuedByHost, offered: [] };
      const offered = new Set([...await offeredTo(c, batch.owner), ...await giver.topUp(c, runId, leaseMs, share, batch.owner)]);
      return { ...r, queuedByHost, offered: [...offered] };
    }, this.x.begin));
    if (batch.outcomes.some((o) => o.content)) void next.then(() => this.merger.wrote(), () => {});
    this.writes = next.catch(() => {});
    return next;
  }

  // --- RobotsCache ---

  async getRobots(origin: string): Promise<RobotsRecord | undefined> {
    const r = await this.q('SELECT origin, fetched_at, status, body FROM robots WHERE origin = $1', [origin]);
    const x = r.rows[0];
    return x ? { origin: x.origin, fetchedAt: x.fetched_at, status: x.status, body: x.body } : undefined;
  }

  async putRobots(rec: RobotsRecord): Promise<void> {
    await this.q(`INSERT INTO robots (origin, fetched_at, status, body) VALUES ($1, $2, $3, $4)
      ON CONFLICT (origin) DO UPDATE SET fetched_at = EXCLUDED.fetched_at, status = EXCLUDED.status, body = EXCLUDED.body`,
    [rec.origin, rec.fetchedAt, rec.status, rec.body.replace(/\0/g, '')]);
  }

  readonly verdicts: VerdictStore = {
    loadVerdicts: () => loadVerdicts((sql, p) => this.q(sql, p)), saveVerdicts: (rows) => saveVerdicts((sql, p) => this.q(sql, p), rows),
  };

  utilization(): number { return 0; }

  async close(): Promise<void> {
    await this.merger.close();
    await Promise.all([this.pool.end().catch(() => {}), this.beat.end().catch(() => {})]);
  }

  /** A shorter lease than the frontier asks for, when the URL says so (the heartbeat renews it every 5 s). */
  private clamp(lease: Lease): Lease {
    return this.leaseMs === undefined ? lease : { owner: lease.owner, until: Math.min(lease.until, Date.now() + this.leaseMs) };
  }

  private async q(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    return reconnecting(this.location, () => this.pool.query(sql, params));
  }
}

/** Minimum crawl_lease_ms: the frontier renews leases every 5 s, so a lease must outlast that with room to spare. */
const MIN_LEASE_MS = 8_000;

/**
 * Splits the crawl's own URL parameter off the connection URL: `crawl_lease_ms` shortens host and
 * claim leases (how soon others take over from a dead worker); the rest goes to the client as is.
 */
export function leaseParam(url: string): { connection: string; leaseMs: number | undefined } {
  let u: URL;
  try { u = new URL(url); } catch { return { connection: url, leaseMs: undefined }; }
  const raw = u.searchParams.get('crawl_lease_ms');
  if (raw === null) return { connection: url, leaseMs: undefined };
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < MIN_LEASE_MS) {
    throw new BadInputError(`--db: crawl_lease_ms=${raw} must be a whole number of ms, at least ${MIN_LEASE_MS} (leases are renewed every 5 s)`);
  }
  u.searchParams.delete('crawl_lease_ms');
  return { connection: u.toString(), leaseMs: ms };
}

/** The options JSON with the db URL's password removed: runs.options is shown by `crawl runs`. */
function withoutPassword(optionsJson: string): string {
  try {
    const o = JSON.parse(optionsJson) as { db?: unknown };
    if (typeof o.db !== 'string') return optionsJson;
    return JSON.stringify({ ...o, db: /^postgres(ql)?:/i.test(o.db) ? safeLocation(o.db) : o.db });
  } catch {
    return optionsJson;
  }
}

/** The lease of a run that recorded none (the --lease default). */
const LEASE_MS = 30_000;

/** The run's --delay (ms), page budgets and lease from its stored options: every worker obeys the run's. */
function runLimits(optionsJson: string): { delayMs: number; maxPages: number; maxPagesPerHost: number; leaseMs: number } {
  const n = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
  try {
    const o = JSON.parse(optionsJson) as { delayMs?: unknown; maxPages?: unknown; maxPagesPerHost?: unknown; leaseMs?: unknown };
    return { delayMs: n(o.delayMs), maxPages: n(o.maxPages), maxPagesPerHost: n(o.maxPagesPerHost), leaseMs: n(o.leaseMs) || LEASE_MS };
  } catch {
    return { delayMs: 0, maxPages: 0, maxPagesPerHost: 0, leaseMs: LEASE_MS };
  }
}
