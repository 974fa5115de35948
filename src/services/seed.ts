import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { invalid } from '../errors.js';
import { canonicalJson, ensureContributor, upsertDataset, type UpsertOutcome, deleteEmbeddings, float32ToBytes, insertEmbedding, listEmbeddings, listPublishedExpertDistances, replacePublishedExpertDistances, ensureProbe, getRun, insertRun, runIdForIdempotencyKey } from '../store/index.js';
import type { Db } from './session.js';
import { readRegistryDatasets, readPublications, type Publication, type PublicationProtocol } from '../registry/index.js';
import { duplicateKey } from '../transfer/index.js';

export interface SeedSummary {
  readonly datasets: Record<UpsertOutcome, string[]>;
  readonly results: { readonly added: number; readonly unchanged: number };
  readonly expertDistances: { readonly replaced: boolean; readonly count: number };
  readonly embeddings: { readonly added: number; readonly unchanged: number };
}

function checkKnown(publication: Publication, known: Set<string>): void {
  const check = (id: string | null, field: string, where: string) => {
    if (id !== null && !known.has(id)) {
      throw invalid(`${where}: field '${field}': unknown dataset '${id}' (no datasets-registry/datasets/${id}.yaml)`, [{ field, message: `unknown dataset '${id}'` }], where);
    }
  };
  for (const run of publication.runs) {
    check(run.source, 'source', run.where);
    check(run.target, 'target', run.where);
  }
  for (const d of publication.expertDistances) {
    check(d.source, 'source', d.where);
    check(d.target, 'target', d.where);
  }
  for (const v of publication.embeddings?.vectors ?? []) check(v.dataset, 'datasets', `publication ${publication.meta.id} embeddings`);
}

export function runIdFor(key: string): string {
  return `r_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

function duplicateKeyOf(run: { source: string | null; target: string; architecture: string; protocol: PublicationProtocol; values: readonly number[] }): string {
  const { folds, metric, image_size: imageSize, epochs } = run.protocol;
  return duplicateKey({
    source: run.source,
    target: run.target,
    architecture: run.architecture,
    protocol: { folds, metric, ...(imageSize !== undefined ? { imageSize } : {}), ...(epochs !== undefined ? { epochs } : {}) },
    foldValues: run.values,
  });
}

async function seedPublication(trx: Knex.Transaction, p: Publication): Promise<Omit<SeedSummary, 'datasets'>> {
  const contributor = p.meta.contributor;
  await ensureContributor(trx, { id: contributor.id, name: contributor.name, role: 'contributor' });

  let added = 0;
  let unchanged = 0;
  const results = p.meta.results;
  for (const run of results ? p.runs : []) {
    const record = { source: run.source, target: run.target, architecture: results!.architecture, protocol: results!.protocol, values: run.values };
    const key = duplicateKeyOf(record);
    const idempotencyKey = `${p.meta.id}:${run.source ?? 'none'}:${run.target}:${results!.architecture}`;
    const existing = await runIdForIdempotencyKey(trx, idempotencyKey);
    if (existing) {
      const stored = await getRun(trx, existing);
      if (stored && duplicateKeyOf({ ...record, values: stored.folds.map((f) => f.value) }) === key) {
        unchanged++;
        continue;
      }
      // The publication's file was corrected: the stored copy follows it.
      await trx('transfer_runs').where({ id: existing }).delete();
    }
    await insertRun(trx, { id: runIdFor(idempotencyKey), ...record, contributor: contributor.id, reference: p.meta.reference, duplicateKey: key, idempotencyKey });
    added++;
  }

  const wanted = p.expertDistances.map((d) => ({ target: d.target, source: d.source, distance: d.distance, publication: p.meta.id }));
  const stored = (await listPublishedExpertDistances(trx)).filter((d) => d.publication === p.meta.id);
  const same = canonicalJson([...stored].sort(byPair)) === canonicalJson([...wanted].sort(byPair));
  if (!same) await replacePublishedExpertDistances(trx, p.meta.id, wanted);

  let embeddingsAdded = 0;
  let embeddingsUnchanged = 0;
  if (p.embeddings) {
    const { probe, method, options, vectors } = p.embeddings;
    await ensureProbe(trx, { id: probe.id, name: probe.id, architecture: probe.architecture, input_size: probe.inputSize, pixel_scaling: probe.pixelScaling, description: probe.weights ?? `published by ${p.meta.id}` });
    for (const v of vectors) {
      const existing = await listEmbeddings(trx, { datasetId: v.dataset, probeId: probe.id, origin: 'published' });
      if (existing.length === 1 && float32ToBytes(existing[0]!.hessian).equals(float32ToBytes(v.hessian))) {
        embeddingsUnchanged++;
        continue;
      }
      await deleteEmbeddings(trx, { datasetId: v.dataset, probeId: probe.id, origin: 'published' });
      await insertEmbedding(trx, { datasetId: v.dataset, probeId: probe.id, method, hessian: v.hessian, options: { ...options, publication: p.meta.id }, origin: 'published', contributor: contributor.id });
      embeddingsAdded++;
    }
  }
  return {
    results: { added, unchanged },
    expertDistances: { replaced: !same, count: wanted.length },
    embeddings: { added: embeddingsAdded, unchanged: embeddingsUnchanged },
  };
}

function byPair(a: { target: string; source: string }, b: { target: string; source: string }): number {
  return `${a.target}/${a.source}`.localeCompare(`${b.target}/${b.source}`);
}

/**
 * Loads the registry into the store. Every file is read and checked before the first write,
 * and all writes share one transaction, so a bad file leaves the store as it was.
 */
export async function seedRegistry(store: Db, registry: string): Promise<SeedSummary> {
  const files = readRegistryDatasets(registry);
  const publications = readPublications(registry);
  const known = new Set(files.map((f) => f.dataset.id));
  for (const p of publications) checkKnown(p, known);

  return store.knex.transaction(async (trx) => {
    const datasets: Record<UpsertOutcome, string[]> = { created: [], updated: [], unchanged: [] };
    for (const f of files) datasets[await upsertDataset(trx, f.dataset, 'registry')].push(f.dataset.id);
    const parts = [];
    for (const p of publications) parts.push(await seedPublication(trx, p));
    return {
      datasets,
      results: { added: sum(parts.map((x) => x.results.added)), unchanged: sum(parts.map((x) => x.results.unchanged)) },
      expertDistances: { replaced: parts.some((x) => x.expertDistances.replaced), count: sum(parts.map((x) => x.expertDistances.count)) },
      embeddings: { added: sum(parts.map((x) => x.embeddings.added)), unchanged: sum(parts.map((x) => x.embeddings.unchanged)) },
    };
  });
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
