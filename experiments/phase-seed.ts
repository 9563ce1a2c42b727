/** A seed per phase of a run, so each phase's random draws do not depend on how the run was resumed. */
import { pcgHash } from '../engine/random.js';

export const phaseSeed = (seed: number, phase: string): number => pcgHash(seed ^ [...phase].reduce((h, c) => pcgHash(h ^ c.charCodeAt(0)), 0x51ed));
