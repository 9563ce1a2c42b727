/**
 * report.json → one self-contained report.html: tables in HTML, plots drawn by Vega-Lite from the specs
 * of specs.ts. vega, vega-lite and vega-embed are inlined from node_modules, so the page opens
 * offline and fetches nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { keyLabel, maskColor, maskLabel, orderMasks, reportPlots, setLabel, taskMasks, type ReportPlot } from './specs.js';
import { convergenceWarning, findings, undecidedShare } from './findings.js';
import type { Report } from './types.js';
import { FONT } from './spec-style.js';

const LIBRARIES: [pkg: string, file: string][] = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
];
let libraryCache: string | undefined;

/** The browser builds of vega, vega-lite and vega-embed, as inline <script> elements. */
function inlineLibraries(): string {
  if (libraryCache) return libraryCache;
  const require = createRequire(import.meta.url);
  libraryCache = LIBRARIES.map(([pkg, file]) => {
    let dir = dirname(require.resolve(pkg));
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    const code = readFileSync(join(dir, file), 'utf8').replace(/<\/(script)/gi, '<\\/$1');
    return `<script>/* ${pkg} */\n${code}\n</script>`;
  }).join('\n');
  return libraryCache;
}

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}\u202f%`;

function duration(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return Math.abs(v) >= 10000 ? v.toLocaleString('en-US') : String(v);
    if (v !== 0 && Math.abs(v) < 0.01) return v.toExponential().replace(/\.?0*e/, 'e').replace('e+', 'e');
    return String(Number(v.toPrecision(4)));
  }
  if (Array.isArray(v)) return v.map(formatValue).join(', ');
  return String(v);
}

/** The configuration as "key → value" pairs, nested objects flattened with dots. */
function flatConfig(config: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(config).flatMap(([k, v]): [string, string][] =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? flatConfig(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, formatValue(v)]]);
}

/** Cell background: green from 90 %, red-ish under 10 %, amber to yellow-green in between. */
export function cellStyle(v: number): string {
  if (v >= 0.9) return 'background:#d3f0d8;color:#14532d';
  if (v < 0.1) return 'background:#fbe0dc;color:#7f1d1d';
  const hue = Math.round(25 + ((v - 0.1) / 0.8) * 70);
  return `background:hsl(${hue} 80% 88%)`;
}

/** rows × eval sets of accuracies in [0, 1], coloured, with "± std" where given and non-zero… or several seeds. */
function accuracyTable(rows: [label: string, color: string | null, cells: Record<string, number>, std?: Record<string, number>][], showStd: boolean): string {
  const sets = [...new Set(rows.flatMap(([, , cells]) => Object.keys(cells)))];
  const head = `<thead><tr><th rowspan="2" class="corner">mask</th><th colspan="${sets.length}" class="group">accuracy on eval set</th></tr>`
    + `<tr>${sets.map((s) => `<th>${esc(setLabel(s))}</th>`).join('')}</tr></thead>`;
  const body = rows.map(([label, color, cells, std]) => {
    const swatch = color ? `<span class="swatch" style="background:${color}"></span>` : '';
    const tds = sets.map((s) => {
      const v = cells[s];
      if (v === undefined) return '<td class="na">–</td>';
      const sd = showStd && std?.[s] !== undefined ? `<span class="std">± ${(std[s] * 100).toFixed(1)}</span>` : '';
      return `<td style="${cellStyle(v)}">${pct(v)}${sd}</td>`;
    }).join('');
    return `<tr><th scope="row">${swatch}${esc(label)}</th>${tds}</tr>`;
  }).join('\n');
  return `<table class="acc">${head}<tbody>${body}</tbody></table>`;
}

const EXPERIMENT_QUESTION: [RegExp, string][] = [
  [/addmul/, 'Do + and × use separate weights?'],
  [/double/, 'Is the same function (addition) reused for both pairs?'],
  [/scan/, 'Does a mask trained on one SCAN split keep what the other splits need? (systematic generalisation)'],
];

function header(r: Report): string {
  const question = EXPERIMENT_QUESTION.find(([re]) => re.test(r.experiment))?.[1];
  const seeds = r.seeds.length > 1 ? `${r.seeds.length} (${r.seeds.join(', ')})` : String(r.seed);
  const meta: [string, string][] = [['size', r.size], ['seeds', seeds], ['backend', r.backend], ['device', r.device], ['wall time', duration(r.seconds)]];
  const config = flatConfig(r.config).map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  return `<header>
  <div class="eyebrow">maskscope report</div>
  <h1>${esc(r.experiment)}</h1>
  ${question ? `<p class="question">${esc(question)}</p>` : ''}
  <div class="meta">${meta.map(([k, v]) => `<span><b>${k}</b> ${esc(v)}</span>`).join('')}</div>
  ${config ? `<dl class="config">${config}</dl>` : ''}
