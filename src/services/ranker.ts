/**
 * The backbone ranker over the store's evidence. `refitRanker` is the one place a model is fitted:
 * the writes that change evidence (seed, study and result imports, embeddings) call it, and it fits
 * only when the evidence differs from the stored model's (the version is a hash of the evidence and
 * the hyper-parameter grid). Read requests use the latest stored model and never fit.
 */
import { createHash } from 'node:crypto';
import type { Db } from './session.js';
import { AppError, invalid } from '../errors.js';
import {
  DEFAULT_GRID,
  type BackboneRanker,
  type BackboneTraits,
  type Evidence,
  type Observation,
  type PairSignal,
  type RankerEvaluation,
  type TargetTraits,
} from '../ranking/index.js';
import type { Dataset } from '../registry/index.js';
import {
  allRuns,
  canonicalJson,
  findRankerByTrainingHash,
  latestRanker,
  listBackbones,
  listPairSignals,
  listSpreads,
  listStudies,
  makeRankerCurrent,
  saveRanker,
  updateRankerSummary,
  type StoredBackbone,
  type StoredRanker,
} from '../store/index.js';
import { evaluateInThread, fitInThread } from './ranker-thread.js';
import { signalDefinition, type SignalDefinition } from '../studies/index.js';
import { firstPreferred, preferredProbes } from './default-probe.js';
import { EXPERT_SIGNAL, loadSignals, task2vecSignal, type Signals } from './signals.js';
import { definedOnly } from '../defaults.js';

export const RANKER_FORMAT = 'backbone-ranker/3';
/** Results without a study are compared among themselves, all backbones in one candidate set. */
export const CONTRIBUTED_STUDY = 'contributed';
const ALL_BACKBONES = 'all';

export interface StoreEvidence {
  /** What the model learns from: observations, traits, and signals on measured targets. */
  readonly evidence: Evidence;
  readonly datasets: ReadonlyMap<string, Dataset>;
  readonly backbones: ReadonlyMap<string, StoredBackbone>;
  /** The probe whose Task2Vec distances are signals (the default-probe rule), or null when no dataset has an embedding under a preferred probe. */
  readonly probe: string | null;
  /** Datasets with an embedding under that probe. */
  readonly embedded: ReadonlySet<string>;
  readonly signals: Signals;
  readonly declared: Readonly<Record<string, SignalDefinition>>;
  /** Backbones of each study's candidate set, keyed `<study>/<set>`. */
  readonly candidateSets: ReadonlyMap<string, readonly string[]>;
}

export function task2vecSignalName(probe: string): string {
  return `task2vec_cosine@${probe}`;
}

export const EXPERT_SIGNAL_NAME = 'expert_distance';

export function targetTraits(d: Dataset): TargetTraits {
  return {
    id: d.id,
    modality: d.modality,
    colour: d.channels === 1 ? 'grey' : 'colour',
    classes: d.classes,
    images: d.images,
  };
}

function backboneTraits(b: StoredBackbone, source: Dataset | undefined): BackboneTraits {
  return {
    id: b.id,
    source: b.source,
    architecture: b.architecture,
    ...(source
      ? {
          sourceImages: source.images,
          origin: source.origin as 'natural' | 'medical',
          modality: source.modality,
          colour: source.channels === 1 ? ('grey' as const) : ('colour' as const),
        }
      : {}),
  };
}

/**
 * Source signals (Task2Vec under the default probe, expert distance) from every source of a backbone
 * to each of `targets`, in both orientations of the stored symmetric distances.
 */
export function distanceSignals(
  store: Pick<StoreEvidence, 'signals' | 'probe' | 'backbones'>,
  targets: ReadonlySet<string>,
): PairSignal[] {
  const sources = new Set([...store.backbones.values()].map((b) => b.source));
  const wanted = new Map<string, string>([[EXPERT_SIGNAL, EXPERT_SIGNAL_NAME]]);
  if (store.probe !== null) wanted.set(task2vecSignal(store.probe), task2vecSignalName(store.probe));
  const out = new Map<string, PairSignal>();
  for (const d of store.signals.distances) {
    const name = wanted.get(d.signal);
    if (name === undefined || d.source === d.target) continue;
    for (const [subject, target] of [
      [d.source, d.target],
      [d.target, d.source],
    ] as const) {
      if (!sources.has(subject) || !targets.has(target)) continue;
      out.set(`${subject}\u0000${target}\u0000${name}`, {
        subjectKind: 'source',
        subject,
        target,
        signal: name,
        value: d.value,
        direction: 'lower',
      });
    }
  }
  return [...out.values()];
}

