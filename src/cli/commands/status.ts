/**
 * `crawl status`: the crawl as it is now. On PostgreSQL: the last run with its totals and what its
 * frontier has left, the live workers (host, pid, started, last heartbeat, hosts held, pages/s), the
 * workers that are gone, and host leases that ran out by the server's clock. On SQLite: the run,
 * its totals, and whether a crawl process holds the database (with its pid).
 * The queries live in src/store/{sqlite,postgres}/status.ts; this file opens, asks and prints.
 */
import type { Argv, CommandModule } from 'yargs';
import { withReader } from '../../store/reader.js';
import type { CappedCount, RunStatusReport, WorkerStatus } from '../../store/status-types.js';
import { addOutputOptions, writeSections, type OutputArgs, type OutputFormat, type OutputStream, type Section } from '../output.js';

/** Reads the report from the database --db names (a SQLite file or a postgres:// URL). */
export function readStatus(dbArg: string): Promise<RunStatusReport> {
  return withReader(dbArg, (r) => r.status());
}

/** Prints the report: `json` is the report object itself; the other formats print it in sections. */
export async function runStatus(args: OutputArgs, out: OutputStream = process.stdout): Promise<RunStatusReport> {
  const report = await readStatus(args.db);
  if (args.format === 'json') out.write(JSON.stringify(report, null, 2) + '\n');
  else await writeSections(statusSections(report, args.format), args.format, out);
  const note = args.format === 'table' ? statusNote(report) : undefined;
  if (note) out.write(`\n${note}\n`);
  return report;
}

const WORKER_COLUMNS = ['host', 'pid', 'started', 'last_heartbeat', 'heartbeat_age_s', 'hosts_held', 'pages', 'pages_per_s', 'owner'];

/** The report as titled sections, the same rows in table, jsonl and csv. */
export function statusSections(r: RunStatusReport, format: OutputFormat): Section[] {
  const count = (c: CappedCount) => (c.capped ? (format === 'table' ? `${c.count.toLocaleString('en-US')}+` : `${c.count}+`) : c.count);
  const run = r.run;
  const sections: Section[] = [{
    name: 'run', title: run ? `Run ${run.id} (${run.status})` : 'Run (none: nothing crawled yet)', single: true,
    columns: ['id', 'status', 'started_at', 'ended_at', 'stop_reason', 'resumes', 'queued', 'claimed', 'claims_expired', 'now'],
    rows: run ? [{
      id: run.id, status: run.status, started_at: run.started_at, ended_at: run.ended_at, stop_reason: run.stop_reason, resumes: run.resumes,
      queued: count(run.queued), claimed: count(run.claimed), claims_expired: count(run.claims_expired), now: r.now,
    }] : [],
  }];
  if (run) sections.push({ name: 'totals', title: 'Totals', single: true, columns: Object.keys(run.totals), rows: [{ ...run.totals }] });
  if (r.backend === 'sqlite') {
    const p = r.process!;
    sections.push({
      name: 'process', title: p.running ? 'Crawl process (holds the database now)' : 'Crawl process (none holds the database)', single: true,
      columns: ['running', 'pid', 'host', 'since'], rows: [{ running: p.running, pid: p.pid, host: p.host, since: p.since }],
    });
    return sections;
  }
  const workerRows = (ws: WorkerStatus[]) => ws.map((w) => ({ ...w }));
  const lease = `${(r.lease_ms ?? 0) / 1000} s`;
  sections.push(
    { name: 'workers', title: `Live workers (a heartbeat within the ${lease} lease, or a host lease held)`, columns: WORKER_COLUMNS, rows: workerRows(r.workers) },
    {
      name: 'gone_workers', title: `Gone workers (${run?.status === 'running' ? `no heartbeat for more than ${lease}` : 'the run has ended'})`,
      columns: WORKER_COLUMNS, rows: workerRows(r.gone_workers),
    },
    {
      name: 'expired_leases',
      title: `Expired host leases: ${count(r.expired_leases_total)}${r.expired_leases.length < r.expired_leases_total.count ? ` (the first ${r.expired_leases.length})` : ''}`,
      columns: ['host', 'owner', 'lease_until', 'expired_s'], rows: r.expired_leases.map((l) => ({ ...l })),
    },
  );
  return sections;
}

/** A line for people when the run's stored status and the processes disagree. */
function statusNote(r: RunStatusReport): string | undefined {
  if (r.run?.status !== 'running') return undefined;
  if (r.backend === 'sqlite' && !r.process!.running) {
    return `note: run ${r.run.id} is marked running but no crawl holds the database: it stopped without finishing; the next crawl resumes it`;
  }
  if (r.backend === 'postgres' && r.workers.length === 0) {
    return `note: run ${r.run.id} is marked running but no worker is live; crawl worker --db … resumes it`;
  }
  return undefined;
}

/** The yargs module for `crawl status`. */
export const statusCommand: CommandModule<object, OutputArgs> = {
  command: 'status',
  describe: 'The crawl now: the last run with its totals and queue, live and gone workers, expired host leases (PostgreSQL), the crawl process holding the database (SQLite)',
  builder: (y: Argv) =>
    addOutputOptions(y)
      .example('$0 status --db postgres://crawler@db.internal/crawl', 'workers, their hosts and pages/s, expired leases')
      .example('$0 status --format json', 'the report as one JSON object') as unknown as Argv<OutputArgs>,
  handler: async (args) => {
    await runStatus(args);
  },
};
