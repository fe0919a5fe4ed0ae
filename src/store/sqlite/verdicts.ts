/** render_verdicts on SQLite: what --render auto learned per host and path prefix (src/render/learn.ts). */
import type Database from 'better-sqlite3';
import type { Verdict } from '../types.js';

export function loadVerdicts(db: Database.Database): Verdict[] {
  return (db.prepare('SELECT prefix, fired_samples, fired_helped, quiet_samples, quiet_helped FROM render_verdicts').all() as Record<string, number | string>[])
    .map((r) => ({ prefix: r.prefix as string, firedSamples: r.fired_samples as number, firedHelped: r.fired_helped as number,
      quietSamples: r.quiet_samples as number, quietHelped: r.quiet_helped as number }));
}

/** Replaces the rows of the prefixes given (each run's counts include what it loaded). */
export function saveVerdicts(db: Database.Database, rows: Verdict[]): void {
  const put = db.prepare(`INSERT INTO render_verdicts (prefix, fired_samples, fired_helped, quiet_samples, quiet_helped, updated_at)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (prefix) DO UPDATE SET fired_samples = excluded.fired_samples, fired_helped = excluded.fired_helped,
    quiet_samples = excluded.quiet_samples, quiet_helped = excluded.quiet_helped, updated_at = excluded.updated_at`);
  const now = new Date().toISOString();
  db.transaction(() => { for (const v of rows) put.run(v.prefix, v.firedSamples, v.firedHelped, v.quietSamples, v.quietHelped, now); })();
}
