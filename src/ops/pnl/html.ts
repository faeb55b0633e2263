/**
 * @module ops/pnl/html
 * The daily report as one self-contained HTML file: uPlot (a real charting library, MIT) and its stylesheet are
 * inlined so the file opens offline, and the report's data is embedded as JSON in
 * `<script type="application/json" id="sofia-report-data">` (with `<` escaped, so no value can close the tag).
 * The page draws the equity curve and the drawdown from that JSON and shows the tables as HTML.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

let assets: { readonly js: string; readonly css: string } | undefined

/** uPlot's minified IIFE bundle and stylesheet, read once from node_modules. */
export function uplotAssets(): { readonly js: string; readonly css: string } {
  assets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  }
  return assets
}

export const DATA_ELEMENT_ID = 'sofia-report-data'

/** JSON safe inside a <script> element: `<`, `>` and `&` as \\u escapes, and the two JS line separators. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** A table; the first column is left-aligned, the others right-aligned. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`
}

export interface HtmlSection {
  readonly title: string
  /** Already-escaped HTML. */
  readonly html: string
}

/** Chart series: times in epoch seconds (uPlot's unit), values as numbers (display only). */
export interface ChartData {
  readonly t: readonly number[]
  readonly equity: readonly number[]
  readonly drawdown: readonly number[]
}

const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('${DATA_ELEMENT_ID}').textContent);
  var c = data.chart;
  function draw(id, label, values, stroke, fill) {
    var el = document.getElementById(id);
    if (c.t.length < 2) { el.textContent = 'not enough points to draw ' + label.toLowerCase(); return; }
    new uPlot({
      title: label, width: Math.min(1000, el.clientWidth || 1000), height: 260,
      series: [{}, { label: label + ' (' + data.currency + ')', stroke: stroke, fill: fill, width: 1.5 }],
      axes: [{}, { size: 80 }]
    }, [c.t, values], el);
  }
  draw('equity-chart', 'Equity', c.equity, '#1f6feb', 'rgba(31,111,235,0.08)');
  draw('drawdown-chart', 'Drawdown', c.drawdown.map(function (x) { return -x; }), '#d1242f', 'rgba(209,36,47,0.12)');
})();
`

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; margin: 24px auto; max-width: 1040px; color: #1f2328; padding: 0 12px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; } td:not(:first-child), th:not(:first-child) { text-align: right; }
th { background: #f6f8fa; } .note { color: #57606a; font-size: 13px; }
`

/** The whole page. `data` must hold `currency` and `chart` (ChartData); everything else is for readers of the JSON. */
export function renderHtml(title: string, sections: readonly HtmlSection[], data: { readonly currency: string; readonly chart: ChartData } & Record<string, unknown>): string {
  const { js, css } = uplotAssets()
  const body = sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>\n${s.html}`).join('\n')
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
<style>${PAGE_CSS}</style>
<script>${js}</script>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<h2>Equity</h2>
<div id="equity-chart"></div>
<h2>Drawdown</h2>
<div id="drawdown-chart"></div>
${body}
<script type="application/json" id="${DATA_ELEMENT_ID}">${scriptJson(data)}</script>
<script>${CHART_SCRIPT}</script>
</body>
</html>
`
}

/** The embedded data of a report page, parsed back (for tests and tools). */
export function extractEmbeddedData(html: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${DATA_ELEMENT_ID}">([\\s\\S]*?)</script>`).exec(html)
  if (m === null) throw new Error('no embedded report data')
  return JSON.parse(m[1]!)
}
