/** The error checks (test/checks/error-checks.ts) on both backends in Node; test/browser.test.ts runs them in Chromium. */
import { describe, it } from 'vitest';
import * as ms from '../index.js';
import { errorChecks } from './checks/error-checks.js';

for (const name of ['cpu', 'webgpu'] as const) {
  describe(`the same errors on ${name}`, () => {
    for (const check of errorChecks) {
      it(check.name, async () => {
        await ms.setBackend(name);
        await check.run();
      });
    }
  });
}
