/**
 * Recommendations for a registered target: the stored ranker's prediction for each candidate backbone
 * on the z-within-group scale, with intervals, the parts that make it up and the evidence behind it;
 * results already measured on the target are shown as measured. Never fits a model.
 */
import type { Db } from './session.js';
import { invalid, notFound } from '../errors.js';
import {
  describeMatch,
  groupObservations,
  rankBackbones,
  regretAt1,
  weightedTau,
  type BackboneRanker,
  type BackbonePrediction,
  type BackboneTraits,
  type TargetMatch,
} from '../ranking/index.js';
import type { BackboneWeights } from '../store/index.js';
import type { Dataset } from '../registry/dataset.js';
import {
  EXPERT_PROPERTIES,
  expertFeaturesFromData,
  type ExpertFeatures,
  type ExpertProperty,
} from '../experts/index.js';
import { expertFeaturesOrNull } from './experts.js';
import { DEFAULT_MODALITY } from './ingest.js';
import {
  currentRanker,
  loadStoreEvidence,
  rankerWithout,
  signalsForTargets,
  targetTraits,
  type FittedRanker,
  type StoreEvidence,
} from './ranker.js';
import { definedOnly } from '../defaults.js';
import { preferredProbes } from './default-probe.js';
import {
  compareWithMeasuredTargets,
  distancesToSources,
  readStoredTask2Vec,
  type SourceDistances,
} from './target-match.js';
import { listPairSignals } from '../store/index.js';
import { ESTIMATOR_PROVENANCE } from '../estimators/signals.js';
import { shortProbeId } from '../probes/index.js';

export interface RecommendationRequest {
  readonly target: string;
  /** Backbones to rank; by default the context's candidate set, else every backbone the model has a track record for. */
  readonly candidates?: readonly string[];
  /** Rank among one study's candidate set, whose track records then apply. */
  readonly context?: { readonly study: string; readonly candidateSet: string };
  readonly topK?: number;
  /**
   * Rank a measured target as if it had never been measured: a model fitted without its results ranks
   * it, and the results are shown beside the predictions. Fits a model (seconds), so only the CLI asks.
   */
  readonly holdOut?: boolean;
}

export interface MeasuredResult {
  readonly study: string;
  readonly candidateSet: string;
  readonly value: number;
  readonly z: number;
  readonly rank: number;
  readonly of: number;
}

export interface RecommendedBackbone extends BackbonePrediction {
  readonly rank: number;
  readonly source: string;
  readonly architecture: string;
  readonly weights: BackboneWeights;
  readonly measured: readonly MeasuredResult[];
  readonly reason: string;
}

/**
 * What the ranking knows about the target: traits read from its images, traits only a person can
 * give (origin, modality), its expert features (answered, or the part the images settle, marked
 * derived), and every signal the ranking goes without because something is missing.
 */
export interface TargetTraitsView {
  readonly colour: 'grey' | 'colour';
  readonly classes: number;
  readonly images: number;
  readonly imageSize: string;
  readonly origin: 'natural' | 'medical';
  /** Null when nobody gave one. */
  readonly modality: string | null;
  readonly expertFeatures: {
    /** `derived`: only what the images settle, filled in automatically. */
    readonly source: 'observers' | 'registry' | 'derived';
    readonly features: Partial<ExpertFeatures>;
    readonly missing: readonly ExpertProperty[];
  };
  /** One sentence per signal or term left out, saying what would bring it in. */
  readonly leftOut: readonly string[];
}

/** Backbones measured on a target, per study and candidate set. */
export interface MeasuredSet {
  readonly study: string;
  readonly candidateSet: string;
  readonly backbones: number;
}

/**
 * A target nobody measured, compared by Task2Vec with every measured target that has an embedding
 * under the same probe. On a match the ranking is the matched target's: its measured results first,
 * then the model's predictions for it.
 */
export interface TargetSimilarity extends TargetMatch {
  /** What the studies measured on the matched target; empty without a match. */
  readonly matchedResults: readonly MeasuredSet[];
  /** One sentence: the match and what was measured there, or why there is none and the nearest. */
  readonly summary: string;
}

export interface EstimatorScore {
  readonly backbone: string;
  readonly signal: string;
  readonly value: number;
}

