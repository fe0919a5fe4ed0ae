/**
 * The script inlined into the HTML report, as text: it draws each chart spec (charts.ts) with
 * Chart.js and makes every table sortable by clicking a header. It reads its data with JSON.parse
 * from a non-executed <script type="application/json"> block and writes only text and attributes
 * (textContent, dataset), never HTML, so nothing from the database is ever parsed as markup.
 * Plain ES2020 for any current browser; no modules, no network.
 */

/** The client script. Marks each drawn canvas with data-rendered="<elements drawn>" and the root with data-charts="<charts drawn>". */
export const CLIENT_JS = String.raw`(() => {
  'use strict';
  const specs = JSON.parse(document.getElementById('report-charts').textContent);
  const Chart = window.Chart;
  // Static page: no animation, so the first frame is the final picture (and screenshots are stable).
  Chart.defaults.animation = false;
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = '#4a5568';
  Chart.defaults.borderColor = '#e2e8f0';
  const short = (s, n) => (typeof s === 'string' && s.length > n ? s.slice(0, n - 1) + '\u2026' : s);
  let drawn = 0;
  for (const spec of specs) {
    const canvas = document.querySelector('canvas[data-chart="' + spec.id + '"]');
    if (!canvas) continue;
    const doughnut = spec.type === 'doughnut';
    const value = spec.horizontal ? 'x' : 'y';
    const category = spec.horizontal ? 'y' : 'x';
    const labelWidth = spec.horizontal ? 42 : 18;
    const scales = doughnut ? {} : {
      [value]: {
        stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 },
        title: { display: !!spec.valueTitle, text: spec.valueTitle },
      },
      [category]: {
        stacked: !!spec.stacked, grid: { display: false },
        title: { display: !!spec.categoryTitle, text: spec.categoryTitle },
        ticks: { autoSkip: !spec.horizontal, callback(v) { return short(this.getLabelForValue(v), labelWidth); } },
      },
    };
    const chart = new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d) => ({
          label: d.label, data: d.data, backgroundColor: d.color,
          borderColor: doughnut ? '#ffffff' : d.color, borderWidth: doughnut ? 2 : 0, maxBarThickness: spec.horizontal ? 26 : 44,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, indexAxis: spec.horizontal ? 'y' : 'x',
        plugins: {
          legend: { display: doughnut || spec.datasets.length > 1, position: doughnut ? 'right' : 'top', labels: { boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => (items.length ? String((spec.tooltips || [])[items[0].dataIndex] || items[0].label) : '') } },
        },
        scales,
      },
    });
    canvas.dataset.rendered = String(chart.getDatasetMeta(0).data.length);
    drawn++;
  }
  document.documentElement.dataset.charts = String(drawn);

  // Sortable tables: numbers compare by data-v (raw value), text by its content; empty cells last.
  const key = (cell) => {
    if (!cell) return null;
    if (cell.dataset.v !== undefined) return cell.dataset.v === '' ? null : Number(cell.dataset.v);
    const t = cell.textContent.trim();
    return t === '' ? null : t.toLowerCase();
  };
  for (const table of document.querySelectorAll('table.sortable')) {
    const heads = [...table.tHead.rows[0].cells];
    heads.forEach((th, col) => {
      const button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', () => {
        const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
        for (const h of heads) h.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = [...body.rows].map((r, i) => ({ r, i, k: key(r.cells[col]) }));
        rows.sort((a, b) => {
          if (a.k === null || b.k === null) return a.k === b.k ? a.i - b.i : a.k === null ? 1 : -1;
          const c = typeof a.k === 'number' && typeof b.k === 'number' ? a.k - b.k : String(a.k).localeCompare(String(b.k));
          return c === 0 ? a.i - b.i : c * dir;
        });
        body.append(...rows.map((x) => x.r));
      });
    });
  }
})();
`;
