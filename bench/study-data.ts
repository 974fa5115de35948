/**
 * Reads the two published studies for the ranker benchmark straight from their reference copies
 * (../shared/reference), into the ranking domain's plain evidence types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BackboneTraits, Evidence, Observation, PairSignal, TargetTraits } from '../src/ranking/index.js';
import { parseNpy, toFloat64 } from '../src/images/npy.js';
import { distance } from '../src/task2vec/distance.js';
import type { ComparableEmbedding } from '../src/task2vec/embedding.js';
import type { PixelScaling } from '../src/probes/probe.js';

const MEDMNIST = 'medmnist-transferability';
const CATS = 'cats-scans';

/** CSV with a header row; no quoted commas occur in these files. */
function readCsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

/** MedMNIST v2 (Yang et al. 2023): modality, colour, classes; the study fine-tuned on 100 images per class. */
const MEDMNIST_TARGETS: Record<string, { modality: string; colour: 'grey' | 'colour'; classes: number; images: number }> = {
  bloodmnist: { modality: 'microscopy', colour: 'colour', classes: 8, images: 17092 },
  breastmnist: { modality: 'ultrasound', colour: 'grey', classes: 2, images: 780 },
  chestmnist: { modality: 'x-ray', colour: 'grey', classes: 14, images: 112120 },
  dermamnist: { modality: 'dermoscopy', colour: 'colour', classes: 7, images: 10015 },
  octmnist: { modality: 'oct', colour: 'grey', classes: 4, images: 109309 },
  organamnist: { modality: 'ct', colour: 'grey', classes: 11, images: 58850 },
  organcmnist: { modality: 'ct', colour: 'grey', classes: 11, images: 23660 },
  organsmnist: { modality: 'ct', colour: 'grey', classes: 11, images: 25221 },
  pathmnist: { modality: 'histopathology', colour: 'colour', classes: 9, images: 107180 },
  pneumoniamnist: { modality: 'x-ray', colour: 'grey', classes: 2, images: 5856 },
  retinamnist: { modality: 'fundus', colour: 'colour', classes: 5, images: 1600 },
  tissuemnist: { modality: 'microscopy', colour: 'grey', classes: 8, images: 236386 },
};
const MEDMNIST_TOTAL = Object.values(MEDMNIST_TARGETS).reduce((a, t) => a + t.images, 0);
const SCORES = ['logme', 'leep', 'nleep', 'sfda', 'parc', 'ncti', 'lp', 'fu'];

function medmnistSourceTraits(source: string): Omit<BackboneTraits, 'id' | 'architecture'> {
  if (source === 'imagenet') return { source, sourceImages: 1431167, origin: 'natural', modality: 'photograph' };
  if (source === 'radimagenet') return { source, sourceImages: 1350000, origin: 'medical', modality: 'radiology' };
  if (source === 'medmnist-all-but-target') return { source, sourceImages: MEDMNIST_TOTAL, origin: 'medical', modality: 'mixed' };
  const t = MEDMNIST_TARGETS[source]!;
  return { source, sourceImages: t.images, origin: 'medical', modality: t.modality };
}

function medmnist(folder: string): Evidence {
  const observations: Observation[] = [];
  const backbones = new Map<string, BackboneTraits>();
  const signals: PairSignal[] = [];
  const sourceBackbone = (source: string) => `${source === 'medmnist' ? 'medmnist-all-but-target' : source}-resnet18`;
  const architectureBackbone = (arch: string) => `imagenet-${arch === 'resnet' ? 'resnet18' : arch}`;
  const read = (file: string, backboneOf: (s: string) => string, scale: number, into: (backbone: string, target: string, value: number) => void) => {
    for (const row of readCsv(join(folder, 'results', file))) {
      const backbone = backboneOf(row.source!);
      for (const [target, cell] of Object.entries(row)) {
        if (!(target in MEDMNIST_TARGETS) || cell === '' || cell === undefined) continue;
        into(backbone, target, Number(cell) / scale);
      }
    }
  };
  for (const [candidateSet, suffix, backboneOf, scale] of [
    ['sources', 'dataset', sourceBackbone, 1],
    ['architectures', 'model', architectureBackbone, 100],
  ] as const) {
    read(`AUCs_${suffix}.csv`, backboneOf, scale, (backbone, target, value) => {
      if (backbone.startsWith(`${target}-`)) return;
      observations.push({ study: MEDMNIST, candidateSet, backbone, target, value });
    });
    for (const score of SCORES) {
      read(`${score}_${suffix}.csv`, backboneOf, 1, (backbone, target, value) => {
        if (!backbone.startsWith(`${target}-`)) signals.push({ subjectKind: 'backbone', subject: backbone, target, signal: score, value, direction: 'higher' });
      });
    }
  }
  for (const o of observations) {
    if (backbones.has(o.backbone)) continue;
    const [source, architecture] = o.candidateSet === 'sources' ? [o.backbone.replace(/-resnet18$/, ''), 'resnet18'] : ['imagenet', o.backbone.replace(/^imagenet-/, '')];
    backbones.set(o.backbone, { id: o.backbone, architecture, ...medmnistSourceTraits(source) });
  }
  const targets = Object.entries(MEDMNIST_TARGETS).map(([id, t]) => ({ id, ...t }));
  return { observations, backbones: [...backbones.values()], targets, signals };
}

