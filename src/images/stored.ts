/**
 * On-disk layout of a normalised dataset, written once at ingestion and read by embeddings:
 *   pixels.u8      N fixed-size records, each size*size*channels uint8 bytes in HWC order
 *   manifest.json  labels, splits, groups and source refs as parallel arrays, plus class names
 *   profile.json   the dataset profile
 * Fixed-size records let a reader fetch any subset by offset without an index.
 */
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestionError } from './errors.js';
import type { DatasetProfile } from './profile.js';
import { seededRandom } from '../random.js';
import { shuffled, type Split } from './split.js';
import type { LabelledImages, StreamedImages } from './labelled.js';

export const PIXELS_FILE = 'pixels.u8';
export const MANIFEST_FILE = 'manifest.json';
export const PROFILE_FILE = 'profile.json';
const LAYOUT = 'transfer-atlas/normalised-images';
const MAX_READ_BYTES = 256 * 1024 * 1024;

export interface StoredManifest {
  readonly layout: typeof LAYOUT;
  readonly version: 1;
  readonly size: number;
  readonly channels: 1 | 3;
  readonly count: number;
  readonly classNames: readonly string[];
  readonly labels: readonly number[];
  readonly splits: readonly (Split | null)[];
  readonly groups: readonly string[] | null;
  /** Where each image came from: a path relative to the dataset root, or `key[index]` in an npz. */
  readonly refs: readonly string[];
}

/** Appends normalised records in order; the caller decides what to do with the files on failure. */
export class PixelWriter {
  private constructor(
    private readonly handle: FileHandle,
    readonly recordBytes: number,
  ) {}
  private written = 0;

  static async create(dir: string, recordBytes: number): Promise<PixelWriter> {
    return new PixelWriter(await open(join(dir, PIXELS_FILE), 'wx'), recordBytes);
  }

  async append(pixels: Uint8Array): Promise<void> {
    if (pixels.length !== this.recordBytes)
      throw new Error(`record of ${pixels.length} bytes, expected ${this.recordBytes}`);
    let offset = 0;
    while (offset < pixels.length)
      offset += (await this.handle.write(pixels, offset, pixels.length - offset, null)).bytesWritten;
    this.written++;
  }

  get count(): number {
    return this.written;
  }

  async close(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
  }
}

export async function writeManifest(
  dir: string,
  manifest: Omit<StoredManifest, 'layout' | 'version'>,
  profile: DatasetProfile,
): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify({ layout: LAYOUT, version: 1, ...manifest }), {
    flag: 'wx',
  });
  await writeFile(join(dir, PROFILE_FILE), JSON.stringify(profile, null, 2), { flag: 'wx' });
}

/** A labelled batch in NHWC uint8, ready for a probe's own pixel scaling. */
export interface ImageBatch {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly shape: readonly [number, number, number, number];
  readonly indices: readonly number[];
}

export interface SelectOptions {
  readonly split?: Split;
  /** At most this many images per class, chosen with `seed`. */
  readonly perClass?: number;
  /** At most this many images overall, stratified by class, chosen with `seed`. */
  readonly limit?: number;
  readonly seed?: number;
}

export class StoredDataset {
  private constructor(
    readonly dir: string,
    readonly manifest: StoredManifest,
    private readonly handle: FileHandle,
  ) {}

