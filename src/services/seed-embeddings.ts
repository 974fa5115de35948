import type { Knex } from 'knex';
import { invalid } from '../errors.js';
import { deleteEmbeddings, float32ToBytes, insertEmbedding, listEmbeddings } from '../store/embeddings.js';
import { ensureProbe } from '../store/probes.js';
import type { RegistryEmbedding } from '../registry/embeddings.js';
import { definedOnly } from '../defaults.js';

export function checkRegistryEmbeddingDatasets(embeddings: readonly RegistryEmbedding[], known: Set<string>): void {
  for (const e of embeddings) {
    if (!known.has(e.provenance.dataset)) {
      throw invalid(
        `${e.path}: field 'dataset': unknown dataset '${e.provenance.dataset}' (no datasets-registry/datasets/${e.provenance.dataset}.yaml)`,
        [{ field: 'dataset', message: 'unknown dataset' }],
        e.path,
      );
    }
  }
}

/**
 * Stores each shipped embedding as a computed embedding whose options carry its provenance,
 * keyed by the registry file it came from: an unchanged file changes nothing, an edited one
 * replaces its embedding, and embeddings the service computed itself are never touched.
 */
export async function seedRegistryEmbeddings(
  trx: Knex,
  embeddings: readonly RegistryEmbedding[],
  registryPathOf: (e: RegistryEmbedding) => string,
): Promise<{ added: number; unchanged: number }> {
  let added = 0;
  let unchanged = 0;
  for (const e of embeddings) {
    const p = e.provenance;
    const registryFile = registryPathOf(e);
    await ensureProbe(trx, {
      id: p.probe.id,
      name: p.probe.name,
      architecture: p.probe.architecture,
      input_size: p.probe.input_size,
      pixel_scaling: p.probe.pixel_scaling,
      ...definedOnly({ location: p.probe.location }),
    });
    const existing = (
      await listEmbeddings(trx, { datasetId: p.dataset, probeId: p.probe.id, origin: 'computed' })
    ).filter((s) => s.options.registryFile === registryFile);
    if (existing.length === 1 && float32ToBytes(existing[0]!.hessian).equals(float32ToBytes(e.hessian))) {
      unchanged++;
      continue;
    }
    for (const old of existing) await deleteEmbeddings(trx, { id: old.id, origin: 'computed' });
    await insertEmbedding(trx, {
      datasetId: p.dataset,
      probeId: p.probe.id,
      method: p.method,
      hessian: e.hessian,
      options: { ...p.options, registryFile, sample: p.sample, computed: p.computed, command: p.command },
      imageCount: p.images,
      ...(typeof p.options.seed === 'number' ? { seed: p.options.seed } : {}),
      origin: 'computed',
    });
    added++;
  }
  return { added, unchanged };
}
