import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateKey, validateBatch, validateContribution } from '../../src/transfer/index.js';

const known = new Set(['isic', 'chest', 'imagenet']);
const context = { isKnownDataset: (id: string) => known.has(id) };

function contribution(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'imagenet',
    target: 'isic',
    architecture: 'resnet50',
    protocol: { folds: 3, metric: 'auc-ovr-weighted', image_size: 112, epochs: 50 },
    folds: [
      { fold: 1, value: 0.94 },
      { fold: 2, value: 0.95 },
      { fold: 3, value: 0.93 },
    ],
    provenance: { contributor: 'ada', doi: 'https://doi.org/10.1109/ISBI48211.2021.9434021' },
    ...overrides,
  };
}

test('a valid contribution is normalised', () => {
  const outcome = validateContribution(
    contribution({
      folds: [
        { fold: 3, value: 0.93 },
        { fold: 1, value: 0.94 },
        { fold: 2, value: 0.95 },
      ],
    }),
    context,
  );
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(outcome.value.foldValues, [0.94, 0.95, 0.93]);
  assert.equal(outcome.value.provenance.doi, '10.1109/ISBI48211.2021.9434021');
  assert.equal(outcome.value.source, 'imagenet');
});

test('baselines written as "none" or as source == target become source null', () => {
  for (const source of ['none', 'None', 'isic', null]) {
    const outcome = validateContribution(contribution({ source }), context);
    assert.ok(outcome.ok, `${source}: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.value.source, null);
  }
  const a = validateContribution(contribution({ source: 'none' }), context);
  const b = validateContribution(contribution({ source: 'isic' }), context);
  assert.ok(a.ok && b.ok);
  assert.equal(duplicateKey(a.value), duplicateKey(b.value));
});

test('an AUC of 1.3 is rejected at its fold', () => {
  const outcome = validateContribution(
    contribution({
      folds: [
        { fold: 1, value: 0.9 },
        { fold: 2, value: 1.3 },
        { fold: 3, value: 0.9 },
      ],
    }),
    context,
  );
  assert.ok(!outcome.ok);
  assert.deepEqual(outcome.errors, [{ field: 'folds[1].value', message: 'metric value must lie in [0, 1], got 1.3' }]);
});

test('a missing fold, a repeated fold and an extra fold are named', () => {
  const missing = validateContribution(
    contribution({
      folds: [
        { fold: 1, value: 0.9 },
        { fold: 3, value: 0.9 },
      ],
    }),
    context,
  );
  assert.ok(!missing.ok);
  assert.deepEqual(missing.errors, [{ field: 'folds', message: 'protocol has 3 folds but fold 2 is missing' }]);
  const repeated = validateContribution(
    contribution({ folds: [0.9, 0.9, 0.9, 0.8].map((value, i) => ({ fold: i === 3 ? 2 : i + 1, value })) }),
    context,
  );
  assert.ok(!repeated.ok);
  assert.deepEqual(repeated.errors, [{ field: 'folds[3].fold', message: 'fold 2 appears more than once' }]);
  const extra = validateContribution(contribution({ folds: [0.9, 0.9, 0.9, 0.9] }), context);
  assert.ok(!extra.ok);
  assert.deepEqual(extra.errors, [{ field: 'folds', message: 'protocol has 3 folds but fold 4 was given' }]);
});

test('unknown datasets, missing architecture and a bad protocol are all reported at once', () => {
  const outcome = validateContribution(
    contribution({ source: 'cifar', architecture: ' ', protocol: { folds: 0, metric: 'f1-macro', epochs: 2.5 } }),
    context,
  );
  assert.ok(!outcome.ok);
  assert.deepEqual(
    outcome.errors.map((e) => e.field),
    ['source', 'architecture', 'protocol.folds', 'protocol.metric', 'protocol.epochs'],
  );
  assert.match(outcome.errors[0]!.message, /unknown dataset 'cifar'/);
  assert.match(outcome.errors[3]!.message, /auc-ovr-weighted/);
});

test('provenance needs a contributor unless the caller supplies one, and checks DOI and URL', () => {
  const anonymous = validateContribution(contribution({ provenance: { doi: 'nonsense', url: 'ftp://x' } }), context);
  assert.ok(!anonymous.ok);
  assert.deepEqual(
    anonymous.errors.map((e) => e.field),
    ['provenance.contributor', 'provenance.doi', 'provenance.url'],
  );
  const authenticated = validateContribution(contribution({ provenance: undefined }), {
    ...context,
    contributor: 'grace',
  });
  assert.ok(authenticated.ok);
  assert.equal(authenticated.value.provenance.contributor, 'grace');
});

test('a batch is rejected whole when one item is bad or two items are the same result', () => {
  const bad = validateBatch([contribution(), contribution({ target: 'chest', folds: [0.9, 1.3, 0.9] })], context);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors, [{ field: '[1].folds[1]', message: 'metric value must lie in [0, 1], got 1.3' }]);
  const duplicated = validateBatch(
    [
      contribution(),
      contribution({ target: 'chest' }),
      contribution({
        protocol: { folds: 3, metric: 'auc-ovr-weighted', image_size: 112, epochs: 50, notes: 'resubmitted' },
      }),
    ],
    context,
  );
  assert.ok(!duplicated.ok);
  assert.deepEqual(
    duplicated.errors.map((e) => e.field),
    ['[2]'],
  );
  assert.match(duplicated.errors[0]!.message, /duplicates result \[0\]/);
  const fine = validateBatch([contribution(), contribution({ target: 'chest' })], context);
  assert.ok(fine.ok);
  assert.equal(fine.value.length, 2);
  assert.ok(!validateBatch([], context).ok);
});

test('different values or protocols are not duplicates', () => {
  const a = validateContribution(contribution(), context);
  const b = validateContribution(contribution({ folds: [0.94, 0.95, 0.931] }), context);
  const c = validateContribution(
    contribution({ protocol: { folds: 3, metric: 'auc-ovr-weighted', image_size: 224, epochs: 50 } }),
    context,
  );
  assert.ok(a.ok && b.ok && c.ok);
  assert.notEqual(duplicateKey(a.value), duplicateKey(b.value));
  assert.notEqual(duplicateKey(a.value), duplicateKey(c.value));
});
