import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { upsertDataset, type UpsertOutcome } from '../store/datasets.js';
import { existingBackboneIds } from '../store/backbones.js';
import { checkStudyIds, parseStudy, readStudyFolder, type Study } from '../studies/index.js';
import { readRegistryDatasets } from '../registry/index.js';
import type { Db } from './session.js';
import { readRegistryEmbeddings } from '../registry/embeddings.js';
import { checkRegistryEmbeddingDatasets, seedRegistryEmbeddings } from './seed-embeddings.js';
import { writeStudy, writeStudyHeader, type StudyLoadSummary } from './studies.js';

export interface SeedSummary {
  readonly datasets: Record<UpsertOutcome, string[]>;
  readonly studies: StudyLoadSummary[];
  readonly results: { readonly added: number; readonly unchanged: number };
  readonly expertDistances: { readonly replaced: boolean; readonly count: number };
  readonly embeddings: { readonly added: number; readonly unchanged: number };
}

/** Every study folder under `<registry>/published/`, parsed and checked on its own, in name order. */
export function readRegistryStudies(registry: string): Study[] {
  const root = join(registry, 'published');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'study.yaml')))
    .map((d) => d.name)
    .sort()
    .map((name) => parseStudy(readStudyFolder(join(root, name))));
}

/**
 * Loads the registry into the store. Every file is read and checked before the first write,
 * and all writes share one transaction, so a bad file leaves the store as it was.
 */
export async function seedRegistry(db: Db, registry: string): Promise<SeedSummary> {
  const files = readRegistryDatasets(registry);
  const studies = readRegistryStudies(registry);
  const datasetIds = new Set(files.map((f) => f.dataset.id));
  // Backbones of every study count as known for every other: one study may rank another's backbones.
  const backboneIds = new Set([
    ...(await existingBackboneIds(db.knex)),
    ...studies.flatMap((s) => s.backbones.map((b) => b.id)),
  ]);
  for (const s of studies) checkStudyIds(s, { datasets: datasetIds, backbones: backboneIds });
  const shipped = readRegistryEmbeddings(registry);
  checkRegistryEmbeddingDatasets(shipped, datasetIds);

  return db.knex.transaction(async (trx) => {
    const datasets: Record<UpsertOutcome, string[]> = { created: [], updated: [], unchanged: [] };
    for (const f of files) datasets[await upsertDataset(trx, f.dataset, 'registry')].push(f.dataset.id);
    // Every study's backbones first, so that a study may refer to a backbone another study introduces.
    const headers = [];
    for (const s of studies) headers.push(await writeStudyHeader(trx, s));
    const loaded: StudyLoadSummary[] = [];
    for (const [i, s] of studies.entries()) loaded.push(await writeStudy(trx, s, headers[i]));
    const registryEmbeddings = await seedRegistryEmbeddings(trx, shipped, (e) => relative(registry, e.path));
    return {
      datasets,
      studies: loaded,
      results: {
        added: sum(loaded.map((x) => x.results.added)),
        unchanged: sum(loaded.map((x) => x.results.unchanged)),
      },
      expertDistances: {
        replaced: loaded.some((x) => x.expertDistances.replaced),
        count: sum(loaded.map((x) => x.expertDistances.count)),
      },
      embeddings: {
        added: sum(loaded.map((x) => x.embeddings.added)) + registryEmbeddings.added,
        unchanged: sum(loaded.map((x) => x.embeddings.unchanged)) + registryEmbeddings.unchanged,
      },
    };
  });
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
