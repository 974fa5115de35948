/**
 * Registered probes: the rows of the store's `probes` table that say where a probe's weights
 * live, so that `embed --probe <id>` can load them again. The bundled probe is recorded as
 * `bundled:<folder>` rather than by path, so the record stays valid when the package moves.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Db } from './session.js';
import { initCompute } from '../compute/index.js';
import { AppError, invalid } from '../errors.js';
import { ensureProbe, getProbe, listProbes, type ProbeRecord } from '../store/index.js';
import { findProbe } from './find-probe.js';
import {
  type LayersProbeMeta,
  DEFAULT_PROBE_DIRNAME,
  defaultProbeFolder,
  loadProbe,
  BUNDLED_LOCATION_PREFIX as BUNDLED,
  type ProbeIdentity,
} from '../probes/index.js';
import { definedOnly } from '../defaults.js';
import { shortProbeId } from '../probes/index.js';

/** What a probe folder is loaded with: the input size (and other descriptions) override probe.json. */
export type ProbeMetaInput = Partial<LayersProbeMeta>;

/**
 * The smallest input a probe is run at: the ImageNet networks used as probes halve the image five
 * times, and the embedding pass failed on the bundled probe at every size from 16 to 31.
 */
export const MIN_PROBE_INPUT_SIZE = 32;

function checkInputSize(inputSize: number | undefined): void {
  if (inputSize !== undefined && inputSize < MIN_PROBE_INPUT_SIZE) {
    throw invalid(`input size ${inputSize} is below the probes' minimum of ${MIN_PROBE_INPUT_SIZE} pixels`, [
      { field: 'input_size', message: `must be >= ${MIN_PROBE_INPUT_SIZE}` },
    ]);
  }
}

/** A probe the service can load: its folder and the overrides that select one identity of it. */
export interface ProbeSource {
  readonly folder: string;
  readonly meta: ProbeMetaInput;
  readonly location: string;
}

export function probeLocation(folder: string): string {
  const dir = resolve(folder);
  if (dir === defaultProbeFolder()) return `${BUNDLED}${DEFAULT_PROBE_DIRNAME}`;
  return dir;
}

export function folderOfLocation(location: string): string {
  if (!location.startsWith(BUNDLED)) return location;
  const name = location.slice(BUNDLED.length);
  return join(dirname(defaultProbeFolder()), basename(name));
}

export function probeRecordOf(identity: ProbeIdentity, location: string | undefined): ProbeRecord {
  return {
    id: identity.id,
    name: identity.name,
    architecture: identity.architecture,
    input_size: identity.inputSize,
    pixel_scaling: identity.pixelScaling,
    ...definedOnly({ location: location }),
  };
}

/** Loads a folder's probe just to learn its identity; the record carries the folder's location. */
export async function probeRecordOfFolder(folder: string, meta: ProbeMetaInput = {}): Promise<ProbeRecord> {
  checkInputSize(meta.inputSize);
  const dir = resolve(folder);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw invalid(`probe folder ${folder} does not exist`, [{ field: 'folder', message: 'no such folder' }]);
  if (!existsSync(join(dir, 'model.json'))) {
    throw invalid(
      `${folder} holds no model.json; a probe is a TensorFlow.js LayersModel folder (model.json and its weight files)`,
      [{ field: 'folder', message: 'no model.json' }],
    );
  }
  await initCompute();
  let probe;
  try {
    probe = await loadProbe(dir, meta);
  } catch (e) {
    throw invalid(`cannot load the probe in ${folder}: ${(e as Error).message}`, [
      { field: 'folder', message: 'not a loadable probe' },
    ]);
  }
  try {
    return probeRecordOf(probe.identity, probeLocation(dir));
  } finally {
    probe.dispose();
  }
}

export async function registerProbeFolder(
  { knex: db }: Db,
  folder: string,
  meta: ProbeMetaInput = {},
): Promise<ProbeRecord> {
  const record = await probeRecordOfFolder(folder, meta);
  await ensureProbe(db, record);
  return (await getProbe(db, record.id))!;
}

let bundled: Promise<ProbeRecord> | undefined;

/** The bundled probe at its own input size, recorded on first use in each store: it is always available. */
export async function ensureBundledProbe({ knex: db }: Db): Promise<ProbeRecord> {
  bundled ??= probeRecordOfFolder(defaultProbeFolder()).catch((e: unknown) => {
    bundled = undefined;
    throw e;
  });
  const record = await bundled;
  await ensureProbe(db, record);
  return record;
}

/** Every recorded probe, the bundled one always among them. */
export async function knownProbes(db: Db): Promise<ProbeRecord[]> {
  await ensureBundledProbe(db);
  return listProbes(db.knex);
}

/**
 * Where to load a probe from: the bundled one by default, a folder given directly, or a
 * registered probe whose weights the service holds. `inputSize` selects another identity of it.
 */
export async function resolveProbeSource(
  db: Db,
  ref: string | undefined,
  inputSize: number | undefined,
): Promise<ProbeSource> {
  checkInputSize(inputSize);
  const meta: ProbeMetaInput = inputSize !== undefined ? { inputSize } : {};
  if (ref === undefined) return { folder: defaultProbeFolder(), meta, location: probeLocation(defaultProbeFolder()) };
  if (existsSync(ref) && statSync(ref).isDirectory()) {
    // Loaded here first so that a folder that is no probe is refused in one line, before any worker starts.
    await probeRecordOfFolder(ref, meta);
    return { folder: resolve(ref), meta, location: probeLocation(ref) };
  }
  const record = await findProbe(db, ref);
  if (record.location === undefined) {
    throw new AppError(
      'unprocessable',
      'Probe weights not available',
      `probe '${record.name}' (${shortProbeId(record.id)}) is known only from imported or published embeddings; this service holds no weights for it. Register its folder with transfer-atlas probes add <folder>`,
      [{ field: 'probe', message: 'no weights held' }],
    );
  }
  const folder = folderOfLocation(record.location);
  return {
    folder,
    // A registered identity is reproduced exactly: its size and description, unless the caller asks for another size.
    meta: {
      name: record.name,
      architecture: record.architecture,
      inputSize: inputSize ?? record.input_size,
      pixelScaling: record.pixel_scaling as LayersProbeMeta['pixelScaling'],
    },
    location: record.location,
  };
}
