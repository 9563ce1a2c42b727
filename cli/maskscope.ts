#!/usr/bin/env node
/** Entry point of the `maskscope` command (bundled to dist/cli/maskscope.js by npm run build). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
