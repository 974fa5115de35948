/**
 * The "Cats, not CAT scans" study's data (../shared/reference/cats-scans, tests only) as plain inputs
 * for the ranking domain: pair transferabilities, expert and Task2Vec distances.
 */
import { readFileSync } from 'node:fs';
import { parseNpy, toFloat64 } from '../../src/images/npy.js';
import {
  contributionsFromCsv,
  pairTransferabilities,
  validateBatch,
  type PairTransferability,
  type TransferResult,
} from '../../src/transfer/index.js';
import type { DistanceProxy, PairDistance } from '../../src/ranking/index.js';

const DIR = '../shared/reference/cats-scans';

export const EMBEDDED = ['chest', 'isic', 'kimia', 'pcam-middle', 'pcam-small', 'sti10', 'stl10', 'textures'] as const;

/** As in the study: ImageNet has no Task2Vec embedding and STL-10 stands in for it. */
export const STUDY_PROXY: DistanceProxy = { map: { imagenet: 'stl10' }, signals: ['task2vec', 'cosine'] };

export function studyResults(): TransferResult[] {
  const raw = contributionsFromCsv(readFileSync(`${DIR}/auc_folds.csv`, 'utf8'), {
    architecture: 'resnet50',
    contributor: 'cats-scans study',
  });
  if (!raw.ok) throw new Error(JSON.stringify(raw.errors));
  const batch = validateBatch(raw.value.items);
  if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
  return batch.value;
}

export function studyTransferabilities(): PairTransferability[] {
  return pairTransferabilities(studyResults());
}

export function studyExpertDistances(): PairDistance[] {
  const lines = readFileSync(`${DIR}/expert_distances.csv`, 'utf8').trim().split(/\r?\n/).slice(1);
  return lines.map((line) => {
    const [target, source, value] = line.split(',');
    return { signal: 'expert', source: source!, target: target!, value: Number(value) };
  });
}

/** Mean over the 10 subset embeddings of a dataset. */
function meanEmbedding(dataset: string): Float64Array {
  const array = parseNpy(readFileSync(`${DIR}/task2vec_${dataset}.npy`));
  const [rows, width] = array.shape as [number, number];
  const values = toFloat64(array);
  const out = new Float64Array(width);
  for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) out[j]! += values[r * width + j]! / rows;
  return out;
}

function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return 1 - ab / Math.sqrt(aa * bb);
}

/** Task2Vec's cosine: each Fisher entry divided by the pair's sum first, so large-magnitude filters do not dominate. */
function task2vecCosine(a: Float64Array, b: Float64Array): number {
  const x = new Float64Array(a.length);
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const s = a[i]! + b[i]!;
    x[i] = s === 0 ? 0 : a[i]! / s;
    y[i] = s === 0 ? 0 : b[i]! / s;
  }
  return cosineDistance(x, y);
}

/** Signals 'task2vec' (Task2Vec cosine) and 'cosine' (plain cosine) over every pair of embedded datasets. */
export function studyEmbeddingDistances(): PairDistance[] {
  const embeddings = new Map(EMBEDDED.map((d) => [d, meanEmbedding(d)] as const));
  const out: PairDistance[] = [];
  // Both distances are symmetric: computing each unordered pair once keeps ties (a,b) = (b,a) exact.
  EMBEDDED.forEach((source, i) => {
    for (const target of EMBEDDED.slice(i)) {
      const a = embeddings.get(source)!;
      const b = embeddings.get(target)!;
      out.push({ signal: 'task2vec', source, target, value: task2vecCosine(a, b) });
      out.push({ signal: 'cosine', source, target, value: cosineDistance(a, b) });
    }
  });
  return out;
}