/**
 * Signals under `contributor:<owner>` (what every non-admin import is recorded as) are stored and
 * listed but never steer the ranker; published studies' and admins' provenances do.
 */
export function steersRanker(provenance: string): boolean {
  return !provenance.startsWith(CONTRIBUTED_SIGNAL_PREFIX);
}

export const CONTRIBUTED_SIGNAL_PREFIX = 'contributor:';

/** Published and admin-imported pair signals for `targets`, with the direction the signal catalogue gives. */
async function tableSignals(
  db: Db,
  declared: Readonly<Record<string, SignalDefinition>>,
  targets: ReadonlySet<string> | null,
): Promise<PairSignal[]> {
  const rows = await listPairSignals(db.knex);
  // One value per (subject, target, signal): where two provenances give one, the first in stored order stands.
  const out = new Map<string, PairSignal>();
  for (const r of rows) {
    if (!steersRanker(r.provenance)) continue;
    if (targets !== null && !targets.has(r.target)) continue;
    const key = `${r.subject_kind}\u0000${r.subject}\u0000${r.target}\u0000${r.signal}`;
    if (out.has(key)) continue;
    const direction = signalDefinition(r.signal, declared)?.direction === 'lower_is_closer' ? 'lower' : 'higher';
    out.set(key, {
      subjectKind: r.subject_kind,
      subject: r.subject,
      target: r.target,
      signal: r.signal,
      value: Number(r.value),
      direction,
    });
  }
  return [...out.values()];
}

export async function signalsForTargets(
  db: Db,
  store: Pick<StoreEvidence, 'signals' | 'probe' | 'backbones' | 'declared'>,
  targets: ReadonlySet<string>,
): Promise<PairSignal[]> {
  return [...(await tableSignals(db, store.declared, targets)), ...distanceSignals(store, targets)];
}

/**
 * Builds the evidence: one observation per (study, candidate set, backbone, target), valued at the mean
 * over folds; baselines (no backbone) say nothing about which backbone is better and are left out.
 */
