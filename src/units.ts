/** Parsing and formatting of durations ("250ms", "6h", "7d") and sizes ("5MiB"). */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses a duration to milliseconds. Numbers are milliseconds; strings need a unit
 * (ms, s, m, h, d, w), except "0". Throws an Error whose message says how to fix the value.
 */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`must be a non-negative duration, got ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new Error(`must be a duration such as 500ms, 30s, 6h or 7d, got ${JSON.stringify(value)}`);
  const s = value.trim().toLowerCase();
  if (s === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(s);
  if (!m) {
    const hint = /^\d+(\.\d+)?$/.test(s) ? ` (add a unit, e.g. ${s}s or ${s}ms)` : '';
    throw new Error(`"${value}" is not a duration such as 500ms, 30s, 5m, 6h, 1d or 7d${hint}`);
  }
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]]);
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Parses a size to bytes: a number of bytes, or e.g. "500KiB", "5MiB", "10MB". */
export function parseSize(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`must be a positive number of bytes, got ${value}`);
    return value;
  }
  if (typeof value !== 'string') throw new Error(`must be a size such as 500KiB or 5MiB, got ${JSON.stringify(value)}`);
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? (m[2] || 'b').toLowerCase() : '';
  if (!m || !(unit in SIZE_UNITS) || Number(m[1]) <= 0) throw new Error(`"${value}" is not a size such as 500KiB, 5MiB or 10MB`);
  return Math.round(Number(m[1]) * SIZE_UNITS[unit]);
}

/** 1500 -> "1.5s", 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600), m = Math.floor((totalS % 3600) / 60), s = totalS % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}
