import { Command } from 'commander';
import { AppError, invalid } from '../../errors.js';
import {
  importPairSignalsCsv,
  importStudyFolder,
  refitRanker,
  signalsForTarget,
  studyDetail,
  studySummaries,
  withStore,
  type SignalSubjectKind,
  type StudyLoadSummary,
} from '../../services/index.js';
import { fixed, printJson, table } from '../output.js';
import { rankerLine } from './service.js';
import { definedOnly } from '../../defaults.js';

function describeLoad(s: StudyLoadSummary): string {
  return [
    `study ${s.study}: ${s.outcome}`,
    `backbones: ${s.backbones.created} created, ${s.backbones.updated} updated, ${s.backbones.unchanged} unchanged`,
    `results: ${s.results.added} added, ${s.results.unchanged} unchanged`,
    `signals: ${s.signals.added} added, ${s.signals.updated} updated, ${s.signals.unchanged} unchanged`,
    `spreads: ${s.spreads.count}${s.spreads.replaced ? ' (written)' : ' (unchanged)'}`,
  ].join('\n');
}

export function studiesCommand(): Command {
  const studies = new Command('studies').description(
    'published studies carried as data: their results, backbones and pair signals',
  );

  studies
    .command('list')
    .description('list the stored studies')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const all = await withStore((store) => studySummaries(store));
      if (opts.json) return printJson(all);
      console.log(
        table(
          ['id', 'year', 'metric', 'licence', 'backbones', 'targets', 'results', 'baselines', 'signals', 'title'],
          all.map((s) => [
            s.id,
            s.year,
            s.metric,
            s.licence,
            s.counts.backbones,
            s.counts.targets,
            s.counts.results,
            s.counts.baselines,
            s.counts.signals,
            s.title,
          ]),
        ),
      );
    });

  studies
    .command('show <id>')
    .description('one study: citation, protocol, candidate sets, backbones and counts')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const s = await withStore((store) => studyDetail(store, id));
      if (opts.json) return printJson(s);
      console.log(
        `${s.title} (${s.year})\n${s.citation}\n${s.doi ? `doi ${s.doi}` : s.url}\nlicence ${s.licence}, metric ${s.metric}`,
      );
      console.log(
        `protocol: ${Object.entries(s.protocol)
          .map(([k, v]) => `${k} ${String(v)}`)
          .join('; ')}`,
      );
      console.log(
        `${s.counts.results} results (${s.counts.baselines} baselines) on ${s.counts.targets} targets, ${s.counts.signals} pair signals, ${s.counts.spreads} spreads`,
      );
      for (const set of s.candidate_sets)
        console.log(`candidate set ${set.id}: ${set.description} (${set.backbones.length} backbones)`);
      console.log(
        table(
          ['backbone', 'source', 'architecture', 'weights'],
          s.backbones.map((b) => [
            b.id,
            b.source,
            b.architecture,
            `${b.weights.provider}: ${b.weights.url ?? b.weights.reference ?? ''}`,
          ]),
        ),
      );
    });

  studies
    .command('import <folder>')
    .description(
      'import a study folder (study.yaml, results.csv, optional signals.csv, spread.csv, backbones/, datasets/); all or nothing',
    )
    .option('--json', 'print JSON')
    .action(async (folder: string, opts: { json?: boolean }) => {
      const { summary, ranker } = await withStore(async (store) => {
        const summary = await importStudyFolder(store, folder);
        return { summary, ranker: await refitAfterImport(store) };
      });
      if (opts.json) return printJson(summary);
      console.log(describeLoad(summary));
      console.log(ranker);
    });

  return studies;
}

export function signalsCommand(): Command {
  const signals = new Command('signals').description(
    'pair signals: estimator scores of a backbone, or distances of a source, for a target',
  );

  signals
    .command('import <csv>')
    .description(
      'import signals from subject_kind,subject,target,signal,value[,provenance] (or backbone|source,target,signal,value); all or nothing',
    )
    .option('--provenance <who>', 'who measured them, for rows without a provenance column (e.g. contributor:jdoe)')
    .option('--json', 'print JSON')
    .action(async (csv: string, opts: { provenance?: string; json?: boolean }) => {
      const outcome = await withStore((store) => importPairSignalsCsv(store, csv, opts.provenance));
      if (opts.json) return printJson(outcome);
      console.log(`signals: ${outcome.added} added, ${outcome.updated} updated, ${outcome.unchanged} unchanged`);
    });

  signals
    .command('list')
    .description("a target's pair signals")
    .requiredOption('--target <id>', 'the target dataset')
    .option('--signal <name>', 'only this signal')
    .option('--subject-kind <kind>', "only 'backbone' or 'source' signals")
    .option('--json', 'print JSON')
    .action(async (opts: { target: string; signal?: string; subjectKind?: string; json?: boolean }) => {
      if (opts.subjectKind !== undefined && opts.subjectKind !== 'backbone' && opts.subjectKind !== 'source') {
        throw invalid(`--subject-kind: '${opts.subjectKind}' is neither 'backbone' nor 'source'`, [
          { field: '--subject-kind', message: 'backbone or source' },
        ]);
      }
      const rows = await withStore((store) =>
        signalsForTarget(store, opts.target, {
          ...definedOnly({
            signal: opts.signal || undefined,
            subjectKind: opts.subjectKind ? (opts.subjectKind as SignalSubjectKind) : undefined,
          }),
        }),
      );
      if (opts.json) return printJson(rows);
      console.log(
        table(
          ['signal', 'kind', 'subject', 'value', 'provenance'],
          rows.map((r) => [r.signal, r.subject_kind, r.subject, fixed(r.value), r.provenance]),
        ),
      );
    });

  return signals;
}

/** The import stands on its own: evidence too thin for a model is said, not an error. */
async function refitAfterImport(store: Parameters<typeof refitRanker>[0]): Promise<string> {
  try {
    return rankerLine(await refitRanker(store));
  } catch (err) {
    if (err instanceof AppError) return `ranker not fitted: ${err.message}`;
    throw err;
  }
}
