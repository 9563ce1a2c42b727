/** The names of the checks the browser page runs, in order: every kernel check, then every error check. */
import { errorChecks } from './error-checks.js';
import { kernelChecks } from './kernel-checks.js';

export const browserCheckNames: string[] = [...kernelChecks.map((c) => c.name), ...errorChecks.map((c) => `same error: ${c.name}`)];
