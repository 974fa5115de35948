import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { parseNpy, type NpyArray } from '../../../src/images/npy.js';
import type { LabelledImages } from '../../../src/task2vec/images.js';

function entry(files: Record<string, Uint8Array>, key: string, path: string): NpyArray {
  const bytes = files[`${key}.npy`];
  if (bytes === undefined) throw new Error(`${path} has no array '${key}'`);
  return parseNpy(bytes);
}

/** The first `count` images of one split of a MedMNIST-style npz (`<split>_images`, `<split>_labels`). */
export function readNpzImages(path: string, split: string, count: number): LabelledImages {
  const files = unzipSync(readFileSync(path));
  const images = entry(files, `${split}_images`, path);
  const labels = entry(files, `${split}_labels`, path);
  if (images.data.kind !== 'numeric' || images.data.dtype !== 'u1')
    throw new Error(`${path}: ${split}_images is not uint8`);
  if (labels.data.kind !== 'numeric') throw new Error(`${path}: ${split}_labels is not numeric`);
  const [n, height, width, channels = 1] = images.shape;
  if (n === undefined || height === undefined || width === undefined)
    throw new Error(`${path}: ${split}_images has shape ${images.shape.join('x')}`);
  if (count > n) throw new Error(`${path}: asked for ${count} images, the split has ${n}`);
  if (channels !== 1 && channels !== 3) throw new Error(`${path}: ${channels} channels`);
  const size = height * width * channels;
  const labelValues = labels.data.values;
  return {
    id: `${path}#${split}[0:${count}]`,
    count,
    height,
    width,
    channels,
    pixels: (images.data.values as Uint8Array).slice(0, count * size),
    labels: Int32Array.from({ length: count }, (_, i) => Number(labelValues[i])),
  };
}
