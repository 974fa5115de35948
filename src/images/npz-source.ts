/**
 * Turns npz arrays into listed images: the MedMNIST layout ({train,val,test}_images/_labels,
 * splits given by the keys) or the generic images/labels with optional class_names,
 * split and group arrays (e.g. bccd's source_image).
 *
 * Pixel values: uint8 as is; other dtypes whose values all lie in 0..255 are rounded; floats
 * in 0..1 are scaled by 255; anything else is stretched min-max per image.
 */
import type { RawImage } from './bmp.js';
import { IngestionError } from './errors.js';
import type { ListedPixels, Listing } from './listing.js';
import { splitFromName } from './listing.js';
import type { NpyArray } from './npy.js';
import type { Split } from './split.js';
import { definedOnly } from '../defaults.js';

const SPLIT_PREFIXES = ['train', 'val', 'valid', 'validation', 'test'];
const CLASS_NAME_KEYS = ['class_names', 'classes', 'label_names'];
const GROUP_KEYS = ['source_image', 'group', 'groups', 'patient_id', 'patient'];
const SPLIT_KEYS = ['split', 'splits'];

const BIT_DEPTH: Record<string, number> = {
  u1: 8,
  i1: 8,
  u2: 16,
  i2: 16,
  u4: 32,
  i4: 32,
  u8: 64,
  i8: 64,
  f4: 32,
  f8: 64,
};

function bad(file: string, message: string): IngestionError {
  return new IngestionError('BAD_NPZ', `${file}: ${message}`, { file });
}

function strings(array: NpyArray | undefined, n: number, key: string, file: string): string[] | undefined {
  if (!array) return undefined;
  const values =
    array.data.kind === 'unicode'
      ? [...array.data.values]
      : Array.from(array.data.values as ArrayLike<number | bigint>, (v) => String(v));
  if (values.length !== n) throw bad(file, `'${key}' has ${values.length} entries for ${n} images`);
  return values;
}

function firstKey<T>(arrays: Map<string, T>, keys: readonly string[]): [string, T] | undefined {
  for (const k of keys) {
    const v = arrays.get(k);
    if (v !== undefined) return [k, v];
  }
  return undefined;
}

interface Layout {
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3 | 4;
  readonly chw: boolean;
}

function layoutOf(images: NpyArray, key: string, file: string): Layout {
  const s = images.shape;
  if (images.data.kind !== 'numeric') throw bad(file, `'${key}' holds strings, not pixels`);
  if (s.length === 3) return { n: s[0]!, height: s[1]!, width: s[2]!, channels: 1, chw: false };
  if (s.length === 4) {
    const last = s[3]!;
    if (last === 1 || last === 3 || last === 4)
      return { n: s[0]!, height: s[1]!, width: s[2]!, channels: last, chw: false };
    const second = s[1]!;
    if (second === 1 || second === 3) return { n: s[0]!, height: s[2]!, width: s[3]!, channels: second, chw: true };
  }
  throw bad(file, `'${key}' has shape [${s.join(', ')}]; expected [N,H,W], [N,H,W,C] or [N,C,H,W] with C of 1 or 3`);
}

/** How raw values map to uint8 for a whole array, decided once from its range. */
function scalingOf(images: NpyArray): 'copy' | 'round' | 'unit' | 'stretch' {
  if (images.data.kind !== 'numeric') return 'stretch';
  if (images.data.dtype === 'u1') return 'copy';
  let min = Infinity;
  let max = -Infinity;
  for (const raw of images.data.values) {
    const v = Number(raw);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const float = images.data.dtype === 'f4' || images.data.dtype === 'f8';
  if (float && min >= 0 && max <= 1) return 'unit';
  if (min >= 0 && max <= 255) return 'round';
  return 'stretch';
}

function loader(
  images: NpyArray,
  layout: Layout,
  index: number,
  scaling: ReturnType<typeof scalingOf>,
): () => RawImage {
  return () => {
    const values = (images.data as { values: ArrayLike<number | bigint> & { subarray?: unknown } }).values;
    const { height, width, channels, chw } = layout;
    const perImage = height * width * channels;
    const start = index * perImage;
    const keep: 1 | 3 = channels === 1 ? 1 : 3;
    if (scaling === 'copy' && !chw && channels === keep) {
      return { width, height, channels: keep, data: (values as Uint8Array).subarray(start, start + perImage) };
    }
    const out = new Uint8Array(height * width * keep);
    let min = Infinity;
    let max = -Infinity;
    if (scaling === 'stretch') {
      for (let i = 0; i < perImage; i++) {
        const v = Number(values[start + i]!);
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < keep; c++) {
          const from = chw ? start + (c * height + y) * width + x : start + (y * width + x) * channels + c;
          const v = Number(values[from]!);
          let u: number;
          if (scaling === 'unit') u = v * 255;
          else if (scaling === 'stretch') u = max > min ? ((v - min) * 255) / (max - min) : 0;
          else u = v;
          out[(y * width + x) * keep + c] = Math.max(0, Math.min(255, Math.round(u)));
        }
      }
    }
    return { width, height, channels: keep, data: out };
  };
}

