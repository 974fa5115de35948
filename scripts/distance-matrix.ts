/**
 * Prints the Task2Vec distance matrix (task2vec_cosine) of the shipped bundled-probe embeddings in
 * datasets-registry/embeddings/mobilenet_v2_0.35_224/, and of any datasets named on the command
 * line from a store's computed embeddings under the same probe (the latest of each), so that the
 * matrix in a report can be rerun:
 *
 *   node --import tsx scripts/distance-matrix.ts
 *   TA_DATA_DIR=<store> node --import tsx scripts/distance-matrix.ts pneumoniamnist chest-a chest-b [--json]
 *
 * Each row also names its nearest other dataset.
 */
import { readRegistryEmbeddings } from '../src/registry/embeddings.js';
import { comparable, datasetEmbeddings, identityOf, openStore, storeConfigFromEnv } from '../src/services/index.js';
import { distanceMatrix, type ComparableEmbedding } from '../src/task2vec/index.js';

const PROBE_NAME = 'mobilenet_v2_0.35_224';
const args = process.argv.slice(2);
const json = args.includes('--json');
const stored = args.filter((a) => a !== '--json');

interface Named {
  readonly label: string;
  readonly embedding: ComparableEmbedding;
}

const shipped: Named[] = readRegistryEmbeddings('datasets-registry')
  .filter((e) => e.provenance.probe.name === PROBE_NAME)
  .sort((a, b) => a.provenance.dataset.localeCompare(b.provenance.dataset))
  .map((e) => ({
    label: e.provenance.dataset,
    embedding: comparable({ datasetId: e.provenance.dataset, hessian: e.hessian }, identityOf(e.provenance.probe)),
  }));

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
