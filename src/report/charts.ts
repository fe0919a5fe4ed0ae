/**
 * The charts of the HTML report as plain specs (title, labels, datasets, colours), built from the
 * report data. The page's script turns each spec into a Chart.js chart; keeping the choices here
 * (which chart, which colours, which caps to mention) leaves that script generic and lets tests
 * check the specs without a browser.
 */
import { bytesLabel, CHANGE_KINDS, REPORT_LIMITS, type Count, type ReportData } from './data.js';

/** One dataset of a chart: a legend label, the values, one colour or one per bar. */
export interface DatasetSpec {
  label: string;
  data: number[];
  color: string | string[];
}

/** One chart of the report. */
export interface ChartSpec {
  /** Stable id (the canvas's data-chart attribute). */
  id: string;
  title: string;
  type: 'bar' | 'doughnut';
  labels: string[];
  datasets: DatasetSpec[];
  /** Stacked bars (several datasets). */
  stacked?: boolean;
  /** Bars run left to right (long category labels such as hosts and URLs read better). */
  horizontal?: boolean;
  /** Axis titles, value axis first. */
  valueTitle?: string;
  categoryTitle?: string;
  /** Tooltip titles per label, when the short axis label needs more (e.g. a run's start time). */
  tooltips?: string[];
  /** A line under the chart, e.g. that a cap applied. */
  note?: string;
  /** True when there is nothing to draw (the page shows a "none" text instead of a canvas). */
  empty: boolean;
}

/** Colours by meaning, chosen to stay distinct for common colour-vision deficiencies where it matters (ok/error). */
export const COLORS = {
  ok: '#3b7dd8',
  error: '#d64545',
  status: { '1xx': '#8e6bd1', '2xx': '#2e9d5b', '3xx': '#3b7dd8', '4xx': '#e8952f', '5xx': '#d64545', none: '#8a94a6' } as Record<string, string>,
  change: {
    new: '#3b7dd8', changed: '#e8952f', unchanged: '#9db4cf', gone: '#6b4fbb', redirect: '#4fb3bf', error: '#d64545', disallowed: '#8a94a6',
  } as Record<string, string>,
  durations: '#4f7cc4',
  sizes: '#2e9d8f',
  depths: '#7a5cc7',
  types: '#3aa0a0',
};

/** A one-dataset chart from counts. */
function single(id: string, title: string, counts: Count[], color: string | ((c: Count) => string), extra: Partial<ChartSpec> = {}): ChartSpec {
  return {
    id, title, type: 'bar', labels: counts.map((c) => c.label),
    datasets: [{ label: extra.valueTitle ?? 'pages', data: counts.map((c) => c.value), color: typeof color === 'string' ? color : counts.map(color) }],
    empty: counts.every((c) => c.value === 0),
    ...extra,
  };
}

/** "showing the first N" when a capped list is full. */
function capNote(shown: number, cap: number, what: string): string | undefined {
  return shown >= cap ? `Showing the top ${cap} ${what}.` : undefined;
}

/** The report's charts, in page order. */
export function buildCharts(d: ReportData): ChartSpec[] {
  const L = REPORT_LIMITS;
  const classColor = (label: string): string => COLORS.status[/^\d/.test(label) ? `${label[0]}xx` : label] ?? COLORS.status.none;
  // Short run labels so 60 runs fit the axis; the tooltip has the start time.
  const runLabels = d.history.runs.map((r) => `#${r.id}`);
  const runTips = d.history.runs.map((r) => `run #${r.id}, started ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`);
  const kinds = [...CHANGE_KINDS, ...Object.keys(d.history.changes).filter((k) => !CHANGE_KINDS.includes(k))];
  const historySets = kinds
    .filter((k) => d.history.changes[k]?.some((n) => n > 0))
    .map((k) => ({ label: k, data: d.history.changes[k], color: COLORS.change[k] ?? COLORS.status.none }));
  const charts: ChartSpec[] = [
    {
      id: 'status-classes', title: 'Pages by status class', type: 'doughnut',
      labels: d.statusClasses.map((c) => c.label),
      datasets: [{ label: 'pages', data: d.statusClasses.map((c) => c.value), color: d.statusClasses.map((c) => classColor(c.label)) }],
      note: d.statusClasses.some((c) => c.label === 'none') ? '"none": no HTTP response (network error, timeout, robots.txt refusal).' : undefined,
      empty: d.statusClasses.length === 0,
    },
    single('status-codes', 'Pages by HTTP status', d.statusCodes, (c) => classColor(c.label), { categoryTitle: 'status', valueTitle: 'pages' }),
    single('error-codes', 'Errors by code', d.errorCodes, COLORS.error, {
      horizontal: true, valueTitle: 'pages', note: capNote(d.errorCodes.length, L.categories, 'error codes'),
    }),
    single('durations', 'Response time (fetch to end of body)', d.durations, COLORS.durations, {
      valueTitle: 'pages', categoryTitle: 'duration',
      note: d.summary?.medianMs != null ? `Median ${d.summary.medianMs} ms, 95th percentile ${d.summary.p95Ms} ms.` : undefined,
    }),
    {
      id: 'hosts', title: 'Pages and failed pages per host', type: 'bar', labels: d.hosts.labels, stacked: true, horizontal: true,
      datasets: [{ label: 'ok', data: d.hosts.ok, color: COLORS.ok }, { label: 'failed', data: d.hosts.errors, color: COLORS.error }],
      valueTitle: 'pages',
      note: d.hosts.more > 0 ? `Showing the top ${L.hosts} hosts by pages; ${d.hosts.more} more not shown.` : undefined,
      empty: d.hosts.labels.length === 0,
    },
    single('depths', 'Pages by link depth', d.depths, COLORS.depths, { categoryTitle: 'depth (links from a seed)', valueTitle: 'pages' }),
    {
      ...single('content-types', 'Content types', d.contentTypes.map((t) => ({ label: `${t.label} (${bytesLabel(t.bytes)})`, value: t.pages })), COLORS.types, {
        horizontal: true, valueTitle: 'pages', note: capNote(d.contentTypes.length, L.categories, 'content types'),
      }),
    },
    single('sizes', 'Page sizes (decompressed body)', d.sizes, COLORS.sizes, { categoryTitle: 'size', valueTitle: 'pages' }),
    {
      id: 'history', title: 'History across runs (what each run found)', type: 'bar', labels: runLabels, stacked: true,
      datasets: historySets, valueTitle: 'pages', categoryTitle: 'run', tooltips: runTips,
      note: d.history.more > 0 ? `Showing the last ${L.runs} runs; ${d.history.more} older runs not shown.` : undefined,
      empty: historySets.length === 0,
    },
  ];
  // Page order: the history across runs first (full width), then pairs that read together.
  return PAGE_ORDER.map((id) => charts.find((c) => c.id === id)!);
}

/** Chart ids in page order. */
export const PAGE_ORDER = ['history', 'status-classes', 'status-codes', 'error-codes', 'hosts', 'durations', 'sizes', 'depths', 'content-types'];
