import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  contributionsFromCsv,
  pairTransferabilities,
  transferability,
  transferabilityTable,
  validateBatch,
  type TransferResult,
} from '../../src/transfer/index.js';

function studyResults(): TransferResult[] {
  const csv = readFileSync('../shared/reference/cats-scans/auc_folds.csv', 'utf8');
  const raw = contributionsFromCsv(csv, { architecture: 'resnet50', contributor: 'cats-scans study' });
  assert.ok(raw.ok, JSON.stringify(raw));
  const batch = validateBatch(raw.value.items);
  assert.ok(batch.ok, JSON.stringify(batch));
  return batch.value;
}

// Reference values from numpy: T = (v - b) / b * 100 per fold, then mean and np.std(ddof=1).
const REFERENCE: [string, string, number, number, number][] = [
  ['imagenet', 'isic', 7.716475164456504, 7.511348653765024, 0.8202741489446512],
  ['chest', 'pcam-middle', -10.65996471590367, -11.141029285459698, 0.6080221099858139],
  ['pcam-small', 'chest', 0.8939219146075909, -1.1170071909474697, 1.3852862332524827],
];

test("the study's CSV imports as 3 baselines and 21 transfers", () => {
  const results = studyResults();
  assert.equal(results.length, 24);
  assert.equal(results.filter((r) => r.source === null).length, 3);
});

test('transferability is computed fold by fold against the matching baseline', () => {
  const results = studyResults();
  const table = transferabilityTable(results);
  assert.equal(table.length, 21);
  for (const [source, target, fold1, mean, std] of REFERENCE) {
    const row = table.find((r) => r.result.source === source && r.result.target === target);
    assert.ok(row?.transferability.ok, `${source}->${target}`);
    const t = row.transferability;
    assert.ok(Math.abs(t.folds[0]! - fold1) < 1e-10);
    assert.ok(Math.abs(t.mean - mean) < 1e-10);
    assert.ok(Math.abs(t.std! - std) < 1e-10);
  }
  const pairs = pairTransferabilities(results);
  assert.equal(pairs.length, 21);
});

test('a result without a matching baseline says why', () => {
  const results = studyResults();
  const transfer = results.find((r) => r.source === 'imagenet' && r.target === 'isic')!;
  const otherProtocol = { ...transfer, protocol: { ...transfer.protocol, imageSize: 224 } };
  const outcome = transferability(otherProtocol, results);
  assert.ok(!outcome.ok);
  assert.equal(outcome.reason, 'no-matching-baseline');
  assert.match(outcome.message, /target 'isic', architecture 'resnet50', 5 folds of auc-ovr-weighted, image size 224/);
  const otherArchitecture = transferability({ ...transfer, architecture: 'densenet121' }, results);
  assert.ok(!otherArchitecture.ok);
  const baseline = transferability(
    results.find((r) => r.source === null)!,
    results,
  );
  assert.ok(!baseline.ok && baseline.reason === 'is-baseline');
});

test('several matching baselines are averaged fold-wise and named', () => {
  const base = {
    target: 'x',
    architecture: 'a',
    protocol: { folds: 2, metric: 'auc-ovr-weighted' as const },
    provenance: { contributor: 'c' },
  };
  const results = [
    { ...base, id: 'b1', source: null, foldValues: [0.8, 0.9] },
    { ...base, id: 'b2', source: null, foldValues: [0.6, 0.7] },
    { ...base, id: 't', source: 's', foldValues: [0.77, 0.88] },
  ];
  const outcome = transferability(results[2]!, results);
  assert.ok(outcome.ok);
  assert.deepEqual(outcome.baselineIds, ['b1', 'b2']);
  assert.ok(Math.abs(outcome.folds[0]! - 10) < 1e-9);
  assert.ok(Math.abs(outcome.folds[1]! - 10) < 1e-9);
});

test('CSV problems are reported by file line', () => {
  const bad = contributionsFromCsv('source,target,fold_1,fold_2\nimagenet,isic,0.9\n');
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors, [{ field: 'line 2', message: 'has 3 fields, the header has 4' }]);
  const blankLines = contributionsFromCsv('source,target,fold_1\n\nimagenet,isic,0.9\n\nstl10,isic,0.8\n', {
    architecture: 'r',
  });
  assert.ok(blankLines.ok);
  assert.deepEqual(blankLines.value.lines, [3, 5]);
  const noFolds = contributionsFromCsv('source,target,auc\n');
  assert.ok(!noFolds.ok);
  const quoted = contributionsFromCsv('source,target,fold_1,notes\r\nimagenet,isic,0.9,"lr 1e-4, ""warm"" start"\r\n', {
    architecture: 'r',
  });
  assert.ok(quoted.ok);
  assert.deepEqual((quoted.value.items[0] as { protocol: { notes: string } }).protocol.notes, 'lr 1e-4, "warm" start');
});
