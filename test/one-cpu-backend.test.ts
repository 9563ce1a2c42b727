/**
 * A tensor made on the default backend (before any setBackend call) combines with one made after
 * setBackend('cpu'): the process has one CPU backend. Its own file, so no earlier setBackend runs first.
 */
import { expect, it } from 'vitest';
import * as ms from '../index.js';

it("tensors made before and after setBackend('cpu') can be combined", async () => {
  const before = ms.tensor([1, 2, 3]);
  const backend = await ms.setBackend('cpu');
  const after = ms.tensor([10, 20, 30]);
  expect(Array.from(await before.add(after).toArray())).toEqual([11, 22, 33]);
  expect(ms.getBackend()).toBe(backend);
  expect(await ms.setBackend('cpu')).toBe(backend);
});
