/**
 * Backbone scores against fine-tuned results on the seeded registry (GET /v1/analysis/estimators).
 *
 * References computed independently with python3-scipy from the registry's own files (cwd = repo root): per
 * target, the candidate set with most scored backbones; both sides z-scored there (groups with a constant side
 * skipped); all targets pooled.
 *
 *   import csv, numpy as np, yaml; from scipy import stats
 *   D='datasets-registry/published/medmnist-transferability/'
 *   sets=yaml.safe_load(open(D+'study.yaml'))['candidate_sets']
 *   res={}
 *   for r in csv.DictReader(open(D+'results.csv')): res.setdefault((r['backbone'],r['target']),[]).append(float(r['value']))
 *   sig={(r['signal'],r['backbone'],r['target']):float(r['value']) for r in csv.DictReader(open(D+'signals.csv'))}
 *   z=lambda v:(np.array(v)-np.mean(v))/np.std(v,ddof=1)
 *   for s in sorted({k[0] for k in sig}):
 *     X=[];Y=[]
 *     for t in sorted({k[1] for k in res}):
 *       best=[]
 *       for c in sets:
 *         m=[b for b in c['backbones'] if (b,t) in res and (s,b,t) in sig]
 *         if len(m)>len(best): best=m
 *       if len(best)<3 or np.std([sig[(s,b,t)] for b in best])==0: continue
 *       X+=list(z([sig[(s,b,t)] for b in best])); Y+=list(z([np.mean(res[(b,t)]) for b in best]))
 *     P=stats.pearsonr(X,Y); S=stats.spearmanr(X,Y); print(s,len(X),P.statistic,P.pvalue,S.statistic,S.pvalue)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { components } from '../../src/api/schema.js';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';

type Analysis = components['schemas']['EstimatorAnalysis'];

const SCIPY: Record<string, [n: number, r: number, pr: number, rho: number, prho: number]> = {
  fu: [154, 0.4715108017134147, 6.733088788966054e-10, 0.36876052473775434, 2.528251103731841e-6],
  leep: [154, 0.4035689801029393, 2.10507841708921e-7, 0.34363422788470227, 1.281341993761982e-5],
  logme: [154, 0.34517705871375476, 1.1643867944060736e-5, 0.31278083080739627, 7.833279197854279e-5],
  lp: [154, 0.5186166330035321, 5.590903881216528e-12, 0.5015718323698123, 3.445464792408843e-11],
  ncti: [154, 0.19116188446838, 0.017554989916210274, 0.1628937792125648, 0.04354010739544038],
  nleep: [154, 0.4739670272003832, 5.337833516159155e-10, 0.4316863402252397, 2.2736191367487895e-8],
  parc: [154, 0.29544623960514904, 0.0001992928964394329, 0.27898338220918867, 0.000458816720021116],
  sfda: [126, 0.28907926588092225, 0.0010272626058743426, 0.24377732669670404, 0.005945912614916592],
};

const close = (actual: number | null, expected: number, what: string) =>
  assert.ok(
    actual !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );

describeEachStore('api estimator analysis', (kind) => {
  const env = seededApp(kind);

  test("each published score against the fine-tuned metric, z within target, matches scipy's Pearson and Spearman", async () => {
    const res = await fetch(`${env.app.url}/v1/analysis/estimators`);
    assert.equal(res.status, 200);
    const analysis = (await res.json()) as Analysis;
    assert.equal(analysis.scale, 'z-within-group');
    assert.deepEqual(
      analysis.signals.map((s) => s.signal),
      Object.keys(SCIPY),
    );
    for (const s of analysis.signals) {
      const [n, r, pr, rho, prho] = SCIPY[s.signal]!;
      assert.equal(s.n, n, s.signal);
      assert.equal(s.used.length, n);
      close(s.pearson.coefficient, r, `${s.signal} Pearson`);
      close(s.pearson.p_value, pr, `${s.signal} Pearson p`);
      close(s.spearman.coefficient, rho, `${s.signal} Spearman`);
      close(s.spearman.p_value, prho, `${s.signal} Spearman p`);
      for (const c of [s.pearson, s.spearman]) {
        assert.equal(c.interval.level, 0.95);
        assert.ok(c.interval.lower! < c.coefficient! && c.coefficient! < c.interval.upper!, s.signal);
      }
      assert.equal(s.groups, new Set(s.used.map((p) => `${p.study}/${p.target}`)).size);
    }
    const etag = res.headers.get('etag');
    assert.ok(etag);
    assert.equal(
      (await fetch(`${env.app.url}/v1/analysis/estimators`, { headers: { 'if-none-match': etag } })).status,
      304,
    );
  });

  test("each point's score is the stored signal of that backbone on that target", async () => {
    const analysis = (await (await fetch(`${env.app.url}/v1/analysis/estimators`)).json()) as Analysis;
    const logme = analysis.signals.find((s) => s.signal === 'logme')!;
    const target = logme.used[0]!.target;
    const stored = (await (
      await fetch(`${env.app.url}/v1/datasets/${target}/signals?signal=logme&subject_kind=backbone`)
    ).json()) as { items: { subject: string; value: number }[] };
    const values = new Map(stored.items.map((i) => [i.subject, i.value]));
    const points = logme.used.filter((p) => p.target === target);
    assert.equal(points.length, 14);
    for (const p of points) assert.equal(p.value, values.get(p.backbone), p.backbone);
  });
});
