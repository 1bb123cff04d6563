import { runCliAsync } from '../lib/cli.js';
import { createServer, type AddressInfo } from 'node:net';

/** Run the built CLI asynchronously (test servers live in this process, so spawnSync would block them). */
export const cli = (args: string[]) => runCliAsync(args);

/** A loopback port nobody listens on (bound then closed). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
