/**
 * Ops with several outputs (an LSTM cell's h and c, the pieces of a split) on an autograd whose nodes
 * have one output each (GradNode in engine/tensor.ts).
 *
 * Each output gets a node whose only input is a shared empty "hub" tensor; the hub's node holds the op's
 * real inputs and its backward rule. ops.backward() walks tensors in reverse topological order, so it
 * reaches the hub only after every output that receives a gradient (the hub is their common input): by
 * then each of those outputs has filed its gradient here, and the op's backward runs once with all of them.
 * The alternative, a node per output that returns full-size input gradients, costs O(pieces²) for a split
 * and two fused backward kernels per LSTM step.
 *
 * The hub and the token gradient that gets it scheduled are zero-element views of existing storages: no
 * memory and no kernel. The outputs do not depend on the hub's (empty) value, so its gradient is honestly empty.
 */
import { record } from './ops.js';
import { gradEnabled } from './state.js';
import { Tensor } from './tensor.js';

/**
 * Gradients of the op's inputs given those of its outputs (null where no gradient reached an output).
 * The output gradients are disposed when it returns, so it must return new tensors, not them.
 */
export type MultiBackward = (outputGrads: (Tensor | null)[], needs: readonly boolean[]) => (Tensor | null)[];

const emptyView = (t: Tensor, op: string): Tensor => new Tensor(t.live(op).retain(), [0]);

/** Records one autograd op producing `outputs` from `inputs` (like ops.record for a single output). */
export function recordMulti(op: string, outputs: readonly Tensor[], inputs: Tensor[], backward: MultiBackward): void {
  if (!gradEnabled() || !inputs.some((t) => t.requiresGrad) || outputs.length === 0) return;
  const filed: (Tensor | null)[] = outputs.map(() => null);
  const hub = record(emptyView(outputs[0], op), op, inputs, (_token, needs) => {
    const grads = filed.splice(0, filed.length, ...outputs.map(() => null)); // take them, reset for the next backward
    try {
      return backward(grads, needs);
    } finally {
      grads.forEach((g) => g?.dispose());
    }
  });
  outputs.forEach((out, i) => {
    record(out, `${op}[${i}]`, [hub], (g) => {
      const first = filed.every((f) => f === null);
      filed[i]?.dispose();
      filed[i] = g.detach(); // the engine disposes g after this returns
      // Only the first output to file hands the hub a (empty) gradient: that is what schedules the hub.
      return [first ? emptyView(g, op) : null];
    });
  });
}
