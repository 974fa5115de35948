import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  PublishedExpertDistances,
  agreementPerProperty,
  expertDistance,
  fleissKappa,
  hammingDistance,
  majorityVote,
  parseExpertFeatures,
  parsePublishedExpertDistances,
  type ExpertFeatures,
} from '../../src/experts/index.js';

const chestXray: ExpertFeatures = {
  origin: 'medical',
  colour: 'grey',
  content: 'objects',
  kind: 'organs-anatomy',
  diversity: 'low',
  classes: '2',
};
const isic: ExpertFeatures = {
  origin: 'medical',
  colour: 'colour',
  content: 'textures',
  kind: 'skin',
  diversity: 'medium',
  classes: '3-10',
};
const stl10: ExpertFeatures = {
  origin: 'natural',
  colour: 'colour',
  content: 'objects',
  kind: 'animals',
  diversity: 'high',
  classes: '3-10',
};

test('answers are checked against the closed vocabulary, every wrong field reported', () => {
  assert.deepEqual(parseExpertFeatures({ ...chestXray }), chestXray);
  assert.throws(
    () => parseExpertFeatures({ ...chestXray, origin: 'Medical', diversity: undefined, shape: 'round' }),
    (e: Error & { fields?: { field: string }[] }) => {
      assert.deepEqual(
        e.fields?.map((f) => f.field),
        ['origin', 'diversity', 'shape'],
      );
      assert.match(e.message, /'Medical' is not allowed; one of natural, medical/);
      return true;
    },
  );
  assert.throws(() => parseExpertFeatures(['medical']), /object/);
});

test('the majority vote takes each property separately', () => {
  const vote = majorityVote([
    chestXray,
    { ...chestXray, diversity: 'medium' },
    { ...chestXray, colour: 'colour', diversity: 'medium' },
  ]);
  assert.deepEqual(vote.features, { ...chestXray, diversity: 'medium' });
  assert.equal(vote.observers, 3);
  assert.deepEqual(vote.votes.colour, { value: 'grey', votes: 2, total: 3, tiedWith: [] });
});

test('a tie goes to the value listed first in the vocabulary, whatever the order of answers, and is flagged', () => {
  const a = { ...chestXray, diversity: 'high' as const };
  const b = { ...chestXray, diversity: 'low' as const };
  for (const answers of [
    [a, b],
    [b, a],
  ]) {
    const vote = majorityVote(answers);
    assert.equal(vote.features.diversity, 'low');
    assert.deepEqual(vote.votes.diversity.tiedWith, ['low', 'high']);
  }
  assert.throws(() => majorityVote([]), /at least one/);
});

test("Fleiss' kappa reproduces the common worked example (10 subjects, 14 raters, kappa 0.210)", () => {
  const rows = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
  ];
  const k = fleissKappa(rows);
  assert.ok(Math.abs(k.kappa! - 0.20993070442195522) < 1e-12, `${k.kappa}`);
  assert.ok(Math.abs(k.observed! - 0.378021978021978) < 1e-12);
  assert.ok(Math.abs(k.expected! - 0.21275510204081632) < 1e-12);
  assert.equal(k.subjects, 10);
});

test('kappa is 1 for perfect agreement over varied answers, undefined when only one category is ever used', () => {
  const perDataset = [
    [chestXray, chestXray, chestXray],
    [isic, isic],
    [stl10, stl10, stl10, stl10],
  ];
  const agreement = agreementPerProperty(perDataset);
  assert.equal(agreement.kind.kappa, 1);
  assert.equal(agreement.kind.subjects, 3);
  assert.equal(agreement.kind.answers, 9);
  const allGrey = agreementPerProperty([
    [chestXray, chestXray],
    [
      { ...isic, colour: 'grey' },
      { ...isic, colour: 'grey' },
    ],
  ]);
  assert.equal(allGrey.colour.kappa, null);
  assert.equal(allGrey.colour.observed, 1);
  const lone = agreementPerProperty([[chestXray], [isic]]);
  assert.equal(lone.origin.kappa, null);
  assert.equal(lone.origin.subjects, 0);
});

test('systematic disagreement gives a negative kappa', () => {
  const k = agreementPerProperty([
    [chestXray, { ...chestXray, origin: 'natural' }],
    [isic, { ...isic, origin: 'natural' }],
  ]);
  assert.ok(k.origin.kappa! < 0, `${k.origin.kappa}`);
});

test('the Hamming distance counts differing properties over the six', () => {
  assert.equal(hammingDistance(chestXray, chestXray), 0);
  assert.equal(hammingDistance(chestXray, isic), 5);
  assert.equal(hammingDistance(isic, stl10), 4);
  assert.equal(hammingDistance(chestXray, { ...chestXray, classes: 'over-100' }), 1);
});

test('published distances take precedence for their pairs, in either order, with their source', () => {
  const csv = readFileSync('../shared/reference/cats-scans/expert_distances.csv', 'utf8');
  const source = 'van den Brandt et al. 2021, Cats, not CAT scans (vcheplygina/cats-scans)';
  const published = new PublishedExpertDistances(parsePublishedExpertDistances(csv, source));
  const features = new Map<string, ExpertFeatures>([
    ['chest', chestXray],
    ['isic', isic],
    ['stl10', stl10],
    ['mine', { ...isic, kind: 'cells' }],
  ]);
  // Our guessed features put chest and isic 5 apart; the study's observers said 2.
  assert.deepEqual(expertDistance('isic', 'chest', features, published), {
    a: 'isic',
    b: 'chest',
    distance: 2,
    from: { kind: 'published', source },
  });
  assert.equal(expertDistance('stl10', 'pcam-middle', features, published).distance, 4);
  assert.deepEqual(expertDistance('mine', 'isic', features, published), {
    a: 'mine',
    b: 'isic',
    distance: 1,
    from: { kind: 'computed' },
  });
  assert.equal(expertDistance('nobody', 'nobody', features, published).distance, 0);
  assert.throws(() => expertDistance('mine', 'nobody', features, published), /no observer answers yet for 'nobody'/);
});

test('contradictory or impossible published figures are refused', () => {
  assert.throws(
    () =>
      new PublishedExpertDistances([
        { a: 'x', b: 'y', distance: 2, source: 's1' },
        { a: 'y', b: 'x', distance: 3, source: 's2' },
      ]),
    /disagree for y-x: 2 \(s1\) and 3 \(s2\)/,
  );
  assert.throws(() => new PublishedExpertDistances([{ a: 'x', b: 'y', distance: 7, source: 's' }]), /0\.\.6/);
  assert.throws(() => parsePublishedExpertDistances('a,b,c\n1,2,3', 's'), /target, source, hamming_distance/);
});
