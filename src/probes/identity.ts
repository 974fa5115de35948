import { createHash } from 'node:crypto';
import type { PixelScaling } from './probe.js';

export interface HashedWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly bytes: Uint8Array;
}

/**
 * Hex sha256 over everything that changes what a probe computes. Names and shapes go in
 * with the bytes so that two weights swapping places, or a reshape, change the hash.
 */
export function probeIdentityHash(
  topologyJson: string,
  weights: readonly HashedWeight[],
  inputSize: number,
  pixelScaling: PixelScaling,
): string {
  const hash = createHash('sha256');
  const field = (text: string): void => {
    hash.update(`${text.length}:`);
    hash.update(text);
  };
  field('transfer-atlas-probe-v1');
  field(topologyJson);
  for (const w of weights) {
    field(w.name);
    field(w.dtype);
    field(w.shape.join('x'));
    field(String(w.bytes.byteLength));
    hash.update(w.bytes);
  }
  field(String(inputSize));
  field(pixelScaling);
  return hash.digest('hex');
}

/**
 * A probe id short enough for a sentence: the first 12 hex digits of a hash id, which stay unique in
 * practice; a named id (a study's probe, such as torchvision-resnet50-imagenet1k-v1) whole, since
 * its prefix would say nothing.
 */
export function shortProbeId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}
