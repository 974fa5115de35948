/** A small published study as a folder in memory: two backbones, two targets, one baseline, two signals. */
import type { StudyFolder } from '../../src/studies/index.js';

export const STUDY_YAML = `id: tiny-study
title: A tiny study
authors: A. Author
year: 2025
citation: "Author A. A tiny study. Journal, 2025."
url: https://example.org/tiny
licence: CC-BY-4.0
metric: accuracy
protocol:
  architecture: resnet18
  image_size: 224
  fine_tuning: full
  hyperparameters: fixed
  folds: 2
`;

export const RESULTS_CSV = `backbone,target,fold,value
imagenet-resnet18,isic,1,0.81
imagenet-resnet18,isic,2,0.83
tiny-chest-resnet18,isic,1,0.78
tiny-chest-resnet18,isic,2,0.8
,isic,1,0.7
,isic,2,0.72
imagenet-resnet18,chest,1,0.9
imagenet-resnet18,chest,2,0.91
`;

export const SIGNALS_CSV = `backbone,target,signal,value
imagenet-resnet18,isic,logme,1.5
tiny-chest-resnet18,isic,logme,0.5
`;

export const BACKBONE_YAML = `id: tiny-chest-resnet18
source: chest
architecture: resnet18
weights:
  provider: study
  url: https://example.org/tiny/weights
  licence: CC-BY-4.0
`;

export function tinyStudy(overrides: Record<string, string | undefined> = {}): StudyFolder {
  const files: Record<string, string | undefined> = {
    'study.yaml': STUDY_YAML,
    'results.csv': RESULTS_CSV,
    'signals.csv': SIGNALS_CSV,
    'backbones/tiny-chest-resnet18.yaml': BACKBONE_YAML,
    ...overrides,
  };
  return {
    name: 'tiny-study',
    files: new Map(
      Object.entries(files).flatMap(([k, v]) => (v === undefined ? [] : [[k, new TextEncoder().encode(v)] as const])),
    ),
  };
}