function labelNames(
  array: NpyArray,
  n: number,
  key: string,
  file: string,
  classNames: readonly string[] | undefined,
): string[] {
  const s = array.shape;
  if (!(s.length === 1 || (s.length === 2 && s[1] === 1)) || s[0] !== n) {
    const multi = s.length === 2 && s[1]! > 1 ? ' (multi-label targets are not supported)' : '';
    throw bad(file, `'${key}' has shape [${s.join(', ')}] for ${n} images; expected [${n}] or [${n}, 1]${multi}`);
  }
  if (array.data.kind === 'unicode') return [...array.data.values];
  return Array.from(array.data.values as ArrayLike<number | bigint>, (raw, i) => {
    const v = Number(raw);
    if (!Number.isInteger(v) || v < 0) throw bad(file, `'${key}'[${i}] is ${v}, not a class index`);
    if (classNames) {
      const name = classNames[v];
      if (name === undefined)
        throw bad(file, `'${key}'[${i}] is ${v} but class_names has only ${classNames.length} names`);
      return name;
    }
    return String(v);
  });
}

export function listNpz(arrays: Map<string, NpyArray>, file: string): Listing {
  const classEntry = firstKey(arrays, CLASS_NAME_KEYS);
  if (classEntry && classEntry[1].data.kind !== 'unicode') throw bad(file, `'${classEntry[0]}' must be a string array`);
  const classNames = classEntry ? [...(classEntry[1].data.values as readonly string[])] : undefined;

  const sets: { imagesKey: string; labelsKey: string; split: Split | null; groupKey?: string; splitKey?: string }[] =
    [];
  for (const prefix of SPLIT_PREFIXES) {
    if (arrays.has(`${prefix}_images`))
      sets.push({ imagesKey: `${prefix}_images`, labelsKey: `${prefix}_labels`, split: splitFromName(prefix)! });
  }
  if (sets.length === 0) {
    if (!arrays.has('images')) {
      throw bad(
        file,
        `no image array found; expected 'images' and 'labels', or MedMNIST keys like 'train_images' and 'train_labels' (found: ${[...arrays.keys()].join(', ')})`,
      );
    }
    const groupEntry = firstKey(arrays, GROUP_KEYS);
    const splitEntry = firstKey(arrays, SPLIT_KEYS);
    sets.push({
      imagesKey: 'images',
      labelsKey: 'labels',
      split: null,
      ...definedOnly({
        groupKey: groupEntry ? groupEntry[0] : undefined,
        splitKey: splitEntry ? splitEntry[0] : undefined,
      }),
    });
  }

  const items: ListedPixels[] = [];
  for (const set of sets) {
    const images = arrays.get(set.imagesKey)!;
    const labels = arrays.get(set.labelsKey);
    if (!labels) throw bad(file, `'${set.imagesKey}' has no matching '${set.labelsKey}'`);
    const layout = layoutOf(images, set.imagesKey, file);
    const names = labelNames(labels, layout.n, set.labelsKey, file, classNames);
    const groups = set.groupKey ? strings(arrays.get(set.groupKey), layout.n, set.groupKey, file) : undefined;
    const splitValues = set.splitKey ? strings(arrays.get(set.splitKey), layout.n, set.splitKey, file) : undefined;
    const scaling = scalingOf(images);
    const bitDepth = images.data.kind === 'numeric' ? (BIT_DEPTH[images.data.dtype] ?? 8) : 8;
    const info = {
      width: layout.width,
      height: layout.height,
      channels: layout.channels === 1 ? 1 : 3,
      bitDepth,
      format: 'npz',
    } as const;
    for (let i = 0; i < layout.n; i++) {
      let split = set.split;
      if (splitValues) {
        const parsed = splitFromName(splitValues[i]!);
        if (!parsed) throw bad(file, `'${set.splitKey}'[${i}] is '${splitValues[i]}'; expected train, val or test`);
        split = parsed;
      }
      items.push({
        kind: 'pixels',
        ref: `${set.imagesKey}[${i}]`,
        label: names[i]!,
        split,
        group: groups?.[i] ?? null,
        info,
        load: loader(images, layout, i, scaling),
      });
    }
  }
  return { format: 'npz', items, ...definedOnly({ classOrder: classNames || undefined }), warnings: [] };
}
