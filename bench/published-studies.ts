/**
 * Reads every study under datasets-registry/published/ (the agreed folder form: study.yaml,
 * results.csv, signals.csv, backbones/*.yaml, plus cats-scans' expert distances and Task2Vec
 * embeddings) and the registry's dataset YAML into the ranking domain's plain evidence types.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BackboneTraits, Evidence, Observation, PairSignal, TargetTraits } from '../src/ranking/index.js';
import { parseNpy, toFloat64 } from '../src/images/npy.js';
import { distance } from '../src/task2vec/distance.js';
import type { ComparableEmbedding } from '../src/task2vec/embedding.js';
import type { PixelScaling } from '../src/probes/probe.js';

interface StudyYaml {
  id: string;
  candidate_sets?: { id: string; backbones: string[] }[];
  files?: { expert_distances?: string; embeddings?: string };
}

interface DatasetYaml {
  origin?: 'natural' | 'medical';
  modality?: string;
  images?: number;
  classes?: number;
  channels?: number;
}

/** Distances between datasets: a smaller one is meant to predict better transfer. Every other signal is a score. */
const isDistance = (signal: string) => signal.startsWith('task2vec') || signal === 'expert';

function readCsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i]!, v])));
}

function readYaml<T>(path: string): T {
  return parseYaml(readFileSync(path, 'utf8')) as T;
}

function task2vecSignals(folder: string, file: string, pairs: readonly { source: string; target: string }[]): PairSignal[] {
  const meta = readYaml<{ datasets: string[]; file: string; probe: { id: string; architecture: string; inputSize: number; pixelScaling: PixelScaling } }>(join(folder, file));
  const array = parseNpy(readFileSync(join(folder, meta.file)));
  const values = toFloat64(array);
  const width = array.shape[1]!;
  const embedding = (id: string): ComparableEmbedding | undefined => {
    // ImageNet has no embedding of its own; the study let STL-10 stand in for it.
    const i = meta.datasets.indexOf(id === 'imagenet' ? 'stl10' : id);
    if (i < 0) return undefined;
    const hessian = Float32Array.from(values.subarray(i * width, (i + 1) * width));
    return { hessian, scale: new Float32Array(width).fill(1), probe: { ...meta.probe, name: meta.probe.id }, dataset: id };
  };
  return pairs.flatMap(({ source, target }) => {
    const a = embedding(source);
    const b = embedding(target);
    if (a === undefined || b === undefined) return [];
    return [{ subjectKind: 'source' as const, subject: source, target, signal: `task2vec_cosine@${meta.probe.architecture}`, value: distance(a, b), direction: 'lower' as const }];
  });
}

export function loadPublished(registry: string): Evidence {
  const datasets = new Map<string, DatasetYaml>();
  const dataset = (id: string): DatasetYaml => {
    if (!datasets.has(id)) {
      const path = join(registry, 'datasets', `${id}.yaml`);
      datasets.set(id, existsSync(path) ? readYaml<DatasetYaml>(path) : {});
    }
    return datasets.get(id)!;
  };
  const observations: Observation[] = [];
  const backbones = new Map<string, BackboneTraits>();
  const signals: PairSignal[] = [];
  const targetIds = new Set<string>();
  const published = join(registry, 'published');
  for (const id of readdirSync(published).sort()) {
    const folder = join(published, id);
    const study = readYaml<StudyYaml>(join(folder, 'study.yaml'));
    for (const file of readdirSync(join(folder, 'backbones')).filter((f) => f.endsWith('.yaml'))) {
      const b = readYaml<{ id: string; source: string; architecture: string }>(join(folder, 'backbones', file));
      const d = dataset(b.source);
      backbones.set(b.id, { id: b.id, source: b.source, architecture: b.architecture, ...(d.images ? { sourceImages: d.images } : {}), ...(d.origin ? { origin: d.origin } : {}), ...(d.modality ? { modality: d.modality } : {}) });
    }
    // Fold values are averaged: the ranker compares backbones on the study's reported result per pair.
    const sums = new Map<string, { total: number; count: number }>();
    for (const r of readCsv(join(folder, 'results.csv'))) {
      if (r.backbone === '') continue;
      const key = `${r.backbone}\u0000${r.target}`;
      const s = sums.get(key) ?? { total: 0, count: 0 };
      s.total += Number(r.value);
      s.count++;
      sums.set(key, s);
    }
    const measured = [...sums].map(([key, s]) => {
      const [backbone, target] = key.split('\u0000') as [string, string];
      return { backbone, target, value: s.total / s.count };
    });
    const sets = study.candidate_sets ?? [{ id: 'all', backbones: [...new Set(measured.map((m) => m.backbone))] }];
    for (const set of sets) {
      for (const m of measured) if (set.backbones.includes(m.backbone)) observations.push({ study: study.id, candidateSet: set.id, ...m });
    }
    measured.forEach((m) => targetIds.add(m.target));
    if (existsSync(join(folder, 'signals.csv'))) {
      for (const r of readCsv(join(folder, 'signals.csv'))) {
        signals.push({ subjectKind: 'backbone', subject: r.backbone!, target: r.target!, signal: r.signal!, value: Number(r.value), direction: isDistance(r.signal!) ? 'lower' : 'higher' });
      }
    }
    const sourcePairs = [...new Set(measured.map((m) => `${backbones.get(m.backbone)?.source}\u0000${m.target}`))].map((k) => {
      const [source, target] = k.split('\u0000') as [string, string];
      return { source, target };
    });
    if (study.files?.expert_distances) {
      for (const r of readCsv(join(folder, study.files.expert_distances))) {
        if (r.source !== r.target) signals.push({ subjectKind: 'source', subject: r.source!, target: r.target!, signal: 'expert', value: Number(r.hamming_distance), direction: 'lower' });
      }
    }
    if (study.files?.embeddings) signals.push(...task2vecSignals(folder, study.files.embeddings, sourcePairs.filter((p) => p.source !== p.target)));
  }
  const targets: TargetTraits[] = [...targetIds].sort().map((id) => {
    const d = dataset(id);
    return {
      id,
      ...(d.modality ? { modality: d.modality } : {}),
      ...(d.channels ? { colour: d.channels === 1 ? ('grey' as const) : ('colour' as const) } : {}),
      ...(d.classes ? { classes: d.classes } : {}),
      ...(d.images ? { images: d.images } : {}),
    };
  });
  return { observations, backbones: [...backbones.values()], targets, signals };
}
