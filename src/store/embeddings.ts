import type { Knex } from 'knex';
import { isoTime, nowIso } from './rows.js';
import { definedOnly } from '../defaults.js';

export type EmbeddingOrigin = 'computed' | 'imported' | 'published';

export interface NewEmbedding {
  readonly datasetId: string;
  readonly probeId: string;
  readonly method: string;
  readonly hessian: Float32Array;
  readonly scale?: Float32Array;
  readonly options: Record<string, unknown>;
  readonly seed?: number;
  readonly imageCount?: number;
  readonly durationMs?: number;
  readonly origin: EmbeddingOrigin;
  readonly contributor?: string;
}

export interface StoredEmbedding extends NewEmbedding {
  readonly id: number;
  readonly createdAt: string;
}

/** Little-endian float32 bytes, the layout of numpy's '<f4', so vectors move between the two unchanged. */
export function float32ToBytes(v: Float32Array): Buffer {
  const out = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i]!, i * 4);
  return out;
}

export function bytesToFloat32(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

interface EmbeddingRow {
  id: number;
  dataset_id: string;
  probe_id: string;
  method: string;
  dimension: number;
  hessian: Uint8Array;
  scale: Uint8Array | null;
  options: string;
  seed: number | null;
  image_count: number | null;
  duration_ms: number | null;
  origin_of_record: EmbeddingOrigin;
  contributor_id: string | null;
  created_at: unknown;
}

function toEmbedding(row: EmbeddingRow): StoredEmbedding {
  return {
    id: Number(row.id),
    datasetId: row.dataset_id,
    probeId: row.probe_id,
    method: row.method,
    hessian: bytesToFloat32(row.hessian),
    ...definedOnly({ scale: row.scale ? bytesToFloat32(row.scale) : undefined }),
    options: JSON.parse(row.options) as Record<string, unknown>,
    ...definedOnly({
      seed: row.seed === null ? undefined : Number(row.seed),
      imageCount: row.image_count === null ? undefined : Number(row.image_count),
      durationMs: row.duration_ms === null ? undefined : Number(row.duration_ms),
    }),
    origin: row.origin_of_record,
    ...definedOnly({ contributor: row.contributor_id ?? undefined }),
    createdAt: isoTime(row.created_at),
  };
}

export async function insertEmbedding(db: Knex, e: NewEmbedding): Promise<number> {
  const [row] = (await db('embeddings')
    .insert({
      dataset_id: e.datasetId,
      probe_id: e.probeId,
      method: e.method,
      dimension: e.hessian.length,
      hessian: float32ToBytes(e.hessian),
      scale: e.scale ? float32ToBytes(e.scale) : null,
      options: JSON.stringify(e.options),
      seed: e.seed ?? null,
      image_count: e.imageCount ?? null,
      duration_ms: e.durationMs ?? null,
      origin_of_record: e.origin,
      contributor_id: e.contributor ?? null,
      created_at: nowIso(),
    })
    .returning('id')) as ({ id: number } | number)[];
  return typeof row === 'object' ? Number(row.id) : Number(row);
}

export interface EmbeddingFilter {
  readonly datasetId?: string;
  readonly probeId?: string;
  readonly origin?: EmbeddingOrigin;
}

export async function listEmbeddings(db: Knex, filter: EmbeddingFilter = {}): Promise<StoredEmbedding[]> {
  const q = db('embeddings').select('*').orderBy('id');
  if (filter.datasetId) q.where('dataset_id', filter.datasetId);
  if (filter.probeId) q.where('probe_id', filter.probeId);
  if (filter.origin) q.where('origin_of_record', filter.origin);
  return ((await q) as EmbeddingRow[]).map(toEmbedding);
}

export async function getEmbedding(db: Knex, id: number): Promise<StoredEmbedding | undefined> {
  const row = (await db('embeddings').where({ id }).first()) as EmbeddingRow | undefined;
  return row ? toEmbedding(row) : undefined;
}

export async function deleteEmbeddings(
  db: Knex,
  filter: Required<Pick<EmbeddingFilter, 'origin'>> & EmbeddingFilter & { readonly id?: number },
): Promise<number> {
  const q = db('embeddings').where('origin_of_record', filter.origin);
  if (filter.id !== undefined) q.where('id', filter.id);
  if (filter.datasetId) q.where('dataset_id', filter.datasetId);
  if (filter.probeId) q.where('probe_id', filter.probeId);
  return q.delete();
}
