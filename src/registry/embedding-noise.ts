/**
 * How far apart two embeddings of one dataset come out under a probe: the registry's
 * datasets-registry/embeddings/<probe name>/noise.yaml lists such same-data distances (other seeds,
 * disjoint halves, fewer Monte Carlo samples), measured on real samples. The largest of them is the
 * bound below which a distance says nothing beyond "the same data".
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalid } from '../errors.js';
import { zodIssues } from './dataset.js';
import { NOISE_FILE } from './embeddings.js';

const noiseSchema = z.object({
  probe: z.string().regex(/^[0-9a-f]{64}$/),
  samples: z.number().int().positive().optional(),
  computed: z.string().optional(),
  command: z.string().optional(),
  same_data: z
    .array(
      z.object({
        dataset: z.string(),
        kind: z.string(),
        distance: z.number().finite().nonnegative(),
        note: z.string().optional(),
      }),
    )
    .min(1),
});

export type EmbeddingNoise = z.infer<typeof noiseSchema>;

/** Every probe's noise file, checked, keyed by probe id; none when the registry has none. */
export function readEmbeddingNoise(registry: string): Map<string, EmbeddingNoise> {
  const root = join(registry, 'embeddings');
  const out = new Map<string, EmbeddingNoise>();
  if (!existsSync(root)) return out;
  for (const probe of readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    const path = join(root, probe, NOISE_FILE);
    if (!existsSync(path)) continue;
    const shownAs = relative(process.cwd(), path) || path;
    const parsed = noiseSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
    if (!parsed.success) {
      const first = zodIssues(parsed.error)[0]!;
      throw invalid(`${shownAs}: field '${first.field}': ${first.message}`, zodIssues(parsed.error), shownAs);
    }
    out.set(parsed.data.probe, parsed.data);
  }
  return out;
}
