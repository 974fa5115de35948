import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCsv } from '../../src/csv.js';
import { hammingDistance } from '../../src/experts/index.js';
import { readRegistryDatasets } from '../../src/registry/index.js';

const features = new Map(
  readRegistryDatasets('datasets-registry').flatMap((f) =>
    f.dataset.expert_features ? [[f.dataset.id, f.dataset.expert_features] as const] : [],
  ),
);
const published = parseCsv(readFileSync('datasets-registry/published/cats-scans/expert_distances.csv', 'utf8'), [
  'target',
  'source',
  'hamming_distance',
]).rows.map((r) => ({
  target: r.values.target!,
  source: r.values.source!,
  distance: Number(r.values.hamming_distance),
}));

test("the registry's derived expert features reproduce 26 of the study's 27 published distances", () => {
  const mismatches = published.filter(
    (p) => hammingDistance(features.get(p.target)!, features.get(p.source)!) !== p.distance,
  );
  assert.equal(published.length, 27);
  assert.deepEqual(
    mismatches.map((p) => `${p.target}-${p.source}: published ${p.distance}`),
    ['chest-kimia: published 3'],
  );
});

test('no assignment reproduces all 27: the published figures break the triangle inequality', () => {
  const d = (a: string, b: string) =>
    published.find((p) => (p.target === a && p.source === b) || (p.target === b && p.source === a))!.distance;
  // A Hamming distance obeys d(chest, pcam) <= d(chest, kimia) + d(kimia, pcam); the study's figures do not.
  assert.ok(d('chest', 'pcam-middle') > d('chest', 'kimia') + d('pcam-middle', 'kimia'));
});
