/**
 * The dataset profile: what was ingested and what looks wrong with it. Built incrementally,
 * one accepted image at a time, so it never needs the images themselves.
 */
import type { ImageIssue } from './errors.js';
import type { Fit, ImageInfo } from './decode.js';
import type { Split } from './split.js';

export type ProfileWarningCode =
  | 'CLASS_IMBALANCE'
  | 'TINY_CLASSES'
  | 'MIXED_SIZES'
  | 'NEAR_CONSTANT_IMAGES'
  | 'DUPLICATES'
  | 'CROSS_SPLIT_DUPLICATES'
  | 'SKIPPED_IMAGES'
  | 'UPSCALED_IMAGES'
  | 'IGNORED_FILES'
  | 'SPLIT_REQUEST_IGNORED'
  | 'CONVERTED_CHANNELS';

/**
 * How the stored channel count was chosen: every image already had it (`images`), most did and
 * the rest were converted (`majority`), or the user asked for it (`option`).
 */
export type ChannelsChoice = 'images' | 'majority' | 'option';

export interface ProfileWarning {
  readonly code: ProfileWarningCode;
  readonly message: string;
}

export interface SizeCount {
  readonly width: number;
  readonly height: number;
  readonly count: number;
}

export interface DatasetProfile {
  readonly imageCount: number;
  readonly classCount: number;
  readonly classCounts: Record<string, number>;
  /** split name ('train' | 'val' | 'test', or 'unsplit') -> class name -> count */
  readonly splitCounts: Record<string, Record<string, number>>;
  readonly sizes: {
    readonly distinct: number;
    /** The most common original sizes, most frequent first (at most 20). */
    readonly top: readonly SizeCount[];
    readonly minWidth: number;
    readonly maxWidth: number;
    readonly minHeight: number;
    readonly maxHeight: number;
  };
  /** Original channel counts (alpha excluded) -> images. */
  readonly channels: Record<string, number>;
  /** Original bits per sample -> images. */
  readonly bitDepths: Record<string, number>;
  readonly formats: Record<string, number>;
  readonly duplicates: {
    /** Sets of images whose normalised pixels are identical (sha256). */
    readonly groups: number;
    /** Images beyond the first of each set. */
    readonly redundantImages: number;
    /** Sets spanning more than one split: a leak between train and test. */
    readonly crossSplitGroups: number;
    readonly examples: readonly (readonly string[])[];
  };
  readonly nearConstant: { readonly count: number; readonly examples: readonly string[] };
  readonly normalised: {
    readonly size: number;
    readonly channels: 1 | 3;
    readonly fit: Fit;
    /** Absent in profiles stored before the choice was recorded. */
    readonly channelsChoice?: ChannelsChoice;
  };
  readonly skipped: readonly ImageIssue[];
  readonly warnings: readonly ProfileWarning[];
}

export interface ProfileThresholds {
  /** Largest/smallest class count above which CLASS_IMBALANCE is raised. */
  readonly imbalanceRatio: number;
  /** Classes with fewer images than this are listed in TINY_CLASSES. */
  readonly tinyClass: number;
  /** Standard deviation (0..255 scale) of normalised pixels below which an image is near-constant. */
  readonly nearConstantStd: number;
}

export const DEFAULT_THRESHOLDS: ProfileThresholds = { imbalanceRatio: 3, tinyClass: 20, nearConstantStd: 2 };

const EXAMPLES = 20;

export function pixelStd(pixels: Uint8Array): number {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / pixels.length;
  return Math.sqrt(Math.max(0, sumSq / pixels.length - mean * mean));
}

interface Entry {
  readonly ref: string;
  readonly label: string;
  readonly info: ImageInfo;
  readonly hash: string;
  readonly std: number;
}

export class ProfileBuilder {
  private readonly entries: Entry[] = [];

  add(ref: string, label: string, info: ImageInfo, hash: string, std: number): void {
    this.entries.push({ ref, label, info, hash, std });
  }

  get count(): number {
    return this.entries.length;
  }

