/**
 * report.html: rendered from test/fixtures/sample-report.json, it must be self-contained (no network
 * references), show the table values, carry specs that Vega-Lite compiles, and draw every plot in
 * headless Chromium with the network blocked (screenshot in test-output/report.png).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../report/html.js';
import { convergenceWarning, findings, undecidedShare } from '../report/findings.js';
import { maskLabel, reportPlots } from '../report/specs.js';
import type { Report } from '../report/types.js';
import { CHROMIUM, drawOffline } from './draw-offline.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sample = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sample-report.json'), 'utf8')) as Report;

describe('report.html', () => {
  const html = renderReportHtml(sample);

  it('references nothing on the network', () => {
    // The markup with every inline script's body cut out: no src/href at all, and no URL anywhere.
    const markup = html.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1</script>');
    expect([...markup.matchAll(/<[^>]*\b(?:src|href)\s*=[^>]*>/gi)].map((m) => m[0])).toEqual([]);
    expect(markup).not.toMatch(/https?:\/\/|@import|url\(/i);
    expect(markup.match(/<script\b/g)?.length).toBe(5);
    expect(html).toContain('vegaEmbed');
    console.log(`report.html: ${(html.length / 1024).toFixed(0)} KiB`);
  });

  it('shows the header and the accuracy table', () => {
    for (const s of ['addmul-mlp', 'NVIDIA H100', '9 min 24 s', '100.0\u202f%', '98.8\u202f%', '1.1\u202f%', '97.3\u202f%', '±', '84.0\u202f%']) {
      expect(html).toContain(s);
    }
    for (const m of ['+ mask', '¬+ mask', '× mask', '¬× mask', 'full mask', 'no mask']) expect(html).toContain(m);
    const single = renderReportHtml({ ...sample, seeds: [1], totalSharedStd: undefined });
    expect(single).not.toContain('<span class="std">');
  });

  it('labels masks', () => {
    expect(['not_add', 'add', 'mul', 'pair1', 'none', 'not_pair1_iofull', 'full'].map(maskLabel))
      .toEqual(['¬+ mask', '+ mask', '× mask', 'pair 1 mask', 'no mask', '¬pair 1 (I/O full)', 'full mask']);
  });

  it('has specs that Vega-Lite compiles', () => {
    const plots = reportPlots(sample);
    expect(plots.map((p) => p.id)).toEqual(['kept', 'iou', 'confusion', 'histogram', 'sweep-beta', 'loss']);
    for (const p of plots) expect(() => compile(p.spec), p.id).not.toThrow();
    const bare: Report = { ...sample, confusion: undefined, histogram: undefined, sweeps: undefined, training: undefined, halfMask: undefined };
    expect(reportPlots(bare).map((p) => p.id)).toEqual(['kept', 'iou']);
  });

  it('renders a double-addition report with its own labels', () => {
    const rename = (k: string) => k.replace('add', 'pair1').replace('mul', 'pair2');
    const remap = <T,>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).map(([k, v]) => [rename(k), v]));
    const sets = (o: Record<string, Record<string, number>>) => Object.fromEntries(Object.entries(remap(o)).map(([k, v]) => [k, remap(v)]));
    const accuracy = { ...sets(sample.accuracy), not_pair1_iofull: { pair1: 0.011, pair2: 0.97 }, not_pair2_iofull: { pair1: 0.96, pair2: 0.013 } };
    const plus: Report = {
      ...sample, experiment: 'doubleadd-mlp', config: { ...sample.config, compared: ['pair1', 'pair2'] }, seeds: [7], seed: 7, accuracy, accuracyStd: sets(sample.accuracyStd),
      layers: sample.layers.map((l) => ({ ...l, kept: remap(l.kept), iouStd: undefined, iominStd: undefined })),
      confusion: undefined, sweeps: undefined, halfMask: undefined, histogram: undefined, training: undefined, totalSharedStd: undefined,
    };
    const page = renderReportHtml(plus);
    for (const s of ['¬pair 1 (I/O full)', '¬pair 2 mask', 'pair 1 mask', 'Is the same function', '97.0\u202f%']) expect(page).toContain(s);
    expect(page).not.toContain('<span class="std">');
    for (const p of reportPlots(plus)) expect(() => compile(p.spec), p.id).not.toThrow();
  });

  it('renders a SCAN report: accuracy per mask and split, the output tokens’ removed weights', () => {
    const splits = ['simple', 'length', 'addprim_jump', 'addprim_turn_left'];
    const row = (...v: number[]) => Object.fromEntries(splits.map((s, i) => [s, v[i]]));
    const masks = ['none', 'full', 'jump', 'length', 'turn_left'];
    const accuracy = Object.fromEntries(masks.map((m, i) => [m, row(0.99, 0.1 + i / 100, m === 'jump' ? 0.02 : 0.97, 0.98)]));
    const tokenRemoved = { EOS: 3, I_WALK: 5, I_LOOK: 4, I_RUN: 6, I_JUMP: 41, I_TURN_LEFT: 7, I_TURN_RIGHT: 6 };
    const scan: Report = {
      ...sample, experiment: 'scan-lstm', seeds: [1], seed: 1, accuracy, accuracyStd: Object.fromEntries(masks.map((m) => [m, row(0, 0, 0, 0)])),
      config: { ...sample.config, compared: ['full', 'jump'] }, tokenRemoved,
      layers: sample.layers.map((l) => ({ ...l, kept: { full: l.kept.full, jump: l.kept.add, length: l.kept.mul, turn_left: l.kept.mul }, iouStd: undefined, iominStd: undefined })),
      confusion: undefined, sweeps: undefined, halfMask: undefined, totalSharedStd: undefined,
    };
    const page = renderReportHtml(scan);
    for (const s of ['Does a mask trained on one SCAN split', 'jump mask', 'turn left mask', 'addprim jump', 'Output tokens: weights the jump mask removes', 'weights of the full mask also in the jump mask']) {
      expect(page).toContain(s);
    }
    const plots = reportPlots(scan);
    expect(plots.map((p) => p.id)).toContain('token-removed');
    for (const p of plots) expect(() => compile(p.spec), p.id).not.toThrow();
  });

  it.skipIf(!existsSync(CHROMIUM))('draws every plot offline in Chromium', async () => {
    const { plots, errors, blocked } = await drawOffline(html, join(ROOT, 'test-output', 'report.html'), join(ROOT, 'test-output', 'report.png'));
    expect(plots.length).toBe(6);
    expect(plots.filter((p) => !p.drawn)).toEqual([]);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
  });
});

describe('report findings', () => {
  const bins = (middle: number): number[] => Array.from({ length: 20 }, (_, i) => (i === 0 ? 100 - middle : i === 10 ? middle : 0));

  it('answer the question from the numbers', () => {
    const said = findings(sample, ['add', 'mul']);
    expect(said[0]).toBe('Masking alone keeps the task: the full mask scores 100.0\u202f% on add (unmasked 98.8\u202f%), 97.3\u202f% on mul (unmasked 99.3\u202f%).');
    expect(said).toContain('84.0\u202f% of the weights the add mask keeps are also kept by the mul mask (per-tensor IoU 0.48–0.87).');
    expect(said).toContain('The add mask alone scores 100.0\u202f% on add and 1.1\u202f% on mul.');
    expect(said).toContain("Without the add mask's weights (¬add): 0.8\u202f% on add and 3.0\u202f% on mul — removing them breaks both: add and mul share weights that both need.");
    expect(findings(sample, ['add', 'mul'], (k) => ({ add: '+', mul: '×' })[k] ?? k)).toContain('The + mask alone scores 100.0\u202f% on + and 1.1\u202f% on ×.');
    const separate = { ...sample, accuracy: { ...sample.accuracy, not_add: { add: 0.01, mul: 0.95 }, full: { add: 0.9, mul: 0.8 } } };
    const said2 = findings(separate, ['add', 'mul']);
    expect(said2[0]).toMatch(/^Masking alone costs accuracy: .* up to 19\.3 points below the unmasked net/);
    expect(said2.find((s) => s.startsWith('Without the add'))).toMatch(/removing them breaks add and leaves mul standing: those weights are specific to add\.$/);
    expect(renderReportHtml(sample)).toContain('What the numbers say');
  });

  it('warn when masks have not converged, and the histogram caption says what the counts show', () => {
    const settled: Report = { ...sample, histogram: { edges: sample.histogram!.edges, counts: { full: bins(5), add: bins(2) } } };
    const open: Report = { ...sample, histogram: { edges: sample.histogram!.edges, counts: { full: bins(60), add: bins(2) } } };
    expect(undecidedShare(open.histogram!)).toEqual({ full: 0.6, add: 0.02 });
    expect(convergenceWarning(settled)).toBeNull();
    expect(convergenceWarning(open)).toMatch(/^The masks have not converged after 3,001 steps: .*\(full 60\.0\u202f%\)/);
    const caption = (r: Report) => reportPlots(r).find((p) => p.id === 'histogram')!.caption;
    expect(caption(settled)).toMatch(/the masks are close to binary/);
    expect(caption(open)).toMatch(/^Weights per bin .* Not yet binary: 60 % of the full mask lies between 0.05 and 0.95/);
    expect(renderReportHtml(open)).toContain('class="warning"');
    expect(renderReportHtml(settled)).not.toContain('class="warning"');
  });
});
