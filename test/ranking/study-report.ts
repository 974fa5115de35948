/**
 * Prints the transferability and correlation tables on the study's data (the ranker's evaluation is `npm run bench:ranker`):
 *   cd /work/main && npx tsx test/ranking/study-report.ts
 */
import { analyseCorrelations } from '../../src/ranking/index.js';
import { transferabilityTable } from '../../src/transfer/index.js';
import {
  STUDY_PROXY,
  studyEmbeddingDistances,
  studyExpertDistances,
  studyResults,
  studyTransferabilities,
} from './study.js';

const transferability = studyTransferabilities();
const distances = [...studyExpertDistances(), ...studyEmbeddingDistances()];
const fmt = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));

console.log('Transferability T(S->T) in %, mean ± sample std over 5 folds');
const rows = transferabilityTable(studyResults()).sort(
  (a, b) => a.result.target.localeCompare(b.result.target) || a.result.source!.localeCompare(b.result.source!),
);
for (const { result, transferability: t } of rows) {
  console.log(
    `  ${result.source!.padEnd(12)} -> ${result.target.padEnd(12)} ${t.ok ? `${t.mean.toFixed(2).padStart(6)} ± ${fmt(t.std, 2)}` : t.message}`,
  );
}

const analysis = analyseCorrelations({ transferability, distances, proxy: STUDY_PROXY });
console.log('\nCorrelation of distance with transferability (proxy imagenet -> stl10 for embeddings)');
console.log('signal     n   pearson  p      95% CI            spearman  p      95% CI            left out');
for (const s of analysis.signals) {
  const left = s.leftOut.map((l) => `${l.source}->${l.target} (${l.reason})`).join(', ');
  console.log(
    `${s.signal.padEnd(9)} ${String(s.n).padStart(2)}  ${fmt(s.pearson.coefficient).padStart(6)}  ${fmt(s.pearson.pValue)}  [${fmt(s.pearson.interval.lower)}, ${fmt(s.pearson.interval.upper)}]  ` +
      `${fmt(s.spearman.coefficient).padStart(6)}    ${fmt(s.spearman.pValue)}  [${fmt(s.spearman.interval.lower)}, ${fmt(s.spearman.interval.upper)}]  ${left}`,
  );
}
