/**
 * The study's data end to end. Correlation references computed independently with python3-scipy 1.17.1
 * from the raw files (cwd = repo root), ImageNet replaced by STL-10 for the embedding distances:
 *
 *   import csv, numpy as np; from scipy import stats
 *   D='../shared/reference/cats-scans/'
 *   auc={(r['source'],r['target']):np.array([float(r[f'fold_{i}']) for i in range(1,6)]) for r in csv.DictReader(open(D+'auc_folds.csv'))}
 *   exp={(r['source'],r['target']):float(r['hamming_distance']) for r in csv.DictReader(open(D+'expert_distances.csv'))}
 *   emb={n:np.load(D+f'task2vec_{n}.npy').astype(np.float64).mean(0) for n in ['chest','isic','kimia','pcam-middle','pcam-small','sti10','stl10','textures']}
 *   def t2v(a,b):
 *       a,b=sorted(['stl10' if d=='imagenet' else d for d in (a,b)]); s=emb[a]+emb[b]
 *       x=np.divide(emb[a],s,out=np.zeros_like(s),where=s>0); y=np.divide(emb[b],s,out=np.zeros_like(s),where=s>0)
 *       return 1-x@y/np.linalg.norm(x)/np.linalg.norm(y)
 *   def cos(a,b):
 *       a,b=sorted(['stl10' if d=='imagenet' else d for d in (a,b)]); return 1-emb[a]@emb[b]/np.linalg.norm(emb[a])/np.linalg.norm(emb[b])
 *   pairs=[(s,t) for (s,t) in auc if s!=t]
 *   T=[((auc[p]-auc[(p[1],p[1])])/auc[(p[1],p[1])]*100).mean() for p in pairs]
 *   for name,f in [('task2vec',t2v),('cosine',cos),('expert',lambda s,t: exp[(s,t)])]:
 *       x=[f(*p) for p in pairs]; P=stats.pearsonr(x,T); S=stats.spearmanr(x,T)
 *       print(name, P.statistic, P.pvalue, S.statistic, S.pvalue)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseCorrelations } from '../../src/ranking/index.js';
import { STUDY_PROXY, studyEmbeddingDistances, studyExpertDistances, studyTransferabilities } from './study.js';

const REFERENCE = {
  task2vec: [0.21832517128720583, 0.3417230423131029, 0.029277869693743484, 0.8997485783696799],
  cosine: [-0.13872174802525952, 0.5487141689164874, -0.07742369985678833, 0.738699787651228],
  expert: [0.2920532858238354, 0.19892117774577253, 0.22793656288872788, 0.3203502288576055],
} as const;

const transferability = studyTransferabilities();
const distances = [...studyExpertDistances(), ...studyEmbeddingDistances()];

test("correlations on the study's data match scipy", () => {
  const analysis = analyseCorrelations({
    transferability,
    distances,
    proxy: STUDY_PROXY,
    bootstrap: { resamples: 500 },
  });
  assert.deepEqual(
    analysis.signals.map((s) => s.signal),
    ['cosine', 'expert', 'task2vec'],
  );
  for (const s of analysis.signals) {
    const [r, pr, rho, prho] = REFERENCE[s.signal as keyof typeof REFERENCE];
    assert.equal(s.n, 21);
    assert.equal(s.pearson.pValueMethod, 't-distribution');
    assert.ok(Math.abs(s.pearson.coefficient! - r) < 1e-9, `${s.signal} r ${s.pearson.coefficient}`);
    assert.ok(Math.abs(s.pearson.pValue! - pr) < 1e-9, `${s.signal} p ${s.pearson.pValue}`);
    assert.ok(Math.abs(s.spearman.coefficient! - rho) < 1e-9, `${s.signal} rho ${s.spearman.coefficient}`);
    assert.ok(Math.abs(s.spearman.pValue! - prho) < 1e-9, `${s.signal} p ${s.spearman.pValue}`);
    assert.ok(s.pearson.interval.lower! < s.pearson.coefficient! && s.pearson.coefficient! < s.pearson.interval.upper!);
    assert.deepEqual(
      s.leftOut.map((l) => `${l.source}->${l.target}:${l.reason}`),
      ['chest->chest:self-pair', 'isic->isic:self-pair', 'pcam-middle->pcam-middle:self-pair'],
    );
  }
  const task2vec = analysis.signals.find((s) => s.signal === 'task2vec')!;
  assert.deepEqual(
    task2vec.used.filter((u) => u.proxiedVia).map((u) => `${u.source}->${u.target} via ${u.proxiedVia!.source}`),
    ['imagenet->chest via stl10', 'imagenet->isic via stl10', 'imagenet->pcam-middle via stl10'],
  );
});

test('without the proxy ImageNet pairs are left out for missing embeddings, expert distances are unaffected', () => {
  const analysis = analyseCorrelations({
    transferability,
    distances,
    signals: ['task2vec', 'expert'],
    bootstrap: { resamples: 100 },
  });
  const [task2vec, expert] = analysis.signals;
  assert.equal(task2vec!.n, 18);
  assert.deepEqual(
    task2vec!.leftOut.filter((l) => l.reason === 'missing-distance').map((l) => l.source),
    ['imagenet', 'imagenet', 'imagenet'],
  );
  assert.equal(expert!.n, 21);
  assert.equal(analysis.proxy, null);
});