  static async open(dir: string): Promise<StoredDataset> {
    let manifest: StoredManifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as StoredManifest;
    } catch (e) {
      throw new IngestionError('STORED_DATASET_INVALID', `cannot read ${MANIFEST_FILE}: ${(e as Error).message}`, {
        file: join(dir, MANIFEST_FILE),
      });
    }
    if (manifest.layout !== LAYOUT || manifest.version !== 1) {
      throw new IngestionError(
        'STORED_DATASET_INVALID',
        `unknown stored layout ${String(manifest.layout)} v${String(manifest.version)}`,
        { file: join(dir, MANIFEST_FILE) },
      );
    }
    const handle = await open(join(dir, PIXELS_FILE), 'r');
    const { size } = await handle.stat();
    if (size !== manifest.count * manifest.size * manifest.size * manifest.channels) {
      await handle.close();
      throw new IngestionError(
        'STORED_DATASET_INVALID',
        `${PIXELS_FILE} holds ${size} bytes, expected ${manifest.count} records`,
        { file: join(dir, PIXELS_FILE) },
      );
    }
    return new StoredDataset(dir, manifest, handle);
  }

  get recordBytes(): number {
    return this.manifest.size * this.manifest.size * this.manifest.channels;
  }

  /** Indices of the selected images, in stored order; sampling is seeded and stratified by class. */
  select(options: SelectOptions = {}): number[] {
    const m = this.manifest;
    let indices = [...Array(m.count).keys()].filter(
      (i) => options.split === undefined || m.splits[i] === options.split,
    );
    const random = seededRandom(options.seed ?? 0);
    if (options.perClass !== undefined) {
      const byClass = new Map<number, number[]>();
      for (const i of indices) {
        const list = byClass.get(m.labels[i]!) ?? [];
        list.push(i);
        byClass.set(m.labels[i]!, list);
      }
      indices = [...byClass.keys()]
        .sort((a, b) => a - b)
        .flatMap((c) => shuffled(byClass.get(c)!, random).slice(0, options.perClass));
    }
    if (options.limit !== undefined && indices.length > options.limit) {
      // Dealing round-robin over per-class shuffles keeps class proportions in any prefix.
      const byClass = new Map<number, number[]>();
      for (const i of indices) {
        const list = byClass.get(m.labels[i]!) ?? [];
        list.push(i);
        byClass.set(m.labels[i]!, list);
      }
      const queues = [...byClass.keys()].sort((a, b) => a - b).map((c) => shuffled(byClass.get(c)!, random));
      const total = indices.length;
      const taken: number[] = [];
      const quota = queues.map((q) => Math.floor((q.length * options.limit!) / total));
      queues.forEach((q, k) => taken.push(...q.splice(0, quota[k])));
      for (let k = 0; taken.length < options.limit; k = (k + 1) % queues.length) {
        const next = queues[k]!.shift();
        if (next !== undefined) taken.push(next);
      }
      indices = taken;
    }
    return indices.sort((a, b) => a - b);
  }

  async readBatch(indices: readonly number[]): Promise<ImageBatch> {
    const m = this.manifest;
    const record = this.recordBytes;
    const images = new Uint8Array(indices.length * record);
    const labels = new Int32Array(indices.length);
    let k = 0;
    while (k < indices.length) {
      // Coalesce runs of consecutive indices into one read.
      let run = 1;
      // Capped so that no single read approaches the 2 GiB limit of one fs read.
      const maxRun = Math.max(1, Math.floor(MAX_READ_BYTES / record));
      while (k + run < indices.length && run < maxRun && indices[k + run] === indices[k]! + run) run++;
      const first = indices[k]!;
      if (!Number.isInteger(first) || first < 0 || first + run > m.count)
        throw new RangeError(`image index ${first} out of range 0..${m.count - 1}`);
      const { bytesRead } = await this.handle.read(images, k * record, run * record, first * record);
      if (bytesRead !== run * record)
        throw new IngestionError('STORED_DATASET_INVALID', `${PIXELS_FILE} ended early reading image ${first}`, {
          file: join(this.dir, PIXELS_FILE),
        });
      for (let j = 0; j < run; j++) labels[k + j] = m.labels[first + j]!;
      k += run;
    }
    return { images, labels, shape: [indices.length, m.size, m.size, m.channels], indices: [...indices] };
  }

  /**
   * The selected images as one labelled NHWC uint8 block, in the shape Task2Vec consumes
   * (its LabelledImages); labels are class indices into `manifest.classNames`.
   */
  async load(id: string, options: SelectOptions = {}): Promise<LabelledBatch> {
    const batch = await this.readBatch(this.select(options));
    const [count, height, width, channels] = batch.shape;
    return {
      id,
      count,
      height,
      width,
      channels: channels as 1 | 3,
      pixels: batch.images,
      labels: batch.labels,
      indices: batch.indices,
      classNames: this.manifest.classNames,
    };
  }

  /**
   * The selected images as a stream: labels now, pixels read from the file a batch at a time while
   * the dataset stays open. Labels are class indices into `manifest.classNames`.
   */
  stream(id: string, options: SelectOptions = {}): StreamedImages & { readonly indices: readonly number[] } {
    const indices = this.select(options);
    const m = this.manifest;
    return {
      id,
      count: indices.length,
      height: m.size,
      width: m.size,
      channels: m.channels,
      labels: Int32Array.from(indices, (i) => m.labels[i]!),
      indices,
      read: async (wanted) => {
        const stored = Array.from(wanted, (k) => {
          const i = indices[k];
          if (i === undefined) throw new RangeError(`image index ${k} out of range 0..${indices.length - 1}`);
          return i;
        });
        return (await this.readBatch(stored)).images;
      },
    };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Stored images read back in the shape Task2Vec consumes, with where they came from. */
export interface LabelledBatch extends LabelledImages {
  /** Positions of these images in the stored dataset. */
  readonly indices: readonly number[];
  readonly classNames: readonly string[];
}

/** Opens a stored dataset, loads a selection and closes it again. */
export async function loadStoredImages(dir: string, id: string, options: SelectOptions = {}): Promise<LabelledBatch> {
  const stored = await StoredDataset.open(dir);
  try {
    return await stored.load(id, options);
  } finally {
    await stored.close();
  }
}
