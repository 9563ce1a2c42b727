#!/usr/bin/env node
/** Entry point of the `maskscope` command (bundled to dist/cli/maskscope.js by npm run build). */
import { main } from './main.js';

// `maskscope data scan … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
