import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachStore, type StoreKind } from '../support/stores.js';
import { NO_LIMITS, startApp, type RunningApp } from '../support/app.js';
import { bearer, mintToken } from '../support/tokens.js';
import { seedRegistry } from '../../src/services/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { encodeNpyFloat32 } from '../../src/images/npy.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}

const folds = (...values: unknown[]) => values.map((value, i) => ({ fold: i + 1, value }));
const result = {
  source: 'kimia',
  target: 'isic',
  architecture: 'resnet50',
  protocol: { folds: 5, metric: 'auc-ovr-weighted' },
  folds: folds(0.9, 0.91, 0.92, 0.88, 0.9),
  provenance: { contributor: 'jdoe', doi: '10.1234/example.5678' },
};
const target = {
  id: 'edge-target',
  name: 'Edge target',
  description: 'A test target.',
  origin: 'medical',
  modality: 'x-ray',
  images: 100,
  classes: 2,
  image_size: '28x28',
  channels: 1,
  licence: 'CC-BY-4.0',
};
const hessian = Buffer.from(encodeNpyFloat32(new Float32Array([1e-3, 2e-3, 3e-3, 4e-3]), [4])).toString('base64');
const embedding = {
  dataset: 'isic',
  probe: { id: 'edge-probe', architecture: 'resnet18', input_size: 224, pixel_scaling: 'imagenet-mean-std' },
  options: { seed: 3 },
  hessian,
};
/** Written as text: JSON.stringify itself recurses and would overflow first. */
const deepOptions = (depth: number): string =>
  JSON.stringify(embedding).replace('"options":{"seed":3}', `"options":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

/** Bodies a stranger may send; each must be refused at the edge, naming the field, whatever the store. */
const BAD: { name: string; path: string; body: unknown; field: string }[] = [
  {
    name: 'null fold value',
    path: '/v1/results',
    body: { ...result, folds: folds(null, 0.91, 0.92, 0.88, 0.9) },
    field: 'folds.0.value',
  },
  {
    name: 'boolean fold value',
    path: '/v1/results',
    body: { ...result, folds: folds(true, 0.91, 0.92, 0.88, 0.9) },
    field: 'folds.0.value',
  },
  {
    name: 'string fold value',
    path: '/v1/results',
    body: { ...result, folds: folds('0.9', 0.91, 0.92, 0.88, 0.9) },
    field: 'folds.0.value',
  },
  {
    name: 'string fold number',
    path: '/v1/results',
    body: { ...result, folds: [{ fold: '1', value: 0.9 }] },
    field: 'folds.0.fold',
  },
  {
    name: 'NUL in architecture',
    path: '/v1/results',
    body: { ...result, architecture: 'res\u0000net50' },
    field: 'architecture',
  },
  {
    name: 'NUL in a batch',
    path: '/v1/results',
    body: { results: [result, { ...result, provenance: { ...result.provenance, doi: '10.1/\u0000' } }] },
    field: 'results.1.provenance.doi',
  },
  {
    name: 'epochs above int32',
    path: '/v1/results',
    body: { ...result, protocol: { ...result.protocol, epochs: 2 ** 31 } },
    field: 'protocol.epochs',
  },
  {
    name: 'image_size above int32',
    path: '/v1/results',
    body: { ...result, protocol: { ...result.protocol, image_size: 2 ** 40 } },
    field: 'protocol.image_size',
  },
  { name: 'images above int32', path: '/v1/datasets', body: { ...target, images: 2 ** 31 }, field: 'images' },
  { name: 'NUL in a dataset name', path: '/v1/datasets', body: { ...target, name: 'a\u0000b' }, field: 'name' },
  {
    name: 'javascript homepage',
    path: '/v1/datasets',
    body: { ...target, homepage: 'javascript:alert(1)' },
    field: 'homepage',
  },
  {
    name: 'data homepage',
    path: '/v1/datasets',
    body: { ...target, homepage: 'data:text/html,hi' },
    field: 'homepage',
  },
  {
    name: 'seed above int32 in options',
    path: '/v1/embeddings',
    body: { ...embedding, options: { seed: 2 ** 33 } },
    field: 'options.seed',
  },
  {
    name: 'NUL in an option key',
    path: '/v1/embeddings',
    body: { ...embedding, options: { 'a\u0000': 1 } },
    field: 'options.a\u0000',
  },
  { name: 'deeply nested options', path: '/v1/embeddings', body: deepOptions(5000), field: 'options' },
  {
    name: 'embedding input_size below every probe',
    path: '/v1/embeddings',
    body: { ...embedding, probe: { ...embedding.probe, input_size: 2 ** 31 } },
    field: 'probe.input_size',
  },
  {
    name: 'compute input_size 16',
    path: '/v1/datasets/isic/embeddings',
    body: { input_size: 16 },
    field: 'input_size',
  },
  { name: 'compute seed as a string', path: '/v1/datasets/isic/embeddings', body: { seed: '7' }, field: 'seed' },
];

const outcomes = new Map<string, string[]>();

function suite(kind: StoreKind): void {
  let store: Store;
  let app: RunningApp;
  let dataDir: string;
  before(async () => {
    store = await kind.open();
    await seedRegistry(store, 'datasets-registry');
    dataDir = await mkdtemp(join(tmpdir(), 'ta-edge-'));
    app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: 1024 ** 2 } });
  });
  after(async () => {
    await app.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const count = async (path: string) =>
    ((await (await fetch(`${app.url}${path}`)).json()) as { total?: number; items: unknown[] }).items.length;

  test('bad bodies are refused with 400 naming the field, and nothing is stored', async () => {
    const before = {
      results: await count('/v1/results?page_size=200&include_withdrawn=true'),
      datasets: await count('/v1/datasets?page_size=200'),
    };
    const seen: string[] = [];
    for (const bad of BAD) {
      const res = await fetch(`${app.url}${bad.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof bad.body === 'string' ? bad.body : JSON.stringify(bad.body),
      });
      const body = (await res.json()) as Problem;
      assert.equal(res.status, 400, `${bad.name}: ${res.status} ${JSON.stringify(body)}`);
      assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json', bad.name);
      assert.equal(body.field, bad.field, `${bad.name}: ${body.detail}`);
      seen.push(`${bad.name}: ${res.status} ${body.field}`);
    }
    assert.equal(await count('/v1/results?page_size=200&include_withdrawn=true'), before.results);
    assert.equal(await count('/v1/datasets?page_size=200'), before.datasets);
    outcomes.set(kind.name, seen);
  });

  test('NUL in a query or path parameter is a 400, not a store error', async () => {
    const query = await fetch(`${app.url}/v1/results?target=is%00ic`);
    assert.equal(query.status, 400);
    assert.equal(((await query.json()) as Problem).field, 'target');
    const path = await fetch(`${app.url}/v1/datasets/is%00ic`);
    assert.equal(path.status, 400);
  });

  test('malformed multipart is a 400', async () => {
    const boundary = 'XyZ';
    const broken = `--${boundary}\r\ncontent-disposition: form-data; name="name"\r\n\r\nabc\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.npz"\r\n`;
    const res = await fetch(`${app.url}/v1/datasets/uploads`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: broken,
    });
    assert.equal(res.status, 400, await res.clone().text());
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const noBoundary = await fetch(`${app.url}/v1/datasets/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'hello',
    });
    assert.equal(noBoundary.status, 400);
  });

  test('a good body at the int32 limit still passes', async () => {
    const res = await fetch(`${app.url}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...target,
        id: `edge-${kind.name}`,
        images: 2 ** 31 - 1,
        homepage: 'https://example.org/x',
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
  });
}

