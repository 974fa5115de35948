import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';

async function problemOf(res: Response) {
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  return (await res.json()) as { type: string; title: string; status: number; detail: string; field?: string };
}

describeEachStore('api', (kind) => {
  const env = seededApp(kind);

  test('health says which store is in use', async () => {
    const res = await fetch(`${env.app.url}/v1/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; store: string };
    assert.deepEqual([body.status, body.store], ['ok', kind.name]);
  });

  test('datasets page, filter by origin and modality', async () => {
    const all = (await (await fetch(`${env.app.url}/v1/datasets?page_size=200`)).json()) as {
      total: number;
      items: { id: string; origin: string }[];
    };
    assert.ok(all.items.some((d) => d.id === 'imagenet'));
    const page = (await (await fetch(`${env.app.url}/v1/datasets?page=2&page_size=3`)).json()) as {
      items: { id: string }[];
      total: number;
    };
    assert.deepEqual(
      page.items.map((d) => d.id),
      all.items.slice(3, 6).map((d) => d.id),
    );
    const natural = (await (await fetch(`${env.app.url}/v1/datasets?origin=natural&page_size=200`)).json()) as {
      items: { origin: string }[];
    };
    assert.ok(natural.items.length > 0 && natural.items.every((d) => d.origin === 'natural'));
    const xray = (await (await fetch(`${env.app.url}/v1/datasets?modality=X-RAY`)).json()) as {
      items: { id: string }[];
    };
    assert.ok(xray.items.some((d) => d.id === 'chest'));
  });

  test('a bad page size is a 400 problem naming page_size', async () => {
    for (const size of ['0', '201', 'ten']) {
      const res = await fetch(`${env.app.url}/v1/datasets?page_size=${size}`);
      assert.equal(res.status, 400);
      const problem = await problemOf(res);
      assert.equal(problem.type, 'urn:transfer-atlas:problem:invalid-request');
      assert.equal(problem.field, 'page_size');
    }
  });

  test('an unknown query parameter or origin value is refused', async () => {
    assert.equal((await fetch(`${env.app.url}/v1/datasets?colour=red`)).status, 400);
    assert.equal((await problemOf(await fetch(`${env.app.url}/v1/datasets?origin=alien`))).field, 'origin');
  });

  test('an unknown dataset is a 404 problem', async () => {
    const res = await fetch(`${env.app.url}/v1/datasets/no-such-set`);
    assert.equal(res.status, 404);
    const problem = await problemOf(res);
    assert.equal(problem.type, 'urn:transfer-atlas:problem:not-found');
    assert.match(problem.detail, /no-such-set/);
  });

  test('reads carry an ETag and answer If-None-Match with 304', async () => {
    const first = await fetch(`${env.app.url}/v1/datasets/isic`);
    const etag = first.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${env.app.url}/v1/datasets/isic`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  test('registering a target: created, then a conflict; bad input stores nothing', async () => {
    const target = {
      id: 'my-xrays',
      name: 'Our hospital chest X-rays',
      description: 'Paediatric chest radiographs, normal vs pneumonia.',
      origin: 'medical',
      modality: 'X-Ray',
      images: 640,
      classes: 2,
      image_size: 'variable',
      channels: 1,
      licence: 'proprietary',
    };
    const post = (body: unknown) =>
      fetch(`${env.app.url}/v1/datasets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post(target);
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/v1/datasets/my-xrays');
    assert.equal(((await created.json()) as { modality: string }).modality, 'x-ray');
    const again = await post({ ...target, name: 'changed' });
    assert.equal(again.status, 409);
    const stored = (await (await fetch(`${env.app.url}/v1/datasets/my-xrays`)).json()) as { name: string };
    assert.equal(stored.name, target.name);

    const bad = await post({ ...target, id: 'other', images: 'many' });
    assert.equal(bad.status, 400);
    assert.equal((await problemOf(bad)).field, 'images');
    assert.equal((await fetch(`${env.app.url}/v1/datasets/other`)).status, 404);

    const malformed = await fetch(`${env.app.url}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":',
    });
    assert.equal(malformed.status, 400);
    await problemOf(malformed);
  });

  test("results for ISIC: the study's eight experiments with five folds each", async () => {
    const res = await fetch(`${env.app.url}/v1/results?target=isic`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      total: number;
      items: { source: string | null; folds: unknown[]; mean: number; id: string }[];
    };
    assert.equal(body.total, 8);
    assert.ok(body.items.every((r) => r.folds.length === 5));
    const baseline = await fetch(`${env.app.url}/v1/results?target=isic&source=none`);
    const baselines = (await baseline.json()) as { items: { source: string | null }[] };
    assert.deepEqual(
      baselines.items.map((r) => r.source),
      [null],
    );
    const one = await fetch(`${env.app.url}/v1/results/${body.items[0]!.id}`);
    assert.equal(one.status, 200);
  });

  test('results filtered by an unknown dataset or fetched by an unknown id are 404s', async () => {
    const res = await fetch(`${env.app.url}/v1/results?target=atlantis`);
    assert.equal(res.status, 404);
    assert.equal((await problemOf(res)).field, 'target');
    assert.equal((await fetch(`${env.app.url}/v1/results/r_nothing`)).status, 404);
  });

  test('a wrong media type, method or body size gets its own problem, naming no field of the caller', async () => {
    const cases: [RequestInit & { path: string }, number, string][] = [
      [
        { path: '/v1/datasets', method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' },
        415,
        'unsupported-media-type',
      ],
      [{ path: '/v1/datasets', method: 'DELETE' }, 405, 'method-not-allowed'],
      [
        {
          path: '/v1/datasets',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: 'x'.repeat(2_000_000) }),
        },
        413,
        'payload-too-large',
      ],
    ];
    for (const [{ path, ...init }, status, kind] of cases) {
      const res = await fetch(`${env.app.url}${path}`, init);
      assert.equal(res.status, status, kind);
      const problem = await problemOf(res);
      assert.equal(problem.type, `urn:transfer-atlas:problem:${kind}`);
      assert.notEqual(problem.title, 'Invalid request');
      assert.equal(problem.field, undefined);
    }
  });

  test('a route outside the API is a 404 problem', async () => {
    const res = await fetch(`${env.app.url}/v2/everything`);
    assert.equal(res.status, 404);
    await problemOf(res);
  });
});
