import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { invalid } from '../errors.js';
import { probeFromLayersModel, type LayersProbeMeta } from './layers-probe.js';
import type { PixelScaling, Probe } from './probe.js';

const PIXEL_SCALINGS: readonly PixelScaling[] = ['minus1to1', 'zero1', 'imagenet-mean-std'];
export const DEFAULT_PROBE_DIRNAME = 'mobilenet_v2_0.35_224';

interface WeightsGroup {
  readonly paths: readonly string[];
  readonly weights: readonly tf.io.WeightsManifestEntry[];
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
};

/**
 * A weight shard named by model.json, which a stranger may have written: it must be a file inside
 * the probe folder once links are resolved. Every way of failing gives the same sentence, so the
 * answer never tells whether some file outside the folder exists.
 */
function shardPath(folder: string, name: unknown): string {
  const refused = new Error(
    `model.json names weight file ${JSON.stringify(name)}, which is not a file inside the probe folder`,
  );
  if (typeof name !== 'string' || name.includes('\u0000') || isAbsolute(name)) throw refused;
  const root = resolve(folder);
  if (!inside(root, resolve(root, name))) throw refused;
  try {
    const real = realpathSync(resolve(root, name));
    if (!inside(realpathSync(root), real) || !statSync(real).isFile()) throw refused;
    return real;
  } catch {
    throw refused;
  }
}

/** Reads a TensorFlow.js LayersModel folder (model.json plus its weight shards) straight from disk. */
export function readLayersArtifacts(folder: string): tf.io.ModelArtifacts {
  const modelPath = join(folder, 'model.json');
  if (!existsSync(modelPath))
    throw invalid(`no model.json in probe folder ${folder}`, [{ field: 'folder', message: 'no model.json' }]);
  const json = JSON.parse(readFileSync(modelPath, 'utf8')) as {
    modelTopology?: unknown;
    format?: string;
    weightsManifest?: WeightsGroup[];
  };
  if (json.modelTopology == null || !Array.isArray(json.weightsManifest)) {
    throw invalid(`${modelPath} is not a TensorFlow.js LayersModel (no modelTopology or weightsManifest)`, [
      { field: 'folder', message: 'not a LayersModel' },
    ]);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw invalid(`${modelPath} has format '${json.format}'; only 'layers-model' probes are supported`, [
      { field: 'folder', message: 'not a LayersModel' },
    ]);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) shards.push(readFileSync(shardPath(folder, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: specs,
    weightData,
    format: 'layers-model',
  };
}

function readMetaFile(folder: string): Partial<LayersProbeMeta> {
  const path = join(folder, 'probe.json');
  if (!existsSync(path)) return {};
  return JSON.parse(readFileSync(path, 'utf8')) as Partial<LayersProbeMeta>;
}

/**
 * Loads a probe from a folder. Its description comes from `probe.json` in the folder when there
 * is one, then from `meta`; the input size defaults to the model's declared input size.
 */
export async function loadProbe(folder: string, meta: Partial<LayersProbeMeta> = {}): Promise<Probe> {
  const dir = resolve(folder);
  const artifacts = readLayersArtifacts(dir);
  const merged = { ...readMetaFile(dir), ...meta };
  const pixelScaling = merged.pixelScaling;
  if (pixelScaling === undefined || !PIXEL_SCALINGS.includes(pixelScaling)) {
    throw invalid(
      `probe ${dir}: pixel scaling ${pixelScaling === undefined ? 'not given' : `'${String(pixelScaling)}' unknown`}; ` +
        `set it in probe.json or pass one of ${PIXEL_SCALINGS.join(', ')}`,
      [{ field: 'pixel_scaling', message: `one of ${PIXEL_SCALINGS.join(', ')}` }],
    );
  }
  const model = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const declared = model.inputs[0]?.shape[1];
  const inputSize = merged.inputSize ?? (typeof declared === 'number' ? declared : undefined);
  if (inputSize === undefined || !Number.isInteger(inputSize) || inputSize <= 0) {
    model.dispose();
    throw invalid(`probe ${dir}: the model declares no input size; set inputSize in probe.json or pass it`, [
      { field: 'input_size', message: 'required for this model' },
    ]);
  }
  return probeFromLayersModel(model, {
    name: merged.name ?? basename(dir),
    architecture: merged.architecture ?? model.name,
    inputSize,
    pixelScaling,
  });
}

/** The probe shipped with the package, found by walking up from this module (src/ or dist/src/). */
export function defaultProbeFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'probes', DEFAULT_PROBE_DIRNAME);
    if (existsSync(join(candidate, 'model.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`the bundled probe probes/${DEFAULT_PROBE_DIRNAME} is missing from this installation`);
    dir = parent;
  }
}