describeEachStore('api edge: no coercion, NUL, int32, nesting', suite);

test('security headers, CORS only for configured origins, and per-address rate limits', async (t) => {
  const store = await openStore({ client: 'sqlite', filename: ':memory:' });
  const app = await startApp(
    store,
    {},
    { ...NO_LIMITS, corsOrigins: ['https://atlas.example'], perMinute: 5, writesPerMinute: 2 },
  );
  t.after(async () => {
    await app.close();
    await store.close();
  });
  const first = await fetch(`${app.url}/v1/datasets`, { headers: { origin: 'https://atlas.example' } });
  assert.equal(first.headers.get('x-content-type-options'), 'nosniff');
  assert.ok(first.headers.get('content-security-policy'));
  assert.equal(first.headers.get('access-control-allow-origin'), 'https://atlas.example');
  const stranger = await fetch(`${app.url}/v1/datasets`, { headers: { origin: 'https://evil.example' } });
  assert.equal(stranger.headers.get('access-control-allow-origin'), null);
  const writes = [];
  for (let i = 0; i < 3; i++)
    writes.push(
      (
        await fetch(`${app.url}/v1/datasets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    );
  assert.deepEqual(writes, [400, 400, 429]);
  const limited = await fetch(`${app.url}/v1/datasets`);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
});

/** A GET from a chosen loopback address (all of 127/8 is loopback on Linux): fetch cannot pick its source. */
function getFrom(
  url: string,
  from: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress: from, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('per-token rate limits: each token its own budget, the same from every address', async (t) => {
  const store = await openStore({ client: 'sqlite', filename: ':memory:' });
  const app = await startApp(store, {}, { ...NO_LIMITS, perTokenPerMinute: 3 });
  t.after(async () => {
    await app.close();
    await store.close();
  });
  const a = await mintToken(store, 'alice', 'read');
  const b = await mintToken(store, 'bob', 'read');
  const roaming = await mintToken(store, 'carol', 'read');
  const url = `${app.url}/v1/datasets`;
  const statuses = async (calls: [string, string | undefined][]) => {
    const out: number[] = [];
    for (const [from, token] of calls) out.push((await getFrom(url, from, token ? bearer(token) : {})).status);
    return out;
  };

  // Two tokens from one address: the first runs out, the second still has its whole budget.
  assert.deepEqual(
    await statuses([
      ['127.0.0.1', a],
      ['127.0.0.1', a],
      ['127.0.0.1', a],
      ['127.0.0.1', a],
    ]),
    [200, 200, 200, 429],
  );
  assert.deepEqual(
    await statuses([
      ['127.0.0.1', b],
      ['127.0.0.1', b],
      ['127.0.0.1', b],
    ]),
    [200, 200, 200],
  );
  // One token from two addresses: one budget between them.
  assert.deepEqual(
    await statuses([
      ['127.0.0.1', roaming],
      ['127.0.0.2', roaming],
      ['127.0.0.1', roaming],
    ]),
    [200, 200, 200],
  );
  const limited = await getFrom(url, '127.0.0.2', bearer(roaming));
  assert.equal(limited.status, 429);
  assert.equal(String(limited.headers['content-type']).split(';')[0], 'application/problem+json');
  assert.ok(Number(limited.headers['retry-after']) > 0);
  const problem = JSON.parse(limited.body) as Problem;
  assert.equal(problem.status, 429);
  assert.match(problem.detail, /with this token/);
  // Without a token the address is the budget: 127.0.0.2's is untouched by the token that roamed there.
  assert.deepEqual(
    await statuses([
      ['127.0.0.2', undefined],
      ['127.0.0.2', undefined],
      ['127.0.0.2', undefined],
      ['127.0.0.2', undefined],
    ]),
    [200, 200, 200, 429],
  );
  assert.match((JSON.parse((await getFrom(url, '127.0.0.2')).body) as Problem).detail, /from this address/);
});

test('both stores refused the same bad bodies the same way', { skip: false }, () => {
  const sqlite = outcomes.get('sqlite');
  const postgres = outcomes.get('postgres');
  if (!sqlite || !postgres) return;
  assert.deepEqual(postgres, sqlite);
});
