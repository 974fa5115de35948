/** Embeddings, probes, distances and expert features in the API's snake_case shapes. */
import type { components } from '../api/schema.js';
import { isBundledLocation } from '../probes/index.js';
import {
  float32ToBytes,
  type DatasetExpertFeatures,
  type EmbeddingView,
  type ProbeRecord,
  type StoredDistance,
  type StoredDistanceMatrix,
  type StoredExpertDistance,
  type SubmittedAnswer,
} from '../services/index.js';
import { definedOnly } from '../defaults.js';

type Schemas = components['schemas'];

export function presentProbe(p: ProbeRecord): Schemas['ProbeRecord'] {
  return {
    id: p.id,
    name: p.name,
    architecture: p.architecture,
    input_size: p.input_size,
    pixel_scaling: p.pixel_scaling,
    ...definedOnly({ description: p.description }),
    weights: p.location === undefined ? 'none' : isBundledLocation(p.location) ? 'bundled' : 'folder',
  };
}

export function presentEmbedding(e: EmbeddingView, withVector = false): Schemas['Embedding'] {
  return {
    id: e.id,
    dataset: e.datasetId,
    probe: presentProbe(e.probe),
    method: e.method,
    dimension: e.hessian.length,
    options: e.options,
    seed: e.seed ?? null,
    image_count: e.imageCount ?? null,
    duration_ms: e.durationMs ?? null,
    origin: e.origin,
    contributor: e.contributor ?? null,
    created_at: e.createdAt,
    ...(withVector
      ? {
          vector: {
            encoding: 'base64-float32-le' as const,
            hessian: float32ToBytes(e.hessian).toString('base64'),
            scale: e.scale ? float32ToBytes(e.scale).toString('base64') : null,
          },
        }
      : {}),
  };
}

export function presentDistance(d: StoredDistance): Schemas['Distance'] {
  return {
    a: d.a,
    b: d.b,
    distance: d.distance,
    value: d.value,
    probe: presentProbe(d.probe),
    embeddings: { ...d.embeddings },
    ...definedOnly({ alpha: d.alpha }),
  };
}

export function presentDistanceMatrix(m: StoredDistanceMatrix): Schemas['DistanceMatrix'] {
  return {
    datasets: [...m.datasets],
    distance: m.distance,
    values: m.values.map((row) => [...row]),
    probe: presentProbe(m.probe),
    embeddings: { ...m.embeddings },
    ...definedOnly({ alpha: m.alpha }),
  };
}

export function presentExpertFeatures(f: DatasetExpertFeatures, tieRule: string): Schemas['DatasetExpertFeatures'] {
  return {
    dataset: f.dataset,
    source: f.source,
    features: { ...f.features },
    observers: f.observers,
    tie_rule: tieRule,
    votes: f.votes
      ? Object.fromEntries(
          Object.entries(f.votes).map(([p, v]) => [
            p,
            { value: v.value, votes: v.votes, total: v.total, tied_with: [...v.tiedWith] },
          ]),
        )
      : null,
    agreement: f.agreement ? Object.fromEntries(Object.entries(f.agreement).map(([p, a]) => [p, { ...a }])) : null,
  };
}

export function presentAnswerReceipt(r: SubmittedAnswer, tieRule: string): Schemas['ExpertAnswerReceipt'] {
  return {
    dataset: r.dataset,
    observer: r.observer,
    answers: { ...r.answers },
    replaced: r.replaced,
    features: presentExpertFeatures(r.features, tieRule),
  };
}

export function presentExpertDistance(d: StoredExpertDistance): Schemas['ExpertDistance'] {
  return {
    a: d.a,
    b: d.b,
    distance: d.distance,
    source: d.from.kind === 'published' ? { kind: 'published', publication: d.from.source } : { kind: 'computed' },
    ...definedOnly({ features: d.features ? { ...d.features } : undefined }),
  };
}
