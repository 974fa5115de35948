/**
 * Prints the Task2Vec distance matrix (task2vec_cosine) of the shipped bundled-probe embeddings in
 * datasets-registry/embeddings/mobilenet_v2_0.35_224/, and of any datasets named on the command
 * line from a store's computed embeddings under the same probe (the latest of each), so that the
 * matrix in a report can be rerun:
 *
 *   node --import tsx scripts/distance-matrix.ts
 *   TA_DATA_DIR=<store> node --import tsx scripts/distance-matrix.ts pneumoniamnist chest-a chest-b [--json]
 *
 * Each row also names its nearest other dataset. --versus <registry folder> compares the shipped vectors
 * with those of another copy of the registry, e.g. an earlier commit's, to show how much a recomputation
 * (another sample count, another seed) moved each vector and each distance between two datasets:
 *
 *   mkdir -p /tmp/before && git archive <commit> datasets-registry | tar -x -C /tmp/before
 *   node --import tsx scripts/distance-matrix.ts --versus /tmp/before/datasets-registry
 */
import { readRegistryEmbeddings } from '../src/registry/embeddings.js';
import { comparable, datasetEmbeddings, identityOf, openStore, storeConfigFromEnv } from '../src/services/index.js';
import { parseArgs } from 'node:util';
import { distance, distanceMatrix, type ComparableEmbedding } from '../src/task2vec/index.js';

const PROBE_NAME = 'mobilenet_v2_0.35_224';
const { values: opts, positionals: stored } = parseArgs({
  options: { json: { type: 'boolean', default: false }, versus: { type: 'string' } },
  allowPositionals: true,
});
const json = opts.json;

interface Named {
  readonly label: string;
  readonly embedding: ComparableEmbedding;
}

interface Shipped extends Named {
  readonly samples: unknown;
}

function shippedIn(registry: string): Shipped[] {
  return readRegistryEmbeddings(registry)
    .filter((e) => e.provenance.probe.name === PROBE_NAME)
    .sort((a, b) => a.provenance.dataset.localeCompare(b.provenance.dataset))
    .map((e) => ({
      label: e.provenance.dataset,
      samples: e.provenance.options.samples,
      embedding: comparable({ datasetId: e.provenance.dataset, hessian: e.hessian }, identityOf(e.provenance.probe)),
    }));
}

const shipped = shippedIn('datasets-registry');

if (opts.versus !== undefined) {
  const before = new Map(shippedIn(opts.versus).map((b) => [b.label, b]));
  const both = shipped.filter((s) => before.has(s.label));
  const was = (s: Shipped): Shipped => before.get(s.label)!;
  const d = (a: ComparableEmbedding, b: ComparableEmbedding): number => distance(a, b, 'task2vec_cosine');
  const moved = both.map((s) => ({
    dataset: s.label,
    samples: [s.samples, was(s).samples],
    distance: d(s.embedding, was(s).embedding),
  }));
  const pairs = both.flatMap((a, i) =>
    both.slice(i + 1).map((b) => {
      const now = d(a.embedding, b.embedding);
      const then = d(was(a).embedding, was(b).embedding);
      return { pair: [a.label, b.label], now, before: then, change: (now - then) / then };
    }),
  );
  if (json) {
    console.log(JSON.stringify({ moved, pairs }, null, 2));
  } else {
    console.log('each vector against its earlier one (samples now / before): task2vec_cosine');
    for (const m of moved) console.log(`  ${m.dataset} (${m.samples.join(' / ')}): ${m.distance.toFixed(3)}`);
    console.log('distances between datasets: now, before, change');
    for (const p of pairs) {
      const pct = `${p.change >= 0 ? '+' : ''}${(100 * p.change).toFixed(0)}%`;
      console.log(`  ${p.pair.join(' - ').padEnd(30)} ${p.now.toFixed(3)} ${p.before.toFixed(3)} ${pct.padStart(5)}`);
    }
    const worst = [...pairs].sort((a, b) => Math.abs(b.change) - Math.abs(a.change))[0];
    if (worst) console.log(`largest change: ${worst.pair.join(' - ')} ${(100 * worst.change).toFixed(0)}%`);
  }
  process.exit(0);
}

const probe = shipped[0]?.embedding.probe;
const extra: Named[] = [];
if (stored.length > 0) {
  const store = await openStore(storeConfigFromEnv());
  try {
    for (const id of stored) {
      const e = (await datasetEmbeddings(store, id, probe?.id)).filter((x) => x.origin === 'computed').at(-1);
      if (!e) throw new Error(`dataset ${id} has no computed embedding under probe ${probe?.id} in this store`);
      const label = shipped.some((s) => s.label === id) ? `${id} (store)` : id;
      extra.push({ label, embedding: comparable({ ...e, datasetId: label }, identityOf(e.probe)) });
    }
  } finally {
    await store.close();
  }
}

const all = [...shipped, ...extra];
const m = distanceMatrix(all.map((a) => a.embedding));
const at = (i: number, j: number): number => m.values[i * m.size + j]!;
if (json) {
  console.log(
    JSON.stringify(
      { labels: all.map((a) => a.label), distances: all.map((_, i) => all.map((__, j) => at(i, j))) },
      null,
      2,
    ),
  );
} else {
  const width = Math.max(...all.map((a) => a.label.length));
  console.log(['', ...all.map((_, j) => String(j + 1).padStart(5))].join(' ').padStart(width + 1));
  all.forEach((a, i) => {
    let nearest = -1;
    all.forEach((_, j) => {
      if (j !== i && (nearest < 0 || at(i, j) < at(i, nearest))) nearest = j;
    });
    const row = all.map((_, j) => (i === j ? '    -' : at(i, j).toFixed(3).padStart(5)));
    console.log(`${`${i + 1} ${a.label}`.padEnd(width + 4)} ${row.join(' ')}   nearest: ${all[nearest]?.label ?? '-'}`);
  });
}
