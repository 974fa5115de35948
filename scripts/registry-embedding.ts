/**
 * Writes a stored dataset's latest embedding under the bundled or another registered probe
 * into datasets-registry/embeddings/<probe name>/<registry id>.npy, with its provenance in
 * <registry id>.yaml. scripts/registry-embedding.sh runs the whole chain from a folder.
 *
 *   TA_DATA_DIR=<store> node --import tsx scripts/registry-embedding.ts <stored id> <registry id> "<sample>" "<command>"
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { encodeNpyFloat32 } from '../src/images/npy.js';
import { datasetEmbeddings, openStore, storeConfigFromEnv } from '../src/services/index.js';

const [stored, registryId, sample, command] = process.argv.slice(2);
if (!stored || !registryId || !sample || !command) {
  console.error('usage: registry-embedding.ts <stored id> <registry id> "<sample>" "<command>"');
  process.exit(2);
}

const store = await openStore(storeConfigFromEnv());
try {
  const found = (await datasetEmbeddings(store, stored)).filter((e) => e.origin === 'computed');
  const e = found.at(-1);
  if (!e) throw new Error(`dataset ${stored} has no computed embedding`);
  const { classCount, backend, stages, ...options } = e.options as Record<string, unknown>;
  const dir = join('datasets-registry', 'embeddings', e.probe.name);
  mkdirSync(dir, { recursive: true });
  const provenance = {
    dataset: registryId,
    vector: `${registryId}.npy`,
    probe: {
      id: e.probe.id,
      name: e.probe.name,
      architecture: e.probe.architecture,
      input_size: e.probe.input_size,
      pixel_scaling: e.probe.pixel_scaling,
      ...(e.probe.location ? { location: e.probe.location } : {}),
    },
    method: e.method,
    options: {
      ...options,
      backend,
      seconds: Math.round((e.durationMs ?? 0) / 1000),
      stagesMs: Object.fromEntries(
        Object.entries(stages as Record<string, number>).map(([k, v]) => [k, Math.round(v)]),
      ),
    },
    images: e.imageCount,
    classes: classCount,
    sample,
    computed: e.createdAt.slice(0, 10),
    command,
  };
  const write = (name: string, bytes: Uint8Array | string): void => {
    const path = join(dir, name);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
  };
  write(`${registryId}.npy`, encodeNpyFloat32(e.hessian, [e.hessian.length]));
  write(`${registryId}.yaml`, stringify(provenance, { lineWidth: 0 }));
  console.log(`wrote ${join(dir, registryId)}.npy and .yaml (${e.hessian.length} values, ${e.imageCount} images)`);
} finally {
  await store.close();
}
