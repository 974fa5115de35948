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
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { components } from '../../src/api/schema.js';
import { currentRanker, refitRanker, registerDataset, seedRegistry } from '../../src/services/index.js';
import {
  insertEmbedding,
  listEmbeddings,
  listProbes,
  listRankers,
  openStore,
  type Store,
} from '../../src/store/index.js';
import { isBundledLocation } from '../../src/probes/index.js';
import { startApp, type RunningApp } from '../support/app.js';
import { describeEachStore } from '../support/stores.js';
import { seededApp } from '../support/seeded-app.js';

type Schemas = components['schemas'];

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
  const auc = new Map(
    lines.map((l) => {
      const [source, target, ...values] = l.split(',');
      return [`${source}->${target}`, values.map(Number)] as const;
    }),
  );
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

interface Correlation {
  coefficient: number;
  p_value: number;
  interval: { lower: number; upper: number; level: number };
}
interface Analysis {
  pairs: number;
  proxy: { map: Record<string, string> } | null;
  signals: {
    signal: string;
    n: number;
    pearson: Correlation;
    spearman: Correlation;
    used: { source: string; target: string; proxied_via?: { source: string } }[];
    left_out: { source: string; target: string; reason: string }[];
  }[];
}

describeEachStore('api analysis and recommendations', (kind) => {
  const env = seededApp(kind);

  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${env.app.url}${path}`);
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const post = (path: string, body: unknown) =>
    fetch(`${env.app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test("the transferability table is the study's", async () => {
    const expected = studyTable();
    const table = await get<{
      items: { source: string; target: string; transferability?: { mean: number; std: number } }[];
    }>('/v1/transferability');
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
    assert.equal(
      (await fetch(`${env.app.url}/v1/transferability`, { headers: { 'if-none-match': etag } })).status,
      304,
    );
  });

  test('correlations match scipy, with and without the documented ImageNet proxy', async () => {
    for (const [mode, path] of [
      ['none', '/v1/analysis/correlations'],
      ['proxy', '/v1/analysis/correlations?proxy=imagenet=stl10'],
    ] as const) {
      const analysis = await get<Analysis>(path);
      assert.equal(analysis.pairs, 21);
      const names = analysis.signals.map((s) => s.signal);
      for (const signal of Object.keys(SCIPY[mode])) assert.ok(names.includes(signal), signal);
      // The registry also ships embeddings under the bundled probe (a few sources and measured targets): its signals join the list.
      assert.deepEqual(
        names
          .filter((n) => !(n in SCIPY[mode]))
          .map((n) => n.split(':')[0])
          .sort(),
        ['cosine', 'task2vec'],
      );
      for (const s of analysis.signals.filter((x) => x.signal in SCIPY[mode])) {
        const [n, r, pr, rho, prho] = SCIPY[mode][s.signal]!;
        assert.equal(s.n, n);
        assert.ok(Math.abs(s.pearson.coefficient - r!) < 1e-9, `${mode} ${s.signal} r`);
        assert.ok(Math.abs(s.pearson.p_value - pr!) < 1e-6, `${mode} ${s.signal} p`);
        assert.ok(Math.abs(s.spearman.coefficient - rho!) < 1e-9, `${mode} ${s.signal} rho`);
        assert.ok(Math.abs(s.spearman.p_value - prho!) < 1e-6, `${mode} ${s.signal} p(rho)`);
        assert.ok(
          s.pearson.interval.lower <= s.pearson.coefficient && s.pearson.coefficient <= s.pearson.interval.upper,
        );
        assert.equal(s.pearson.interval.level, 0.95);
        const selfPairs = s.left_out
          .filter((l) => l.reason === 'self-pair')
          .map((l) => l.target)
          .sort();
        assert.deepEqual(selfPairs, ['chest', 'isic', 'pcam-middle']);
        const missing = s.left_out
          .filter((l) => l.reason === 'missing-distance')
          .map((l) => `${l.source}->${l.target}`);
        const proxied = s.used.filter((u) => u.proxied_via).map((u) => `${u.source}->${u.target}`);
        if (s.signal === 'expert' || mode === 'proxy') assert.deepEqual(missing, []);
        else assert.deepEqual(missing.sort(), ['imagenet->chest', 'imagenet->isic', 'imagenet->pcam-middle']);
        if (s.signal !== 'expert' && mode === 'proxy')
          assert.deepEqual(proxied.sort(), ['imagenet->chest', 'imagenet->isic', 'imagenet->pcam-middle']);
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

  test('before a refit the ranker, recommendations and evaluation answer 422 and fit nothing', async () => {
    for (const res of [
      await fetch(`${env.app.url}/v1/ranker`),
      await post('/v1/recommendations', { target: 'isic' }),
      await fetch(`${env.app.url}/v1/evaluation`),
    ]) {
      assert.equal(res.status, 422);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    }
    assert.equal((await listRankers(env.store.knex)).length, 0);
  });

  test('the stored ranker is what GET /v1/ranker shows; a changed result does not refit it on a read, refitRanker does', async () => {
    const fitted = await refitRanker(env.store);
    const first = await get<{ version: string; scale: string; training: { pairs: number }; evaluated: boolean }>(
      '/v1/ranker',
    );
    assert.deepEqual([first.version, first.scale, first.evaluated], [fitted.version, 'z-within-group', false]);
    const added = await post('/v1/results', {
      source: 'kimia',
      target: 'isic',
      architecture: 'resnet50',
      protocol: { folds: 5, metric: 'auc-ovr-weighted' },
      folds: [0.9, 0.91, 0.9, 0.89, 0.9].map((value, i) => ({ fold: i + 1, value })),
      provenance: { contributor: 'jdoe' },
    });
    assert.equal(added.status, 201);
    assert.equal((await get<{ version: string }>('/v1/ranker')).version, first.version);
    const refit = await refitRanker(env.store);
    assert.notEqual(refit.version, first.version);
    const id = ((await added.json()) as { id: string }).id;
    assert.equal((await post(`/v1/results/${id}/withdraw`, { contributor: 'jdoe' })).status, 200);
    const back = await refitRanker(env.store);
    assert.deepEqual([back.version, back.refitted], [first.version, false]);
  });

  test('recommendations for a study target: backbones, measured results first and marked, ImageNet on top with its weights', async () => {
    const res = await post('/v1/recommendations', { target: 'isic', study: 'cats-scans', candidate_set: 'all' });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Schemas['Recommendations'];
    assert.equal(body.scale, 'z-within-group');
    assert.equal(body.target_embedded, true);
    // A measured target is ranked by its own results and compared with no other.
    assert.equal(body.similarity, null);
    const top = body.items[0]!;
    assert.deepEqual([top.rank, top.backbone, top.basis], [1, 'imagenet-resnet50', 'measured']);
    assert.equal(top.measured[0]!.rank, 1);
    assert.ok(top.weights.provider.length > 0);
    const measured = body.items.filter((i) => i.basis === 'measured');
    assert.equal(measured.length, 7);
    for (const item of body.items) {
      assert.equal(item.scale, 'z-within-group');
      assert.ok(
        item.predicted.interval90[0]! < item.predicted.interval80[0]! &&
          item.predicted.interval80[0]! < item.predicted.mean,
      );
      assert.ok(
        item.predicted.mean < item.predicted.interval80[1]! &&
          item.predicted.interval80[1]! < item.predicted.interval90[1]!,
      );
      assert.ok(item.reason.length > 0);
      assert.ok(item.explanation.signals.length > 0);
    }
    const zs = measured.map((i) => i.measured[0]!.z);
    assert.deepEqual(
      zs,
      [...zs].sort((a, b) => b - a),
    );
  });

  test('a target without an embedding: the sources without a comparable embedding are listed, their distance missing, not imputed', async () => {
    const res = await post('/v1/recommendations', {
      target: 'bccd-cells',
      candidates: ['imagenet-resnet50', 'stl10-resnet50', 'kimia-resnet50', 'chest-resnet50'],
      top_k: 2,
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Schemas['Recommendations'];
    assert.deepEqual([body.target_embedded, body.probe], [false, PROBE]);
    assert.deepEqual(body.without_embedding, ['chest', 'imagenet', 'kimia', 'stl10']);
    // The registry's traits and expert features: nothing derived, and only the missing embedding left out.
    const traits = body.target_traits;
    assert.deepEqual(
      [traits.colour, traits.classes, traits.images, traits.origin, traits.modality],
      ['colour', 3, 1083, 'medical', 'microscopy'],
    );
    assert.deepEqual([traits.expert_features.source, traits.expert_features.missing], ['registry', []]);
    assert.equal(traits.left_out.length, 1);
    assert.match(traits.left_out[0]!, /^Task2Vec distances and estimator scores: no embedding under probe/);
    assert.equal(body.items.length, 2);
    for (const item of body.items) {
      const t2v = item.explanation.signals.find((x) => x.signal === `task2vec_cosine@${PROBE}`);
      if (t2v) assert.deepEqual([t2v.value, t2v.effect], [null, 0]);
    }
  });

  test("a new target's Task2Vec match with a measured target is on the wire, and its measured results rank it", async () => {
    const bundled = (await listProbes(env.store.knex)).find((p) => isBundledLocation(p.location))!;
    const isic = (await listEmbeddings(env.store.knex, { datasetId: 'isic', probeId: bundled.id }))[0]!;
    const registry = mkdtempSync(join(tmpdir(), 'ta-noise-'));
    mkdirSync(join(registry, 'embeddings', bundled.name), { recursive: true });
    writeFileSync(
      join(registry, 'embeddings', bundled.name, 'noise.yaml'),
      `probe: ${bundled.id}\nsame_data:\n  - { dataset: isic, kind: seed, distance: 0.004, samples: [10000, 10000] }\n`,
    );
    const previous = process.env.TA_REGISTRY_DIR;
    process.env.TA_REGISTRY_DIR = registry;
    try {
      await registerDataset(env.store, {
        id: 'api-new-dermoscopy',
        name: 'api new dermoscopy',
        description: 'the same data as isic, embedded again',
        origin: 'medical',
        modality: 'dermoscopy',
        images: 740,
        classes: 7,
        image_size: '224x224',
        channels: 3,
        licence: 'CC-BY-4.0',
      });
      await insertEmbedding(env.store.knex, {
        datasetId: 'api-new-dermoscopy',
        probeId: bundled.id,
        method: 'montecarlo',
        hessian: isic.hessian.map((v, i) => v * (1 + 0.001 * Math.cos(i))),
        options: {},
        origin: 'computed',
      });
      const res = await post('/v1/recommendations', { target: 'api-new-dermoscopy', top_k: 3 });
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as Schemas['Recommendations'];
      const s = body.similarity!;
      assert.deepEqual([s.probe, s.verdict, s.match?.target, s.same_data_bound], [bundled.id, 'match', 'isic', 0.004]);
      assert.ok(s.nearest.length >= 2 && s.nearest[0]!.target === 'isic' && s.nearest[1]!.distance > 0.004);
      assert.deepEqual(
        s.matched_results.map((m) => [m.study, m.candidate_set]),
        [['cats-scans', 'all']],
      );
      assert.match(s.summary, /^matches measured target isic: distance/);
      const top = body.items[0]!;
      assert.deepEqual([top.backbone, top.basis], ['imagenet-resnet50', 'measured']);
      assert.match(top.reason, /^measured on isic \(this target's match\): 1 of 7 in cats-scans\/all/);
    } finally {
      if (previous === undefined) delete process.env.TA_REGISTRY_DIR;
      else process.env.TA_REGISTRY_DIR = previous;
      rmSync(registry, { recursive: true, force: true });
    }
  });

  test('recommendations refuse unknown targets, candidates and half a context with the field', async () => {
    for (const [body, field] of [
      [{ target: 'atlantis' }, 'target'],
      [{ target: 'isic', candidates: ['imagenet-resnet50', 'atlantis'] }, 'candidates'],
      [{ target: 'isic', study: 'cats-scans' }, 'candidate_set'],
      [{ target: 'isic', top_k: 0 }, 'top_k'],
    ] as const) {
      const res = await post('/v1/recommendations', body);
      assert.ok(res.status === 404 || res.status === 400, JSON.stringify(body));
      assert.equal(((await res.json()) as { field: string }).field, field);
    }
  });
});

describe('GET /v1/evaluation: the evaluation stored by the refit, never computed on the request', () => {
  const registry = mkdtempSync(join(tmpdir(), 'ta-registry-'));
  let store: Store;
  let app: RunningApp;
  before(async () => {
    // One study keeps the evaluation to seconds; the full registry takes minutes.
    symlinkSync(resolve('datasets-registry/datasets'), join(registry, 'datasets'));
    mkdirSync(join(registry, 'published'));
    cpSync('datasets-registry/published/cats-scans', join(registry, 'published', 'cats-scans'), { recursive: true });
    store = await openStore({ client: 'sqlite', filename: ':memory:' });
    await seedRegistry(store, registry);
    await refitRanker(store, { evaluate: true });
    app = await startApp(store);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(registry, { recursive: true, force: true });
  });

  test('per study and pooled, every baseline, Wilcoxon against the ranker, coverage; ImageNet first on every held-out target', async () => {
    const res = await fetch(`${app.url}/v1/evaluation`);
    assert.equal(res.status, 200);
    const report = (await res.json()) as Schemas['Evaluation'];
    assert.equal(report.model_version, (await currentRanker(store)).version);
    assert.deepEqual(report.groups.map((g) => g.target).sort(), ['chest', 'isic', 'pcam-middle']);
    const pooled = report.scopes.find((s) => s.scope === 'cats-scans/all')!;
    // One scope only: 'pooled' appears when there are two or more.
    assert.deepEqual(
      report.scopes.map((s) => s.scope),
      ['cats-scans/all'],
    );
    assert.equal(pooled.targets, 3);
    const methods = pooled.methods.map((m) => m.method);
    for (const m of ['learned ranker', 'history prior', 'largest source', 'random']) assert.ok(methods.includes(m), m);
    assert.ok(methods.some((m) => m.includes('expert_distance')));
    for (const m of pooled.methods.filter((x) => x.method !== 'learned ranker'))
      assert.ok(
        m.versus_ranker.some((c) => c.metric === 'weighted_tau'),
        m.method,
      );
    assert.ok(pooled.calibration.pairs > 0 && pooled.calibration.coverage90 !== null);
    const learned = pooled.methods.find((m) => m.method === 'learned ranker')!;
    assert.equal(learned.top1_hits, 3);
    const stored = (await listRankers(store.knex)).length;
    await fetch(`${app.url}/v1/evaluation`);
    assert.equal((await listRankers(store.knex)).length, stored);
  });
});

describe('a refit job leaves the server answering while it evaluates', () => {
  const registry = mkdtempSync(join(tmpdir(), 'ta-registry-'));
  let store: Store;
  let app: RunningApp;
  before(async () => {
    symlinkSync(resolve('datasets-registry/datasets'), join(registry, 'datasets'));
    mkdirSync(join(registry, 'published'));
    cpSync('datasets-registry/published/cats-scans', join(registry, 'published', 'cats-scans'), { recursive: true });
    store = await openStore({ client: 'sqlite', filename: ':memory:' });
    await seedRegistry(store, registry);
    // Fitted but not evaluated: the job below has the evaluation (seconds of arithmetic) to do.
    await refitRanker(store);
    app = await startApp(store);
  });
  after(async () => {
    await app.close();
    await store.close();
    rmSync(registry, { recursive: true, force: true });
  });

  test('requests made while the job runs are answered before it ends', async () => {
    const accepted = await fetch(`${app.url}/v1/ranker/refits`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(accepted.status, 202, await accepted.clone().text());
    const job = `${app.url}${accepted.headers.get('location')}`;
    const state = async () => ((await (await fetch(job)).json()) as Schemas['Job']).state;
    while ((await state()) === 'queued') await new Promise((r) => setTimeout(r, 20));
    // Fitting and evaluating on the server's own thread held every request until the job was over (and the
    // evaluation stored): a running job, and no evaluation yet, after these answers is what says it no longer does.
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${app.url}/v1/health`)).status, 200);
    assert.equal((await fetch(`${app.url}/v1/evaluation`)).status, 422);
    assert.equal(await state(), 'running');
    const deadline = Date.now() + 300_000;
    let now = await state();
    while (now === 'running') {
      assert.ok(Date.now() < deadline, 'the refit did not end');
      await new Promise((r) => setTimeout(r, 100));
      now = await state();
    }
    assert.equal(now, 'succeeded');
    assert.equal((await fetch(`${app.url}/v1/evaluation`)).status, 200);
  });
});
