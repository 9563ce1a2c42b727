/**
 * The folder holding the PyTorch peer scripts. Run from the source tree, that is this folder. A bundle
 * (../shared/device/pack makes .device/<entry>.mjs and carries no .py file) has them embedded as text by
 * esbuild, and writes them to a temporary folder once: torch_setup.py and torch_seq_masks.py must sit beside the peers importing them.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Literal specifiers, one per script, so that esbuild finds and embeds each; never evaluated from the source tree.
const EMBEDDED: Record<string, () => Promise<{ default: string }>> = {
  'torch_setup.py': () => import('./torch_setup.py', { with: { type: 'text' } }),
  'torch_matmul.py': () => import('./torch_matmul.py', { with: { type: 'text' } }),
  'torch_lstm.py': () => import('./torch_lstm.py', { with: { type: 'text' } }),
  'torch_mask_step.py': () => import('./torch_mask_step.py', { with: { type: 'text' } }),
  'torch_scan_step.py': () => import('./torch_scan_step.py', { with: { type: 'text' } }),
  'torch_attention.py': () => import('./torch_attention.py', { with: { type: 'text' } }),
  'torch_conv.py': () => import('./torch_conv.py', { with: { type: 'text' } }),
  'torch_transformer_step.py': () => import('./torch_transformer_step.py', { with: { type: 'text' } }),
  'torch_seq_masks.py': () => import('./torch_seq_masks.py', { with: { type: 'text' } }),
};

const here = fileURLToPath(new URL('.', import.meta.url));

async function writeEmbedded(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'maskscope-peers-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const [name, load] of Object.entries(EMBEDDED)) writeFileSync(join(dir, name), (await load()).default);
  return dir;
}

/** The folder of the peer scripts, as a path. */
export const peerScriptDir: string = existsSync(join(here, 'torch_setup.py')) ? here : await writeEmbedded();
