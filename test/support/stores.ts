import { describe, after } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store, type StoreConfig } from '../../src/store/index.js';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let reachable: Promise<string | undefined> | undefined;

/** Resolves to undefined when PostgreSQL answers, else to the reason it does not. */
function postgresProblem(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 15_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

export interface StoreKind {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, migrated, empty store of this kind; each call gets its own schema so runs never collide. */
  open(): Promise<Store>;
}

const schemas: string[] = [];

const sqlite: StoreKind = { name: 'sqlite', open: () => openStore({ client: 'sqlite', filename: ':memory:' }) };
const postgres: StoreKind = {
  name: 'postgres',
  open: () => {
    const schema = `ta_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const config: StoreConfig = { client: 'postgres', connectionString: POSTGRES_URL, schema };
    return openStore(config);
  },
};

async function dropSchemas(): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  for (const s of schemas.splice(0)) await client.query(`drop schema if exists "${s}" cascade`);
  await client.end();
}

/**
 * Runs a suite once per store. PostgreSQL must be reachable in CI; elsewhere its absence is
 * reported loudly and its half of the suite is skipped.
 */
export function describeEachStore(title: string, body: (kind: StoreKind) => void): void {
  describe(`${title} [sqlite]`, () => body(sqlite));
  describe(`${title} [postgres]`, async () => {
    const problem = await postgresProblem();
    if (problem !== undefined) {
      const message = `PostgreSQL at ${POSTGRES_URL} is not reachable (${problem}); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`;
      if (process.env.CI) throw new Error(`${message}. CI requires it.`);
      console.warn(`\n!!! ${message}. Skipping the PostgreSQL half of '${title}'.\n`);
      return;
    }
    after(dropSchemas);
    body(postgres);
  });
}
