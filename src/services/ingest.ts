/**
 * A target dataset from images: ingest them, store the normalised images under the data folder
 * and record the dataset with its profile, all or nothing. The API and the CLI both come here.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { Knex } from 'knex';
import type { Db } from './session.js';
import { conflict, invalid, type AppError } from '../errors.js';
import {
  ingestAndStore,
  IngestionError,
  type DatasetFormat,
  type DatasetProfile,
  type IngestionInput,
  type IngestionLimits,
  type OptionStyle,
  type IngestionResult,
  type ProgressCallback,
} from '../images/index.js';
import { createIngestedDataset, getDataset } from '../store/datasets.js';
import { datasetInputSchema, zodIssues, type Dataset, type DatasetInput } from '../registry/dataset.js';
import { ingestionProblem } from './ingestion-problem.js';
import { definedOnly } from '../defaults.js';

/** What the user says about the dataset; the counts, size and channels come from the images. */
export type IngestMetadata = Partial<
  Pick<DatasetInput, 'id' | 'description' | 'origin' | 'modality' | 'licence' | 'citation' | 'homepage' | 'backbone'>
> & {
  readonly name: string;
};

export interface IngestOptions {
  readonly format?: 'auto' | DatasetFormat;
  readonly skipBad?: boolean;
  readonly ignoreUnlabelled?: boolean;
  readonly size?: number;
  readonly channels?: 'auto' | 1 | 3;
  readonly minClassSize?: number;
  /** Make a seeded stratified (or group-aware) split when the data gives none. */
  readonly splitSeed?: number;
}

export interface IngestRequest {
  /** A folder, file or archive this process may read (the API checks data roots first). */
  readonly path: string;
  /** The name the user knows the data by (an upload's file name); defaults to the path's last part. */
  readonly displayName?: string;
  /** The request field that named the data, for problems: 'path', 'file'. */
  readonly field: string;
  readonly metadata: IngestMetadata;
  readonly options?: IngestOptions;
  /** Expansion and entry limits; `limitsForUpload` ties them to the deployment's upload limit. */
  readonly limits?: Partial<IngestionLimits>;
  /** `flag` when the user typed a command, so that a refusal names the fix as `--channels 1`. */
  readonly optionStyle?: OptionStyle;
}

export interface IngestOutcome {
  readonly dataset: Dataset;
  readonly profile: DatasetProfile;
  readonly ingestion: {
    readonly format: DatasetFormat;
    readonly archive: string | null;
    readonly splitSource: IngestionResult['splitSource'];
    readonly splitCounts: Readonly<Record<string, number>>;
    readonly storedBytes: number;
    /** The stored images' folder, relative to the data folder. */
    readonly imagesDir: string;
    readonly seconds: number;
  };
}

export const DEFAULT_MODALITY = 'unspecified';
export const DEFAULT_LICENCE = 'unknown';

/** `My Chest X-rays (2024)` -> `my-chest-x-rays-2024`. */
export function datasetIdFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

