import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseNpy } from '../../src/images/npy.js';
import type { ProbeIdentity } from '../../src/probes/probe.js';
import type { ComparableEmbedding } from '../../src/task2vec/embedding.js';
import {
  DISTANCE_NAMES,
  asymmetricDistance,
  asymmetricDistanceMatrix,
  distance,
  distanceMatrix,
  type DistanceName,
} from '../../src/task2vec/distance.js';

const RESNET: ProbeIdentity = {
  id: 'resnet50-torchvision-imagenet',
  name: 'resnet50',
  architecture: 'resnet50',
  inputSize: 224,
  pixelScaling: 'imagenet-mean-std',
};
const MOBILENET: ProbeIdentity = {
  id: 'a1b2c3d4e5f6a7b8c9d0',
  name: 'mobilenet_v2_0.35_224',
  architecture: 'mobilenet_v2',
  inputSize: 224,
  pixelScaling: 'minus1to1',
};

const emb = (values: ArrayLike<number>, probe: ProbeIdentity = RESNET, dataset?: string): ComparableEmbedding => {
  const hessian = Float32Array.from(values);
  return {
    hessian,
    scale: new Float32Array(hessian.length).fill(1),
    probe,
    ...(dataset === undefined ? {} : { dataset }),
  };
};

interface Pair {
  a: string;
  b: string;
  subset: number;
  task2vec_cosine: number;
  plain_cosine: number;
}

function catsScansSubset0(name: string): ComparableEmbedding {
  const npy = parseNpy(readFileSync(`../shared/reference/cats-scans/task2vec_${name}.npy`));
  const width = npy.shape[1]!;
  return emb((npy.data.values as Float32Array).subarray(0, width), RESNET, name);
}

test('task2vec_cosine and plain_cosine match the cats-scans fixture to 1e-6, pairwise and in the matrix', () => {
  const fixture = JSON.parse(readFileSync('../shared/fixtures/task2vec/catsscans_distances.json', 'utf8')) as {
    pairs: Pair[];
  };
  const names = [...new Set(fixture.pairs.flatMap((p) => [p.a, p.b]))].sort();
  assert.equal(names.length, 8);
  const embeddings = new Map(names.map((n) => [n, catsScansSubset0(n)]));
  const t2v = distanceMatrix([...embeddings.values()], 'task2vec_cosine');
  const plain = distanceMatrix([...embeddings.values()], 'plain_cosine');
  assert.equal(fixture.pairs.length, 28);
  for (const pair of fixture.pairs) {
    assert.equal(pair.subset, 0);
    const a = embeddings.get(pair.a)!;
    const b = embeddings.get(pair.b)!;
    const i = names.indexOf(pair.a);
    const j = names.indexOf(pair.b);
    for (const [name, want, matrix] of [
      ['task2vec_cosine', pair.task2vec_cosine, t2v],
      ['plain_cosine', pair.plain_cosine, plain],
    ] as const) {
      const got = distance(a, b, name);
      assert.ok(Math.abs(got - want) < 1e-6, `${name}(${pair.a}, ${pair.b}) = ${got}, want ${want}`);
      assert.equal(matrix.values[i * 8 + j], got);
      assert.equal(matrix.values[j * 8 + i], got);
    }
  }
  for (let i = 0; i < 8; i++) assert.equal(t2v.values[i * 9], 0);
});

test('embeddings of different probes are refused with both probes named', () => {
  const a = emb([1, 2, 3], RESNET, 'chest');
  const b = emb([1, 2, 3], MOBILENET, 'isic');
  for (const name of DISTANCE_NAMES) {
    assert.throws(
      () => distance(a, b, name),
      (e: Error) => {
        assert.match(e.message, /resnet50/);
        assert.match(e.message, /mobilenet_v2_0\.35_224/);
        assert.match(e.message, /'chest'/);
        assert.match(e.message, /'isic'/);
        return true;
      },
    );
  }
  assert.throws(() => distanceMatrix([a, emb([1, 2, 3]), b]), /mobilenet_v2_0\.35_224/);
});

test('the same probe at another input size is refused, naming the sizes', () => {
  const small = { ...RESNET, inputSize: 96 };
  assert.throws(() => distance(emb([1, 2]), emb([1, 2], small)), /224 px.*96 px/);
});

const finite = (x: number): boolean => Number.isFinite(x);

test('all-zero embeddings: identical to each other, finite against anything', () => {
  const zero = emb([0, 0, 0, 0]);
  const some = emb([1e-5, 0, 3e-4, 2e-6]);
  for (const name of DISTANCE_NAMES) {
    assert.equal(distance(zero, zero, name), 0, `${name}(0, 0)`);
    const d = distance(zero, some, name);
    assert.ok(finite(d) && d > 0, `${name}(0, x) = ${d}`);
    assert.equal(distance(some, zero, name), d, `${name} is symmetric`);
  }
  assert.equal(distance(zero, some, 'plain_cosine'), 1);
  assert.equal(distance(zero, some, 'task2vec_cosine'), 1);
});

