/**
 * Task2Vec embeddings the project computed from real samples of datasets and ships in the
 * registry: datasets-registry/embeddings/<probe name>/<dataset>.npy (float32, one vector) with
 * <dataset>.yaml beside it saying which sample, how many images, the options, the probe, the
 * date and the command that regenerates the vector from a folder of the same layout. Beside them,
 * noise.yaml (NOISE_FILE) holds the distances chance alone gives between embeddings of one
 * dataset under that probe; it is not an embedding.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalid } from '../errors.js';
import { NpyFormatError, parseNpy } from '../images/npy.js';
import { zodIssues } from './dataset.js';

const provenanceSchema = z.strictObject({
  dataset: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  vector: z.string(),
  probe: z.strictObject({
    id: z.string().regex(/^[0-9a-f]{64}$/),
    name: z.string(),
    architecture: z.string(),
    input_size: z.number().int().positive(),
    pixel_scaling: z.enum(['minus1to1', 'zero1', 'imagenet-mean-std']),
    location: z.string().optional(),
  }),
  method: z.enum(['montecarlo', 'exact']),
  options: z.record(z.string(), z.unknown()),
  images: z.number().int().positive(),
  classes: z.number().int().min(2),
  sample: z.string(),
  computed: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  command: z.string(),
});

export type RegistryEmbeddingProvenance = z.infer<typeof provenanceSchema>;

export interface RegistryEmbedding {
  readonly path: string;
  readonly provenance: RegistryEmbeddingProvenance;
  readonly hessian: Float32Array;
}

function readOne(yamlPath: string, shownAs: string): RegistryEmbedding {
  const parsed = provenanceSchema.safeParse(parseYaml(readFileSync(yamlPath, 'utf8')));
  if (!parsed.success) {
    const first = zodIssues(parsed.error)[0]!;
    throw invalid(`${shownAs}: field '${first.field}': ${first.message}`, zodIssues(parsed.error), shownAs);
  }
  const p = parsed.data;
  const expected = shownAs
    .split('/')
    .pop()!
    .replace(/\.ya?ml$/, '');
  if (p.dataset !== expected)
    throw invalid(
      `${shownAs}: field 'dataset': '${p.dataset}' must equal the file name '${expected}'`,
      [{ field: 'dataset', message: 'must equal the file name' }],
      shownAs,
    );
  const vectorPath = join(yamlPath, '..', p.vector);
  if (!existsSync(vectorPath))
    throw invalid(
      `${shownAs}: field 'vector': ${p.vector} does not exist`,
      [{ field: 'vector', message: 'no such file' }],
      shownAs,
    );
  let hessian: Float32Array;
  try {
    const npy = parseNpy(readFileSync(vectorPath));
    if (npy.data.kind !== 'numeric' || !(npy.data.values instanceof Float32Array) || npy.shape.length !== 1)
      throw new NpyFormatError('expected a one-dimensional float32 array');
    hessian = npy.data.values;
  } catch (e) {
    throw invalid(
      `${shownAs}: field 'vector': ${p.vector}: ${(e as Error).message}`,
      [{ field: 'vector', message: 'one-dimensional float32 .npy' }],
      shownAs,
    );
  }
  if (!hessian.every((x) => Number.isFinite(x) && x >= 0))
    throw invalid(
      `${shownAs}: field 'vector': a Fisher diagonal is finite and non-negative`,
      [{ field: 'vector', message: 'finite, >= 0' }],
      shownAs,
    );
  return { path: yamlPath, provenance: p, hessian };
}

export const NOISE_FILE = 'noise.yaml';

/** Every shipped embedding, checked; none when the registry has no embeddings folder. */
export function readRegistryEmbeddings(registry: string): RegistryEmbedding[] {
  const root = join(registry, 'embeddings');
  if (!existsSync(root)) return [];
  const out: RegistryEmbedding[] = [];
  for (const probe of readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const f of readdirSync(join(root, probe))
      .filter((f) => /\.ya?ml$/.test(f) && f !== NOISE_FILE)
      .sort()) {
      const path = join(root, probe, f);
      out.push(readOne(path, relative(process.cwd(), path) || path));
    }
  }
  return out;
}
