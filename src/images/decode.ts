/**
 * One image in, one normalised image out: square `size` x `size`, uint8, 1 or 3 channels.
 * Sniffs DICOM and BMP by their magic bytes (sharp has no loader for either here) and hands
 * everything else to sharp. 16-bit inputs are resized at full precision and then stretched
 * min-max to 0..255 per image, because microscopy and X-ray values rarely fill 16 bits.
 */
import { open, readFile } from 'node:fs/promises';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { bmpDimensions, decodeBmp, isBmp, BmpError, type RawImage } from './bmp.js';
import { decodeDicom, isDicom, readDicomHeader, DicomError } from './dicom.js';
import type { ImageIssueCode } from './errors.js';

export type Fit = 'cover' | 'contain' | 'fill';

export interface NormaliseOptions {
  readonly size: number;
  readonly fit: Fit;
  readonly maxPixels: number;
}

/** What the file held before normalisation, for the dataset profile. */
export interface ImageInfo {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly bitDepth: number;
  readonly format: string;
}

/** A reason one image cannot be used; the orchestrator collects these across the dataset. */
export class ImageProblem extends Error {
  override readonly name = 'ImageProblem';
  constructor(
    readonly code: ImageIssueCode,
    message: string,
  ) {
    super(message);
  }
}

const SHARP_FORMATS = new Set(['jpeg', 'png', 'tiff', 'webp', 'gif']);

// Every image is decoded once; libvips' operation cache would only hold memory across 20,000 of them.
sharp.cache(false);

function firstLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
  // libvips sometimes has nothing better to say about a truncated stream.
  return line === '' || /^unknown error$/i.test(line) ? 'truncated or corrupt image data' : line;
}

function checkPixels(width: number, height: number, maxPixels: number): void {
  if (width * height > maxPixels)
    throw new ImageProblem('PIXEL_LIMIT', `${width}x${height} is over the pixel limit of ${maxPixels}`);
}

function fromDicomError(e: unknown): ImageProblem {
  if (e instanceof ImageProblem) return e;
  if (e instanceof DicomError) {
    if (/over the pixel limit/.test(e.message)) return new ImageProblem('PIXEL_LIMIT', e.message);
    return new ImageProblem(e.unsupportedSyntax ? 'UNSUPPORTED_TRANSFER_SYNTAX' : 'BAD_DICOM', e.message);
  }
  return new ImageProblem('BAD_DICOM', firstLine(e));
}

function depthBits(depth: string | undefined): number {
  switch (depth) {
    case 'ushort':
    case 'short':
      return 16;
    case 'uint':
    case 'int':
    case 'float':
      return 32;
    case 'double':
      return 64;
    default:
      return 8;
  }
}

/**
 * Probes a file reading as little as possible: the magic bytes, then the header through sharp,
 * or the whole file for DICOM and BMP whose headers this module parses itself.
 */
export async function probeFile(path: string, maxPixels: number): Promise<ImageInfo> {
  const head = new Uint8Array(132);
  const handle = await open(path, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await handle.read(head, 0, head.length, 0));
  } finally {
    await handle.close();
  }
  const magic = head.subarray(0, read);
  if (isDicom(magic) || isBmp(magic)) return probeImage(await readFile(path), maxPixels);
  return probeSharp(path, maxPixels);
}

/** Reads only what is needed to know size, channels and depth; refuses bombs before decoding. */
export async function probeImage(bytes: Uint8Array, maxPixels: number): Promise<ImageInfo> {
  if (isDicom(bytes)) {
    try {
      const h = readDicomHeader(bytes);
      checkPixels(h.width, h.height, maxPixels);
      return {
        width: h.width,
        height: h.height,
        channels: h.samples === 3 ? 3 : 1,
        bitDepth: h.bitsStored,
        format: 'dicom',
      };
    } catch (e) {
      throw fromDicomError(e);
    }
  }
  if (isBmp(bytes)) {
    try {
      const { width, height } = bmpDimensions(bytes);
      checkPixels(width, height, maxPixels);
      const image = decodeBmp(bytes);
      return { width, height, channels: image.channels, bitDepth: 8, format: 'bmp' };
    } catch (e) {
      if (e instanceof ImageProblem) throw e;
      throw new ImageProblem('CORRUPT_IMAGE', (e as BmpError).message);
    }
  }
  return probeSharp(bytes, maxPixels);
}

