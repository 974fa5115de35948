import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';
import { bearer, mintToken } from '../support/tokens.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
  errors?: { field: string; message: string }[];
}

interface Result {
  id: string;
  source: string | null;
  target: string;
  contributor: string;
  reference?: string;
  created_at: string;
  withdrawn_at?: string;
  transferability?: { mean: number; std: number | null; folds: number[]; baseline_ids: string[] };
  transferability_unavailable?: { reason: string; message: string };
}

const folds = (...values: number[]) => values.map((value, i) => ({ fold: i + 1, value }));

/** A result nobody has stored: KimiaPath960 -> ISIC is not among the study's experiments. */
const kimiaToIsic = {
  source: 'kimia',
  target: 'isic',
  architecture: 'resnet50',
  protocol: { folds: 5, metric: 'auc-ovr-weighted' },
  folds: folds(0.9, 0.91, 0.92, 0.88, 0.9),
  provenance: { contributor: 'jdoe', doi: '10.1234/example.5678' },
};

describeEachStore('api contributions', (kind) => {
  const env = seededApp(kind);

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  async function problemOf(res: Response): Promise<Problem> {
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    return (await res.json()) as Problem;
  }

  async function stored(): Promise<number> {
    const page = (await (await fetch(`${env.app.url}/v1/results?page_size=1&include_withdrawn=true`)).json()) as {
      total: number;
    };
    return page.total;
  }

  test('bad contributions are refused with the offending field, and nothing is stored', async () => {
    const before = await stored();
    const cases: { body: unknown; status: number; field: string; detail: RegExp }[] = [
      {
        body: { ...kimiaToIsic, folds: folds(1.3, 0.91, 0.92, 0.88, 0.9) },
        status: 400,
        field: 'folds.0.value',
        detail: /<= 1/,
      },
      {
        body: { ...kimiaToIsic, folds: folds(0.9, 0.91, 0.92, 0.88) },
        status: 400,
        field: 'folds',
        detail: /fold 5 is missing/,
      },
      {
        body: { ...kimiaToIsic, source: 'atlantis' },
        status: 400,
        field: 'source',
        detail: /unknown dataset 'atlantis'/,
      },
      {
        body: { ...kimiaToIsic, target: 'atlantis' },
        status: 400,
        field: 'target',
        detail: /unknown dataset 'atlantis'/,
      },
      { body: { ...kimiaToIsic, architecture: undefined }, status: 400, field: 'architecture', detail: /architecture/ },
      {
        body: { ...kimiaToIsic, protocol: { folds: 5, metric: 'accuracy' } },
        status: 400,
        field: 'protocol.metric',
        detail: /metric/,
      },
      {
        body: { ...kimiaToIsic, provenance: { contributor: 'no spaces please' } },
        status: 400,
        field: 'provenance.contributor',
        detail: /pattern/,
      },
    ];
    for (const c of cases) {
      const res = await post('/v1/results', c.body);
      assert.equal(res.status, c.status, JSON.stringify(c.body));
      const problem = await problemOf(res);
      assert.equal(problem.type, 'urn:transfer-atlas:problem:invalid-request');
      assert.equal(problem.field, c.field);
      assert.match(problem.detail, c.detail);
    }
    assert.equal(await stored(), before);
  });

  test("a duplicate of one of the study's results is a 409 naming the stored id", async () => {
    const isic = (await (await fetch(`${env.app.url}/v1/results?target=isic&source=imagenet`)).json()) as {
      items: (Result & { folds: { fold: number; value: number }[] })[];
    };
    const original = isic.items[0]!;
    const before = await stored();
    const res = await post('/v1/results', {
      source: 'imagenet',
      target: 'isic',
      architecture: 'resnet50',
      protocol: { folds: 5, metric: 'auc-ovr-weighted' },
      folds: original.folds,
      provenance: { contributor: 'copycat' },
    });
    assert.equal(res.status, 409);
    const problem = await problemOf(res);
    assert.equal(problem.type, 'urn:transfer-atlas:problem:conflict');
    assert.match(problem.detail, new RegExp(original.id));
    assert.equal(await stored(), before);
  });

  test('a batch with one bad item, or two equal items, stores nothing', async () => {
    const before = await stored();
    const bad = await post('/v1/results', {
      results: [kimiaToIsic, { ...kimiaToIsic, source: 'chest', folds: folds(0.9, 0.91, 0.92, 0.88, 1.3) }],
    });
    assert.equal(bad.status, 400);
    assert.equal((await problemOf(bad)).field, 'results.1.folds.4.value');
    const twice = await post('/v1/results', { results: [kimiaToIsic, kimiaToIsic] });
    assert.equal(twice.status, 400);
    const problem = await problemOf(twice);
    assert.equal(problem.field, 'results.1');
    assert.match(problem.detail, /duplicates result \[0\]/);
    const unknown = await post('/v1/results', { results: [kimiaToIsic, { ...kimiaToIsic, target: 'atlantis' }] });
    assert.equal((await problemOf(unknown)).field, 'results.1.target');
    assert.equal(await stored(), before);
  });

  test('a stored contribution keeps its contributor and time and carries its transferability', async () => {
    const res = await post('/v1/results', kimiaToIsic);
    assert.equal(res.status, 201);
    const result = (await res.json()) as Result;
    assert.equal(res.headers.get('location'), `/v1/results/${result.id}`);
    assert.equal(result.contributor, 'jdoe');
    assert.equal(result.reference, 'https://doi.org/10.1234/example.5678');
    assert.ok(Math.abs(Date.parse(result.created_at) - Date.now()) < 60_000);
    const baseline = (await (await fetch(`${env.app.url}/v1/results?target=isic&source=none`)).json()) as {
      items: (Result & { folds: { value: number }[] })[];
    };
    const b = baseline.items[0]!;
    const expected = kimiaToIsic.folds.map((f, i) => ((f.value - b.folds[i]!.value) / b.folds[i]!.value) * 100);
    assert.deepEqual(result.transferability?.baseline_ids, [b.id]);
    result.transferability!.folds.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-9));
    const fetched = (await (await fetch(`${env.app.url}/v1/results/${result.id}`)).json()) as Result;
    assert.deepEqual(fetched, result);
    const again = await post('/v1/results', kimiaToIsic);
    assert.equal(again.status, 409);
    assert.match((await problemOf(again)).detail, new RegExp(result.id));
  });

  test('a baseline spelled as the target itself is stored as source null; a result without a baseline says why', async () => {
    const res = await post('/v1/results', {
      results: [
        { ...kimiaToIsic, source: 'breastmnist', target: 'breastmnist', folds: folds(0.8, 0.82, 0.81, 0.79, 0.8) },
        {
          ...kimiaToIsic,
          source: 'imagenet',
          target: 'breastmnist',
          architecture: 'vit-b16',
          folds: folds(0.85, 0.86, 0.84, 0.83, 0.85),
        },
        { ...kimiaToIsic, source: 'imagenet', target: 'breastmnist', folds: folds(0.88, 0.9, 0.86, 0.85, 0.87) },
      ],
    });
    assert.equal(res.status, 201);
    const { results } = (await res.json()) as { results: Result[] };
    assert.equal(results[0]!.source, null);
    assert.equal(results[0]!.transferability_unavailable?.reason, 'is-baseline');
    assert.equal(results[1]!.transferability_unavailable?.reason, 'no-matching-baseline');
    assert.match(results[1]!.transferability_unavailable!.message, /vit-b16/);
    assert.ok(Math.abs(results[2]!.transferability!.mean - 8.0) < 0.5);
  });

  test('Idempotency-Key: a retry gets the same response; the key on another body is a 409', async () => {
    const body = { ...kimiaToIsic, source: 'pcam-small', target: 'chest', folds: folds(0.9, 0.9, 0.9, 0.9, 0.9) };
    const first = await post('/v1/results', body, { 'idempotency-key': `k-${kind.name}` });
    assert.equal(first.status, 201);
    const count = await stored();
    const retry = await post('/v1/results', body, { 'idempotency-key': `k-${kind.name}` });
    assert.equal(retry.status, 201);
    assert.deepEqual(await retry.json(), await first.json());
    assert.equal(await stored(), count);
    const other = await post(
      '/v1/results',
      { ...body, architecture: 'densenet121' },
      { 'idempotency-key': `k-${kind.name}` },
    );
    assert.equal(other.status, 409);
    assert.equal((await problemOf(other)).field, 'Idempotency-Key');
    assert.equal(await stored(), count);
  });

  // Runs last: the tokens it mints end the suite's tokenless loopback mode.
  test('withdrawal: by the contributor or an admin only; the result stays but leaves listings', async () => {
    const alice = bearer(await mintToken(env.store, 'alice', 'contribute'));
    const mallory = bearer(await mintToken(env.store, 'mallory', 'contribute'));
    const admin = bearer(await mintToken(env.store, `admin-${kind.name}`, 'admin'));
    const created = (await (
      await post('/v1/results', { ...kimiaToIsic, source: 'kimia', target: 'chest', provenance: {} }, alice)
    ).json()) as Result;
    const other = (await (
      await post(
        '/v1/results',
        {
          ...kimiaToIsic,
          source: 'kimia',
          target: 'chest',
          folds: folds(0.5, 0.5, 0.5, 0.5, 0.5),
          provenance: { contributor: 'alice' },
        },
        alice,
      )
    ).json()) as Result;
    // The name in the body no longer says who withdraws: the token does.
    const refused = await post(`/v1/results/${created.id}/withdraw`, { contributor: 'alice' }, mallory);
    assert.equal(refused.status, 403);
    const problem = await problemOf(refused);
    assert.equal(problem.field, 'id');
    assert.doesNotMatch(JSON.stringify(problem), /alice/);

    const done = await post(`/v1/results/${created.id}/withdraw`, {}, alice);
    assert.equal(done.status, 200);
    const withdrawn = (await done.json()) as Result;
    assert.ok(withdrawn.withdrawn_at);
    assert.equal(withdrawn.contributor, 'alice');
    assert.equal((await post(`/v1/results/${created.id}/withdraw`, {}, alice)).status, 409);
    assert.equal((await post('/v1/results/r_nothing/withdraw', {}, alice)).status, 404);

    const listed = (await (await fetch(`${env.app.url}/v1/results?target=chest&source=kimia`)).json()) as {
      items: Result[];
    };
    assert.deepEqual(
      listed.items.map((r) => r.id),
      [other.id],
    );
    const all = (await (
      await fetch(`${env.app.url}/v1/results?target=chest&source=kimia&include_withdrawn=true`)
    ).json()) as { items: Result[] };
    assert.deepEqual(all.items.map((r) => r.id).sort(), [created.id, other.id].sort());

    assert.equal((await post(`/v1/results/${other.id}/withdraw`, {}, admin)).status, 200);
    // Once withdrawn, the same values may be contributed again.
    assert.equal(
      (await post('/v1/results', { ...kimiaToIsic, source: 'kimia', target: 'chest', provenance: {} }, alice)).status,
      201,
    );
  });
});
