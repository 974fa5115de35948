import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describeEachStore } from '../support/stores.js';
import { startApp, type RunningApp } from '../support/app.js';
import { seedRegistry } from '../../src/services/index.js';
import { resultOf, settled } from '../support/jobs.js';
import type { Store } from '../../src/store/index.js';
import { encodeNpy, encodeNpyFloat32 } from '../../src/images/npy.js';
import { distance } from '../../src/task2vec/distance.js';
import type { ComparableEmbedding } from '../../src/task2vec/embedding.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
}
interface Embedding {
  id: number;
  dataset: string;
  dimension: number;
  origin: string;
  probe: { id: string; weights: string };
  vector?: { hessian: string; scale: string | null };
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

function vector(seed: number, length: number, zeros = 0): Float32Array {
  const v = new Float32Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    v[i] = i < zeros ? 0 : (x / 2147483648) * 1e-3;
  }
  return v;
}

const identity = (id: string) => ({
  id,
  name: id,
  architecture: 'resnet18',
  inputSize: 224,
  pixelScaling: 'imagenet-mean-std' as const,
});
const comparable = (h: Float32Array, probe: string): ComparableEmbedding => ({
  hessian: h,
  scale: new Float32Array(h.length).fill(1),
  probe: identity(probe),
});
const decode = (b64: string) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

