/**
 * The learned ranker over the store's evidence. A fitted model is stored under its version with a
 * hash of the data it was fitted on; the next use after results (or embeddings, or expert data)
 * change sees a different hash and refits, so callers never get a stale model.
 */
import { createHash } from 'node:crypto';
import type { Db } from './session.js';
import { notFound, AppError } from '../errors.js';
import {
  evaluateLeaveOneTargetOut,
  featureContext,
  featureNames,
  NotEnoughEvidenceError,
  pairFeatures,
  parseModel,
  RANKER_FORMAT,
  RANKER_FORMAT_VERSION,
  serialiseModel,
  trainRanker,
  type EvaluationReport,
  type FeatureContext,
  type RankerModel,
} from '../ranking/index.js';
import { canonicalJson, findRankerByTrainingHash, saveRanker, type StoredRanker } from '../store/index.js';
import type { PairTransferability } from '../transfer/index.js';
import { resolveProxy } from './analysis.js';
import { firstPreferred, preferredProbes } from './default-probe.js';
import { EXPERT_SIGNAL, loadSignals, task2vecSignal, type ProbeCoverage, type Signals } from './signals.js';
import { observedPairs } from './transferability.js';

export interface RankerSetup {
  /** Probe whose Task2Vec distance enters the model; the default probe (see default-probe.ts) when omitted. */
  readonly probe?: string;
  readonly proxy?: readonly string[];
  readonly architecture?: string;
}

export interface Evidence {
  readonly signals: Signals;
  readonly probe: ProbeCoverage | null;
  readonly distanceSignals: readonly string[];
  readonly context: FeatureContext;
  readonly observations: readonly PairTransferability[];
}

export interface FittedRanker extends Evidence {
  readonly model: RankerModel;
  readonly stored: StoredRanker;
  /** True when this call fitted the model (the evidence had changed since the last stored one). */
  readonly refitted: boolean;
}

export async function loadEvidence(db: Db, setup: RankerSetup = {}): Promise<Evidence> {
  const signals = await loadSignals(db);
  const wanted = setup.probe ?? firstPreferred(await preferredProbes(db), signals.probes.map((p) => p.id));
  const probe = wanted === null ? null : (signals.probes.find((p) => p.id === wanted) ?? null);
  if (setup.probe !== undefined && probe === null) throw notFound('probe with embeddings', setup.probe, 'probe');
  const proxy = resolveProxy(setup.proxy, new Set(signals.datasets.map((d) => d.id)), signals.distances);
  const distanceSignals = [...(probe ? [task2vecSignal(probe.id)] : []), EXPERT_SIGNAL];
  return {
    signals,
    probe,
    distanceSignals,
    context: featureContext(signals.traits, signals.distances, proxy),
    observations: await observedPairs(db, setup.architecture),
  };
}

/** Everything a fit depends on; equal hashes mean an equal model. */
function trainingHash(evidence: Evidence): string {
  const samples = evidence.observations
    .filter((o) => o.source !== o.target)
    .map((o) => [o.source, o.target, o.value, pairFeatures(evidence.context, evidence.distanceSignals, o.source, o.target).map((v) => v ?? null)]);
  const canonical = canonicalJson({ format: RANKER_FORMAT, formatVersion: RANKER_FORMAT_VERSION, features: featureNames(evidence.distanceSignals), samples });
  return createHash('sha256').update(canonical).digest('hex');
}

function fit(evidence: Evidence): RankerModel {
  try {
    return trainRanker(evidence.observations, evidence.context, { distanceSignals: evidence.distanceSignals });
  } catch (err) {
    if (err instanceof NotEnoughEvidenceError) {
      throw new AppError('unprocessable', 'Not enough results', `${err.message}: contribute transfer results with their baselines first (POST /v1/results or transfer-atlas results import)`);
    }
    throw err;
  }
}

export async function currentRanker(db: Db, setup: RankerSetup = {}): Promise<FittedRanker> {
  const evidence = await loadEvidence(db, setup);
  const hash = trainingHash(evidence);
  const stored = await findRankerByTrainingHash(db.knex, hash);
  if (stored) return { ...evidence, model: parseModel(stored.model), stored, refitted: false };
  const model = fit(evidence);
  const cv = model.crossValidation;
  const saved = await saveRanker(db.knex, {
    version: model.version,
    trainingHash: hash,
    signals: model.distanceSignals,
    model: serialiseModel(model),
    summary: {
      pairs: model.training.pairs,
      targets: model.training.targets,
      sources: model.training.sources,
      prior_precision: model.hyper.priorPrecision,
      noise_variance: model.hyper.noiseVariance,
      cross_validation: { scheme: cv.scheme, folds: cv.folds, criterion: cv.criterion, score: cv.grid[cv.best]!.score },
    },
  });
  return { ...evidence, model: parseModel(saved.model), stored: saved, refitted: true };
}

export interface EvaluationOptions extends RankerSetup {
  readonly k?: number;
}

/** Leave-one-target-out: the learned ranker against nearest-by-distance, largest source and random. */
export async function evaluation(db: Db, options: EvaluationOptions = {}): Promise<EvaluationReport & { readonly signals: readonly string[]; readonly probe: string | null }> {
  const evidence = await loadEvidence(db, options);
  const report = evaluateLeaveOneTargetOut({
    observations: evidence.observations,
    context: evidence.context,
    ranker: { distanceSignals: evidence.distanceSignals },
    nearestSignals: evidence.distanceSignals,
    ...(options.k !== undefined ? { k: options.k } : {}),
  });
  return { ...report, signals: evidence.distanceSignals, probe: evidence.probe?.id ?? null };
}
