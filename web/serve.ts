/**
 * `npm run demo [-- --port N]`: builds the web demo (web/dist) and serves web/ on http://127.0.0.1:N
 * (default 5173). Everything the page loads comes from there; nothing is fetched from the network.
 * SIGINT (Ctrl-C) or SIGTERM closes the server and ends the process; the npm script execs this process,
 * so a signal sent to `npm run demo` reaches it too.
 */
import { WEB_ROOT, buildDemo } from './build.js';
import { serveDir } from './server.js';

function parsePort(argv: string[]): number {
  const i = argv.findIndex((a) => a === '--port' || a.startsWith('--port='));
  if (i < 0) return 5173;
  const raw = argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
  const port = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: --port must be an integer from 0 to 65535, got '${raw ?? ''}'`);
    process.exit(2);
  }
  return port;
}

const port = parsePort(process.argv.slice(2));
const t0 = performance.now();
await buildDemo();
console.log(`built web/dist in ${Math.round(performance.now() - t0)} ms`);
const server = await serveDir(WEB_ROOT, port).catch((e: Error) => {
  console.error(`demo: cannot serve on 127.0.0.1:${port}: ${e.message}`);
  process.exit(1);
});
console.log(`maskscope web demo: ${server.url}/   (Ctrl-C stops it)`);

const stop = (signal: NodeJS.Signals): void => {
  console.log(`demo: ${signal}, stopped`);
  // Open keep-alive connections are closed too; exit even if one lingers.
  server.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
