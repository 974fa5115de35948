import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';
import { bearer, mintToken } from '../support/tokens.js';
import { encodeNpyFloat32 } from '../../src/images/npy.js';
import { refitRanker } from '../../src/services/index.js';
import { loadStoreEvidence } from '../../src/services/ranker.js';
import type { components } from '../../src/api/schema.js';

type Schemas = components['schemas'];

function vector(seed: number, length: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed + 1;
  for (let i = 0; i < length; i++) {
    s = (s * 16807) % 2147483647;
    out[i] = (s % 1000) / 1000 + 0.01;
  }
  return out;
}

/**
 * Case 2 of issue 13: what steers every recommendation (the default probe, the ranker's evidence)
 * does not move when a contribute token floods the store with embeddings and signals.
 */
describeEachStore('a flood of contributions does not steer recommendations', (kind) => {
  const env = seededApp(kind);

  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${env.app.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  test('50 embedding imports under a made-up probe, contributed embeddings and signals change neither', async () => {
    const fitted = await refitRanker(env.store);
    const ask = { target: 'isic', study: 'cats-scans', candidate_set: 'all' };
    const probeBefore = (await loadStoreEvidence(env.store)).probe;
    assert.ok(probeBefore !== null);
    const before = await call<Schemas['Recommendations']>('POST', '/v1/recommendations', ask);

    const flooder = bearer(await mintToken(env.store, 'flooder', 'contribute'));
    const datasets = (await call<{ items: { id: string }[] }>('GET', '/v1/datasets?page_size=200')).items.map(
      (d) => d.id,
    );
    const madeUp = {
      id: 'flood-probe',
      name: 'flood-probe',
      architecture: 'resnet18',
      input_size: 224,
      pixel_scaling: 'imagenet-mean-std',
    };
    for (let i = 0; i < 50; i++) {
      await call(
        'POST',
        '/v1/embeddings',
        {
          dataset: datasets[i % datasets.length],
          probe: madeUp,
          method: 'montecarlo',
          hessian: Buffer.from(encodeNpyFloat32(vector(i, 96), [96])).toString('base64'),
        },
        flooder,
      );
    }
    // Embeddings under the registry's own probe for registry datasets, which the ranker's distances use.
    const published = (
      await call<{ items: Schemas['Embedding'][] }>('GET', `/v1/datasets/isic/embeddings?probe=${probeBefore}`)
    ).items.find((e) => e.origin === 'published');
    assert.ok(published, 'the registry publishes an embedding of isic');
    for (const [i, dataset] of ['isic', 'imagenet', 'chest', 'kimia'].entries()) {
      await call(
        'POST',
        '/v1/embeddings',
        {
          dataset,
          probe: {
            id: published.probe.id,
            architecture: published.probe.architecture,
            input_size: published.probe.input_size,
            pixel_scaling: published.probe.pixel_scaling,
          },
          method: 'montecarlo',
          hessian: Buffer.from(encodeNpyFloat32(vector(100 + i, published.dimension), [published.dimension])).toString(
            'base64',
          ),
        },
        flooder,
      );
    }
    const signals = ['imagenet-resnet50', 'kimia-resnet50', 'chest-resnet50', 'pcam-middle-resnet50'].flatMap((b, i) =>
      ['isic', 'chest'].map((target) => ({
        subject_kind: 'backbone',
        subject: b,
        target,
        signal: 'logme',
        value: i % 2 === 0 ? -50 : 50,
      })),
    );
    await call('POST', '/v1/signals', { signals }, flooder);

    assert.equal((await loadStoreEvidence(env.store)).probe, probeBefore);
    const refit = await refitRanker(env.store);
    assert.deepEqual([refit.version, refit.refitted], [fitted.version, false]);
    const after = await call<Schemas['Recommendations']>('POST', '/v1/recommendations', ask);
    assert.deepEqual(after, before);
  });
});