/** One line that says which field is wrong, for the CLI as much as for the API. */
function described(issues: ReturnType<typeof zodIssues>): AppError {
  return invalid(`invalid dataset description: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
}

const metadataSchema = datasetInputSchema.omit({
  images: true,
  classes: true,
  image_size: true,
  channels: true,
  description: true,
});

function checkedMetadata(
  metadata: IngestMetadata,
): Omit<DatasetInput, 'images' | 'classes' | 'image_size' | 'channels' | 'description'> & { description?: string } {
  const id = metadata.id ?? datasetIdFromName(metadata.name);
  if (id === '')
    throw invalid(`no dataset id can be made from the name '${metadata.name}'; give one`, [
      { field: 'id', message: 'required when the name has no letters or digits' },
    ]);
  const { description, ...rest } = metadata;
  const parsed = metadataSchema.safeParse({
    origin: 'medical',
    modality: DEFAULT_MODALITY,
    licence: DEFAULT_LICENCE,
    ...rest,
    id,
  });
  if (!parsed.success) throw described(zodIssues(parsed.error));
  return { ...parsed.data, ...definedOnly({ description }) };
}

function imageSize(profile: DatasetProfile): string {
  const only = profile.sizes.distinct === 1 ? profile.sizes.top[0] : undefined;
  return only ? `${only.width}x${only.height}` : 'variable';
}

function datasetInput(
  meta: ReturnType<typeof checkedMetadata>,
  result: IngestionResult,
  display: string,
): DatasetInput {
  const description =
    meta.description ??
    `${meta.name}: ${result.imageCount} images in ${result.classNames.length} classes (${result.classNames.join(', ')}), ingested from ${display}.`;
  const parsed = datasetInputSchema.safeParse({
    ...meta,
    description: description.length > 4000 ? `${description.slice(0, 3997)}...` : description,
    images: result.imageCount,
    classes: result.classNames.length,
    image_size: imageSize(result.profile),
    channels: result.channels,
  });
  if (!parsed.success) throw described(zodIssues(parsed.error));
  return parsed.data;
}

function ingestionInput(request: IngestRequest, display: string): IngestionInput {
  const o = request.options ?? {};
  return {
    path: request.path,
    displayName: display,
    ...definedOnly({
      format: o.format,
      skipBad: o.skipBad,
      ignoreUnlabelled: o.ignoreUnlabelled,
      size: o.size,
      channels: o.channels,
      minClassSize: o.minClassSize,
      split: o.splitSeed === undefined ? undefined : { seed: o.splitSeed },
      limits: request.limits,
      optionStyle: request.optionStyle,
    }),
  };
}

/** The metadata checked and the id free: what can be refused before any work is queued or done. */
export async function checkIngestible(
  { knex: db }: Db,
  metadata: IngestMetadata,
): Promise<ReturnType<typeof checkedMetadata>> {
  const meta = checkedMetadata(metadata);
  if (await getDataset(db, meta.id)) {
    throw conflict(`dataset '${meta.id}' already exists; choose another id`, [
      { field: 'id', message: 'already registered' },
    ]);
  }
  return meta;
}

/**
 * Ingests `request.path` into `<dataDir>/datasets/<id>` and records the dataset with its profile
 * in one transaction. Anything the caller can fix comes out as a AppError; whatever fails,
 * no row and no folder are left behind, and an existing dataset with the same id is untouched.
 */
export async function ingestIntoStore(
  { knex: db }: Db,
  request: IngestRequest,
  dataDir: string,
  onProgress?: ProgressCallback,
  within?: (trx: Knex, datasetId: string) => Promise<void>,
): Promise<IngestOutcome> {
  const display = request.displayName ?? basename(request.path);
  const meta = await checkIngestible({ knex: db }, request.metadata);
  const started = performance.now();
  const scratchDir = join(dataDir, 'tmp');
  await mkdir(scratchDir, { recursive: true });
  try {
    const { result, dir, persisted } = await ingestAndStore(
      ingestionInput(request, display),
      { datasetsRoot: join(dataDir, 'datasets'), name: meta.id, scratchDir },
      (result, dir) =>
        db.transaction(async (trx) => {
          const dataset = await createIngestedDataset(
            trx,
            datasetInput(meta, result, display),
            result.profile,
            relative(dataDir, dir).split(sep).join('/'),
          );
          await within?.(trx, dataset.id);
          return dataset;
        }),
      onProgress,
    );
    return {
      dataset: persisted,
      profile: result.profile,
      ingestion: {
        format: result.format,
        archive: result.archive,
        splitSource: result.splitSource,
        splitCounts: result.splitCounts,
        storedBytes: result.storedBytes,
        imagesDir: relative(dataDir, dir).split(sep).join('/'),
        seconds: (performance.now() - started) / 1000,
      },
    };
  } catch (e) {
    throw e instanceof IngestionError ? (ingestionProblem(e, request.field, display, meta.id) ?? e) : e;
  }
}