</header>`;
}

function headline(r: Report): string {
  const [a, b] = taskMasks(r);
  const total = r.layers.reduce((s, l) => s + l.weights, 0);
  const kept = (m: string) => r.layers.reduce((s, l) => s + (l.kept[m] ?? 0), 0) / total;
  const std = r.totalSharedStd ? `<span class="std">± ${(r.totalSharedStd * 100).toFixed(1)}</span>` : '';
  const cards = [
    `<div class="card key"><div class="num">${pct(r.totalShared)}${std}</div><div class="lab">total shared: weights of the ${esc(maskLabel(a))} also in the ${esc(maskLabel(b))}</div></div>`,
    ...orderMasks(Object.keys(r.layers[0]?.kept ?? {})).map((m) =>
      `<div class="card"><div class="num">${pct(kept(m))}</div><div class="lab"><span class="swatch" style="background:${maskColor(m)}"></span>kept by the ${esc(maskLabel(m))}${
        r.sharedFraction?.[m] !== undefined ? `, ${pct(r.sharedFraction[m], 0)} of it shared` : ''}</div></div>`),
    `<div class="card"><div class="num">${total.toLocaleString('en-US')}</div><div class="lab">weights masked, in ${r.layers.length} tensors</div></div>`,
  ];
  return `<div class="cards">${cards.join('')}</div>`;
}

/** The findings in sentences, the convergence of each stage's mask, and a warning when one has not settled. */
function findingsSection(r: Report): string {
  const items = findings(r, taskMasks(r), setLabel).map((f) => `<li>${esc(f)}</li>`).join('\n');
  const warning = convergenceWarning(r);
  const shares = r.histogram ? Object.entries(undecidedShare(r.histogram)) : [];
  const convergence = shares.length
    ? `<p class="note">Undecided logits (keep probability between 0.05 and 0.95) per stage: ${shares.map(([s, v]) => `${esc(maskLabel(s))} ${pct(v)}`).join(' · ')}</p>`
    : '';
  return section('findings', 'What the numbers say', `<ul class="findings">${items}</ul>${warning ? `<p class="warning">${esc(warning)}</p>` : ''}${convergence}`,
    'Each sentence is computed from this report’s numbers: a mask “breaks” a task when it leaves less than half of the unmasked accuracy.');
}

export function section(id: string, title: string, body: string, how: string): string {
  return `<section id="${id}">\n<h2>${esc(title)}</h2>\n${body}\n<p class="how"><b>How to read this:</b> ${esc(how)}</p>\n</section>`;
}

function tables(r: Report): { accuracy: string; halfMask: string } {
  const [a, b] = taskMasks(r).map(setLabel);
  const seeds = r.seeds.length > 1;
  const masks = orderMasks(Object.keys(r.accuracy));
  const accuracy = section('accuracy', 'Accuracy with each mask',
    accuracyTable(masks.map((m) => [maskLabel(m), maskColor(m), r.accuracy[m], r.accuracyStd?.[m]]), seeds)
      + (seeds ? `<p class="note">mean ± std over ${r.seeds.length} seeds, in percentage points</p>` : ''),
    r.tokenRemoved
      ? 'Rows are masks, each trained on one split’s train set (full: simple); columns are the splits’ test sets. A split mask that fails on its own test set while the full mask solves it has dropped weights that generalisation needs but its train set never asked for.'
      : `A ${a} mask that keeps ${a} green while its ¬mask turns ${a} red means those weights are needed for ${a}; if the ¬${a} mask also breaks ${b}, the two share them.`);
  const halfMask = r.halfMask
    ? section('half-mask', 'Half-mask test', accuracyTable(Object.keys(r.halfMask).map((k) => [keyLabel(k), null, r.halfMask![k]]), false),
      'Each row applies a mask to only the early or only the late half of the layers; the half whose masking alone breaks the other task holds the task-specific weights.')
    : '';
  return { accuracy, halfMask };
}

const CSS = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --soft: #f3f4f6; }
* { box-sizing: border-box; }
html { background: #f5f6f8; }
body { margin: 0; color: var(--fg); font: 15px/1.55 ${FONT}; -webkit-font-smoothing: antialiased; }
main { max-width: 920px; margin: 0 auto; padding: 36px 20px 56px; }
header { margin-bottom: 18px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 11.5px; font-weight: 600; color: #2563eb; }
h1 { font-size: 30px; line-height: 1.2; margin: 4px 0 2px; letter-spacing: -.015em; }
.question { margin: 0 0 10px; font-size: 17px; color: #374151; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13.5px; color: #374151; }
.meta b { font-weight: 600; color: var(--muted); margin-right: 4px; }
.config { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 2px 18px; margin: 14px 0 0;
  padding: 10px 14px; background: #fff; border: 1px solid var(--line); border-radius: 8px; font-size: 12.5px; }
.config div { display: flex; justify-content: space-between; gap: 10px; border-bottom: 1px dotted var(--line); padding: 2px 0; }
.config dt { color: var(--muted); }
.config dd { margin: 0; font-variant-numeric: tabular-nums; font-weight: 500; text-align: right; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; margin: 0 0 16px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card.key { background: #f5f3ff; border-color: #ddd6fe; grid-column: span 2; }
.card .num { font-size: 24px; font-weight: 650; letter-spacing: -.01em; font-variant-numeric: tabular-nums; }
.card.key .num { color: #5b21b6; font-size: 30px; }
.card .lab { font-size: 12.5px; color: var(--muted); line-height: 1.35; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px 16px; margin: 0 0 16px; break-inside: avoid; }
h2 { font-size: 17px; margin: 0 0 12px; letter-spacing: -.005em; }
.how { margin: 12px 0 0; font-size: 13.5px; color: #4b5563; border-top: 1px solid var(--soft); padding-top: 10px; }
.how b { color: #374151; font-weight: 600; }
.note { margin: 6px 0 0; font-size: 12.5px; color: var(--muted); }
.findings { margin: 0; padding-left: 20px; }
.findings li { margin: 3px 0; }
.warning { margin: 10px 0 0; padding: 8px 12px; background: #fff7ed; border: 1px solid #fed7aa; border-radius: 6px; color: #7c2d12; font-size: 14px; }
table.acc { border-collapse: separate; border-spacing: 3px; font-variant-numeric: tabular-nums; font-size: 14px; }
table.acc th { font-weight: 600; text-align: center; padding: 4px 12px; color: #374151; }
table.acc th.group { font-weight: 500; color: var(--muted); font-size: 12.5px; border-bottom: 1px solid var(--line); }
table.acc th.corner { text-align: left; vertical-align: bottom; color: var(--muted); font-weight: 500; font-size: 12.5px; }
table.acc tbody th { text-align: left; font-weight: 500; white-space: nowrap; padding-right: 18px; }
table.acc td { min-width: 112px; text-align: center; padding: 6px 12px; border-radius: 5px; font-weight: 600; }
table.acc td.na { color: var(--muted); font-weight: 400; }
.std { font-weight: 400; font-size: 12px; opacity: .75; margin-left: 5px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 7px; vertical-align: 0; }
.plot { min-height: 120px; overflow-x: auto; }
.plot.failed { color: #b91c1c; font-size: 13px; }
.sidenum { float: right; text-align: right; margin: -4px 0 0 16px; }
.sidenum .num { font-size: 26px; font-weight: 650; color: #5b21b6; line-height: 1.1; font-variant-numeric: tabular-nums; }
.sidenum .lab { font-size: 12px; color: var(--muted); }
footer { font-size: 12.5px; color: var(--muted); text-align: center; margin-top: 24px; }
#vg-tooltip-element { font-family: ${FONT}; }
@media print { html { background: #fff; } section { border-color: #ddd; } }
`;

