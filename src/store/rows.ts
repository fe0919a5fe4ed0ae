/** Rows of the runs table (SQLite's table, PostgreSQL's view: the same columns) as RunRow. */
import { emptyCounters, type RunRow, type RunStatus, type StopReason } from './types.js';

export function toRunRow(r: Record<string, unknown>): RunRow {
  const counters = emptyCounters();
  counters.pages = r.pages as number; counters.requests = r.requests as number; counters.new = r.new_pages as number;
  counters.changed = r.changed as number; counters.unchanged = r.unchanged as number; counters.gone = r.gone as number;
  counters.redirects = r.redirects as number; counters.errors = r.errors as number; counters.disallowed = r.disallowed as number;
  counters.skipped = r.skipped as number; counters.bytes = r.bytes as number;
  return {
    id: r.id as number, startedAt: r.started_at as string, endedAt: r.ended_at as string | null,
    status: r.status as RunStatus, stopReason: r.stop_reason as StopReason | null, options: r.options as string, counters,
  };
}
