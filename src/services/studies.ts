/**
 * Published studies and pair signals as callers load and read them: a study folder or a signals batch is
 * checked whole against the store before one transaction writes it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { AppError, invalid, notFound } from '../errors.js';
import { definedOnly } from '../defaults.js';
import { plainProblem } from '../plain.js';
import { canonicalJson } from '../store/canonical.js';
import { ensureContributor } from '../store/contributors.js';
import { upsertDataset, existingDatasetIds, type UpsertOutcome } from '../store/datasets.js';
import { deleteEmbeddings, float32ToBytes, insertEmbedding, listEmbeddings } from '../store/embeddings.js';
import { listPublishedExpertDistances, replacePublishedExpertDistances } from '../store/experts.js';
import { ensureProbe } from '../store/probes.js';
import { getRun, insertRun, runIdForIdempotencyKey } from '../store/results.js';
import { existingBackboneIds, upsertBackbone } from '../store/backbones.js';
import { upsertPairSignals, type PairSignal } from '../store/pair-signals.js';
import { declaredSignals, replaceSpreads, upsertStudy } from '../store/studies.js';
import {
  getDataset,
  getStudy,
  listBackbones,
  listPairSignals,
  listStudies,
  studyCounts,
  type SignalSubjectKind,
  type StoredBackbone,
  type StoredPairSignal,
  type StoredStudy,
  type StudyCounts,
} from '../store/index.js';

import {
  checkSignalIds,
  checkSignalRows,
  checkStudyIds,
  parseStudy,
  readStudyFolder,
  signalsFromCsv,
  type RawSignal,
  type Study,
  type StudyFolder,
  type StudyRun,
} from '../studies/index.js';
import type { Db } from './session.js';
import { duplicateKey, referenceOf, type Metric } from '../transfer/index.js';

export interface StudyLoadSummary {
  readonly study: string;
  readonly outcome: UpsertOutcome;
  readonly datasets: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly backbones: { readonly created: number; readonly updated: number; readonly unchanged: number };
  readonly results: { readonly added: number; readonly unchanged: number };
  readonly signals: { readonly added: number; readonly updated: number; readonly unchanged: number };
  readonly spreads: { readonly replaced: boolean; readonly count: number };
  readonly expertDistances: { readonly replaced: boolean; readonly count: number };
  readonly embeddings: { readonly added: number; readonly unchanged: number };
}

/** Checks a parsed study against the ids the store (or registry files about to be written) knows; nothing is written. */
export async function checkStudyAgainstStore(
  db: Knex,
  study: Study,
  alsoDatasets: Iterable<string> = [],
): Promise<void> {
  const ids = [
    ...study.runs.map((r) => r.target),
    ...study.signals.flatMap((s) => [s.target, s.subject]),
    ...study.backbones.map((b) => b.source),
    ...study.expertDistances.flatMap((d) => [d.source, d.target]),
    ...(study.embeddings?.vectors.map((v) => v.dataset) ?? []),
  ];
  checkStudyIds(study, {
    datasets: new Set([...(await existingDatasetIds(db, ids)), ...alsoDatasets]),
    backbones: await existingBackboneIds(db),
  });
}

/** Idempotency key of a study's result: one stored run per study, backbone (or baseline) and target. */
function runKey(study: string, run: Pick<StudyRun, 'backbone' | 'target'>): string {
  return `study:${study}:${run.backbone ?? 'none'}:${run.target}`;
}

