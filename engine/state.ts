/**
 * Engine-wide state: the active backend, whether gradients are recorded, the scope stack used by
 * `tidy`, and the seed/stream counter of the random number generator.
 */
import type { Backend } from './backend.js';
import { cpuBackend } from '../kernels/cpu/backend.js';

interface Disposable {
  dispose(): void;
}

const state = {
  backend: cpuBackend as Backend,
  gradEnabled: true,
  scopes: [] as Set<Disposable>[],
  seed: 0,
  stream: 0,
};

export const activeBackend = (): Backend => state.backend;
export function useBackend(b: Backend): void {
  state.backend = b;
}

export const gradEnabled = (): boolean => state.gradEnabled;

/** Runs fn without recording operations for autograd (like torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const before = state.gradEnabled;
  state.gradEnabled = false;
  try {
    return fn();
  } finally {
    state.gradEnabled = before;
  }
}

/** Sets the seed of the counter-based RNG and restarts its stream counter: runs repeat exactly. */
export function manualSeed(seed: number): void {
  state.seed = seed >>> 0;
  state.stream = 0;
}

/** The (seed, stream) for the next random tensor; every call takes a fresh stream. */
export function nextRandomStream(): { seed: number; stream: number } {
  return { seed: state.seed, stream: state.stream++ };
}

export function trackInScope(t: Disposable): void {
  const top = state.scopes[state.scopes.length - 1];
  if (top) top.add(t);
}

export function untrack(t: Disposable): void {
  for (const s of state.scopes) s.delete(t);
}

/**
 * Runs fn and disposes every tensor created inside it, except those it returns (found in a returned
 * tensor, array or plain object) and those passed to `keep`. Returned tensors move to the outer scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    state.scopes.pop();
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  for (const t of scope) {
    if (survivors.has(t)) trackInScope(t);
    else t.dispose();
  }
  return result;
}

function collect(value: unknown, out: Set<Disposable>): void {
  if (value === null || typeof value !== 'object') return;
  if ('shape' in value && typeof (value as { dispose?: unknown }).dispose === 'function') {
    out.add(value as unknown as Disposable);
    return;
  }
  if (Array.isArray(value)) value.forEach((v) => collect(v, out));
  else if (Object.getPrototypeOf(value) === Object.prototype) Object.values(value).forEach((v) => collect(v, out));
}
