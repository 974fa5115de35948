import { z } from 'zod';
import type { FieldError } from '../errors.js';
import { CLASS_BANDS, COLOURS, CONTENTS, DIVERSITIES, KINDS, ORIGINS } from '../experts/index.js';

export const DATASET_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const expertFeaturesSchema = z.strictObject({
  origin: z.enum(ORIGINS),
  colour: z.enum(COLOURS),
  content: z.enum(CONTENTS),
  kind: z.enum(KINDS),
  diversity: z.enum(DIVERSITIES),
  classes: z.enum(CLASS_BANDS),
});

/** What a registry file or a registration request says about a dataset. */
export const datasetInputSchema = z.strictObject({
  id: z.string().regex(DATASET_ID, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 64'),
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().min(1).max(4000),
  origin: z.enum(ORIGINS),
  modality: z.string().trim().toLowerCase().min(1).max(64),
  images: z.int32().positive(),
  classes: z.int32().min(2),
  image_size: z.string().regex(/^(\d+x\d+|variable)$/, "WxH such as 224x224, or 'variable'"),
  channels: z.union([z.literal(1), z.literal(3)]),
  licence: z.string().trim().min(1).max(200),
  citation: z.string().trim().min(1).max(2000).optional(),
  homepage: z.url().max(500).optional(),
  backbone: z.string().trim().min(1).max(500).optional(),
  expert_features: expertFeaturesSchema.optional(),
});

export type DatasetInput = z.infer<typeof datasetInputSchema>;

/** How a dataset came to be known: reviewed registry file, API registration, or ingested images. */
export type RecordOrigin = 'registry' | 'api' | 'ingested';

export interface Dataset extends DatasetInput {
  readonly record_origin: RecordOrigin;
  readonly created_at: string;
  readonly updated_at: string;
}

export function zodIssues(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
