/** The end-of-run summary: a readable block for people and one parseable line for scripts. */
import type { RunSummary } from '../crawler/types.js';
import { formatBytes, formatDuration } from '../units.js';
import { EVENTS, type Logger } from './logger.js';

/** Prints the summary: a block plus a final `crawl: summary key=value…` line (plain), or one JSON event. */
export function printSummary(log: Logger, s: RunSummary): void {
  const c = s.counters;
  const fields = {
    run: s.runId, status: s.status, reason: s.stopReason, resumed: s.resumed, joined: s.joined, pages: c.pages, new: c.new, changed: c.changed,
    unchanged: c.unchanged, gone: c.gone, redirects: c.redirects, errors: c.errors, disallowed: c.disallowed, skipped: c.skipped,
    requests: c.requests, bytes: c.bytes, elapsed_ms: Math.round(s.elapsedMs), pages_per_s: Number(s.pagesPerSecond.toFixed(1)),
    by_status: s.byStatusClass, errors_by_code: s.errorsByCode,
    hosts_down: s.hostsDown.map((d) => ({ host: d.host, code: d.code, urls: d.urls, message: d.message })),
    event_loop_utilization: Number(s.eventLoopUtilization.toFixed(3)), worker_utilization: Number(s.workerUtilization.toFixed(3)),
    writer_utilization: Number(s.writerUtilization.toFixed(3)),
    rejected: s.rejected, db: s.db, exit: s.exitCode,
    // A worker that joined a shared run: its own part (pages_per_s is always this process's rate).
    ...(s.joined ? { worker_pages: s.session.pages, worker_requests: s.session.requests, worker_errors: s.session.errors } : {}),
  };
  const title = s.status === 'done' ? log.paint('green', 'done') : s.stopReason === 'seeds-incomplete'
    ? log.paint('yellow', 'stopped (seeds-incomplete: the worker reading the seed file stopped before its end; `crawl --urls FILE` with that file resumes the run and queues the rest)')
    : log.paint('yellow', `stopped (${s.stopReason}; the next run resumes)`);
  const codes = Object.entries(s.errorsByCode).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const classes = Object.entries(s.byStatusClass).map(([k, v]) => `${k} ${v}`).join('  ') || 'none';
  log.text('info', [
    `crawl: ${title} in ${formatDuration(s.elapsedMs)} — run ${s.runId}${s.joined ? ' (joined: other workers crawl it too)' : s.resumed ? ' (resumed)' : ''}${s.stopReason === 'max-pages' ? ' — --max-pages reached' : ''}`,
    ...(s.joined ? [
      `  worker    ${s.session.pages} pages by this worker (${s.pagesPerSecond.toFixed(1)} pages/s): ${outcomes(s.session)}`,
      `  pages     ${c.pages} in the run by every worker: ${outcomes(c)}`,
    ] : [`  pages     ${c.pages} (${s.pagesPerSecond.toFixed(1)} pages/s): ${outcomes(c)}`]),
    `  status    ${classes}`,
    `  errors    ${c.errors}: ${codes}`,
    ...s.hostsDown.map((d) => `  host down ${d.host}: ${d.code}, ${d.urls} URL${d.urls === 1 ? '' : 's'} not fetched (HOST_DOWN) — ${d.message}`),
    `  bytes     ${formatBytes(c.bytes)} in ${c.requests} requests`,
    `  database  ${s.db}   (try: crawl stats --db ${s.db})`,
  ].join('\n'));
  log.always(EVENTS.summary, fields, `crawl: summary ${Object.entries(fields).filter(([k]) => !['by_status', 'errors_by_code', 'hosts_down'].includes(k)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** The outcome counters of a pages line. */
function outcomes(c: RunSummary['counters']): string {
  return `new ${c.new}, changed ${c.changed}, unchanged ${c.unchanged}, gone ${c.gone}, redirects ${c.redirects}, disallowed ${c.disallowed}, skipped (fresh) ${c.skipped}`;
}
