/**
 * A sweep's report.json → report.html: one table row per grid point (total shared and every mask's
 * accuracy, mean ± std over its finished seeds) and the β and width curves, in the run report's page
 * (htmlPage: self-contained, opens offline).
 */
import { cellStyle, esc, formatValue, htmlPage, pct, plotSection, section } from './html.js';
import { maskLabel, orderMasks, setLabel, SWEEP_PLOT, sweepSpec, type ReportPlot } from './specs.js';
import type { SweepReport, SweepReportPoint } from './types.js';

const settingsText = (s: Record<string, unknown>): string => Object.entries(s).map(([k, v]) => `${k} ${formatValue(v)}`).join(', ');

function header(r: SweepReport): string {
  const meta: [string, string][] = [
    ['size', r.size], ['seeds', r.seeds.join(', ')], ['runs finished', `${r.finished} of ${r.runs}`], ['devices', r.devices.join(' / ') || '–'],
  ];
  const fields = [...Object.entries(r.set).map(([k, v]) => [k, formatValue(v)]), ...Object.entries(r.grid).map(([k, vs]) => [k, vs.map(formatValue).join(' | ')])];
  const config = fields.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  return `<header>
  <div class="eyebrow">maskscope sweep</div>
  <h1>${esc(r.experiment)}</h1>
  <div class="meta">${meta.map(([k, v]) => `<span><b>${k}</b> ${esc(v)}</span>`).join('')}</div>
  ${config ? `<dl class="config">${config}</dl>` : ''}
</header>`;
}

const cell = (mean: number | undefined, std: number | undefined): string =>
  mean === undefined ? '<td class="na">–</td>' : `<td style="${cellStyle(mean)}">${pct(mean)}${std ? `<span class="std">± ${(std * 100).toFixed(1)}</span>` : ''}</td>`;

/** One row per grid point: its settings, finished runs, total shared, then each mask's accuracy per eval set. */
function pointsTable(r: SweepReport): string {
  const fields = Object.keys(r.grid);
  const masks = orderMasks(r.points.flatMap((p) => Object.keys(p.accuracy ?? {})));
  const sets = [...new Set(r.points.flatMap((p) => Object.values(p.accuracy ?? {}).flatMap((row) => Object.keys(row))))];
  const head = `<thead><tr>${fields.map((f) => `<th rowspan="2">${esc(f)}</th>`).join('')}<th rowspan="2">runs</th><th rowspan="2">total shared</th>`
    + `${masks.map((m) => `<th colspan="${sets.length}" class="group">${esc(maskLabel(m))}</th>`).join('')}</tr>`
    + `<tr>${masks.map(() => sets.map((s) => `<th>on ${esc(setLabel(s))}</th>`).join('')).join('')}</tr></thead>`;
  const row = (p: SweepReportPoint): string => {
    const settings = fields.map((f) => `<th scope="row">${esc(formatValue(p.settings[f]))}</th>`).join('');
    const shared = p.totalShared === undefined ? '<td class="na">–</td>' : `<td>${pct(p.totalShared)}${p.totalSharedStd ? `<span class="std">± ${(p.totalSharedStd * 100).toFixed(1)}</span>` : ''}</td>`;
    const acc = masks.map((m) => sets.map((s) => cell(p.accuracy?.[m]?.[s], p.accuracyStd?.[m]?.[s])).join('')).join('');
    return `<tr>${settings}<td>${p.runs} of ${r.seeds.length}</td>${shared}${acc}</tr>`;
  };
  return `<div style="overflow-x:auto"><table class="acc">${head}<tbody>${r.points.map(row).join('\n')}</tbody></table></div>`;
}

/** The β and width curves, one plot per combination of the grid's other fields. */
function curvePlots(r: SweepReport): ReportPlot[] {
  return r.curves.flatMap((c, i) => {
    const spec = sweepSpec(c.points, c.kind, r.compared);
    const at = Object.keys(c.fixed).length ? ` at ${settingsText(c.fixed)}` : '';
    return spec ? [{ id: `curve-${i}`, title: `${SWEEP_PLOT[c.kind].title}${at}`, caption: SWEEP_PLOT[c.kind].caption, spec }] : [];
  });
}

export function renderSweepHtml(r: SweepReport): string {
  const plots = curvePlots(r);
  const points = section('points', 'Every grid point', pointsTable(r),
    `Each row is one point of the grid, its figures the mean ± std (percentage points) over the seeds whose run has finished; total shared is the share of the ${maskLabel(r.compared[0])} weights that the ${maskLabel(r.compared[1])} also keeps.`);
  return htmlPage(`${r.experiment} sweep · maskscope`, `${header(r)}\n${points}\n${plots.map((p) => plotSection(p)).join('\n')}`, plots);
}
