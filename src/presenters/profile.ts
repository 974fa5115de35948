/** Ingestion results in the API's snake_case shapes (openapi.yaml's DatasetProfile and IngestedDataset). */
import type { components } from '../api/schema.js';
import type { DatasetProfile } from '../images/index.js';
import type { IngestOutcome, ThumbnailSample } from '../services/index.js';

type Schemas = components['schemas'];

export function presentProfile(p: DatasetProfile): Schemas['DatasetProfile'] {
  return {
    image_count: p.imageCount,
    class_count: p.classCount,
    class_counts: { ...p.classCounts },
    split_counts: Object.fromEntries(Object.entries(p.splitCounts).map(([split, counts]) => [split, { ...counts }])),
    sizes: {
      distinct: p.sizes.distinct,
      top: p.sizes.top.map((s) => ({ width: s.width, height: s.height, count: s.count })),
      min_width: p.sizes.minWidth,
      max_width: p.sizes.maxWidth,
      min_height: p.sizes.minHeight,
      max_height: p.sizes.maxHeight,
    },
    channels: { ...p.channels },
    bit_depths: { ...p.bitDepths },
    formats: { ...p.formats },
    duplicates: {
      groups: p.duplicates.groups,
      redundant_images: p.duplicates.redundantImages,
      cross_split_groups: p.duplicates.crossSplitGroups,
      examples: p.duplicates.examples.map((set) => [...set]),
    },
    near_constant: { count: p.nearConstant.count, examples: [...p.nearConstant.examples] },
    normalised: {
      size: p.normalised.size,
      channels: p.normalised.channels,
      fit: p.normalised.fit,
      ...(p.normalised.channelsChoice !== undefined ? { channels_choice: p.normalised.channelsChoice } : {}),
    },
    skipped: p.skipped.map((s) => ({ file: s.file, code: s.code, reason: s.reason })),
    warnings: p.warnings.map((w) => ({ code: w.code, message: w.message })),
  };
}

export function presentIngested(outcome: IngestOutcome): Schemas['IngestedDataset'] {
  const i = outcome.ingestion;
  return {
    dataset: outcome.dataset as Schemas['Dataset'],
    profile: presentProfile(outcome.profile),
    ingestion: {
      format: i.format,
      archive: i.archive as Schemas['IngestedDataset']['ingestion']['archive'],
      split_source: i.splitSource,
      split_counts: { ...i.splitCounts },
      stored_bytes: i.storedBytes,
      seconds: i.seconds,
    },
  };
}

/** Each sampled image with where its PNG is served. */
export function presentThumbnails(sample: ThumbnailSample): Schemas['ThumbnailSample'] {
  return {
    dataset: sample.dataset,
    images: sample.images,
    items: sample.items.map((i) => ({
      index: i.index,
      label: i.label,
      split: i.split,
      url: `/v1/datasets/${sample.dataset}/images/${i.index}`,
    })),
  };
}
