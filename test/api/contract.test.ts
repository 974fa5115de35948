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

// A description with an unquoted comma inside a YAML flow mapping splits into a second, meaningless key
// ("shown only in this answer.": null), which validators ignore; only schema keywords may appear.
const SCHEMA_KEYWORDS = new Set(
  (
    'type format pattern description enum const default example examples minimum maximum exclusiveMinimum ' +
    'exclusiveMaximum multipleOf minLength maxLength minItems maxItems uniqueItems minProperties maxProperties ' +
    'items properties required additionalProperties patternProperties propertyNames allOf oneOf anyOf not if ' +
    'then else discriminator title readOnly writeOnly deprecated nullable contentMediaType contentEncoding $ref'
  ).split(' '),
);

function strayKeys(schema: unknown, path: string, found: string[]): string[] {
  if (schema === null || typeof schema !== 'object') return found;
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => strayKeys(item, `${path}[${i}]`, found));
    return found;
  }
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_KEYWORDS.has(key)) found.push(`${path}: ${key}`);
    if (key === 'properties' || key === 'patternProperties') {
      for (const [name, sub] of Object.entries(value as object)) strayKeys(sub, `${path}.${name}`, found);
    } else if (key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'example' && key !== 'examples') {
      strayKeys(value, `${path}.${key}`, found);
    }
  }
  return found;
}

test('every schema in openapi.yaml uses only schema keywords (a comma in an unquoted description adds a key)', () => {
  const { components } = spec as unknown as { components: { schemas: Record<string, unknown> } };
  const found: string[] = [];
  for (const [name, schema] of Object.entries(components.schemas)) strayKeys(schema, name, found);
  assert.deepEqual(found, []);
});
