import type { Knex } from 'knex';
import { isoTime, nowIso } from './rows.js';

export type SignalSubjectKind = 'backbone' | 'source';

export interface PairSignal {
  readonly subject_kind: SignalSubjectKind;
  readonly subject: string;
  readonly target: string;
  readonly signal: string;
  readonly value: number;
  readonly provenance: string;
}

export interface StoredPairSignal extends PairSignal {
  readonly created_at: string;
}

export interface PairSignalFilter {
  readonly target?: string;
  readonly subjectKind?: SignalSubjectKind;
  readonly subject?: string;
  readonly signal?: string;
  readonly provenance?: string;
}

interface SignalRow {
  subject_kind: SignalSubjectKind;
  subject: string;
  target_id: string;
  signal: string;
  value: number | string;
  provenance: string;
  created_at: unknown;
}

function keyOf(s: Pick<PairSignal, 'subject_kind' | 'subject' | 'target' | 'signal' | 'provenance'>): string {
  return [s.subject_kind, s.subject, s.target, s.signal, s.provenance].join('\u0000');
}

/**
 * Writes signals: a new key is added, a stored key with another value is updated, an equal one is left alone.
 * Callers check the rows first (known ids, finite values, one value per key) and pass a transaction.
 */
export async function upsertPairSignals(
  db: Knex,
  signals: readonly PairSignal[],
): Promise<{ added: number; updated: number; unchanged: number }> {
  const provenances = [...new Set(signals.map((s) => s.provenance))];
  const stored = new Map<string, number>();
  for (const provenance of provenances) {
    for (const r of (await db('pair_signals')
      .where({ provenance })
      .select('subject_kind', 'subject', 'target_id', 'signal', 'provenance', 'value')) as SignalRow[]) {
      stored.set(keyOf({ ...r, target: r.target_id }), Number(r.value));
    }
  }
  let added = 0;
  let updated = 0;
  let unchanged = 0;
  const inserts: Record<string, unknown>[] = [];
  for (const s of signals) {
    const before = stored.get(keyOf(s));
    if (before === s.value) unchanged++;
    else if (before !== undefined) {
      await db('pair_signals')
        .where({
          subject_kind: s.subject_kind,
          subject: s.subject,
          target_id: s.target,
          signal: s.signal,
          provenance: s.provenance,
        })
        .update({ value: s.value });
      updated++;
    } else {
      inserts.push({
        subject_kind: s.subject_kind,
        subject: s.subject,
        target_id: s.target,
        signal: s.signal,
        value: s.value,
        provenance: s.provenance,
        created_at: nowIso(),
      });
      added++;
    }
  }
  // Chunks keep each statement under SQLite's limit of bound variables.
  for (let i = 0; i < inserts.length; i += 100) await db('pair_signals').insert(inserts.slice(i, i + 100));
  return { added, updated, unchanged };
}

export async function listPairSignals(db: Knex, filter: PairSignalFilter = {}): Promise<StoredPairSignal[]> {
  const q = db('pair_signals');
  if (filter.target) q.where('target_id', filter.target);
  if (filter.subjectKind) q.where('subject_kind', filter.subjectKind);
  if (filter.subject) q.where('subject', filter.subject);
  if (filter.signal) q.where('signal', filter.signal);
  if (filter.provenance) q.where('provenance', filter.provenance);
  const rows = (await q
    .select('*')
    .orderBy([
      { column: 'target_id' },
      { column: 'signal' },
      { column: 'subject_kind' },
      { column: 'subject' },
      { column: 'provenance' },
    ])) as SignalRow[];
  return rows.map((r) => ({
    subject_kind: r.subject_kind,
    subject: r.subject,
    target: r.target_id,
    signal: r.signal,
    value: Number(r.value),
    provenance: r.provenance,
    created_at: isoTime(r.created_at),
  }));
}
