/**
 * Leave-one-target-out evaluation of the backbone ranker on the published studies, beside every
 * baseline on the same folds. Prints the tables and writes bench/results/ranker.json.
 *
 *   npm run bench:ranker
 *   TA_BENCH_QUICK=1 npm run bench:ranker     200 bootstrap resamples and random rankings instead of 2000 and 1000
 *   TA_REGISTRY_DIR=<dir>                      the registry to read studies from (default datasets-registry/)
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateRanker, fitBackboneRanker, type Metric, type ScopeSummary } from '../src/ranking/index.js';
import { loadPublished } from './published-studies.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.env.TA_BENCH_QUICK === '1';
const registry = process.env.TA_REGISTRY_DIR ?? join(root, 'datasets-registry');
const evidence = loadPublished(registry);
const withScores = new Set(evidence.signals.filter((s) => s.signal === 'logme').map((s) => s.target));
const started = performance.now();
const evaluation = evaluateRanker(evidence, {
  bootstrapResamples: quick ? 200 : 2000,
  nullRepeats: quick ? 200 : 1000,
  extraScopes: [
    {
      name: 'medmnist-transferability/sources, the 11 targets with published scores',
      include: (g) =>
        g.study === 'medmnist-transferability' && g.candidateSet === 'sources' && withScores.has(g.target),
    },
  ],
});
const seconds = (performance.now() - started) / 1000;
const fitStarted = performance.now();
const full = fitBackboneRanker(evidence);
const fitMs = performance.now() - fitStarted;

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : v.toFixed(digits));
function printScope(s: ScopeSummary): void {
  console.log(`\n## ${s.scope}: ${s.targets} held-out targets`);
  console.log(
    `random ranking: weighted tau ${fmt(s.null.weightedTau.mean)} ± ${fmt(s.null.weightedTau.sd)}, regret@1 ${fmt(s.null.regret.mean, 4)} ± ${fmt(s.null.regret.sd, 4)}`,
  );
  console.log(
    `interval coverage over ${s.calibration.pairs} held-out pairs: 80% -> ${fmt((s.calibration.coverage80 ?? NaN) * 100, 1)}%, 90% -> ${fmt((s.calibration.coverage90 ?? NaN) * 100, 1)}%`,
  );
  const header = [
    'method',
    'n',
    'weighted tau [95% CI]',
    'spearman',
    'ndcg@3',
    'regret@1',
    'top-1',
    'p (tau vs ranker)',
    'p (regret)',
  ];
  const rows = s.methods.map((m) => {
    const metric = (k: Metric, d = 3) => fmt(m.metrics[k].mean, d);
    const p = (k: Metric) => fmt(m.versusRanker.find((c) => c.metric === k)?.test?.pValue, 4);
    return [
      m.method,
      String(m.metrics.regret.targets),
      `${metric('weightedTau')} [${fmt(m.metrics.weightedTau.lower)}, ${fmt(m.metrics.weightedTau.upper)}]`,
      metric('spearman'),
      metric('ndcg'),
      metric('regret', 4),
      `${fmt(m.top1Hits, 1)}/${m.metrics.regret.targets}`,
      p('weightedTau'),
      p('regret'),
    ];
  });
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  for (const r of [header, ...rows]) console.log(r.map((c, j) => c.padEnd(widths[j]!)).join('  '));
}
for (const s of evaluation.scopes) printScope(s);
console.log(
  `\n${evaluation.folds.length} folds in ${seconds.toFixed(1)} s; one fit on all ${full.training.pairs} pairs (${full.crossValidation?.configurations} configurations x ${full.crossValidation?.folds} inner folds): ${fitMs.toFixed(0)} ms`,
);

const out = join(root, 'bench', 'results', 'ranker.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  `${out}.tmp`,
  JSON.stringify(
    {
      registry,
      seconds,
      fullFit: {
        ms: fitMs,
        hyper: full.hyper,
        crossValidation: full.crossValidation,
        varianceCalibration: full.varianceCalibration,
      },
      evaluation,
    },
    null,
    1,
  ),
);
renameSync(`${out}.tmp`, out);