export async function loadStoreEvidence(db: Db, options: { readonly study?: string } = {}): Promise<StoreEvidence> {
  const signals = await loadSignals(db, { registryEmbeddingsOnly: true });
  const datasets = new Map(signals.datasets.map((d) => [d.id, d]));
  const backbones = new Map((await listBackbones(db.knex)).map((b) => [b.id, b]));
  const studies = await listStudies(db.knex);
  if (options.study !== undefined && !studies.some((s) => s.id === options.study))
    throw new AppError('not-found', 'Unknown study', `no study with id '${options.study}'`, [
      { field: 'study', message: `unknown study '${options.study}'` },
    ]);
  const sets = new Map(studies.map((s) => [s.id, s.candidate_sets]));
  const declared: Record<string, SignalDefinition> = {};
  for (const s of studies) Object.assign(declared, s.signal_definitions);

  const runs = (await allRuns(db.knex)).filter(
    (r) => r.backbone !== null && (options.study === undefined || r.study === options.study),
  );
  const byKey = new Map<
    string,
    { study: string; candidateSet: string; backbone: string; target: string; values: number[] }
  >();
  for (const r of runs) {
    const study = r.study ?? CONTRIBUTED_STUDY;
    const studySets = sets.get(study) ?? [];
    const memberOf =
      studySets.length === 0
        ? [ALL_BACKBONES]
        : studySets.filter((s) => s.backbones.includes(r.backbone!)).map((s) => s.id);
    for (const candidateSet of memberOf) {
      const key = JSON.stringify([study, candidateSet, r.backbone, r.target]);
      const entry = byKey.get(key) ?? { study, candidateSet, backbone: r.backbone!, target: r.target, values: [] };
      entry.values.push(...r.foldValues);
      byKey.set(key, entry);
    }
  }
  const spreads = new Map(
    (await listSpreads(db.knex, options.study !== undefined ? { study: options.study } : {})).map((s) => [
      JSON.stringify([s.study, s.backbone, s.target]),
      s.sd,
    ]),
  );
  const observations: Observation[] = [...byKey.values()]
    .map((o) => {
      const spread = spreads.get(JSON.stringify([o.study, o.backbone, o.target]));
      return {
        study: o.study,
        candidateSet: o.candidateSet,
        backbone: o.backbone,
        target: o.target,
        value: o.values.reduce((a, v) => a + v, 0) / o.values.length,
        ...(spread !== undefined && Number.isFinite(spread) ? { spread } : {}),
      };
    })
    .sort((a, b) =>
      a.study + a.candidateSet + a.target + a.backbone < b.study + b.candidateSet + b.target + b.backbone ? -1 : 1,
    );

  const probeIds = signals.probes.map((p) => p.id);
  const probe = firstPreferred(await preferredProbes(db), probeIds);
  const embedded = new Set(signals.probes.find((p) => p.id === probe)?.datasets ?? []);
  const measuredTargets = new Set(observations.map((o) => o.target));
  const candidateSets = new Map(
    studies.flatMap((st) => st.candidate_sets.map((c) => [`${st.id}/${c.id}`, c.backbones] as const)),
  );
  const store = { datasets, backbones, probe, embedded, signals, declared, candidateSets };
  const evidence: Evidence = {
    observations,
    backbones: [...backbones.values()].map((b) => backboneTraits(b, datasets.get(b.source))),
    targets: [...measuredTargets].sort().flatMap((t) => (datasets.has(t) ? [targetTraits(datasets.get(t)!)] : [])),
    signals: (await signalsForTargets(db, store, measuredTargets)).sort((a, b) =>
      a.signal + a.subject + a.target < b.signal + b.subject + b.target ? -1 : 1,
    ),
  };
  return { ...store, evidence };
}

/** Everything a fit depends on; equal versions mean an equal model. */
export function evidenceVersion(evidence: Evidence): string {
  return createHash('sha256')
    .update(canonicalJson({ format: RANKER_FORMAT, grid: DEFAULT_GRID, evidence }))
    .digest('hex');
}

export interface FittedRanker {
  readonly version: string;
  readonly model: BackboneRanker;
  /** When it was stored; for a model held only in memory (`rankerWithout`), when it was fitted. */
  readonly createdAt: string;
  readonly probe: string | null;
  /** True when this call fitted the model. */
  readonly refitted: boolean;
  readonly evaluation: RankerEvaluation | null;
}

function fitted(stored: StoredRanker, refitted: boolean): FittedRanker {
  const summary = stored.summary as { probe?: string | null; evaluation?: RankerEvaluation };
  return {
    version: stored.version,
    model: JSON.parse(stored.model) as BackboneRanker,
    createdAt: stored.createdAt,
    probe: summary.probe ?? null,
    refitted,
    evaluation: summary.evaluation ?? null,
  };
}

export interface RefitOptions {
  /** Also run the leave-one-target-out evaluation and store it with the model (minutes on the full registry). */
  readonly evaluate?: boolean;
}

/**
 * Fits and stores the ranker when the evidence changed since the stored one; with `evaluate`, also
 * stores the model's evaluation when it has none yet. Returns the model the evidence now gives.
 */
