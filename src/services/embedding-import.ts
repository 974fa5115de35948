/**
 * Embeddings computed elsewhere (typically the PyTorch reference) enter through here: a float32
 * .npy of the filter-wise Fisher diagonal, with the identity of the probe that made it.
 */
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { AppError, conflict, invalid, notFound } from '../errors.js';
import { plainProblem } from '../plain.js';
import { NpyFormatError, parseNpy } from '../images/index.js';
import type { PixelScaling } from '../probes/index.js';
import {
  ensureContributor,
  getDataset,
  insertEmbedding,
  listEmbeddings,
  ensureProbe,
  getProbe,
  type ProbeRecord,
} from '../store/index.js';
import { embeddingView, type EmbeddingView } from './embeddings.js';
import { definedOnly } from '../defaults.js';

export const IMPORT_METHODS = ['montecarlo', 'exact', 'variational'] as const;
export type ImportMethod = (typeof IMPORT_METHODS)[number];
const PIXEL_SCALINGS: readonly PixelScaling[] = ['minus1to1', 'zero1', 'imagenet-mean-std'];

export interface ProbeIdentityInput {
  readonly id: string;
  readonly name?: string;
  readonly architecture: string;
  readonly inputSize: number;
  readonly pixelScaling: string;
}

export interface EmbeddingImport {
  readonly dataset: string;
  readonly probe: ProbeIdentityInput;
  readonly method?: string;
  readonly options?: Record<string, unknown>;
  /** The bytes of a .npy file: float32, shape [D] or [1, D]. */
  readonly npy: Uint8Array;
  readonly contributor?: string;
}

const field = (name: string, message: string) => [{ field: name, message }];

/** The vector of a .npy file, refused unless it is a finite, non-negative float32 vector. */
export function readEmbeddingNpy(bytes: Uint8Array): Float32Array {
  let array;
  try {
    array = parseNpy(bytes);
  } catch (e) {
    if (e instanceof NpyFormatError) throw invalid(`hessian: ${e.message}`, field('hessian', e.message));
    throw e;
  }
  if (array.data.kind !== 'numeric' || array.data.dtype !== 'f4') {
    const dtype = array.data.kind === 'numeric' ? array.data.dtype : 'unicode';
    throw invalid(
      `hessian: the .npy holds ${dtype} values; save the embedding as float32 (numpy: e.hessian.astype(np.float32))`,
      field('hessian', 'float32 required'),
    );
  }
  const shape = array.shape;
  const vector = shape.length === 1 || (shape.length === 2 && shape[0] === 1);
  if (!vector)
    throw invalid(
      `hessian: the .npy has shape (${shape.join(', ')}); an embedding is one vector, shape (D,) or (1, D)`,
      field('hessian', 'shape (D,) or (1, D)'),
    );
  const values = array.data.values as Float32Array;
  if (values.length === 0) throw invalid('hessian: the .npy holds no values', field('hessian', 'empty'));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v))
      throw invalid(`hessian: entry ${i} is ${v}; an embedding is finite`, field('hessian', 'non-finite entry'));
    if (v < 0)
      throw invalid(
        `hessian: entry ${i} is ${v}; a Fisher diagonal is non-negative`,
        field('hessian', 'negative entry'),
      );
  }
  return values;
}

function checkProbe(p: ProbeIdentityInput): ProbeRecord {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(p.id))
    throw invalid(
      `probe id '${p.id}' must be 1-128 letters, digits, '.', '_', ':' or '-'`,
      field('probe.id', 'bad id'),
    );
  if (p.architecture.trim() === '')
    throw invalid('probe architecture is empty', field('probe.architecture', 'required'));
  if (!Number.isSafeInteger(p.inputSize) || p.inputSize < 1)
    throw invalid(
      `probe input size ${p.inputSize} must be a positive integer`,
      field('probe.input_size', 'positive integer'),
    );
  if (!(PIXEL_SCALINGS as readonly string[]).includes(p.pixelScaling)) {
    throw invalid(
      `probe pixel scaling '${p.pixelScaling}' is not one of ${PIXEL_SCALINGS.join(', ')}`,
      field('probe.pixel_scaling', PIXEL_SCALINGS.join(' | ')),
    );
  }
  return {
    id: p.id,
    name: p.name?.trim() || p.id,
    architecture: p.architecture.trim(),
    input_size: p.inputSize,
    pixel_scaling: p.pixelScaling,
  };
}

/** An id already recorded must describe the same probe: ids are how embeddings are compared. */
async function sameProbeOrRefuse(db: Knex, wanted: ProbeRecord): Promise<void> {
  const known = await getProbe(db, wanted.id);
  if (!known) return;
  const differs = (['architecture', 'input_size', 'pixel_scaling'] as const).filter((k) => known[k] !== wanted[k]);
  if (differs.length > 0) {
    throw new AppError(
      'incompatible-probes',
      'Probe identity mismatch',
      `probe '${wanted.id}' is recorded as ${known.architecture} at ${known.input_size} px with ${known.pixel_scaling} scaling; ` +
        `the import says ${wanted.architecture} at ${wanted.input_size} px with ${wanted.pixel_scaling}. A different probe needs a different id`,
      differs.map((k) => ({ field: `probe.${k}`, message: `recorded as ${known[k]}` })),
    );
  }
}

export async function importEmbedding({ knex: db }: Db, input: EmbeddingImport): Promise<EmbeddingView> {
  const method = input.method ?? 'montecarlo';
  if (!(IMPORT_METHODS as readonly string[]).includes(method))
    throw invalid(
      `method '${method}' is not one of ${IMPORT_METHODS.join(', ')}`,
      field('method', IMPORT_METHODS.join(' | ')),
    );
  const { npy: _npy, ...fields } = input;
  const problem = plainProblem(fields);
  if (problem) throw invalid(problem.detail, [{ field: problem.field, message: problem.message }]);
  const probe = checkProbe(input.probe);
  const hessian = readEmbeddingNpy(input.npy);
  if (!(await getDataset(db, input.dataset))) throw notFound('dataset', input.dataset, 'dataset');
  return db.transaction(async (trx) => {
    await sameProbeOrRefuse(trx, probe);
    const others = await listEmbeddings(trx, { probeId: probe.id });
    const expected = others[0]?.hessian.length;
    if (expected !== undefined && expected !== hessian.length) {
      throw conflict(
        `the embedding has ${hessian.length} entries but embeddings of probe '${probe.id}' have ${expected}; was it made with another network?`,
        field('hessian', `length ${expected} expected`),
      );
    }
    await ensureProbe(trx, probe);
    if (input.contributor !== undefined)
      await ensureContributor(trx, { id: input.contributor, name: input.contributor, role: 'contributor' });
    const id = await insertEmbedding(trx, {
      datasetId: input.dataset,
      probeId: probe.id,
      method,
      hessian,
      options: input.options ?? {},
      ...(typeof input.options?.seed === 'number' && Number.isSafeInteger(input.options.seed)
        ? { seed: input.options.seed }
        : {}),
      origin: 'imported',
      ...definedOnly({ contributor: input.contributor }),
    });
    return (await embeddingView({ knex: trx }, id))!;
  });
}
