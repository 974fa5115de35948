/**
 * Transferability, correlations, evaluation, the stored ranker and recommendations on the seeded registry.
 *
 * Correlation references computed independently with python3-scipy 1.17.1 from the registry's own files
 * (cwd = repo root). Task2Vec's cosine adds 1e-8 to each pair's sum as the reference implementation does;
 * distances are symmetric, so each unordered pair is computed once:
 *
 *   import csv, json, numpy as np; from scipy import stats
 *   R='../shared/reference/cats-scans/'
 *   auc={(r['source'],r['target']):np.array([float(r[f'fold_{i}']) for i in range(1,6)]) for r in csv.DictReader(open(R+'auc_folds.csv'))}
 *   exp={(r['source'],r['target']):float(r['hamming_distance']) for r in csv.DictReader(open(R+'expert_distances.csv'))}
 *   idx=json.load(open(R+'task2vec_resnet50_mean.json')); M=np.load(R+'task2vec_resnet50_mean.npy').astype(np.float64)
 *   emb={d:M[i] for i,d in enumerate(idx['datasets'])}
 *   def t2v(a,b):
 *       a,b=sorted((a,b)); s=emb[a]+emb[b]+1e-8; x=emb[a]/s; y=emb[b]/s; z=(emb[a]==0)&(emb[b]==0); x[z]=0; y[z]=0
 *       return 1-x@y/np.linalg.norm(x)/np.linalg.norm(y)
 *   def cos(a,b):
 *       a,b=sorted((a,b)); return 1-emb[a]@emb[b]/np.linalg.norm(emb[a])/np.linalg.norm(emb[b])
 *   pairs=[(s,t) for (s,t) in auc if s!=t]
 *   T={p:((auc[p]-auc[(p[1],p[1])])/auc[(p[1],p[1])]*100).mean() for p in pairs}
 *   for proxy in [False, True]:
 *     for name,f in [('task2vec',t2v),('cosine',cos),('expert',lambda s,t: exp[(s,t)])]:
 *       def g(s,t):
 *           if name!='expert' and proxy and s=='imagenet': s='stl10'
 *           return None if name!='expert' and (s not in emb or t not in emb) else f(s,t)
 *       used=[p for p in pairs if g(*p) is not None]; x=[g(*p) for p in used]; y=[T[p] for p in used]
 *       P=stats.pearsonr(x,y); S=stats.spearmanr(x,y); print(proxy,name,len(used),P.statistic,P.pvalue,S.statistic,S.pvalue)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';

const PROBE = 'torchvision-resnet50-imagenet1k-v1';

/** [n, pearson r, p, spearman rho, p] */
const SCIPY: Record<'none' | 'proxy', Record<string, readonly number[]>> = {
  none: {
    [`task2vec:${PROBE}`]: [18, 0.16075495587837726, 0.5239765636234949, -0.0651163573299639, 0.7974074401896177],
    [`cosine:${PROBE}`]: [18, -0.060099252961680096, 0.8127439302509288, 0.025839824337287258, 0.9189352907710698],
    expert: [21, 0.2920532858238354, 0.19892117774577253, 0.22793656288872788, 0.3203502288576055],
  },
  proxy: {
    [`task2vec:${PROBE}`]: [21, 0.20865042051048552, 0.36406050229688347, 0.01886796046930136, 0.9353018116714036],
    [`cosine:${PROBE}`]: [21, -0.13872174575779003, 0.5487141755145415, -0.07742369985678833, 0.738699787651228],
    expert: [21, 0.2920532858238354, 0.19892117774577253, 0.22793656288872788, 0.3203502288576055],
  },
};

/** The study's transferability table straight from its fold AUCs: mean and sample std over folds, in %. */
function studyTable(): Map<string, { mean: number; std: number }> {
  const lines = readFileSync('../shared/reference/cats-scans/auc_folds.csv', 'utf8').trim().split(/\r?\n/).slice(1);
  const auc = new Map(lines.map((l) => {
    const [source, target, ...values] = l.split(',');
    return [`${source}->${target}`, values.map(Number)] as const;
  }));
  const out = new Map<string, { mean: number; std: number }>();
  for (const [pair, values] of auc) {
    const [source, target] = pair.split('->') as [string, string];
    if (source === target) continue;
    const base = auc.get(`${target}->${target}`)!;
    const t = values.map((v, i) => ((v - base[i]!) / base[i]!) * 100);
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    out.set(pair, { mean, std: Math.sqrt(t.reduce((a, v) => a + (v - mean) ** 2, 0) / (t.length - 1)) });
  }
  return out;
}

interface Correlation { coefficient: number; p_value: number; interval: { lower: number; upper: number; level: number } }
interface Analysis {
  pairs: number;
  proxy: { map: Record<string, string> } | null;
  signals: { signal: string; n: number; pearson: Correlation; spearman: Correlation; used: { source: string; target: string; proxied_via?: { source: string } }[]; left_out: { source: string; target: string; reason: string }[] }[];
}