export function studyRunId(key: string): string {
  return `r_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;
}

function tally(outcomes: UpsertOutcome[]) {
  return {
    created: outcomes.filter((o) => o === 'created').length,
    updated: outcomes.filter((o) => o === 'updated').length,
    unchanged: outcomes.filter((o) => o === 'unchanged').length,
  };
}

type StudyHeader = Pick<StudyLoadSummary, 'outcome' | 'datasets' | 'backbones'>;

/** The study's own row, datasets and backbones: written before any study's results, which may refer to them. */
export async function writeStudyHeader(trx: Knex.Transaction, study: Study): Promise<StudyHeader> {
  const { meta } = study;
  await ensureContributor(trx, { id: `study:${meta.id}`, name: `${meta.authors} (${meta.year})`, role: 'contributor' });
  const datasets = tally(await sequential(study.datasets, ({ where: _w, ...d }) => upsertDataset(trx, d, 'registry')));
  const outcome = await upsertStudy(trx, {
    id: meta.id,
    title: meta.title,
    authors: meta.authors,
    year: meta.year,
    citation: meta.citation,
    ...definedOnly({ doi: meta.doi || undefined, url: meta.url || undefined }),
    licence: meta.licence,
    metric: meta.metric,
    protocol: meta.protocol,
    candidate_sets: study.candidateSets,
    signal_definitions: study.signalDefinitions,
  });
  const backbones = tally(
    await sequential(study.backbones, (b) =>
      upsertBackbone(trx, {
        id: b.id,
        source: b.source,
        architecture: b.architecture,
        weights: b.weights,
        ...definedOnly({ description: b.description || undefined }),
        study: meta.id,
      }),
    ),
  );
  return { outcome, datasets, backbones };
}

/**
 * Writes one checked study inside the caller's transaction. Every part compares with what is stored and
 * writes only differences, so loading the same folder twice changes nothing.
 */
export async function writeStudy(trx: Knex.Transaction, study: Study, header?: StudyHeader): Promise<StudyLoadSummary> {
  const { meta } = study;
  const contributor = `study:${meta.id}`;
  const provenance = `study:${meta.id}`;
  const { outcome, datasets, backbones } = header ?? (await writeStudyHeader(trx, study));

  const architectureOf = new Map<string, { source: string; architecture: string }>();
  for (const row of (await trx('backbones').select('id', 'source_id', 'architecture')) as {
    id: string;
    source_id: string;
    architecture: string;
  }[]) {
    architectureOf.set(row.id, { source: row.source_id, architecture: row.architecture });
  }
  let added = 0;
  let unchanged = 0;
  for (const run of study.runs) {
    const backbone = run.backbone === null ? undefined : architectureOf.get(run.backbone)!;
    const source = backbone?.source ?? null;
    const architecture = backbone?.architecture ?? meta.protocol.architecture;
    const result = {
      source,
      target: run.target,
      architecture,
      protocol: definedOnly({
        folds: run.folds.length,
        // The study's metric was checked against the catalogue when its folder was parsed.
        metric: meta.metric as Metric,
        imageSize: meta.protocol.image_size,
        notes: run.single
          ? `one published number per pair; ${meta.protocol.hyperparameters}`
          : meta.protocol.hyperparameters,
      }),
      foldValues: run.folds.map((f) => f.value),
      provenance: meta.doi ? { contributor, doi: meta.doi } : { contributor, url: meta.url! },
    };
    const key = runKey(meta.id, run);
    const existing = await runIdForIdempotencyKey(trx, key);
    if (existing) {
      const stored = await getRun(trx, existing);
      const same =
        stored &&
        stored.backbone === run.backbone &&
        stored.architecture === architecture &&
        canonicalJson(stored.protocol) === canonicalJson(result.protocol) &&
        canonicalJson(stored.foldValues) === canonicalJson(result.foldValues) &&
        stored.study === meta.id &&
        referenceOf(stored.provenance) === referenceOf(result.provenance);
      if (same) {
        unchanged++;
        continue;
      }
      // The study's file was corrected: the stored copy follows it, under the same id.
      await trx('transfer_runs').where({ id: existing }).delete();
    }
    await insertRun(trx, {
      ...result,
      id: existing ?? studyRunId(key),
      ...definedOnly({ backbone: run.backbone ?? undefined }),
      study: meta.id,
      duplicateKey: duplicateKey(result),
      idempotencyKey: key,
    });
    added++;
  }

  const pairSignals: PairSignal[] = [
    ...study.signals.map((s) => ({
      subject_kind: s.subjectKind,
      subject: s.subject,
      target: s.target,
      signal: s.signal,
      value: s.value,
      provenance,
    })),
    ...study.expertDistances.map((d) => ({
      subject_kind: 'source' as const,
      subject: d.source,
      target: d.target,
      signal: 'expert_distance',
      value: d.distance,
      provenance,
    })),
  ];
  const signals = await upsertPairSignals(trx, pairSignals);
  const spreadsReplaced = await replaceSpreads(
    trx,
    meta.id,
    study.spreads.map(({ where: _w, ...s }) => ({ study: meta.id, ...s })),
  );

  const wanted = study.expertDistances.map((d) => ({
    target: d.target,
    source: d.source,
    distance: d.distance,
    publication: meta.id,
  }));
  const stored = (await listPublishedExpertDistances(trx)).filter((d) => d.publication === meta.id);
  const byPair = (a: { target: string; source: string }, b: { target: string; source: string }) =>
    `${a.target}/${a.source}`.localeCompare(`${b.target}/${b.source}`);
  const sameDistances = canonicalJson([...stored].sort(byPair)) === canonicalJson([...wanted].sort(byPair));
  if (!sameDistances) await replacePublishedExpertDistances(trx, meta.id, wanted);

  let embeddingsAdded = 0;
  let embeddingsUnchanged = 0;
  if (study.embeddings) {
    const { probe, method, options, vectors } = study.embeddings;
    await ensureProbe(trx, {
      id: probe.id,
      name: probe.id,
      architecture: probe.architecture,
      input_size: probe.inputSize,
      pixel_scaling: probe.pixelScaling,
      description: probe.weights ?? `published by ${meta.id}`,
    });
    for (const v of vectors) {
      const existing = await listEmbeddings(trx, { datasetId: v.dataset, probeId: probe.id, origin: 'published' });
      if (existing.length === 1 && float32ToBytes(existing[0]!.hessian).equals(float32ToBytes(v.hessian))) {
        embeddingsUnchanged++;
        continue;
      }
      await deleteEmbeddings(trx, { datasetId: v.dataset, probeId: probe.id, origin: 'published' });
      await insertEmbedding(trx, {
        datasetId: v.dataset,
        probeId: probe.id,
        method,
        hessian: v.hessian,
        options: { ...options, publication: meta.id },
        origin: 'published',
        contributor,
      });
      embeddingsAdded++;
    }
  }

  return {
    study: meta.id,
    outcome,
    datasets,
    backbones,
    results: { added, unchanged },
    signals,
    spreads: { replaced: spreadsReplaced, count: study.spreads.length },
    expertDistances: { replaced: !sameDistances, count: wanted.length },
    embeddings: { added: embeddingsAdded, unchanged: embeddingsUnchanged },
  };
}

async function sequential<T, R>(items: readonly T[], f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await f(item));
  return out;
}

/** Imports one study folder: parsed, checked against the store, then written in one transaction. */
export async function importStudy(db: Db, folder: StudyFolder): Promise<StudyLoadSummary> {
  const study = parseStudy(folder);
  // Its integers are bounded by the study schemas; its texts may still hold what PostgreSQL refuses.
  const problem = plainProblem(study, '', { integers: false });
  if (problem)
    throw invalid(
      `${folder.name}: ${problem.detail}`,
      [{ field: problem.field, message: problem.message }],
      folder.name,
    );
  await checkStudyAgainstStore(db.knex, study);
  return db.knex.transaction((trx) => writeStudy(trx, study));
}

/** The same for a folder on disk; a path that is no folder is the caller's mistake. */
export async function importStudyFolder(db: Db, dir: string): Promise<StudyLoadSummary> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw invalid(`${dir}: not a study folder`, [{ field: 'folder', message: 'not a folder' }], dir);
  return importStudy(db, readStudyFolder(dir));
}

/** Imports pair signals all or nothing: every row is checked (names, values, provenance, ids) before the first write. */
export async function importPairSignals(
  db: Db,
  raw: readonly (RawSignal & { where: string; field?: string })[],
  defaultProvenance?: string,
  onlyProvenance?: string,
): Promise<SignalImportOutcome> {
  for (const r of raw) {
    // Values are doubles in both stores; only the texts can hold what PostgreSQL refuses.
    const problem = plainProblem(r, '', { integers: false });
    if (problem) {
      const field = r.field ? `${r.field}.${problem.field}` : problem.field;
      throw invalid(`${r.where}: field '${field}': ${problem.message}`, [{ field, message: problem.message }], r.where);
    }
  }
  const rows = checkSignalRows(raw, await declaredSignals(db.knex), defaultProvenance);
  const foreign = onlyProvenance === undefined ? undefined : rows.find((r) => r.provenance !== onlyProvenance);
  if (foreign !== undefined)
    throw new AppError(
      'forbidden',
      'Provenance not yours',
      `${foreign.field ?? foreign.where}: signals from this token are recorded as '${onlyProvenance}'; only an admin may give another provenance`,
      [{ field: foreign.field ? `${foreign.field}.provenance` : 'provenance', message: `must be '${onlyProvenance}'` }],
    );
  const ids = rows.flatMap((r) => (r.subject_kind === 'source' ? [r.subject, r.target] : [r.target]));
  checkSignalIds(rows, {
    datasets: await existingDatasetIds(db.knex, ids),
    backbones: await existingBackboneIds(db.knex),
  });
  return db.knex.transaction((trx) =>
    upsertPairSignals(
      trx,
      rows.map(({ where: _w, field: _f, ...r }) => r),
    ),
  );
}

export type SignalImportOutcome = { readonly added: number; readonly updated: number; readonly unchanged: number };

/** Pair signals from a CSV file on disk (see signalsFromCsv for its columns). */
export async function importPairSignalsCsv(
  db: Db,
  path: string,
  defaultProvenance?: string,
): Promise<SignalImportOutcome> {
  if (!existsSync(path)) throw invalid(`${path}: no such file`, [{ field: 'csv', message: 'no such file' }], path);
  return importPairSignals(db, signalsFromCsv(readFileSync(path, 'utf8'), path), defaultProvenance);
}

export interface StudySummary extends StoredStudy {
  readonly counts: StudyCounts;
}

export interface StudyDetail extends StudySummary {
  readonly backbones: StoredBackbone[];
  readonly targets: string[];
}

/** Every stored study with how much evidence it holds: the one listing API and CLI both print. */
export async function studySummaries(db: Db): Promise<StudySummary[]> {
  const out: StudySummary[] = [];
  for (const s of await listStudies(db.knex)) out.push({ ...s, counts: await studyCounts(db.knex, s.id) });
  return out;
}

/** One study with the backbones its results use and the targets it measured. */
export async function studyDetail(db: Db, id: string): Promise<StudyDetail> {
  const study = await getStudy(db.knex, id);
  if (!study) throw notFound('study', id);
  const used = (await db
    .knex('transfer_runs')
    .where({ study_id: id })
    .whereNull('withdrawn_at')
    .distinct('backbone_id', 'target_id')) as { backbone_id: string | null; target_id: string }[];
  const backboneIds = new Set(used.flatMap((r) => (r.backbone_id === null ? [] : [r.backbone_id])));
  return {
    ...study,
    counts: await studyCounts(db.knex, id),
    backbones: (await listBackbones(db.knex)).filter((b) => backboneIds.has(b.id)),
    targets: [...new Set(used.map((r) => r.target_id))].sort(),
  };
}

/** A target's pair signals; an unknown target is an error, a known one without signals an empty list. */
export async function signalsForTarget(
  db: Db,
  target: string,
  filter: { signal?: string; subjectKind?: SignalSubjectKind; provenance?: string } = {},
): Promise<StoredPairSignal[]> {
  if (!(await getDataset(db.knex, target))) throw notFound('dataset', target, 'target');
  return listPairSignals(db.knex, { target, ...filter });
}
