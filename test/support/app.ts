import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, type ApiContext } from '../../src/api/index.js';
import type { Store } from '../../src/store/index.js';

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** The real app on a loopback port, with response validation on so that spec drift fails tests. */
export async function startApp(store: Store, context: Pick<ApiContext, 'ingestion'> = {}): Promise<RunningApp> {
  const app = createApp({ store, version: 'test', backend: () => null, ...context }, { validateResponses: true });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