describeEachStore('api analysis and recommendations', (kind) => {
  const env = seededApp(kind);

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${env.app.url}${path}`);
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const post = (path: string, body: unknown) =>
    fetch(`${env.app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test("the transferability table is the study's", async () => {
    const expected = studyTable();
    const table = await get<{ items: { source: string; target: string; transferability?: { mean: number; std: number } }[] }>('/v1/transferability');
    // The MedMNIST study's results have no from-scratch baseline, so no transferability.
    const measured = table.items.filter((row) => row.transferability);
    assert.equal(measured.length, expected.size);
    for (const row of measured) {
      const want = expected.get(`${row.source}->${row.target}`)!;
      assert.ok(Math.abs(row.transferability!.mean - want.mean) < 1e-9, `${row.source}->${row.target}`);
      assert.ok(Math.abs(row.transferability!.std - want.std) < 1e-9);
    }
    const isic = await get<{ items: { source: string }[] }>('/v1/transferability?target=isic');
    assert.equal(isic.items.length, 7);
    assert.equal((await fetch(`${env.app.url}/v1/transferability?target=atlantis`)).status, 404);
    const etag = (await fetch(`${env.app.url}/v1/transferability`)).headers.get('etag');
    assert.ok(etag);
    assert.equal((await fetch(`${env.app.url}/v1/transferability`, { headers: { 'if-none-match': etag } })).status, 304);
  });

  test('correlations match scipy, with and without the documented ImageNet proxy', async () => {
    for (const [mode, path] of [['none', '/v1/analysis/correlations'], ['proxy', '/v1/analysis/correlations?proxy=imagenet=stl10']] as const) {
      const analysis = await get<Analysis>(path);
      assert.equal(analysis.pairs, 21);
      const names = analysis.signals.map((s) => s.signal);
      for (const signal of Object.keys(SCIPY[mode])) assert.ok(names.includes(signal), signal);
      // The registry also ships embeddings under the bundled probe (a few sources only): its signals join the list.
      assert.deepEqual(names.filter((n) => !(n in SCIPY[mode])).map((n) => n.split(':')[0]).sort(), ['cosine', 'task2vec']);
      for (const s of analysis.signals.filter((x) => x.signal in SCIPY[mode])) {
        const [n, r, pr, rho, prho] = SCIPY[mode][s.signal]!;
        assert.equal(s.n, n);
        assert.ok(Math.abs(s.pearson.coefficient - r!) < 1e-9, `${mode} ${s.signal} r`);
        assert.ok(Math.abs(s.pearson.p_value - pr!) < 1e-6, `${mode} ${s.signal} p`);
        assert.ok(Math.abs(s.spearman.coefficient - rho!) < 1e-9, `${mode} ${s.signal} rho`);
        assert.ok(Math.abs(s.spearman.p_value - prho!) < 1e-6, `${mode} ${s.signal} p(rho)`);
        assert.ok(s.pearson.interval.lower <= s.pearson.coefficient && s.pearson.coefficient <= s.pearson.interval.upper);
        assert.equal(s.pearson.interval.level, 0.95);
        const selfPairs = s.left_out.filter((l) => l.reason === 'self-pair').map((l) => l.target).sort();
        assert.deepEqual(selfPairs, ['chest', 'isic', 'pcam-middle']);
        const missing = s.left_out.filter((l) => l.reason === 'missing-distance').map((l) => `${l.source}->${l.target}`);
        const proxied = s.used.filter((u) => u.proxied_via).map((u) => `${u.source}->${u.target}`);
        if (s.signal === 'expert' || mode === 'proxy') assert.deepEqual(missing, []);
        else assert.deepEqual(missing.sort(), ['imagenet->chest', 'imagenet->isic', 'imagenet->pcam-middle']);
        if (s.signal !== 'expert' && mode === 'proxy') assert.deepEqual(proxied.sort(), ['imagenet->chest', 'imagenet->isic', 'imagenet->pcam-middle']);
        else assert.deepEqual(proxied, []);
      }
    }
  });

  test('a bad or unknown proxy is refused naming the proxy', async () => {
    const bad = await fetch(`${env.app.url}/v1/analysis/correlations?proxy=imagenet`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { field: string }).field, 'proxy');
    const unknown = await fetch(`${env.app.url}/v1/analysis/correlations?proxy=imagenet=atlantis`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { field: string }).field, 'proxy');
  });

  test('leave-one-target-out: the learned ranker is at least as good as every baseline on regret@1 and beats nearest-distance on Spearman', async () => {
    const report = await get<{ targets: unknown[]; signals: string[]; summary: { method: string; spearman: number; regret: number; ndcg: number }[] }>('/v1/evaluation');
    assert.equal(report.targets.length, 3);
    assert.deepEqual(report.signals, [`task2vec:${PROBE}`, 'expert']);
    const by = new Map(report.summary.map((m) => [m.method, m]));
    const learned = by.get('learned')!;
    assert.deepEqual([...by.keys()].sort(), ['expert', `task2vec:${PROBE}`].map((s) => `nearest:${s}`).concat(['largest-source', 'learned', 'random']).sort());
    for (const m of report.summary) assert.ok(learned.regret <= m.regret + 1e-12, m.method);
    assert.ok(learned.spearman > by.get(`nearest:task2vec:${PROBE}`)!.spearman);
    assert.ok(learned.spearman > by.get('nearest:expert')!.spearman);
  });

  test('the ranker is stored under a version and refitted only when the results change', async () => {
    const first = await get<{ version: string; refitted: boolean; training: { pairs: number } }>('/v1/ranker');
    assert.equal(first.training.pairs, 21);
    const again = await get<{ version: string; refitted: boolean }>('/v1/ranker');
    assert.deepEqual([again.version, again.refitted], [first.version, false]);

    const added = await post('/v1/results', {
      source: 'kimia', target: 'isic', architecture: 'resnet50', protocol: { folds: 5, metric: 'auc-ovr-weighted' },
      folds: [0.9, 0.91, 0.9, 0.89, 0.9].map((value, i) => ({ fold: i + 1, value })), provenance: { contributor: 'jdoe' },
    });
    assert.equal(added.status, 201);
    const refit = await get<{ version: string; refitted: boolean; training: { pairs: number } }>('/v1/ranker');
    assert.notEqual(refit.version, first.version);
    assert.deepEqual([refit.refitted, refit.training.pairs], [true, 22]);

    const id = ((await added.json()) as { id: string }).id;
    assert.equal((await post(`/v1/results/${id}/withdraw`, { contributor: 'jdoe' })).status, 200);
    const back = await get<{ version: string; refitted: boolean }>('/v1/ranker');
    assert.deepEqual([back.version, back.refitted], [first.version, false]);
  });

  test('recommendations for a study target: measured values rank their pairs, ImageNet on top with its backbone', async () => {
    const res = await post('/v1/recommendations', { target: 'isic' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      embedding: { available: boolean };
      model: { version: string };
      items: { rank: number; source: string; basis: string; score: number; measured: { transferability: number } | null; predicted: { mean: number; interval90: number[] }; distances: Record<string, { value: number }>; model_version: string; reason: string; backbone: string | null }[];
    };
    assert.equal(body.embedding.available, true);
    const top = body.items[0]!;
    assert.deepEqual([top.rank, top.source, top.basis], [1, 'imagenet', 'measured']);
    assert.ok(Math.abs(top.measured!.transferability - studyTable().get('imagenet->isic')!.mean) < 1e-9);
    assert.ok(top.backbone);
    const measured = body.items.filter((i) => i.basis === 'measured');
    assert.equal(measured.length, 7);
    for (const item of body.items) {
      assert.equal(item.model_version, body.model.version);
      assert.ok(item.predicted.interval90[0]! < item.predicted.mean && item.predicted.mean < item.predicted.interval90[1]!);
      assert.notEqual(item.source, 'isic');
      assert.ok(item.reason.length > 0);
    }
    assert.ok('expert' in top.distances);
    const scores = body.items.map((i) => i.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    for (const item of measured) assert.equal(item.score, item.measured!.transferability);
  });

  test('a target without an embedding is ranked from the other signals and told how to get one', async () => {
    const res = await post('/v1/recommendations', { target: 'breastmnist', candidates: ['imagenet', 'stl10', 'kimia', 'chest'], top_k: 2 });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { embedding: { available: boolean; probe: string; message: string }; items: { source: string; basis: string; signals_missing: string[] }[] };
    assert.deepEqual([body.embedding.available, body.embedding.probe], [false, PROBE]);
    assert.match(body.embedding.message, /'breastmnist' has no Task2Vec embedding under probe 'torchvision-resnet50-imagenet1k-v1'.*weights this service does not hold/);
    assert.equal(body.items.length, 2);
    for (const item of body.items) {
      assert.equal(item.basis, 'predicted');
      assert.ok(item.signals_missing.includes(`distance:task2vec:${PROBE}`));
    }
  });

  test('recommendations refuse unknown targets, candidates and probes with the field', async () => {
    for (const [body, field] of [
      [{ target: 'atlantis' }, 'target'],
      [{ target: 'isic', candidates: ['atlantis'] }, 'candidates'],
      [{ target: 'isic', probe: 'no-such-probe' }, 'probe'],
      [{ target: 'isic', top_k: 0 }, 'top_k'],
    ] as const) {
      const res = await post('/v1/recommendations', body);
      assert.ok(res.status === 404 || res.status === 400, JSON.stringify(body));
      assert.equal(((await res.json()) as { field: string }).field, field);
    }
  });
});