test('constant embeddings are at cosine distance 0 whatever their level, and finite under every distance', () => {
  const low = emb(new Array(16).fill(1e-7));
  const high = emb(new Array(16).fill(3e-3));
  for (const name of ['task2vec_cosine', 'plain_cosine', 'normalized_cosine'] as const) {
    assert.ok(Math.abs(distance(low, high, name)) < 1e-12, name);
  }
  for (const name of ['kl', 'jsd'] as const) {
    const d = distance(low, high, name);
    assert.ok(finite(d) && d > 0, `${name} = ${d}`);
  }
});

test('dead filters: zero in both contributes nothing; zero in one is floored, never NaN or Infinity', () => {
  const a = emb([2e-4, 1e-5, 0, 3e-6]);
  const b = emb([1e-4, 2e-5, 0, 0]);
  const trimmedA = emb([2e-4, 1e-5, 3e-6]);
  const trimmedB = emb([1e-4, 2e-5, 0]);
  for (const name of DISTANCE_NAMES) {
    const d = distance(a, b, name);
    assert.ok(finite(d) && d >= 0, `${name} = ${d}`);
    if (name !== 'jsd')
      assert.ok(Math.abs(d - distance(trimmedA, trimmedB, name)) < 1e-9, `${name} ignores a filter dead in both`);
  }
  // jsd is a mean over all filters: the shared dead filter adds 0 to the sum but counts.
  assert.ok(Math.abs(distance(a, b, 'jsd') * 4 - distance(trimmedA, trimmedB, 'jsd') * 3) < 1e-9);
});

test('kl and jsd follow the reference formulas on Gaussians of variance 1/h', () => {
  const h0 = [2, 0.5, 1];
  const h1 = [1, 1, 1];
  let kl = 0;
  let jsd = 0;
  for (let i = 0; i < 3; i++) {
    const v0 = 1 / h0[i]!;
    const v1 = 1 / h1[i]!;
    const k0 = 0.5 * (v0 / v1 - 1 + Math.log(v1) - Math.log(v0));
    const k1 = 0.5 * (v1 / v0 - 1 + Math.log(v0) - Math.log(v1));
    kl += Math.max(k0, k1);
    const m = 0.5 * (v0 + v1);
    jsd += 0.5 * (0.5 * (v0 / m - 1 + Math.log(m) - Math.log(v0)) + 0.5 * (v1 / m - 1 + Math.log(m) - Math.log(v1)));
  }
  assert.ok(Math.abs(distance(emb(h0), emb(h1), 'kl') - kl) < 1e-12);
  assert.ok(Math.abs(distance(emb(h0), emb(h1), 'jsd') - jsd / 3) < 1e-12);
  assert.equal(distance(emb(h0), emb(h0), 'kl'), 0);
});

test('normalized_cosine compares the variances scale/h', () => {
  const a: ComparableEmbedding = { hessian: Float32Array.of(1, 2, 4), scale: Float32Array.of(2, 2, 2), probe: RESNET };
  const b = emb([2, 4, 8]);
  // Variances 2/h = [2, 1, 0.5] and 1/h = [0.5, 0.25, 0.125] are parallel.
  assert.ok(Math.abs(distance(a, b, 'normalized_cosine')) < 1e-12);
  assert.ok(distance(emb([1, 2, 4]), emb([4, 2, 1]), 'normalized_cosine') > 0.1);
});

test('entries no Fisher estimate produces are refused', () => {
  assert.throws(() => distance(emb([1, Number.NaN]), emb([1, 2])), /NaN/);
  assert.throws(() => distance(emb([1, -2]), emb([1, 2])), /non-negative/);
  assert.throws(() => distance(emb([1, Infinity]), emb([1, 2])), /Infinity/);
  assert.throws(() => distance(emb([1, 2]), emb([1, 2, 3])), /2 entries.*3 entries/);
  assert.throws(() => distance(emb([1, 2]), emb([1, 2]), 'euclid' as DistanceName), /unknown distance 'euclid'/);
});

test('the asymmetric distance subtracts alpha times the distance to the trivial embedding', () => {
  const a = emb([3e-4, 1e-5, 2e-6, 0]);
  const b = emb([1e-4, 4e-5, 1e-6, 1e-7]);
  const c = emb([5e-5, 5e-5, 5e-5, 5e-5]);
  const trivial = emb([1e-6, 1e-6, 1e-6, 1e-6]);
  const want = distance(a, b) - 0.15 * distance(a, trivial);
  assert.ok(Math.abs(asymmetricDistance(a, b, trivial) - want) < 1e-15);
  assert.notEqual(asymmetricDistance(a, b, trivial), asymmetricDistance(b, a, trivial));
  const m = asymmetricDistanceMatrix([a, b, c], trivial, { alpha: 0.3, base: 'jsd' });
  const all = [a, b, c];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const expected = asymmetricDistance(all[i]!, all[j]!, trivial, { alpha: 0.3, base: 'jsd' });
      assert.ok(Math.abs(m.values[i * 3 + j]! - expected) < 1e-15, `(${i}, ${j})`);
    }
  }
  assert.throws(() => asymmetricDistance(a, b, emb([1, 1, 1, 1], MOBILENET)), /mobilenet/);
});