function catsScans(referenceFolder: string, registry: string): Evidence {
  const dataset = (id: string) => parseYaml(readFileSync(join(registry, 'datasets', `${id}.yaml`), 'utf8')) as { origin: 'natural' | 'medical'; modality: string; images: number; classes: number; channels: number };
  const observations: Observation[] = [];
  for (const row of readCsv(join(referenceFolder, 'auc_folds.csv'))) {
    if (row.source === row.target) continue;
    const folds = Object.entries(row).filter(([k]) => k.startsWith('fold_')).map(([, v]) => Number(v));
    observations.push({ study: CATS, candidateSet: 'sources', backbone: `${row.source}-resnet50`, target: row.target!, value: folds.reduce((a, v) => a + v, 0) / folds.length });
  }
  const sources = [...new Set(observations.map((o) => o.backbone.replace(/-resnet50$/, '')))];
  const backbones = sources.map((source) => {
    const d = dataset(source);
    return { id: `${source}-resnet50`, source, architecture: 'resnet50', sourceImages: d.images, origin: d.origin, modality: d.modality };
  });
  const targetIds = [...new Set(observations.map((o) => o.target))];
  const targets: TargetTraits[] = targetIds.map((id) => {
    const d = dataset(id);
    return { id, modality: d.modality, colour: d.channels === 1 ? 'grey' : 'colour', classes: d.classes, images: d.images };
  });
  const signals: PairSignal[] = readCsv(join(referenceFolder, 'expert_distances.csv'))
    .filter((r) => r.source !== r.target)
    .map((r) => ({ subjectKind: 'source', subject: r.source!, target: r.target!, signal: 'expert', value: Number(r.hamming_distance), direction: 'lower' }));
  // The study's Task2Vec embeddings (ResNet-50 probe, mean of ten subsets); ImageNet has none and
  // STL-10 stands in for it, as in the study.
  const meta = JSON.parse(readFileSync(join(registry, 'published', CATS, 'task2vec_resnet50_mean.json'), 'utf8')) as { datasets: string[]; probe: { id: string; architecture: string; inputSize: number; pixelScaling: PixelScaling } };
  const array = parseNpy(readFileSync(join(registry, 'published', CATS, 'task2vec_resnet50_mean.npy')));
  const values = toFloat64(array);
  const width = array.shape[1]!;
  const embedding = (id: string): ComparableEmbedding => {
    const i = meta.datasets.indexOf(id === 'imagenet' ? 'stl10' : id);
    const hessian = Float32Array.from(values.subarray(i * width, (i + 1) * width));
    return { hessian, scale: new Float32Array(width).fill(1), probe: { id: meta.probe.id, name: meta.probe.id, architecture: meta.probe.architecture, inputSize: meta.probe.inputSize, pixelScaling: meta.probe.pixelScaling }, dataset: id };
  };
  for (const target of targetIds) {
    for (const source of sources) {
      if (source === target) continue;
      signals.push({ subjectKind: 'source', subject: source, target, signal: 'task2vec_cosine@resnet50', value: distance(embedding(source), embedding(target)), direction: 'lower' });
    }
  }
  return { observations, backbones, targets, signals };
}

export function loadStudies(root: string): Evidence {
  const parts = [medmnist(join(root, '..', 'shared', 'reference', 'medmnist-transferability')), catsScans(join(root, '..', 'shared', 'reference', 'cats-scans'), join(root, 'datasets-registry'))];
  return {
    observations: parts.flatMap((p) => p.observations),
    backbones: parts.flatMap((p) => p.backbones),
    targets: parts.flatMap((p) => p.targets),
    signals: parts.flatMap((p) => p.signals),
  };
}