  build(args: {
    classNames: readonly string[];
    splits: readonly (Split | null)[];
    normalised: DatasetProfile['normalised'];
    skipped: readonly ImageIssue[];
    extraWarnings: readonly ProfileWarning[];
    thresholds: ProfileThresholds;
  }): DatasetProfile {
    const { classNames, splits, thresholds } = args;
    const tally = (into: Record<string, number>, key: string) => {
      into[key] = (into[key] ?? 0) + 1;
    };
    const classCounts: Record<string, number> = Object.fromEntries(classNames.map((n) => [n, 0]));
    const splitCounts: Record<string, Record<string, number>> = {};
    const sizes = new Map<string, SizeCount>();
    const channels: Record<string, number> = {};
    const bitDepths: Record<string, number> = {};
    const formats: Record<string, number> = {};
    const byHash = new Map<string, number[]>();
    const nearConstant: string[] = [];
    let upscaled = 0;
    let minWidth = Infinity;
    let maxWidth = 0;
    let minHeight = Infinity;
    let maxHeight = 0;

    this.entries.forEach((e, i) => {
      const name = e.label;
      tally(classCounts, name);
      tally((splitCounts[splits[i] ?? 'unsplit'] ??= {}), name);
      const key = `${e.info.width}x${e.info.height}`;
      const size = sizes.get(key);
      sizes.set(key, { width: e.info.width, height: e.info.height, count: (size?.count ?? 0) + 1 });
      tally(channels, String(e.info.channels));
      tally(bitDepths, String(e.info.bitDepth));
      tally(formats, e.info.format);
      const same = byHash.get(e.hash);
      if (same) same.push(i);
      else byHash.set(e.hash, [i]);
      if (e.std < thresholds.nearConstantStd) nearConstant.push(e.ref);
      if (Math.min(e.info.width, e.info.height) < args.normalised.size) upscaled++;
      minWidth = Math.min(minWidth, e.info.width);
      maxWidth = Math.max(maxWidth, e.info.width);
      minHeight = Math.min(minHeight, e.info.height);
      maxHeight = Math.max(maxHeight, e.info.height);
    });

    const duplicateSets = [...byHash.values()].filter((s) => s.length > 1);
    const crossSplit = duplicateSets.filter((s) => new Set(s.map((i) => splits[i] ?? 'unsplit')).size > 1);
    const warnings: ProfileWarning[] = [...args.extraWarnings];
    const counts = Object.entries(classCounts);
    const largest = Math.max(...counts.map(([, n]) => n));
    const smallest = Math.min(...counts.map(([, n]) => n));
    if (smallest > 0 && largest / smallest > thresholds.imbalanceRatio) {
      warnings.push({
        code: 'CLASS_IMBALANCE',
        message: `the largest class has ${(largest / smallest).toFixed(1)}x the images of the smallest (${largest} vs ${smallest})`,
      });
    }
    const tiny = counts.filter(([, n]) => n < thresholds.tinyClass);
    if (tiny.length > 0) {
      warnings.push({
        code: 'TINY_CLASSES',
        message: `classes with fewer than ${thresholds.tinyClass} images: ${tiny.map(([c, n]) => `${c} (${n})`).join(', ')}`,
      });
    }
    if (sizes.size > 1) {
      warnings.push({
        code: 'MIXED_SIZES',
        message: `${sizes.size} different image sizes, from ${minWidth}x${minHeight} to ${maxWidth}x${maxHeight}; all were resized to ${args.normalised.size}x${args.normalised.size}`,
      });
    }
    if (nearConstant.length > 0) {
      warnings.push({
        code: 'NEAR_CONSTANT_IMAGES',
        message: `${nearConstant.length} near-constant image(s) (pixel std below ${thresholds.nearConstantStd}), e.g. ${nearConstant.slice(0, 5).join(', ')}`,
      });
    }
    if (duplicateSets.length > 0) {
      warnings.push({
        code: 'DUPLICATES',
        message: `${duplicateSets.length} set(s) of identical images (${duplicateSets.reduce((n, s) => n + s.length - 1, 0)} redundant)`,
      });
    }
    if (crossSplit.length > 0) {
      warnings.push({
        code: 'CROSS_SPLIT_DUPLICATES',
        message: `${crossSplit.length} set(s) of identical images appear in more than one split`,
      });
    }
    if (args.skipped.length > 0) {
      warnings.push({ code: 'SKIPPED_IMAGES', message: `${args.skipped.length} unusable image(s) were skipped` });
    }
    if (upscaled > 0) {
      warnings.push({
        code: 'UPSCALED_IMAGES',
        message: `${upscaled} image(s) were smaller than ${args.normalised.size} pixels on a side and were upscaled`,
      });
    }

    const sortedSizes = [...sizes.values()].sort(
      (a, b) => b.count - a.count || a.width - b.width || a.height - b.height,
    );
    return {
      imageCount: this.entries.length,
      classCount: classNames.length,
      classCounts,
      splitCounts,
      sizes: {
        distinct: sizes.size,
        top: sortedSizes.slice(0, EXAMPLES),
        minWidth: this.entries.length > 0 ? minWidth : 0,
        maxWidth,
        minHeight: this.entries.length > 0 ? minHeight : 0,
        maxHeight,
      },
      channels,
      bitDepths,
      formats,
      duplicates: {
        groups: duplicateSets.length,
        redundantImages: duplicateSets.reduce((n, s) => n + s.length - 1, 0),
        crossSplitGroups: crossSplit.length,
        examples: duplicateSets.slice(0, EXAMPLES).map((s) => s.map((i) => this.entries[i]!.ref)),
      },
      nearConstant: { count: nearConstant.length, examples: nearConstant.slice(0, EXAMPLES) },
      normalised: args.normalised,
      skipped: args.skipped,
      warnings,
    };
  }
}