async function probeSharp(input: Uint8Array | string, maxPixels: number): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    const message = firstLine(e);
    if (/unsupported image format/i.test(message))
      throw new ImageProblem(
        'UNSUPPORTED_IMAGE',
        'not an image format this service reads (PNG, JPEG, TIFF, BMP, WebP, GIF, DICOM)',
      );
    throw new ImageProblem('CORRUPT_IMAGE', message);
  }
  if (!SHARP_FORMATS.has(meta.format ?? ''))
    throw new ImageProblem('UNSUPPORTED_IMAGE', `${meta.format ?? 'unknown'} images are not supported`);
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width === 0 || height === 0) throw new ImageProblem('CORRUPT_IMAGE', 'image has no dimensions');
  checkPixels(width, height, maxPixels);
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  return { width, height, channels: grey ? 1 : 3, bitDepth: depthBits(meta.depth), format: meta.format! };
}

function stretch16(data: Buffer): Uint8Array {
  const values = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  let min = 65535;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const out = new Uint8Array(values.length);
  const range = max - min;
  if (range === 0) return out;
  for (let i = 0; i < values.length; i++) out[i] = Math.round(((values[i]! - min) * 255) / range);
  return out;
}

async function finish(
  pipeline: Sharp,
  channels: 1 | 3,
  options: NormaliseOptions,
  sixteen: boolean,
): Promise<Uint8Array> {
  const resized = pipeline
    .resize(options.size, options.size, { fit: options.fit, background: { r: 0, g: 0, b: 0 } })
    .removeAlpha();
  if (sixteen) {
    const { data, info } = await resized
      .toColourspace(channels === 1 ? 'grey16' : 'rgb16')
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== channels)
      throw new ImageProblem('CORRUPT_IMAGE', `decoded to ${info.channels} channels, expected ${channels}`);
    return stretch16(data);
  }
  const { data, info } = await resized
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels)
    throw new ImageProblem('CORRUPT_IMAGE', `decoded to ${info.channels} channels, expected ${channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Normalises decoded uint8 pixels (from npz arrays, BMP or DICOM). */
export async function normaliseRaw(image: RawImage, channels: 1 | 3, options: NormaliseOptions): Promise<Uint8Array> {
  if (image.width === options.size && image.height === options.size && image.channels === channels) return image.data;
  const input = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  return finish(input, channels, options, false);
}

/**
 * Decodes an image file's bytes and normalises it; `info` describes the original. Pass the
 * info from an earlier probe to skip reading the header twice.
 */
export async function normaliseFile(
  bytes: Uint8Array,
  channels: 1 | 3,
  options: NormaliseOptions,
  probed?: ImageInfo,
): Promise<{ info: ImageInfo; pixels: Uint8Array }> {
  const info = probed ?? (await probeImage(bytes, options.maxPixels));
  if (info.format === 'dicom') {
    let image;
    try {
      image = await decodeDicom(bytes, options.maxPixels);
    } catch (e) {
      throw fromDicomError(e);
    }
    return { info, pixels: await normaliseRaw(image, channels, options) };
  }
  if (info.format === 'bmp') {
    return { info, pixels: await normaliseRaw(decodeBmp(bytes), channels, options) };
  }
  try {
    const input = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'truncated' }).rotate();
    return { info, pixels: await finish(input, channels, options, info.bitDepth === 16) };
  } catch (e) {
    if (e instanceof ImageProblem) throw e;
    throw new ImageProblem('CORRUPT_IMAGE', firstLine(e));
  }
}
