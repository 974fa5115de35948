/**
 * The evidence of every study under datasets-registry/published/, read with the study parser the seed
 * uses, plus the registry's dataset YAML for what is known about sources and targets, in the ranking
 * domain's plain types.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BackboneTraits, Evidence, Observation, PairSignal, TargetTraits } from '../src/ranking/index.js';
import { parseStudy, readStudyFolder, signalDefinition, type Study } from '../src/studies/index.js';
import { distance } from '../src/task2vec/distance.js';
import type { PixelScaling } from '../src/probes/probe.js';

interface DatasetYaml {
  origin?: 'natural' | 'medical';
  modality?: string;
  images?: number;
  classes?: number;
  channels?: number;
}

/** Task2Vec distance between the study's embeddings of each (source, target) pair it measured; ImageNet has none, STL-10 stood in for it in the study. */
function task2vecSignals(study: Study, pairs: readonly { source: string; target: string }[]): PairSignal[] {
  const e = study.embeddings;
  if (e === undefined) return [];
  const embedding = (id: string) => {
    const v = e.vectors.find((x) => x.dataset === (id === 'imagenet' ? 'stl10' : id));
    if (v === undefined) return undefined;
    const probe = {
      id: e.probe.id,
      name: e.probe.id,
      architecture: e.probe.architecture,
      inputSize: e.probe.inputSize,
      pixelScaling: e.probe.pixelScaling as PixelScaling,
    };
    return { hessian: v.hessian, scale: new Float32Array(v.hessian.length).fill(1), probe, dataset: id };
  };
  return pairs.flatMap(({ source, target }) => {
    const a = embedding(source);
    const b = embedding(target);
    return a === undefined || b === undefined
      ? []
      : [
          {
            subjectKind: 'source' as const,
            subject: source,
            target,
            signal: `task2vec_cosine@${e.probe.id}`,
            value: distance(a, b),
            direction: 'lower' as const,
          },
        ];
  });
}

export function loadPublished(registry: string): Evidence {
  const datasetCache = new Map<string, DatasetYaml>();
  const dataset = (id: string): DatasetYaml => {
    if (!datasetCache.has(id)) {
      const path = join(registry, 'datasets', `${id}.yaml`);
      datasetCache.set(id, existsSync(path) ? (parseYaml(readFileSync(path, 'utf8')) as DatasetYaml) : {});
    }
    return datasetCache.get(id)!;
  };
  const observations: Observation[] = [];
  const backbones = new Map<string, BackboneTraits>();
  const signals: PairSignal[] = [];
  const targetIds = new Set<string>();
  const published = join(registry, 'published');
  for (const name of readdirSync(published).sort()) {
    const study = parseStudy(readStudyFolder(join(published, name)));
    for (const b of study.backbones) {
      const d = dataset(b.source);
      backbones.set(b.id, {
        id: b.id,
        source: b.source,
        architecture: b.architecture,
        ...(d.images ? { sourceImages: d.images } : {}),
        ...(d.origin ? { origin: d.origin } : {}),
        ...(d.modality ? { modality: d.modality } : {}),
        ...(d.channels ? { colour: d.channels === 1 ? ('grey' as const) : ('colour' as const) } : {}),
      });
    }
    const spread = new Map(study.spreads.map((s) => [`${s.backbone}\u0000${s.target}`, s.sd]));
    // The ranker compares backbones on the study's result per pair: the mean over its folds.
    const measured = study.runs.flatMap((r) =>
      r.backbone === null
        ? []
        : [
            {
              backbone: r.backbone,
              target: r.target,
              value: r.folds.reduce((a, f) => a + f.value, 0) / r.folds.length,
              ...(spread.has(`${r.backbone}\u0000${r.target}`)
                ? { spread: spread.get(`${r.backbone}\u0000${r.target}`)! }
                : {}),
            },
          ],
    );
    for (const set of study.candidateSets)
      for (const m of measured)
        if (set.backbones.includes(m.backbone)) observations.push({ study: study.meta.id, candidateSet: set.id, ...m });
    measured.forEach((m) => targetIds.add(m.target));
    const direction = (signal: string) =>
      signalDefinition(signal, study.signalDefinitions)?.direction === 'lower_is_closer'
        ? ('lower' as const)
        : ('higher' as const);
    for (const s of study.signals)
      signals.push({
        subjectKind: s.subjectKind,
        subject: s.subject,
        target: s.target,
        signal: s.signal,
        value: s.value,
        direction: direction(s.signal),
      });
    for (const x of study.expertDistances)
      if (x.source !== x.target)
        signals.push({
          subjectKind: 'source',
          subject: x.source,
          target: x.target,
          signal: 'expert_distance',
          value: x.distance,
          direction: 'lower',
        });
    const sourcePairs = [...new Set(measured.map((m) => `${backbones.get(m.backbone)?.source}\u0000${m.target}`))]
      .map((k) => k.split('\u0000') as [string, string])
      .filter(([source, target]) => source !== target)
      .map(([source, target]) => ({ source, target }));
    signals.push(...task2vecSignals(study, sourcePairs));
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
