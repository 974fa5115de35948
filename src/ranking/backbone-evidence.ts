/**
 * The evidence a backbone ranker learns from, as plain values: fine-tuning results of backbones on
 * targets, what is known about each backbone and each target, and pair signals (published
 * transferability scores, dataset distances). Results are compared only within the group that ranked
 * them (one study, one target, one candidate set), so every result is put on the scale of its group:
 * the z-score of the metric among the group's backbones.
 */
import { invalid } from '../errors.js';

export type SignalDirection = 'higher' | 'lower';

export interface Observation {
  readonly study: string;
  readonly candidateSet: string;
  readonly backbone: string;
  readonly target: string;
  /** The study's metric (AUC, accuracy, ...), averaged over folds when it has several. */
  readonly value: number;
  /**
   * Standard deviation of the metric over the study's hyper-parameter runs for this pair, when it
   * publishes one: how sensitive, and so how noisy, the single reported number is.
   */
  readonly spread?: number;
}

export interface BackboneTraits {
  readonly id: string;
  /** Registry id of the dataset the backbone was pretrained on. */
  readonly source: string;
  readonly sourceImages?: number;
  readonly origin?: 'natural' | 'medical';
  readonly modality?: string;
  readonly architecture?: string;
  /** Whether the source's images are grey or colour. */
  readonly colour?: 'grey' | 'colour';
}

export interface TargetTraits {
  readonly id: string;
  readonly modality?: string;
  readonly colour?: 'grey' | 'colour';
  readonly classes?: number;
  /** Images the target offers for fine-tuning. */
  readonly images?: number;
}

export interface PairSignal {
  /** 'source' signals (dataset distances) hold for every backbone pretrained on that source. */
  readonly subjectKind: 'backbone' | 'source';
  readonly subject: string;
  readonly target: string;
  readonly signal: string;
  readonly value: number;
  /** 'higher': a higher score predicts better transfer (estimators); 'lower': a smaller distance does. */
  readonly direction: SignalDirection;
}

export interface Evidence {
  readonly observations: readonly Observation[];
  readonly backbones: readonly BackboneTraits[];
  readonly targets: readonly TargetTraits[];
  readonly signals: readonly PairSignal[];
}

/** The backbones one study ranked on one target within one candidate set, with their results. */
export interface Group {
  readonly key: string;
  readonly study: string;
  readonly target: string;
  readonly candidateSet: string;
  readonly backbones: readonly string[];
  readonly values: readonly number[];
  /** (value - group mean) / group sample standard deviation. */
  readonly z: readonly number[];
  /** The group sample standard deviation, in the metric's units: what one z unit is worth. */
  readonly sd: number;
  /** Each observation's spread over hyper-parameter runs, where published. */
  readonly spreads: readonly (number | undefined)[];
}

export function groupKey(study: string, target: string, candidateSet: string): string {
  return `${study}/${candidateSet}/${target}`;
}

/**
 * Groups observations; a group with fewer than two backbones, or with all results equal, says nothing
 * about which backbone is better and is left out. A backbone twice in one group is an input error.
 */
export function groupObservations(observations: readonly Observation[]): Group[] {
  const byKey = new Map<string, Observation[]>();
  for (const o of observations) {
    if (!Number.isFinite(o.value))
      throw invalid(`result of ${o.backbone} on ${o.target} (${o.study}) is not a finite number`, [
        { field: 'value', message: 'must be finite' },
      ]);
    const key = groupKey(o.study, o.target, o.candidateSet);
    const list = byKey.get(key) ?? [];
    if (list.some((p) => p.backbone === o.backbone))
      throw invalid(`backbone ${o.backbone} appears twice in group ${key}`, [
        { field: 'backbone', message: 'one result per backbone, target, study and candidate set' },
      ]);
    list.push(o);
    byKey.set(key, list);
  }
  const groups: Group[] = [];
  for (const [key, list] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a.backbone.localeCompare(b.backbone));
    const values = sorted.map((o) => o.value);
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
    if (!(sd > 0)) continue;
    const first = sorted[0]!;
    groups.push({
      key,
      study: first.study,
      target: first.target,
      candidateSet: first.candidateSet,
      backbones: sorted.map((o) => o.backbone),
      values,
      z: values.map((v) => (v - mean) / sd),
      sd,
      spreads: sorted.map((o) => (o.spread !== undefined && o.spread > 0 ? o.spread : undefined)),
    });
  }
  return groups;
}

/** Looks up a pair signal for a backbone: its own score first, else its source dataset's distance. */
export interface SignalIndex {
  readonly directions: ReadonlyMap<string, SignalDirection>;
  value(signal: string, backbone: BackboneTraits | undefined, backboneId: string, target: string): number | undefined;
}

export function indexSignals(signals: readonly PairSignal[]): SignalIndex {
  const values = new Map<string, number>();
  const directions = new Map<string, SignalDirection>();
  for (const s of signals) {
    if (!Number.isFinite(s.value))
      throw invalid(`signal ${s.signal} for ${s.subject} on ${s.target} is not a finite number`, [
        { field: 'value', message: 'must be finite' },
      ]);
    const known = directions.get(s.signal);
    if (known !== undefined && known !== s.direction)
      throw invalid(`signal ${s.signal} is given both directions`, [
        { field: 'direction', message: 'one direction per signal' },
      ]);
    directions.set(s.signal, s.direction);
    values.set(`${s.subjectKind}\u0000${s.subject}\u0000${s.target}\u0000${s.signal}`, s.value);
  }
  return {
    directions,
    value: (signal, backbone, backboneId, target) =>
      values.get(`backbone\u0000${backboneId}\u0000${target}\u0000${signal}`) ??
      (backbone === undefined ? undefined : values.get(`source\u0000${backbone.source}\u0000${target}\u0000${signal}`)),
  };
}

/** Mean z-score of each backbone over the given groups: its track record. */
export function historyPrior(groups: readonly Group[]): Map<string, number> {
  const sums = new Map<string, { total: number; count: number }>();
  for (const g of groups) {
    g.backbones.forEach((b, i) => {
      const s = sums.get(b) ?? { total: 0, count: 0 };
      s.total += g.z[i]!;
      s.count++;
      sums.set(b, s);
    });
  }
  return new Map([...sums].map(([b, s]) => [b, s.total / s.count]));
}