export async function refitRanker(db: Db, options: RefitOptions = {}): Promise<FittedRanker> {
  const store = await loadStoreEvidence(db);
  const version = evidenceVersion(store.evidence);
  let stored = await findRankerByTrainingHash(db.knex, version);
  const refitted = stored === undefined;
  if (stored !== undefined && (await latestRanker(db.knex))?.version !== stored.version)
    await makeRankerCurrent(db.knex, stored.version);
  if (stored === undefined) {
    if (store.evidence.observations.length === 0)
      throw new AppError(
        'unprocessable',
        'Not enough results',
        'the ranker needs results of two or more backbones on a target: load a study (transfer-atlas seed, transfer-atlas studies import) or contribute results',
      );
    const model = await fitInThread(store.evidence);
    stored = await saveRanker(db.knex, {
      version,
      trainingHash: version,
      signals: model.encoding.signals,
      model: JSON.stringify(model),
      summary: {
        format: RANKER_FORMAT,
        probe: store.probe,
        groups: model.training.groups,
        pairs: model.training.pairs,
        targets: model.training.targets,
        hyper: model.hyper,
        cross_validation: model.crossValidation,
      },
    });
  }
  if (options.evaluate && (stored.summary as { evaluation?: unknown }).evaluation === undefined) {
    const summary = { ...stored.summary, evaluation: await evaluateInThread(store.evidence) };
    await updateRankerSummary(db.knex, stored.version, summary);
    stored = { ...stored, summary };
  }
  return fitted(stored, refitted);
}

/**
 * What the ranker would have said had a measured target never been measured: a model fitted on the
 * evidence without that target's results (and its pair signals), held in memory and never stored, so
 * that a user can set its predictions beside what was measured. Seconds of fitting on a worker thread.
 */
export async function rankerWithout(store: StoreEvidence, target: string): Promise<FittedRanker> {
  const evidence: Evidence = {
    ...store.evidence,
    observations: store.evidence.observations.filter((o) => o.target !== target),
    targets: store.evidence.targets.filter((t) => t.id !== target),
    signals: store.evidence.signals.filter((s) => s.target !== target),
  };
  if (evidence.observations.length === store.evidence.observations.length)
    throw invalid(`'${target}' has no measured results to hold out`, [
      { field: 'hold_out', message: 'only a measured target can be held out' },
    ]);
  if (evidence.observations.length === 0)
    throw invalid(`without '${target}' no results are left to fit the ranker on`, [
      { field: 'hold_out', message: 'no other measured target' },
    ]);
  return {
    version: evidenceVersion(evidence),
    model: await fitInThread(evidence),
    createdAt: new Date().toISOString(),
    probe: store.probe,
    refitted: true,
    evaluation: null,
  };
}

/** The latest stored model; never fits. */
export async function currentRanker(db: Db): Promise<FittedRanker> {
  const stored = await latestRanker(db.knex);
  if (stored === undefined || (stored.summary as { format?: string }).format !== RANKER_FORMAT) {
    throw new AppError(
      'unprocessable',
      'No fitted ranker',
      'no ranker has been fitted yet: load evidence with `transfer-atlas seed` (or import a study), which fits it',
    );
  }
  return fitted(stored, false);
}

/** The evaluation stored with the latest model; never computes one. */
export async function storedEvaluation(
  db: Db,
): Promise<{ readonly version: string; readonly evaluation: RankerEvaluation }> {
  const model = await currentRanker(db);
  if (model.evaluation === null)
    throw new AppError(
      'unprocessable',
      'No evaluation yet',
      `model ${model.version.slice(0, 12)} has no stored evaluation yet: the server queues a refit-ranker job that computes it at start-up (POST /v1/ranker/refits queues one too), or run \`transfer-atlas refit --evaluate\``,
    );
  return { version: model.version, evaluation: model.evaluation };
}

/** Computes the evaluation directly, optionally on one study's results only (the CLI's `evaluate`). */
export async function evaluateEvidence(
  db: Db,
  options: { readonly study?: string; readonly bootstrapResamples?: number; readonly nullRepeats?: number } = {},
): Promise<RankerEvaluation> {
  const store = await loadStoreEvidence(db, options.study !== undefined ? { study: options.study } : {});
  if (store.evidence.observations.length === 0)
    throw invalid('no results to evaluate the ranker on', [{ field: 'study', message: 'no results' }]);
  return evaluateInThread(store.evidence, {
    ...definedOnly({ bootstrapResamples: options.bootstrapResamples, nullRepeats: options.nullRepeats }),
  });
}
