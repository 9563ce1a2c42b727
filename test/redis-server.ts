/** A Redis server of the test's own, on a free loopback port, with nothing saved to disk (for the sweep queue tests). */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** Whether redis-server is installed (CI installs it: .ci/run). */
export const hasRedis = (): boolean => spawnSync('redis-server', ['--version']).status === 0;

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts redis-server and waits until it answers. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const ended = new Promise((ok) => server.on('exit', ok));
  for (let i = 0; ; i++) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (e) {
      if (i > 100) throw new Error(`redis-server on port ${port} did not answer: ${(e as Error).message}`);
      await new Promise((ok) => setTimeout(ok, 50));
    } finally {
      client.disconnect();
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      server.kill('SIGKILL');
      await ended;
    },
  };
}
