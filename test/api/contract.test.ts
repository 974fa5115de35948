import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import openapiTS, { astToString } from 'openapi-typescript';
import { createApp, routes } from '../../src/api/index.js';
import { openStore } from '../../src/store/index.js';

const spec = parse(readFileSync('openapi.yaml', 'utf8')) as { paths: Record<string, Record<string, unknown>> };
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

const specOperations = Object.entries(spec.paths)
  .flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => METHODS.has(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  )
  .sort();

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

test('every operation in openapi.yaml is served, and every served route is in openapi.yaml', async () => {
  const store = await openStore({ client: 'sqlite', filename: ':memory:' });
  try {
    const app = createApp({
      store,
      version: 'test',
      backend: () => null,
      jobs: { dispatch: async () => undefined, cancel: async () => undefined, close: async () => undefined },
    });
    const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
    const served = stack
      .filter((l) => l.route)
      .flatMap((l) =>
        Object.keys(l.route!.methods)
          .filter((m) => METHODS.has(m))
          .map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`),
      )
      .sort();
    assert.deepEqual(served, specOperations);
    assert.deepEqual(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort(), specOperations);
  } finally {
    await store.close();
  }
});

test('src/api/schema.d.ts is what openapi-typescript generates from openapi.yaml (run npm run gen:api)', async () => {
  const generated = astToString(await openapiTS(new URL('../../openapi.yaml', import.meta.url)));
  const committed = readFileSync('src/api/schema.d.ts', 'utf8');
  const body = (s: string) => s.slice(s.indexOf('export interface paths'));
  assert.equal(body(committed), body(generated));
});
