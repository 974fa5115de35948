/** What a dataset source yields before any pixel is decoded. */
import type { RawImage } from './bmp.js';
import type { ImageInfo } from './decode.js';
import type { ProfileWarning } from './profile.js';
import type { Split } from './split.js';

export type DatasetFormat = 'folder' | 'csv' | 'npz' | 'dicom';

interface ItemBase {
  /** Path relative to the dataset root, or `key[index]` inside an npz. */
  readonly ref: string;
  readonly label: string;
  readonly split: Split | null;
  readonly group: string | null;
}

export interface ListedFile extends ItemBase {
  readonly kind: 'file';
  readonly path: string;
}

export interface ListedPixels extends ItemBase {
  readonly kind: 'pixels';
  readonly info: ImageInfo;
  load(): RawImage;
}

export type ListedItem = ListedFile | ListedPixels;

export interface Listing {
  readonly format: DatasetFormat;
  readonly items: readonly ListedItem[];
  /** Class order fixed by the source (npz class_names); otherwise classes are sorted by name. */
  readonly classOrder?: readonly string[];
  readonly warnings: readonly ProfileWarning[];
}

const SPLIT_ALIASES: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  dev: 'val',
  test: 'test',
  testing: 'test',
};

export function splitFromName(name: string): Split | undefined {
  return SPLIT_ALIASES[name.trim().toLowerCase()];
}