const BOOT = `(function () {
  var plots = JSON.parse(document.getElementById('maskscope-plots').textContent);
  Promise.all(plots.map(function (p) {
    var el = document.getElementById('plot-' + p.id);
    return vegaEmbed(el, p.spec, { actions: false, renderer: 'svg' }).catch(function (e) {
      console.error('plot ' + p.id + ': ' + e);
      el.className += ' failed';
      el.textContent = 'This plot could not be drawn: ' + e.message;
    });
  })).then(function () { document.documentElement.setAttribute('data-rendered', 'true'); });
})();`;

/** The whole report as one HTML page that opens offline. */
export function renderReportHtml(report: Report): string {
  const plots = reportPlots(report);
  const { accuracy, halfMask } = tables(report);
  const plotSections = plots.map((p) => {
    const side = p.id === 'iou'
      ? `<div class="sidenum"><div class="num">${pct(report.totalShared)}${report.totalSharedStd ? `<span class="std">± ${(report.totalSharedStd * 100).toFixed(1)}</span>` : ''}</div><div class="lab">total shared</div></div>`
      : '';
    return plotSection(p, side);
  });
  return htmlPage(`${report.experiment} · maskscope report`, `${header(report)}
${headline(report)}
${findingsSection(report)}
${accuracy}
${plotSections.join('\n')}
${halfMask}`, plots);
}

/** A plot's section: its title, where Vega-Lite draws it (htmlPage), its reading guide. */
export const plotSection = (p: ReportPlot, side = ''): string => section(`section-${p.id}`, p.title, `${side}<div class="plot" id="plot-${p.id}"></div>`, p.caption);

/** A page that opens offline: `body` in the report's layout and style, then Vega-Lite draws `plots` into their plotSections. */
export function htmlPage(title: string, body: string, plots: readonly ReportPlot[]): string {
  const json = JSON.stringify(plots.map(({ id, spec }) => ({ id, spec }))).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
<noscript><p>The plots need JavaScript; every number is also in report.json.</p></noscript>
<footer>maskscope · differentiable weight masks after Csordás, van Steenkiste &amp; Schmidhuber, “Are Neural Nets Modular?” (ICLR 2021) · every number is also in report.json</footer>
</main>
<script type="application/json" id="maskscope-plots">${json}</script>
${inlineLibraries()}
<script>${BOOT}</script>
</body>
</html>
`;
}
