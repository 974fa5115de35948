import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp, createHttpServer, type ApiContext } from '../../src/api/index.js';
import { dataDir, type Store } from '../../src/store/index.js';
import { EmbeddedWorker } from '../../src/services/jobs-local.js';
import { workerSettingsFromEnv } from '../../src/services/jobs.js';
import { silentLogger } from '../../src/services/telemetry.js';
import { DEFAULT_SECURITY, type SecurityConfig } from '../../src/api/security.js';
import { DEFAULT_ACCESS, type AccessConfig } from '../../src/api/access.js';

/** Suites send bursts no client would; the limits have their own test. */
export const NO_LIMITS: SecurityConfig = {
  ...DEFAULT_SECURITY,
  perMinute: 0,
  writesPerMinute: 0,
  perTokenPerMinute: 0,
  writesPerTokenPerMinute: 0,
};

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** The real app and server on a loopback port, with response validation on so that spec drift fails tests. */
export async function startApp(
  store: Store,
  context: Pick<ApiContext, 'ingestion'> = {},
  security: SecurityConfig = NO_LIMITS,
  access: AccessConfig = DEFAULT_ACCESS,
): Promise<RunningApp> {
  const settings = workerSettingsFromEnv(
    { dataDir: context.ingestion?.dataDir ?? dataDir(), backend: 'wasm', logger: silentLogger },
    { TA_JOB_HEARTBEAT_SECONDS: '0.2' },
  );
  const worker = new EmbeddedWorker(store.knex, settings);
  await worker.start();
  const app = createApp(
    { store, version: 'test', backend: () => null, jobs: worker.dispatcher, ...context },
    { validateResponses: true, security, access },
  );
  // The server `serve` builds, so that every API suite runs on its request and response classes.
  const server: Server = await new Promise((resolve) => {
    const s = createHttpServer(app, security).listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await worker.stop(0);
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
