import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';
import { RESULTS_CSV, SIGNALS_CSV, STUDY_YAML, BACKBONE_YAML } from './fixture.js';

const upload = (overrides: Record<string, string> = {}) => ({
  name: 'tiny-study',
  files: Object.entries({
    'study.yaml': STUDY_YAML,
    'results.csv': RESULTS_CSV,
    'signals.csv': SIGNALS_CSV,
    'backbones/tiny-chest-resnet18.yaml': BACKBONE_YAML,
    ...overrides,
  }).map(([path, content]) => ({ path, content })),
});

describeEachStore('api studies and pair signals', (kind) => {
  const env = seededApp(kind);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${env.app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  test('GET /v1/studies lists both seeded studies with their counts', async () => {
    const r = await call('GET', '/v1/studies');
    assert.equal(r.status, 200);
    const items = r.body.items as { id: string; metric: string; counts: Record<string, number> }[];
    assert.deepEqual(
      items.map((s) => [s.id, s.metric, s.counts.results, s.counts.baselines, s.counts.signals]),
      [
        ['cats-scans', 'auc-ovr-weighted', 21, 3, 27],
        ['medmnist-transferability', 'auc', 256, 0, 1936],
      ],
    );
  });

  test('GET /v1/studies/{id} gives candidate sets, backbones and targets; an unknown id is a 404', async () => {
    const r = await call('GET', '/v1/studies/medmnist-transferability');
    assert.equal(r.status, 200);
    assert.deepEqual(
      (r.body.candidate_sets as { id: string; backbones: string[] }[]).map((c) => [c.id, c.backbones.length]),
      [
        ['sources', 15],
        ['architectures', 9],
      ],
    );
    assert.equal((r.body.backbones as unknown[]).length, 23);
    assert.equal((r.body.targets as unknown[]).length, 12);
    assert.equal((await call('GET', '/v1/studies/atlantis')).status, 404);
  });

  test('results carry their backbone and study', async () => {
    const r = await call('GET', '/v1/results?target=isic&source=imagenet');
    const item = (r.body.items as { backbone: string; study: string }[])[0]!;
    assert.deepEqual([item.backbone, item.study], ['imagenet-resnet50', 'cats-scans']);
  });

  test('a bad study upload is a 400 naming file, line and field, and stores nothing', async () => {
    const before = await call('GET', '/v1/studies');
    const r = await call('POST', '/v1/studies', upload({ 'results.csv': RESULTS_CSV.replace('0.78', 'NaN') }));
    assert.equal(r.status, 400);
    assert.match(r.type ?? '', /application\/problem\+json/);
    assert.match(String(r.body.detail), /tiny-study\/results\.csv:4: field 'value': 'NaN' is not a finite number/);
    assert.deepEqual(r.body.errors, [{ field: 'value', message: "'NaN' is not a finite number" }]);
    const unlicensed = await call(
      'POST',
      '/v1/studies',
      upload({ 'study.yaml': STUDY_YAML.replace(/^licence: .*\n/m, '') }),
    );
    assert.equal(unlicensed.status, 400);
    assert.match(String(unlicensed.body.detail), /study\.yaml:1: field 'licence'/);
    assert.deepEqual((await call('GET', '/v1/studies')).body, before.body);
  });

  test('POST /v1/studies imports a new study once; a second post changes nothing', async () => {
    const r = await call('POST', '/v1/studies', upload());
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body.outcome, (r.body.results as { added: number }).added], ['created', 4]);
    const again = await call('POST', '/v1/studies', upload());
    assert.deepEqual([again.body.outcome, (again.body.results as { unchanged: number }).unchanged], ['unchanged', 4]);
    const shown = await call('GET', '/v1/studies/tiny-study');
    assert.deepEqual(
      (shown.body.backbones as { id: string }[]).map((b) => b.id),
      ['imagenet-resnet18', 'tiny-chest-resnet18'],
    );
  });

  test('POST /v1/signals validates the whole batch; GET /v1/datasets/{id}/signals lists a target', async () => {
    const signals = [
      { subject_kind: 'backbone', subject: 'imagenet-resnet18', target: 'retinamnist', signal: 'hscore', value: 2.5 },
      { subject_kind: 'source', subject: 'imagenet', target: 'retinamnist', signal: 'task2vec_cosine@p1', value: 0.4 },
    ];
    const unknown = await call('POST', '/v1/signals', {
      provenance: 'contributor:jdoe',
      signals: [...signals, { ...signals[0], subject: 'nobody-resnet18' }],
    });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors, [
      { field: 'signals[2].subject', message: "unknown backbone 'nobody-resnet18'" },
    ]);
    const noProvenance = await call('POST', '/v1/signals', { signals });
    assert.deepEqual(noProvenance.body.errors, [
      { field: 'signals[0].provenance', message: 'required: say who measured this (a column, or --provenance)' },
    ]);
    const duplicate = await call('POST', '/v1/signals', {
      provenance: 'contributor:jdoe',
      signals: [signals[0], signals[0]],
    });
    assert.equal(duplicate.status, 400);
    assert.equal((duplicate.body.errors as { field: string }[])[0]!.field, 'signals[1].signal');
    const listed = await call('GET', '/v1/datasets/retinamnist/signals?provenance=contributor%3Ajdoe');
    assert.deepEqual(listed.body.items, []);
    const stored = await call('POST', '/v1/signals', { provenance: 'contributor:jdoe', signals });
    assert.deepEqual(stored.body, { added: 2, updated: 0, unchanged: 0 });
    const after = await call('GET', '/v1/datasets/retinamnist/signals?provenance=contributor%3Ajdoe');
    assert.deepEqual(
      (after.body.items as { signal: string; value: number }[]).map((s) => [s.signal, s.value]),
      [
        ['hscore', 2.5],
        ['task2vec_cosine@p1', 0.4],
      ],
    );
    const published = await call('GET', '/v1/datasets/retinamnist/signals?signal=fu&subject_kind=backbone');
    assert.equal((published.body.items as unknown[]).length, 22);
    assert.equal((await call('GET', '/v1/datasets/atlantis/signals')).status, 404);
  });
});
