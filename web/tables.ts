/** HTML for the numbers of a report: the accuracy table, the half-mask table and the headline figures. */
import { keyLabel, maskColor, maskLabel, orderMasks, setLabel, taskMasks } from '../report/specs.js';
import type { Report } from '../report/types.js';

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}\u202f%`;

/** Green from 90 %, red under 10 %, amber to yellow-green in between (as in report.html). */
function cellStyle(v: number): string {
  if (v >= 0.9) return 'background:#d3f0d8;color:#14532d';
  if (v < 0.1) return 'background:#fbe0dc;color:#7f1d1d';
  return `background:hsl(${Math.round(25 + ((v - 0.1) / 0.8) * 70)} 80% 88%)`;
}

type Row = { key: string; label: string; color: string | null; cells: Record<string, number> };

function table(rows: Row[], corner: string): string {
  const sets = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))];
  const head = `<thead><tr><th class="corner">${esc(corner)}</th>${sets.map((s) => `<th>on ${esc(setLabel(s))}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => {
    const swatch = r.color ? `<span class="swatch" style="background:${r.color}"></span>` : '';
    const tds = sets.map((s) => {
      const v = r.cells[s];
      return v === undefined ? '<td class="na">–</td>' : `<td data-mask="${esc(r.key)}" data-set="${esc(s)}" data-value="${v}" style="${cellStyle(v)}">${pct(v)}</td>`;
    }).join('');
    return `<tr><th scope="row">${swatch}${esc(r.label)}</th>${tds}</tr>`;
  }).join('');
  return `<table class="acc">${head}<tbody>${body}</tbody></table>`;
}

/** Accuracy of every mask and its inverse on each eval set; cells carry data-mask / data-set / data-value. */
export function accuracyTable(r: Report): string {
  return table(orderMasks(Object.keys(r.accuracy)).map((m) => ({ key: m, label: maskLabel(m), color: maskColor(m), cells: r.accuracy[m] })), 'mask');
}

export function halfMaskTable(r: Report): string {
  if (!r.halfMask) return '';
  return table(Object.keys(r.halfMask).map((k) => ({ key: k, label: keyLabel(k), color: null, cells: r.halfMask![k] })), 'full mask on');
}

/** Total shared, and the share of all masked weights each mask keeps. */
export function headline(r: Report): string {
  const [a, b] = taskMasks(r);
  const total = r.layers.reduce((s, l) => s + l.weights, 0);
  const kept = (m: string) => r.layers.reduce((s, l) => s + (l.kept[m] ?? 0), 0) / total;
  const cards = [
    `<div class="figure key" id="total-shared"><b>${pct(r.totalShared)}</b><span>of the ${esc(maskLabel(a))}'s weights are also in the ${esc(maskLabel(b))}</span></div>`,
    ...orderMasks(Object.keys(r.layers[0]?.kept ?? {})).map((m) =>
      `<div class="figure"><b>${pct(kept(m))}</b><span><i class="swatch" style="background:${maskColor(m)}"></i>kept by the ${esc(maskLabel(m))}</span></div>`),
    `<div class="figure"><b>${total.toLocaleString('en-US')}</b><span>weights masked, in ${r.layers.length} tensors</span></div>`,
  ];
  return cards.join('');
}

export function duration(s: number): string {
  if (s < 59.5) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const sec = Math.round(s);
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${String(sec % 60).padStart(2, '0')} s`;
  const min = Math.round(s / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}
