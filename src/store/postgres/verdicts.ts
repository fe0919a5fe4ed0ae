/** render_verdicts on PostgreSQL: what --render auto learned per host and path prefix (src/render/learn.ts). */
import type { Verdict } from '../types.js';

type Query = (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

export async function loadVerdicts(q: Query): Promise<Verdict[]> {
  const r = await q('SELECT prefix, fired_samples, fired_helped, quiet_samples, quiet_helped FROM render_verdicts');
  return r.rows.map((x) => ({ prefix: x.prefix as string, firedSamples: Number(x.fired_samples), firedHelped: Number(x.fired_helped),
    quietSamples: Number(x.quiet_samples), quietHelped: Number(x.quiet_helped) }));
}

/** Workers of one run each save what they saw: the larger counts win, so none is lost or counted twice. */
export async function saveVerdicts(q: Query, rows: Verdict[]): Promise<void> {
  if (!rows.length) return;
  await q(`INSERT INTO render_verdicts (prefix, fired_samples, fired_helped, quiet_samples, quiet_helped, updated_at)
    SELECT *, now()::text FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[])
    ON CONFLICT (prefix) DO UPDATE SET fired_samples = greatest(render_verdicts.fired_samples, excluded.fired_samples),
      fired_helped = greatest(render_verdicts.fired_helped, excluded.fired_helped), quiet_samples = greatest(render_verdicts.quiet_samples, excluded.quiet_samples),
      quiet_helped = greatest(render_verdicts.quiet_helped, excluded.quiet_helped), updated_at = excluded.updated_at`,
  [rows.map((v) => v.prefix), rows.map((v) => v.firedSamples), rows.map((v) => v.firedHelped), rows.map((v) => v.quietSamples), rows.map((v) => v.quietHelped)]);
}
