import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachStore } from '../support/stores.js';
import { importPairSignals, importStudy, seedRegistry } from '../../src/services/index.js';
import { allRuns, listPairSignals, studyCounts, type Store } from '../../src/store/index.js';
import { RESULTS_CSV, SIGNALS_CSV, STUDY_YAML, tinyStudy } from './fixture.js';

const TABLES = [
  'studies',
  'backbones',
  'transfer_runs',
  'transfer_results',
  'pair_signals',
  'result_spreads',
  'datasets',
  'contributors',
];

async function snapshot(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of TABLES)
    out[t] = ((await store.knex(t).select('*')) as unknown[]).map((row) => JSON.stringify(row)).sort();
  return out;
}

describeEachStore('study and signal imports', (kind) => {
  let store: Store;
  before(async () => {
    store = await kind.open();
    await seedRegistry(store, 'datasets-registry');
  });
  after(async () => {
    await store.close();
  });

  test('seeding stores both studies with their counts', async () => {
    assert.deepEqual(await studyCounts(store.knex, 'medmnist-transferability'), {
      backbones: 23,
      targets: 12,
      results: 256,
      baselines: 0,
      signals: 1936,
      spreads: 256,
    });
    assert.deepEqual(await studyCounts(store.knex, 'cats-scans'), {
      backbones: 9,
      targets: 3,
      results: 21,
      baselines: 3,
      signals: 27,
      spreads: 0,
    });
  });

  const bad: [string, Record<string, string | undefined>, RegExp][] = [
    [
      'an unknown backbone',
      { 'results.csv': RESULTS_CSV.replaceAll('imagenet-resnet18,chest', 'imagenet-resnet99,chest') },
      /tiny-study\/results\.csv:8: field 'backbone': unknown backbone 'imagenet-resnet99'/,
    ],
    [
      'an unknown target',
      { 'signals.csv': SIGNALS_CSV.replace('tiny-chest-resnet18,isic', 'tiny-chest-resnet18,atlantis') },
      /tiny-study\/signals\.csv:3: field 'target': unknown dataset 'atlantis'/,
    ],
    [
      'a duplicate key',
      { 'results.csv': `${RESULTS_CSV},isic,2,0.73\n` },
      /tiny-study\/results\.csv:10: field 'fold': a second value for the baseline on isic fold 2/,
    ],
    [
      'NaN',
      { 'signals.csv': SIGNALS_CSV.replace('0.5', 'NaN') },
      /tiny-study\/signals\.csv:3: field 'value': 'NaN' is not a finite number/,
    ],
    [
      'a metric out of range',
      { 'results.csv': RESULTS_CSV.replace('0.78', '1.78') },
      /tiny-study\/results\.csv:4: field 'value': 1\.78 is outside the metric's range/,
    ],
    [
      'no licence',
      { 'study.yaml': STUDY_YAML.replace(/^licence: .*\n/m, '') },
      /tiny-study\/study\.yaml:1: field 'licence'/,
    ],
    [
      'no citation',
      { 'study.yaml': STUDY_YAML.replace(/^citation: .*\n/m, '') },
      /tiny-study\/study\.yaml:1: field 'citation'/,
    ],
  ];
  for (const [what, overrides, message] of bad) {
    test(`a study with ${what} is refused naming file, line and field, and nothing is stored`, async () => {
      const before = await snapshot(store);
      await assert.rejects(
        importStudy(store, tinyStudy(overrides)),
        (err: Error) => (assert.match(err.message, message), true),
      );
      assert.deepEqual(await snapshot(store), before);
    });
  }

  test('a new study goes in through the same path, once', async () => {
    const first = await importStudy(store, tinyStudy());
    assert.deepEqual(
      [first.outcome, first.backbones.created, first.results.added, first.signals.added],
      ['created', 1, 4, 2],
    );
    const runs = await allRuns(store.knex, { study: 'tiny-study' });
    assert.deepEqual(runs.map((r) => [r.backbone, r.target, r.protocol.metric]).sort(), [
      [null, 'isic', 'accuracy'],
      ['imagenet-resnet18', 'chest', 'accuracy'],
      ['imagenet-resnet18', 'isic', 'accuracy'],
      ['tiny-chest-resnet18', 'isic', 'accuracy'],
    ]);
    const before = await snapshot(store);
    const again = await importStudy(store, tinyStudy());
    assert.deepEqual(
      [again.outcome, again.backbones.unchanged, again.results.unchanged, again.signals.unchanged],
      ['unchanged', 1, 4, 2],
    );
    assert.deepEqual(await snapshot(store), before);
  });

  test('pair signals import all or nothing, and list per target', async () => {
    const rows = [
      {
        subject_kind: 'backbone',
        subject: 'imagenet-resnet18',
        target: 'breastmnist',
        signal: 'leep',
        value: -0.4,
        where: 'body.signals[0]',
      },
      {
        subject_kind: 'source',
        subject: 'imagenet',
        target: 'breastmnist',
        signal: 'task2vec_cosine@p1',
        value: 0.3,
        where: 'body.signals[1]',
      },
    ];
    const before = await snapshot(store);
    await assert.rejects(
      importPairSignals(
        store,
        [...rows, { ...rows[0]!, subject: 'nobody-resnet18', where: 'body.signals[2]' }],
        'contributor:jdoe',
      ),
      /body\.signals\[2\]: field 'subject': unknown backbone 'nobody-resnet18'/,
    );
    await assert.rejects(importPairSignals(store, rows), /body\.signals\[0\]: field 'provenance': required/);
    await assert.rejects(
      importPairSignals(store, [{ ...rows[0]!, value: Number.NaN }], 'contributor:jdoe'),
      /field 'value'/,
    );
    await assert.rejects(
      importPairSignals(store, [rows[0]!, { ...rows[0]!, value: -0.3, where: 'body.signals[1]' }], 'contributor:jdoe'),
      /body\.signals\[1\]: field 'signal': a second leep for backbone imagenet-resnet18 on breastmnist/,
    );
    assert.deepEqual(await snapshot(store), before);
    assert.deepEqual(await importPairSignals(store, rows, 'contributor:jdoe'), { added: 2, updated: 0, unchanged: 0 });
    assert.deepEqual(await importPairSignals(store, [{ ...rows[0]!, value: -0.5 }], 'contributor:jdoe'), {
      added: 0,
      updated: 1,
      unchanged: 0,
    });
    const listed = await listPairSignals(store.knex, { target: 'breastmnist', provenance: 'contributor:jdoe' });
    assert.deepEqual(
      listed.map((s) => [s.subject_kind, s.subject, s.signal, s.value]),
      [
        ['backbone', 'imagenet-resnet18', 'leep', -0.5],
        ['source', 'imagenet', 'task2vec_cosine@p1', 0.3],
      ],
    );
    // The published score for the same pair stays beside it, told apart by provenance.
    assert.equal(
      (await listPairSignals(store.knex, { target: 'breastmnist', signal: 'leep', subject: 'imagenet-resnet18' }))
        .length,
      2,
    );
  });
});
