/**
 * auto's learning, per host and path prefix (the URL's first two directory levels): the first
 * SAMPLE_FIRST pages of a prefix, then one page in SAMPLE_EVERY, are rendered whatever the signals
 * say, and the rendered page is compared with the fetched one (links found, text length). A prefix
 * where the signal fired but rendering never helped stops being rendered; one where the signal
 * stayed quiet but rendering helped is rendered from then on. What was learned is saved in the
 * database (render_verdicts) and loaded by the next run, which starts informed.
 */
import { signalOf, type Signals } from './signals.js';
import type { RenderReason } from './types.js';
import type { Verdict, VerdictStore } from '../store/types.js';

export type { Verdict, VerdictStore } from '../store/types.js';

export const SAMPLE_FIRST = 2;
export const SAMPLE_EVERY = 50;

/** The prefix of a URL: host and up to two directory levels ("shop.test/csr/react/"). */
export function prefixOf(url: string): string {
  const u = new URL(url);
  const dirs = u.pathname.split('/').slice(1, -1).slice(0, 2);
  return `${u.host}/${dirs.map((d) => d + '/').join('')}`;
}

export class AutoLearner {
  private readonly verdicts = new Map<string, Verdict & { seen: number }>();
  private readonly changed = new Set<string>();

  constructor(private readonly store?: VerdictStore) {}

  async load(): Promise<void> {
    for (const v of (await this.store?.loadVerdicts()) ?? []) this.verdicts.set(v.prefix, { ...v, seen: v.firedSamples + v.quietSamples });
  }

  async save(): Promise<void> {
    if (!this.store || !this.changed.size) return;
    const rows = [...this.changed].map((k) => { const { seen: _seen, ...v } = this.verdicts.get(k)!; return v; });
    this.changed.clear();
    await this.store.saveVerdicts(rows);
  }

  /** Whether to render a page, why, and whether it is a sample to learn from. */
  decide(url: string, s: Signals): { render: boolean; reason: RenderReason; sample: boolean } {
    // A page without a script cannot be built by one: not rendered, not even as a sample.
    if (s.scripts === 0) return { render: false, reason: 'auto:none', sample: false };
    const v = this.of(prefixOf(url));
    v.seen++;
    const signal = signalOf(s);
    if (v.seen <= SAMPLE_FIRST || v.seen % SAMPLE_EVERY === 0) return { render: true, reason: `auto:${signal ?? 'sample'}`, sample: true };
    if (signal) {
      const useless = v.firedSamples >= SAMPLE_FIRST && v.firedHelped === 0;
      return { render: !useless, reason: `auto:${signal}`, sample: false };
    }
    const missed = v.quietSamples > 0 && v.quietHelped * 2 >= v.quietSamples;
    return { render: missed, reason: 'auto:learned', sample: false };
  }

  /** A sample was rendered: did the browser find links or text the fetched HTML lacked? */
  learn(url: string, before: Signals, after: { textChars: number; links: number }): void {
    const key = prefixOf(url);
    const v = this.of(key);
    const helped = after.links > before.links || after.textChars > before.textChars * 1.5 + 200;
    if (signalOf(before)) { v.firedSamples++; if (helped) v.firedHelped++; }
    else { v.quietSamples++; if (helped) v.quietHelped++; }
    this.changed.add(key);
  }

  private of(prefix: string): Verdict & { seen: number } {
    let v = this.verdicts.get(prefix);
    if (!v) {
      v = { prefix, firedSamples: 0, firedHelped: 0, quietSamples: 0, quietHelped: 0, seen: 0 };
      this.verdicts.set(prefix, v);
    }
    return v;
  }
}
