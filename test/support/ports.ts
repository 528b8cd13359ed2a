/** Ports for tests that need a server URL nothing listens on. */
import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago and is closed now: "connection refused". (Not a
 * well-known low port such as 1: fetch refuses those before connecting, a different error.)
 */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
