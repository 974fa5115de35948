import { Command } from 'commander';
import { presentEvaluation } from '../../presenters/evidence.js';
import { evaluateEvidence, withStore } from '../../services/index.js';
import { fixed, printJson, table } from '../output.js';
import { positiveInt } from '../options.js';
import { definedOnly } from '../../defaults.js';

type Report = ReturnType<typeof presentEvaluation>;
const METRICS = ['weighted_tau', 'spearman', 'ndcg', 'regret', 'top1'] as const;

function interval(
  m: Report['scopes'][number]['methods'][number]['metrics'][(typeof METRICS)[number]],
  digits: number,
): string {
  if (m.mean === null) return '—';
  return `${m.mean.toFixed(digits)} [${fixed(m.lower ?? undefined, digits)}, ${fixed(m.upper ?? undefined, digits)}]`;
}

function printScope(s: Report['scopes'][number], k: number): void {
  const nul = s.null as Record<string, { mean: number | null; sd: number | null } | undefined>;
  console.log(`\n## ${s.scope}: ${s.targets} held-out targets`);
  console.log(
    `random rankings: weighted tau ${fixed(nul.weighted_tau?.mean ?? undefined, 3)} ± ${fixed(nul.weighted_tau?.sd ?? undefined, 3)}; interval coverage over ${s.calibration.pairs} held-out pairs: 80% -> ${fixed((s.calibration.coverage80 ?? NaN) * 100, 1)}%, 90% -> ${fixed((s.calibration.coverage90 ?? NaN) * 100, 1)}%`,
  );
  console.log(
    table(
      [
        'method',
        'weighted tau [95% CI]',
        'spearman',
        `ndcg@${k}`,
        'regret@1',
        'top-1 hits',
        'wilcoxon p (tau vs ranker)',
      ],
      s.methods.map((m) => {
        const tau = m.versus_ranker.find((c) => c.metric === 'weighted_tau');
        return [
          m.method,
          interval(m.metrics.weighted_tau, 3),
          interval(m.metrics.spearman, 3),
          interval(m.metrics.ndcg, 3),
          interval(m.metrics.regret, 4),
          fixed(m.top1_hits, 1),
          tau?.test?.p_value == null ? '—' : tau.test.p_value.toPrecision(2),
        ];
      }),
    ),
  );
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .description(
      'leave one target out: the backbone ranker against every baseline (history prior, largest source, nearest by each distance, each published score, random), per study and candidate set and pooled',
    )
    .option('--study <id>', "only this study's results")
    .option('--resamples <n>', 'bootstrap resamples for the 95% intervals', positiveInt, 2000)
    .option('--null-repeats <n>', 'random rankings per target for the random baseline and the null', positiveInt, 1000)
    .option('--json', 'print JSON')
    .action(async (opts: { study?: string; resamples: number; nullRepeats: number; json?: boolean }) => {
      const evaluation = await withStore((store) =>
        evaluateEvidence(store, {
          ...definedOnly({ study: opts.study || undefined }),
          bootstrapResamples: opts.resamples,
          nullRepeats: opts.nullRepeats,
        }),
      );
      const report = presentEvaluation('computed now', evaluation);
      if (opts.json) return printJson(report);
      console.log(
        `leave-one-target-out on the ${report.scale} scale; means over targets with bootstrap 95% intervals (${report.bootstrap_resamples} resamples), random: ${report.null_repeats} rankings per target`,
      );
      for (const s of report.scopes) printScope(s, report.k);
    });
}