describeEachStore('api embeddings, distances and experts', (kind) => {
  let store: Store;
  let app: RunningApp;
  let dataDir: string;
  const target = (id: string) => ({
    id,
    name: `Target ${id}`,
    description: 'A test target.',
    origin: 'medical',
    modality: 'x-ray',
    images: 100,
    classes: 2,
    image_size: '28x28',
    channels: 1,
    licence: 'CC-BY-4.0',
  });
  const probe = (id: string) => ({
    id,
    name: id,
    architecture: 'resnet18',
    input_size: 224,
    pixel_scaling: 'imagenet-mean-std',
  });
  const importVector = (dataset: string, probeId: string, npy: Uint8Array, extra: Record<string, unknown> = {}) =>
    fetch(
      `${app.url}/v1/embeddings`,
      json({
        dataset,
        probe: probe(probeId),
        method: 'montecarlo',
        options: { seed: 3, batch_size: 100 },
        hessian: Buffer.from(npy).toString('base64'),
        ...extra,
      }),
    );
  const problemOf = async (res: Response) => {
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    return (await res.json()) as Problem;
  };

  before(async () => {
    store = await kind.open();
    await seedRegistry(store, 'datasets-registry');
    dataDir = await mkdtemp(join(tmpdir(), 'ta-embeddings-api-'));
    app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: 64 * 1024 ** 2 } });
    for (const id of ['target-a', 'target-b', 'target-c'])
      assert.equal((await fetch(`${app.url}/v1/datasets`, json(target(id)))).status, 201);
  });
  after(async () => {
    await app.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('probes: the bundled probe is always listed, the published ResNet-50 without weights', async () => {
    const res = await fetch(`${app.url}/v1/probes`);
    assert.equal(res.status, 200);
    const items = ((await res.json()) as { items: { id: string; name: string; weights: string; input_size: number }[] })
      .items;
    const bundled = items.find((p) => p.weights === 'bundled');
    assert.equal(bundled?.name, 'mobilenet_v2_0.35_224');
    assert.equal(bundled?.input_size, 224);
    assert.match(bundled!.id, /^[0-9a-f]{64}$/);
    assert.equal(items.find((p) => p.id === 'torchvision-resnet50-imagenet1k-v1')?.weights, 'none');
  });

  test('POST /v1/probes registers a folder inside the data roots, and only there', async () => {
    const probeFolder = resolve('../shared/weights/mobilenet_v1_1.0_224_imagenet_to_pw12');
    const refused = await fetch(`${app.url}/v1/probes`, json({ folder: probeFolder, pixel_scaling: 'minus1to1' }));
    assert.equal(refused.status, 403);
    assert.equal((await problemOf(refused)).field, 'folder');
    const rooted = await startApp(store, {
      ingestion: { dataDir, dataRoots: [resolve('../shared/weights')], maxUploadBytes: 1024 },
    });
    try {
      const res = await fetch(
        `${rooted.url}/v1/probes`,
        json({ folder: probeFolder, name: 'mobilenet-v1-pw12', pixel_scaling: 'minus1to1' }),
      );
      assert.equal(res.status, 201, await res.clone().text());
      const p = (await res.json()) as { id: string; weights: string; input_size: number };
      assert.deepEqual([p.weights, p.input_size], ['folder', 224]);
      const listed = (await (await fetch(`${rooted.url}/v1/probes`)).json()) as { items: { id: string }[] };
      assert.ok(listed.items.some((x) => x.id === p.id));
      const outside = await fetch(`${rooted.url}/v1/probes`, json({ folder: resolve('probes/mobilenet_v2_0.35_224') }));
      assert.equal(outside.status, 403);
    } finally {
      await rooted.close();
    }
  });

  test('the published embeddings answer distance isic chest, equal to the distance of their vectors', async () => {
    const res = await fetch(`${app.url}/v1/distances?a=isic&b=chest`);
    assert.equal(res.status, 200, await res.clone().text());
    const d = (await res.json()) as {
      value: number;
      probe: { id: string };
      embeddings: Record<string, number>;
      distance: string;
    };
    assert.equal(d.probe.id, 'torchvision-resnet50-imagenet1k-v1');
    assert.equal(d.distance, 'task2vec_cosine');
    const vectors = await Promise.all(
      ['isic', 'chest'].map(async (id) => {
        const e = (await (
          await fetch(`${app.url}/v1/embeddings/${d.embeddings[id]}?include=vector`)
        ).json()) as Embedding;
        return decode(e.vector!.hessian);
      }),
    );
    const p = 'torchvision-resnet50-imagenet1k-v1';
    assert.ok(Math.abs(d.value - distance(comparable(vectors[0]!, p), comparable(vectors[1]!, p))) < 1e-12);
    const plain = (await (await fetch(`${app.url}/v1/distances?a=isic&b=chest&distance=plain_cosine`)).json()) as {
      value: number;
    };
    assert.ok(
      Math.abs(plain.value - distance(comparable(vectors[0]!, p), comparable(vectors[1]!, p), 'plain_cosine')) < 1e-12,
    );
  });

  test('import, read back and distance: a round trip through the API', async () => {
    const ha = vector(1, 96, 5);
    const hb = vector(2, 96, 3);
    const ra = await importVector('target-a', 'test-probe-1', encodeNpyFloat32(ha, [1, 96]));
    assert.equal(ra.status, 201, await ra.clone().text());
    const ea = (await ra.json()) as Embedding;
    assert.deepEqual(
      [ea.dataset, ea.dimension, ea.origin, ea.probe.id, ea.probe.weights],
      ['target-a', 96, 'imported', 'test-probe-1', 'none'],
    );
    assert.equal(ea.vector, undefined);
    assert.equal(ra.headers.get('location'), `/v1/embeddings/${ea.id}`);
    assert.equal((await importVector('target-b', 'test-probe-1', encodeNpyFloat32(hb, [96]))).status, 201);

    const back = (await (await fetch(`${app.url}/v1/embeddings/${ea.id}?include=vector`)).json()) as Embedding;
    assert.deepEqual(decode(back.vector!.hessian), ha);
    const listed = (await (await fetch(`${app.url}/v1/datasets/target-a/embeddings`)).json()) as { items: Embedding[] };
    assert.deepEqual(
      listed.items.map((e) => e.id),
      [ea.id],
    );

    for (const name of ['task2vec_cosine', 'kl', 'jsd', 'normalized_cosine'] as const) {
      const d = (await (await fetch(`${app.url}/v1/distances?a=target-a&b=target-b&distance=${name}`)).json()) as {
        value: number;
        probe: { id: string };
      };
      assert.equal(d.probe.id, 'test-probe-1');
      assert.ok(
        Math.abs(d.value - distance(comparable(ha, 'test-probe-1'), comparable(hb, 'test-probe-1'), name)) < 1e-12,
        name,
      );
    }
    const ab = (await (await fetch(`${app.url}/v1/distances?a=target-a&b=target-b&distance=asymmetric`)).json()) as {
      value: number;
    };
    const ba = (await (await fetch(`${app.url}/v1/distances?a=target-b&b=target-a&distance=asymmetric`)).json()) as {
      value: number;
    };
    assert.notEqual(ab.value, ba.value);

    const m = await fetch(
      `${app.url}/v1/distances/matrix`,
      json({ datasets: ['target-a', 'target-b'], probe: 'test-probe-1' }),
    );
    assert.equal(m.status, 200);
    const matrix = (await m.json()) as { values: number[][] };
    const sym = distance(comparable(ha, 'test-probe-1'), comparable(hb, 'test-probe-1'));
    assert.ok(
      Math.abs(matrix.values[0]![1]! - sym) < 1e-12 &&
        matrix.values[0]![1] === matrix.values[1]![0] &&
        matrix.values[0]![0] === 0,
    );
  });

  test('datasets without a common probe are refused with a 409 naming both probes', async () => {
    assert.equal((await importVector('target-c', 'test-probe-2', encodeNpyFloat32(vector(4, 50), [50]))).status, 201);
    const res = await fetch(`${app.url}/v1/distances?a=target-a&b=target-c`);
    assert.equal(res.status, 409);
    const problem = await problemOf(res);
    assert.equal(problem.type, 'urn:transfer-atlas:problem:incompatible-probes');
    assert.match(problem.detail, /test-probe-1/);
    assert.match(problem.detail, /test-probe-2/);
    const explicit = await problemOf(await fetch(`${app.url}/v1/distances?a=target-a&b=target-c&probe=test-probe-2`));
    assert.equal(explicit.status, 409);
    assert.equal(explicit.field, 'probe');
    const none = await problemOf(await fetch(`${app.url}/v1/distances?a=target-a&b=octmnist`));
    assert.deepEqual([none.status, none.field], [422, 'b']);
    assert.match(none.detail, /transfer-atlas embed octmnist/);
    const unknown = await problemOf(
      await fetch(`${app.url}/v1/distances/matrix`, json({ datasets: ['target-a', 'atlantis'] })),
    );
    assert.deepEqual([unknown.status, unknown.field], [404, 'datasets']);
  });

  test('bad imports are refused with the offending field, and store nothing', async () => {
    const before = ((await (await fetch(`${app.url}/v1/datasets/target-b/embeddings`)).json()) as { items: unknown[] })
      .items.length;
    const f64 = encodeNpy({
      shape: [96],
      data: { kind: 'numeric', dtype: 'f8', values: new Float64Array(96).fill(1e-4) },
    });
    const negative = vector(5, 96);
    negative[7] = -1e-6;
    const nan = vector(6, 96);
    nan[3] = Number.NaN;
    const cases: [Uint8Array, number, string, RegExp][] = [
      [f64, 400, 'hessian', /float32/],
      [encodeNpyFloat32(negative, [96]), 400, 'hessian', /entry 7 .*non-negative/],
      [encodeNpyFloat32(nan, [96]), 400, 'hessian', /entry 3 is NaN/],
      [encodeNpyFloat32(vector(7, 96), [2, 48]), 400, 'hessian', /shape \(2, 48\)/],
      [encodeNpyFloat32(vector(8, 95), [95]), 409, 'hessian', /95 entries .* 96/],
      [new TextEncoder().encode('not numpy'), 400, 'hessian', /not a \.npy/],
    ];
    for (const [npy, status, field, detail] of cases) {
      const problem = await problemOf(await importVector('target-b', 'test-probe-1', npy));
      assert.deepEqual([problem.status, problem.field], [status, field], problem.detail);
      assert.match(problem.detail, detail);
    }
    const mismatch = await fetch(
      `${app.url}/v1/embeddings`,
      json({
        dataset: 'target-b',
        probe: { ...probe('test-probe-1'), input_size: 96 },
        hessian: Buffer.from(encodeNpyFloat32(vector(9, 96), [96])).toString('base64'),
      }),
    );
    assert.equal(mismatch.status, 409);
    assert.equal((await problemOf(mismatch)).field, 'probe.input_size');
    assert.equal(
      (await problemOf(await importVector('no-such-set', 'test-probe-1', encodeNpyFloat32(vector(9, 96), [96]))))
        .status,
      404,
    );
    const after = ((await (await fetch(`${app.url}/v1/datasets/target-b/embeddings`)).json()) as { items: unknown[] })
      .items.length;
    assert.equal(after, before);
  });

  test('embedding a dataset without stored images is a 422 saying how to add them', async () => {
    const res = await fetch(`${app.url}/v1/datasets/target-a/embeddings`, json({ samples: 10 }));
    assert.equal(res.status, 422);
    assert.match((await problemOf(res)).detail, /datasets add/);
    assert.equal(
      (await problemOf(await fetch(`${app.url}/v1/datasets/target-a/embeddings`, json({ samples: 0 })))).field,
      'samples',
    );
  });

  test('compute an embedding of uploaded images through the API, then read it back', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob([new Uint8Array(await readFile('../shared/datasets/breastmnist_28.npz'))]),
      'breastmnist_28.npz',
    );
    for (const [k, v] of Object.entries({ name: 'BreastMNIST upload', id: 'breast-up', size: '28' })) form.append(k, v);
    assert.equal(
      (await settled(app.url, await fetch(`${app.url}/v1/datasets/uploads`, { method: 'POST', body: form }))).state,
      'succeeded',
    );
    const options = { samples: 40, batch_size: 20, epochs: 1, input_size: 32, max_images: 40, seed: 5 };
    const job = await settled(app.url, await fetch(`${app.url}/v1/datasets/breast-up/embeddings`, json(options)));
    assert.match(job.result_url ?? '', /^\/v1\/embeddings\/\d+$/);
    assert.deepEqual([job.progress?.stage, job.progress?.fraction], ['fisher', 1]);
    const e = await resultOf<
      Embedding & { image_count: number; seed: number; options: { samples: number; classCount: number } }
    >(app.url, job);
    assert.deepEqual(
      [e.dataset, e.origin, e.image_count, e.seed, e.options.samples, e.options.classCount, e.probe.weights],
      ['breast-up', 'computed', 40, 5, 40, 2, 'bundled'],
    );
    const listed = (await (await fetch(`${app.url}/v1/datasets/breast-up/embeddings?probe=${e.probe.id}`)).json()) as {
      items: Embedding[];
    };
    assert.deepEqual(
      listed.items.map((x) => x.id),
      [e.id],
    );
    const withVector = (await (await fetch(`${app.url}/v1/embeddings/${e.id}?include=vector`)).json()) as Embedding;
    const h = decode(withVector.vector!.hessian);
    assert.equal(h.length, e.dimension);
    assert.ok(h.every((x) => Number.isFinite(x) && x >= 0) && h.some((x) => x > 0));
    const published = await settled(
      app.url,
      await fetch(
        `${app.url}/v1/datasets/breast-up/embeddings`,
        json({ probe: 'torchvision-resnet50-imagenet1k-v1', samples: 10 }),
      ),
    );
    assert.deepEqual(
      [published.state, published.failure?.code, published.failure?.retryable],
      ['failed', 'unprocessable', false],
    );
    assert.match(published.failure!.message, /holds no weights/);
  });

  test('expert answers: majority vote with the tie rule, Fleiss kappa, resubmission replaces', async () => {
    const answer = (origin: string, diversity: string) => ({
      origin,
      colour: 'grey',
      content: 'objects',
      kind: 'organs-anatomy',
      diversity,
      classes: '2',
    });
    const submit = (dataset: string, observer: string, answers: unknown) =>
      fetch(`${app.url}/v1/datasets/${dataset}/expert-answers`, json({ observer, answers }));
    const registryOnly = await (await fetch(`${app.url}/v1/datasets/target-a/expert-features`)).json();
    assert.equal(registryOnly.status, 404);
    for (const [observer, origin] of [
      ['ann', 'medical'],
      ['bob', 'natural'],
      ['cy', 'natural'],
    ] as const) {
      assert.equal((await submit('target-a', observer, answer(origin, 'low'))).status, 200);
    }
    // cy changes their mind: the vote is now 2 medical against 1 natural.
    const receipt = (await (await submit('target-a', 'cy', answer('medical', 'low'))).json()) as {
      replaced: boolean;
      features: { observers: number };
    };
    assert.deepEqual([receipt.replaced, receipt.features.observers], [true, 3]);
    await submit('target-b', 'ann', answer('medical', 'low'));
    await submit('target-b', 'bob', answer('medical', 'high'));

    const a = (await (await fetch(`${app.url}/v1/datasets/target-a/expert-features`)).json()) as {
      source: string;
      observers: number;
      features: { origin: string };
      agreement: Record<string, { kappa: number | null; observed: number; datasets: number }>;
    };
    assert.deepEqual([a.source, a.observers, a.features.origin], ['observers', 3, 'medical']);
    // origin: target-a 2 medical / 1 natural, target-b 2 medical: P-bar = (1/3 + 1) / 2, P_e = (1/5)^2 + (4/5)^2.
    assert.ok(Math.abs(a.agreement.origin!.kappa! - -1 / 24) < 1e-12, String(a.agreement.origin!.kappa));
    assert.deepEqual([a.agreement.origin!.datasets, a.agreement.colour!.kappa], [2, null]);
    assert.ok(Math.abs(a.agreement.origin!.observed - 1 / 3) < 1e-12);

    const b = (await (await fetch(`${app.url}/v1/datasets/target-b/expert-features`)).json()) as {
      features: { diversity: string };
      votes: Record<string, { tied_with: string[]; votes: number }>;
      tie_rule: string;
    };
    assert.equal(b.features.diversity, 'low');
    assert.deepEqual(b.votes.diversity!.tied_with, ['low', 'high']);
    assert.match(b.tie_rule, /first in the vocabulary/);

    const registry = (await (await fetch(`${app.url}/v1/datasets/isic/expert-features`)).json()) as {
      source: string;
      observers: number;
    };
    assert.deepEqual([registry.source, registry.observers], ['registry', 0]);

    const bad = await problemOf(await submit('target-a', 'dee', { ...answer('medical', 'low'), kind: 'galaxies' }));
    assert.deepEqual([bad.status, bad.field], [400, 'answers.kind']);
  });

  test('expert distances: the published figure first, with its source; else the Hamming distance', async () => {
    const published = (await (await fetch(`${app.url}/v1/expert-distances?a=isic&b=imagenet`)).json()) as {
      distance: number;
      source: { kind: string; publication?: string };
    };
    assert.equal(published.source.kind, 'published');
    assert.ok(published.source.publication);
    // target-a: medical, grey, objects, organs-anatomy, low, 2; isic's registry features differ at least on colour.
    const computed = (await (await fetch(`${app.url}/v1/expert-distances?a=target-a&b=target-b`)).json()) as {
      distance: number;
      source: { kind: string };
      features: Record<string, string>;
    };
    assert.deepEqual(
      [computed.distance, computed.source.kind, computed.features['target-a']],
      [0, 'computed', 'observers'],
    );
    const missing = await fetch(`${app.url}/v1/expert-distances?a=target-a&b=target-c`);
    assert.equal(missing.status, 422);
  });
});