/** How the held-out ranking fared against what one study measured on the target. */
export interface HeldOutCheck {
  readonly study: string;
  readonly candidateSet: string;
  readonly backbones: number;
  /** Weighted Kendall tau of the predictions against the measured results; null when either is constant. */
  readonly weightedTau: number | null;
  readonly predictedBest: string;
  readonly measuredBest: string;
  /** The measured best minus the measured result of the predicted best, in the study's metric. */
  readonly regret: number;
}

export interface RecommendationResult {
  readonly target: string;
  readonly traits: TargetTraitsView;
  readonly scale: 'z-within-group';
  readonly ranker: FittedRanker;
  readonly probe: string | null;
  /** Sources of candidates without a Task2Vec embedding comparable with the target's: no distance is imputed for them. */
  readonly withoutEmbedding: readonly string[];
  readonly targetEmbedded: boolean;
  /**
   * The target's Task2Vec distances to the candidates' sources under a probe both were embedded with
   * (the measured targets' probe when they were compared): shown as evidence whether or not the
   * model uses distances under that probe. Null when no source shares a probe with the target.
   */
  readonly sourceDistances: SourceDistances | null;
  /** Estimator scores computed for the target with backbones whose weights the service holds. */
  readonly estimatorScores: readonly EstimatorScore[];
  /** Null for a measured target (its own results rank it) and for a target without an embedding comparable with a measured one. */
  readonly similarity: TargetSimilarity | null;
  /** With `holdOut`: the target's measured sets, each with how the predictions fared; else null. */
  readonly heldOut: readonly HeldOutCheck[] | null;
  readonly items: readonly RecommendedBackbone[];
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

/** The largest parts of a prediction, in words. */
function reasonOf(
  p: BackbonePrediction,
  measured: readonly MeasuredResult[],
  matched: string | null,
  heldOut: boolean,
): string {
  if (measured.length > 0 && !heldOut) {
    const m = measured[0]!;
    const on = matched === null ? '' : ` on ${matched} (this target's match)`;
    return `measured${on}: ${m.rank} of ${m.of} in ${m.study}/${m.candidateSet} (z ${signed(m.z)})`;
  }
  const e = p.explanation;
  const parts = [
    { text: `track record ${signed(e.trackRecord)}`, effect: e.trackRecord },
    { text: `traits ${signed(e.traits)}`, effect: e.traits },
    ...e.interactions.map((i) => ({ text: `${i.name} ${signed(i.effect)}`, effect: i.effect })),
    ...e.signals.map((s) => ({ text: `${s.signal} ${signed(s.effect)}`, effect: s.effect })),
  ]
    .filter((x) => Math.abs(x.effect) >= 0.005)
    .sort((a, b) => Math.abs(b.effect) - Math.abs(a.effect))
    .slice(0, 3);
  const record =
    p.evidence.targetsMeasured > 0
      ? `; first on ${p.evidence.wins} of ${p.evidence.groupsMeasured} measured groups`
      : '; never measured, traits only';
  const as = matched === null ? '' : `; predicted for ${matched} (this target's match)`;
  const m = measured[0];
  const hidden =
    heldOut && m !== undefined ? `; held out, measured ${m.rank} of ${m.of} in ${m.study}/${m.candidateSet}` : '';
  return `${parts.length > 0 ? parts.map((x) => x.text).join(', ') : 'no part moves it'}${record}${as}${hidden}`;
}

/** Per measured set of the target: the held-out model's ranking of that set against its results. */
function heldOutChecks(
  model: BackboneRanker,
  store: StoreEvidence,
  target: Dataset,
  signals: Awaited<ReturnType<typeof signalsForTargets>>,
): HeldOutCheck[] {
  const traits = new Map(store.evidence.backbones.map((b) => [b.id, b]));
  // The groups `evaluate` scores: each study and candidate set measured on the target, in key order.
  return groupObservations(store.evidence.observations.filter((o) => o.target === target.id)).map((group) => {
    const { study, candidateSet, backbones, values } = group;
    const predicted = new Map(
      rankBackbones(model, {
        target: targetTraits(target),
        candidates: backbones.map((b) => traits.get(b)!),
        signals,
        context: { study, candidateSet },
      }).map((p) => [p.backbone, p.mean]),
    );
    const scores = backbones.map((b) => predicted.get(b)!);
    const first = (xs: readonly number[]) => backbones[xs.indexOf(Math.max(...xs))]!;
    return {
      study,
      candidateSet,
      backbones: backbones.length,
      weightedTau: weightedTau(scores, values),
      predictedBest: first(scores),
      measuredBest: first(values),
      regret: regretAt1(scores, values),
    };
  });
}

function measuredSets(ranker: FittedRanker, target: string): MeasuredSet[] {
  const counts = new Map<string, MeasuredSet>();
  for (const record of Object.values(ranker.model.record))
    for (const m of record) {
      if (m.target !== target) continue;
      const key = `${m.study}/${m.candidateSet}`;
      counts.set(key, {
        study: m.study,
        candidateSet: m.candidateSet,
        backbones: (counts.get(key)?.backbones ?? 0) + 1,
      });
    }
  return [...counts.values()].sort((a, b) =>
    `${a.study}/${a.candidateSet}`.localeCompare(`${b.study}/${b.candidateSet}`),
  );
}

function similarityOf(match: TargetMatch, ranker: FittedRanker): TargetSimilarity {
  const matchedResults = match.match === null ? [] : measuredSets(ranker, match.match.target);
  const measured = matchedResults.map((s) => `${s.study} measured ${s.backbones} backbones on it (${s.candidateSet})`);
  return {
    ...match,
    matchedResults,
    summary: [describeMatch(match), ...measured].join('; '),
  };
}

async function traitsOf(
  db: Db,
  target: Dataset,
  embedded: boolean,
  probe: string | null,
  comparedUnder: string | null,
): Promise<TargetTraitsView> {
  const modality = target.modality === DEFAULT_MODALITY ? null : target.modality;
  const answered = await expertFeaturesOrNull(db, target.id);
  const features: Partial<ExpertFeatures> =
    answered?.features ?? expertFeaturesFromData(target.channels, target.classes);
  const missing = EXPERT_PROPERTIES.filter((p) => features[p] === undefined);
  const leftOut: string[] = [];
  if (modality === null)
    leftOut.push(
      "modality: not given (--modality, or 'modality' on upload), so the same-modality term counts every source as another modality and similar measured targets are matched without it",
    );
  if (missing.length > 0)
    leftOut.push(
      `expert distance: ${missing.join(', ')} unknown (the images settle only ${Object.keys(features).join(' and ')}); answer them with transfer-atlas experts answer ${target.id}`,
    );
  if (!embedded && comparedUnder !== null)
    leftOut.push(
      `Task2Vec distances to sources as a ranker signal: the model's are under probe ${probe === null ? '(none)' : shortProbeId(probe)}, which this target has no embedding under; its embedding under probe ${shortProbeId(comparedUnder)} is compared with the measured targets instead`,
    );
  else if (!embedded)
    leftOut.push(
      `Task2Vec distances and estimator scores: no embedding under probe ${probe === null ? '(none)' : shortProbeId(probe)}; compute one with transfer-atlas embed ${target.id}`,
    );
  return {
    colour: target.channels === 1 ? 'grey' : 'colour',
    classes: target.classes,
    images: target.images,
    imageSize: target.image_size,
    origin: target.origin,
    modality,
    expertFeatures: { source: answered?.source ?? 'derived', features, missing },
    leftOut,
  };
}

export async function recommend(db: Db, request: RecommendationRequest): Promise<RecommendationResult> {
  const current = await currentRanker(db);
  const store = await loadStoreEvidence(db);
  const target = store.datasets.get(request.target);
  if (target === undefined) throw notFound('dataset', request.target, 'target');
  const holdOut = request.holdOut === true;
  const ranker = holdOut ? await rankerWithout(store, target.id) : current;
  const recorded = Object.keys(ranker.model.record)
    .filter((b) => store.backbones.has(b))
    .sort();
  const context = request.context;
  const inContext =
    context === undefined ? undefined : store.candidateSets.get(`${context.study}/${context.candidateSet}`);
  if (context !== undefined && inContext === undefined)
    throw notFound('candidate set', `${context.study}/${context.candidateSet}`, 'candidate_set');
  const ids = request.candidates ?? inContext ?? recorded;
  for (const c of ids) if (!store.backbones.has(c)) throw notFound('backbone', c, 'candidates');
  if (ids.length < 2)
    throw invalid('ranking needs at least two candidate backbones', [{ field: 'candidates', message: 'at least two' }]);

  const candidates: BackboneTraits[] = ids.map((id) => store.evidence.backbones.find((b) => b.id === id)!);
  const measuredTargets = new Set(ranker.model.training.targets);
  const registryDatasets = new Set(
    [...store.datasets.values()].filter((d) => d.record_origin === 'registry').map((d) => d.id),
  );
  // One read of the embeddings serves the comparison with the measured targets and the distances to the sources.
  const stored = await readStoredTask2Vec(db);
  const similarity = measuredTargets.has(target.id)
    ? null
    : compareWithMeasuredTargets(stored, target.id, measuredTargets, registryDatasets, await preferredProbes(db));
  const matched = similarity?.match?.target ?? null;
  // A target that is data a study measured is ranked as that target: by its results, then the model's predictions for it.
  const basis = matched === null ? target : store.datasets.get(matched)!;
  const signals = await signalsForTargets(db, store, new Set([basis.id]));
  const predictions = rankBackbones(ranker.model, {
    target: targetTraits(basis),
    candidates,
    signals,
    ...definedOnly({ context: request.context || undefined }),
  });

  const inSet = (m: MeasuredResult) =>
    context !== undefined && m.study === context.study && m.candidateSet === context.candidateSet;
  // Held out, the target's results come from the full model's record: the fitted one never saw them.
  const measuredOn = (backbone: string): MeasuredResult[] =>
    (current.model.record[backbone] ?? [])
      .filter((m) => m.target === basis.id)
      .map((m) => ({
        study: m.study,
        candidateSet: m.candidateSet,
        value:
          store.evidence.observations.find(
            (o) =>
              o.study === m.study &&
              o.candidateSet === m.candidateSet &&
              o.target === m.target &&
              o.backbone === backbone,
          )?.value ?? Number.NaN,
        z: m.z,
        rank: m.rank,
        of: m.of,
      }))
      // The requested candidate set's result first: it is the one the ranking compares.
      .sort((a, b) => Number(inSet(b)) - Number(inSet(a)));
  const ordered = predictions
    .map((p) => ({ p, measured: measuredOn(p.backbone) }))
    // Measured first, by their measured z; then the predictions. Held out, the predictions alone.
    .sort(
      (a, b) =>
        (holdOut ? 0 : (b.measured.length > 0 ? 1 : 0) - (a.measured.length > 0 ? 1 : 0)) ||
        (holdOut ? b.p.mean - a.p.mean : (b.measured[0]?.z ?? b.p.mean) - (a.measured[0]?.z ?? a.p.mean)) ||
        a.p.backbone.localeCompare(b.p.backbone),
    );
  const items = ordered.slice(0, request.topK ?? ordered.length).map(({ p, measured }, i) => {
    const b = store.backbones.get(p.backbone)!;
    return {
      ...p,
      rank: i + 1,
      source: b.source,
      architecture: b.architecture,
      weights: b.weights,
      measured,
      reason: reasonOf(p, measured, matched, holdOut),
    };
  });
  const targetEmbedded = store.probe !== null && store.embedded.has(target.id);
  const sources = [...new Set(candidates.map((c) => c.source))].filter((s) => s !== target.id).sort();
  const sourceDistances = distancesToSources(
    stored,
    target.id,
    sources,
    registryDatasets,
    similarity?.probe ?? (targetEmbedded ? store.probe : null),
  );
  const distanced = new Set(sourceDistances?.items.map((d) => d.source));
  const estimatorScores = (
    await listPairSignals(db.knex, { target: target.id, subjectKind: 'backbone', provenance: ESTIMATOR_PROVENANCE })
  ).map((r) => ({ backbone: r.subject, signal: r.signal, value: r.value }));
  return {
    target: target.id,
    traits: await traitsOf(db, target, targetEmbedded, store.probe, similarity?.probe ?? null),
    scale: 'z-within-group',
    ranker,
    probe: store.probe,
    withoutEmbedding: sources.filter((s) => !(targetEmbedded && store.embedded.has(s)) && !distanced.has(s)),
    targetEmbedded,
    sourceDistances,
    estimatorScores,
    similarity: similarity === null ? null : similarityOf(similarity, ranker),
    heldOut: holdOut ? heldOutChecks(ranker.model, store, basis, signals) : null,
    items,
  };
}
