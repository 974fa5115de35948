import { z } from 'zod';
import { DATASET_ID } from '../registry/dataset.js';
import { METRICS, type Metric } from '../transfer/index.js';

export const ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const id = z
  .string()
  .regex(ID, 'lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit');

/** Metrics a study may report, all proportions in [0, 1]: the transfer domain's list. */
export const STUDY_METRICS = METRICS;
export type StudyMetric = Metric;

export const protocolSchema = z.strictObject({
  architecture: z.string().trim().min(1).max(500),
  image_size: z.int32().positive().optional(),
  fine_tuning: z.string().trim().min(1).max(200),
  hyperparameters: z.string().trim().min(1).max(4000),
  folds: z.int32().min(1).optional(),
  runs: z.int32().min(1).optional(),
});

export const candidateSetSchema = z.strictObject({
  id,
  description: z.string().trim().min(1).max(1000),
  backbones: z.array(id).min(1),
});

export const studyFileSchema = z
  .strictObject({
    id: z
      .string()
      .regex(DATASET_ID, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 64'),
    title: z.string().trim().min(1).max(500),
    authors: z.string().trim().min(1).max(2000),
    year: z.int32().min(1900).max(2100),
    citation: z.string().trim().min(1, 'a study must say how to cite it').max(4000),
    doi: z.string().trim().min(1).max(200).optional(),
    url: z.url().max(500).optional(),
    licence: z.string().trim().min(1, 'a study must name its licence').max(200),
    metric: z.enum(STUDY_METRICS),
    protocol: protocolSchema,
    candidate_sets: z.array(candidateSetSchema).min(1).optional(),
    // Signals the catalogue does not know yet, so that a new study's scores go in without code changes.
    signals: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
        z.strictObject({
          kind: z.enum(['backbone', 'source']),
          direction: z.enum(['higher_is_better', 'lower_is_closer']),
          description: z.string().trim().min(1).max(1000),
        }),
      )
      .optional(),
    files: z
      .strictObject({
        results: z.string().min(1).optional(),
        signals: z.string().min(1).optional(),
        spread: z.string().min(1).optional(),
        expert_distances: z.string().min(1).optional(),
        embeddings: z.string().min(1).optional(),
      })
      .optional(),
  })
  .refine((s) => s.doi !== undefined || s.url !== undefined, {
    message: 'a study needs a doi or a url',
    path: ['doi'],
  });

export type StudyFile = z.infer<typeof studyFileSchema>;
export type StudyProtocol = z.infer<typeof protocolSchema>;
export type CandidateSet = z.infer<typeof candidateSetSchema>;

export const backboneSchema = z.strictObject({
  id,
  source: z.string().regex(DATASET_ID),
  architecture: z.string().trim().min(1).max(100),
  weights: z
    .strictObject({
      provider: z.string().trim().min(1).max(100),
      url: z.url().max(500).optional(),
      reference: z.string().trim().min(1).max(1000).optional(),
      licence: z.string().trim().min(1).max(200),
    })
    .refine((w) => w.url !== undefined || w.reference !== undefined, {
      message: 'weights need a url or a reference',
      path: ['url'],
    }),
  description: z.string().trim().min(1).max(2000).optional(),
});

export type Backbone = z.infer<typeof backboneSchema>;
