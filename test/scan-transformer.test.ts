/** scan-transformer end to end on a tiny configuration (CPU): what it masks, the report's SCAN fields. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { buildReport } from '../experiments/report.js';
import { runSeed } from '../experiments/runner.js';
import { scanTransformer, type TransformerScanConfig } from '../experiments/scan-transformer.js';
import { maskTargets } from '../masking/mask-set.js';

const tiny = (): TransformerScanConfig => ({
  ...scanTransformer.config('small'), hidden: [8], heads: 2, ff: 12, encoderLayers: 1, decoderLayers: 1, batch: 8, baseSteps: 3, maskSteps: 2, evalLimit: 16,
});

beforeAll(async () => {
  await ms.setBackend('cpu');
});

describe('scan-transformer', () => {
  it('masks every weight and LayerNorm gain and bias, never embeddings or biases', () => {
    const names = maskTargets(scanTransformer.model(tiny()), { biases: false }).map((t) => t.name);
    expect(names.some((n) => n.includes('embedding'))).toBe(false);
    expect(names.some((n) => n.endsWith('.bias'))).toBe(false);
    expect(names).toContain('trafo.encoder.layers.0.norm1.gamma');
    expect(names).toContain('trafo.decoder.layers.0.norm3.beta');
    expect(names).toContain('trafo.decoder.layers.0.multihead_attn.data_to_kv.weight');
    expect(names).toContain('output_map.weight');
  });

  it('a tiny run reports accuracy[mask][split] and tokenRemoved of the output layer', async () => {
    const cfg = tiny();
    const result = await runSeed({ def: scanTransformer, cfg, seed: 1, out: await mkdtemp(join(tmpdir(), 'ms-scan-trafo-')) });
    const report = buildReport({ def: scanTransformer, size: 'small', cfg, backend: 'cpu', device: 'cpu', seconds: 0 }, [result]);
    expect(Object.keys(report.accuracy)).toEqual(['none', 'full', 'jump', 'length', 'turn_left']);
    expect(Object.keys(report.accuracy.full)).toEqual(['simple', 'length', 'addprim_jump', 'addprim_turn_left']);
    expect(Object.keys(report.tokenRemoved!)).toContain('I_JUMP');
  }, 120_000);
});
