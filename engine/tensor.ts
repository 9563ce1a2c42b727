/**
 * Tensor: an n-dimensional array on one backend, with reverse-mode autograd. Operations are eager; each
 * one that involves a tensor with `requiresGrad` records a node holding its inputs and a backward rule
 * (engine/ops.ts). `backward()` walks those nodes in reverse topological order.
 */
import type { Backend, Storage } from './backend.js';
import type { AnyTypedArray, DType } from './dtype.js';
import { fmt, sizeOf } from './shape.js';
import { trackInScope, untrack } from './state.js';
import * as ops from './ops.js';

/** A storage shared by a tensor and its reshaped views; released when the last one is disposed. */
export class StorageRef {
  private refs = 1;
  constructor(readonly backend: Backend, readonly storage: Storage) {}
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) this.backend.release(this.storage);
  }
}

export interface GradNode {
  op: string;
  inputs: readonly Tensor[];
  /**
   * Gradients of the inputs given the gradient of the output; `needs[i]` says whether input i wants one
   * (a rule may return null for the others instead of computing them).
   */
  backward(grad: Tensor, needs: readonly boolean[]): (Tensor | null)[];
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  requiresGrad = false;
  /** Accumulated gradient of a leaf tensor after `backward()`. */
  grad: Tensor | null = null;
  node: GradNode | null = null;
  private ref: StorageRef | null;

  constructor(ref: StorageRef, shape: readonly number[]) {
    this.ref = ref;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    trackInScope(this);
  }

  get dtype(): DType {
    return this.live('dtype').storage.dtype;
  }
  get backend(): Backend {
    return this.live('backend').backend;
  }
  get storage(): Storage {
    return this.live('storage').storage;
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.ref === null;
  }

  /** The storage reference, or a clear error when the tensor was disposed. */
  live(op: string): StorageRef {
    if (!this.ref) throw new Error(`${op}: tensor of shape ${fmt(this.shape)} was disposed`);
    return this.ref;
  }

  /** Releases the tensor's memory (shared storage is freed when its last view goes). Idempotent. */
  dispose(): void {
    if (!this.ref) return;
    this.ref.release();
    this.ref = null;
    this.node = null;
    untrack(this);
  }

  /** Keeps this tensor alive past the enclosing `tidy` scopes (model parameters, optimizer state). */
  keep(): this {
    untrack(this);
    return this;
  }

  /**
   * Makes this tensor hold `src`'s data (same shape and dtype) and disposes `src`: how optimizers update
   * parameters without changing their identity.
   */
  assign(src: Tensor): void {
    const own = this.live('assign');
    const other = src.live('assign');
    if (own.backend !== other.backend || src.shape.join() !== this.shape.join() || src.dtype !== this.dtype) {
      throw new Error(`assign: cannot assign ${src} to ${this}`);
    }
    this.ref = other.retain();
    own.release();
    src.dispose();
  }

  /** Marks a leaf tensor as needing gradients. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  /** Copies the data back to the host (a flat typed array in row-major order). */
  async toArray(): Promise<AnyTypedArray> {
    const ref = this.live('toArray');
    return ref.backend.read(ref.storage);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return (await this.toArray())[0];
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.ref ? this.dtype : 'disposed'})`;
  }

  backward(grad?: Tensor): void {
    ops.backward(this, grad);
  }

  // ---- elementwise -------------------------------------------------------------------------------
  add(o: Tensor | number): Tensor { return ops.add(this, o); }
  sub(o: Tensor | number): Tensor { return ops.sub(this, o); }
  mul(o: Tensor | number): Tensor { return ops.mul(this, o); }
  div(o: Tensor | number): Tensor { return ops.div(this, o); }
  pow(o: Tensor | number): Tensor { return ops.pow(this, o); }
  maximum(o: Tensor | number): Tensor { return ops.maximum(this, o); }
  minimum(o: Tensor | number): Tensor { return ops.minimum(this, o); }
  eq(o: Tensor | number): Tensor { return ops.compare('eq', this, o); }
  ne(o: Tensor | number): Tensor { return ops.compare('ne', this, o); }
  lt(o: Tensor | number): Tensor { return ops.compare('lt', this, o); }
  le(o: Tensor | number): Tensor { return ops.compare('le', this, o); }
  gt(o: Tensor | number): Tensor { return ops.compare('gt', this, o); }
  ge(o: Tensor | number): Tensor { return ops.compare('ge', this, o); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  relu(): Tensor { return ops.relu(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  softplus(): Tensor { return ops.softplus(this); }
  abs(): Tensor { return ops.abs(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  square(): Tensor { return ops.square(this); }
  toFloat(): Tensor { return ops.cast(this, 'f32'); }
  toInt(): Tensor { return ops.cast(this, 'i32'); }

  // ---- shape -------------------------------------------------------------------------------------
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    const s = Array.isArray(shape[0]) ? (shape[0] as readonly number[]) : (shape as number[]);
    return ops.reshape(this, s);
  }
  /** Swaps two axes (default: the last two); with a full permutation, reorders all axes. */
  transpose(...axes: number[]): Tensor { return ops.transpose(this, axes); }
  broadcastTo(shape: readonly number[]): Tensor { return ops.broadcastTo(this, shape); }
  detach(): Tensor { return ops.detach(this); }

  // ---- reductions --------------------------------------------------------------------------------
  sum(axes?: number | number[], keepDims = false): Tensor { return ops.reduce('sum', this, axes, keepDims); }
  mean(axes?: number | number[], keepDims = false): Tensor { return ops.mean(this, axes, keepDims); }
  max(axes?: number | number[], keepDims = false): Tensor { return ops.reduce('max', this, axes, keepDims); }

  // ---- linear algebra and friends ----------------------------------------------------------------
  matmul(o: Tensor, opts?: ops.MatmulOptions): Tensor { return ops.matmul(this, o, opts); }
  softmax(): Tensor { return ops.softmax(this, false); }
  logSoftmax(): Tensor { return ops.softmax(this, true); }
}
