// The web page in a real browser: Debian's Chromium, headless, driven by playwright-core, against the real app
// on a seeded SQLite store. Each page's key numbers must equal the API's, and a broken chart fails the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { openStore, type Store } from '../../src/store/index.js';
import { refitRanker, seedRegistry } from '../../src/services/index.js';
import { startApp, type RunningApp } from '../support/app.js';
import { runProcess } from '../support/cli.js';
import type { components } from '../../src/api/schema.js';

type Schemas = components['schemas'];

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve('test-results');
const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');
/** The longest any one browser test may run; the browser is killed when the whole file overruns. */
const TEST_TIMEOUT = 3 * 60_000;
/** Ingesting and embedding through the page takes seconds alone, minutes on a busy two-core machine. */
const UPLOAD_TIMEOUT = 10 * 60_000;
const FILE_TIMEOUT = 25 * 60_000;

let store: Store;
let app: RunningApp;
let dataDir: string;
let server: BrowserServer;
let browser: Browser;
let watchdog: NodeJS.Timeout;

/** Every item of a paged list. */
async function allItems<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const res = await api<{ items: T[]; total: number }>(
      `${path}${path.includes('?') ? '&' : '?'}page=${page}&page_size=200`,
    );
    items.push(...res.items);
    if (items.length >= res.total || res.items.length === 0) return items;
  }
}

async function api<T>(path: string, init?: { method: string; body: unknown }): Promise<T> {
  const res = await fetch(
    `${app.url}${path}`,
    init
      ? { method: init.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }
      : undefined,
  );
  assert.ok(res.ok, `${path}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const built = await runProcess(process.execPath, ['web/build.mjs'], { timeoutMs: 120_000 });
  assert.equal(built.code, 0, `web/build.mjs failed: ${built.stderr}`);
  store = await openStore({ client: 'sqlite', filename: ':memory:' });
  await seedRegistry(store, 'datasets-registry');
  await refitRanker(store);
  dataDir = await mkdtemp(join(tmpdir(), 'ta-web-'));
  app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: 50_000_000 } });
  await mkdir(SHOTS, { recursive: true });
  server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 60_000,
  });
  watchdog = setTimeout(() => void server.kill(), FILE_TIMEOUT);
  watchdog.unref();
  browser = await chromium.connect(server.wsEndpoint(), { timeout: 60_000 });
});

after(async () => {
  clearTimeout(watchdog);
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
  await server?.kill();
  await app?.close();
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Visit {
  readonly page: Page;
  /** Console errors, uncaught exceptions, and any request that left the server (the page must work offline). */
  readonly problems: string[];
}

async function visit(route: string): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(60_000);
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('request', (r) => !r.url().startsWith(app.url) && problems.push(`request outside the server: ${r.url()}`));
  await page.goto(`${app.url}/#/${route}`);
  await settled(page);
  return { page, problems };
}

async function settled(page: Page): Promise<void> {
  await page.waitForSelector('main[aria-busy="false"]');
}

/** Every chart drew marks inside a non-empty SVG, no label says NaN or undefined, and nothing went wrong in the console. */
async function assertHealthy({ page, problems }: Visit, minCharts: number): Promise<void> {
  const charts = await page.$$eval('.chart', (divs) =>
    divs.map((div) => {
      const svg = div.querySelector('svg[aria-label]');
      const box = svg?.getBoundingClientRect();
      const marks = [...(svg?.querySelectorAll('g[aria-label]') ?? [])].filter(
        (g) => !/axis|grid|tick|label/.test(g.getAttribute('aria-label') ?? ''),
      );
      return {
        label: svg?.getAttribute('aria-label') ?? '(no svg)',
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        marks: marks.reduce((n, g) => n + g.childElementCount, 0),
      };
    }),
  );
  assert.ok(charts.length >= minCharts, `expected at least ${minCharts} charts, found ${charts.length}`);
  for (const c of charts) assert.ok(c.width > 0 && c.height > 0 && c.marks > 0, `empty chart: ${JSON.stringify(c)}`);
  const text = await page.evaluate(
    () => document.body.innerText + [...document.querySelectorAll('svg')].map((s) => s.textContent).join(' '),
  );
  assert.doesNotMatch(text, /\bNaN\b|\bundefined\b/);
  // Observable Plot draws a ⚠ in a chart whose data it had to second-guess.
  assert.doesNotMatch(text, /⚠/);
  // Lazy images are brought into view first, so that a broken one shows as a zero natural width.
  const broken = await page.$$eval('img', async (imgs) => {
    for (const img of imgs) {
      img.loading = 'eager';
      await img.decode().catch(() => undefined);
    }
    return imgs.filter((img) => img.naturalWidth === 0).map((img) => img.src);
  });
  assert.deepEqual(broken, []);
  assert.deepEqual(problems, []);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function cellTexts(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')),
  );
}

/**
 * Seeding may or may not store the ranker's (minutes-long) evaluation: the page shows the stored one with its
 * intervals against every baseline, or says how to compute it and asks nothing more. Returns whether one was shown.
 */
async function checkEvaluation(page: Page): Promise<boolean> {
  const ranker = await api<Schemas['RankerSummary']>('/v1/ranker');
  if (!ranker.evaluated) {
    await page.waitForSelector('#evaluation .no-evaluation');
    assert.match((await page.textContent('#evaluation .no-evaluation')) ?? '', /transfer-atlas refit --evaluate/);
    return false;
  }
  const evaluation = await api<Schemas['Evaluation']>('/v1/evaluation');
  const scope = evaluation.scopes.find((s) => s.scope === 'pooled') ?? evaluation.scopes[0]!;
  const summary = (v: Schemas['MetricSummary'], digits: number) =>
    v.mean === null
      ? '–'
      : `${v.mean.toFixed(digits)} [${v.lower?.toFixed(digits) ?? '–'}, ${v.upper?.toFixed(digits) ?? '–'}]`;
  await page.waitForSelector('#evaluation table.evaluation');
  assert.deepEqual(
    (await cellTexts(page, '#evaluation table.evaluation')).map((r) => r.slice(0, 5)),
    scope.methods.map((m) => [
      m.method,
      summary(m.metrics.weighted_tau, 3),
      summary(m.metrics.spearman, 3),
      summary(m.metrics.ndcg, 3),
      summary(m.metrics.regret, 4),
    ]),
  );
  assert.ok(scope.methods.length > 1, 'the ranker is compared with at least one baseline');
  return true;
}

test(
  'Recommend: a registered target ranks as the API ranks it, with intervals and evidence per source',
  { timeout: TEST_TIMEOUT },
  async () => {
    const expected = await api<Schemas['Recommendations']>('/v1/recommendations', {
      method: 'POST',
      body: { target: 'isic' },
    });
    const visit_ = await visit('recommend?target=isic');
    const { page } = visit_;
    await page.waitForSelector('ol.ranking li');
    assert.equal(await page.textContent('.top-pick strong'), expected.items[0]!.backbone);
    const rows = await cellTexts(page, '#recommendation figure table');
    assert.deepEqual(
      rows.map((r) => r[1]),
      expected.items.map((i) => i.backbone),
    );
    assert.deepEqual(
      rows.map((r) => r[3]),
      expected.items.map((i) => i.predicted.mean.toFixed(2)),
    );
    assert.deepEqual(
      rows.map((r) => r[5]),
      expected.items.map((i) => `[${i.predicted.interval90[0]!.toFixed(2)}, ${i.predicted.interval90[1]!.toFixed(2)}]`),
    );
    const reasons = await page.$$eval('ol.ranking .reason', (ps) => ps.map((p) => p.textContent));
    assert.deepEqual(
      reasons,
      expected.items.map((i) => i.reason),
    );
    const imagenet = expected.items.find((i) => i.backbone === 'imagenet-resnet50')!;
    const similar = imagenet.evidence.similar_targets[0]!;
    const line = await page.textContent('li[data-backbone="imagenet-resnet50"] .evidence');
    assert.ok((line ?? '').includes(`${similar.target} (rank ${similar.rank} of ${similar.of}`), line ?? '');
    await assertHealthy(visit_, 1);
    await page.close();
  },
);

test(
  'Recommend: uploading the bundled example target ingests, embeds and ranks it through the page',
  { timeout: UPLOAD_TIMEOUT },
  async () => {
    const visit_ = await visit('recommend');
    const { page } = visit_;
    await page.setInputFiles('#upload-form input[name=file]', BREAST);
    await page.getByLabel('Name').fill('Breast ultrasound from the page');
    await page.getByLabel('Id (optional)').fill('ui-breast');
    await page.getByLabel('Modality (optional)').fill('ultrasound');
    // Few samples and images keep the embedding to seconds; the flow is the one a user runs.
    await page.getByLabel('Monte Carlo samples').fill('40');
    await page.getByLabel('At most this many images (optional)').fill('40');
    await page.getByRole('button', { name: 'Upload and recommend' }).click();
    // The live region reports the jobs as the worker moves them on, before the end.
    await page.waitForSelector('#upload-form .status:text-matches("^(ingest|embed)")', { timeout: UPLOAD_TIMEOUT / 2 });
    await page.waitForSelector('#upload-form .status:text-matches("^Done in")', { timeout: UPLOAD_TIMEOUT - 30_000 });
    assert.equal(
      await page.isVisible('#upload-form .job-progress'),
      false,
      'the progress bar goes when the work is done',
    );
    const dataset = await api<Schemas['Dataset']>('/v1/datasets/ui-breast');
    assert.deepEqual(
      [dataset.images, dataset.classes, dataset.modality, dataset.record_origin],
      [780, 2, 'ultrasound', 'ingested'],
    );
    const embeddings = await api<Schemas['EmbeddingList']>('/v1/datasets/ui-breast/embeddings');
    assert.deepEqual(
      embeddings.items.map((e) => [e.image_count, e.options.samples]),
      [[40, 40]],
    );
    // The page followed one ingestion and one embedding job to the results the API now serves.
    const jobs = await api<Schemas['JobPage']>('/v1/jobs?page_size=200');
    assert.deepEqual(jobs.items.map((j) => [j.kind, j.state, j.result_url]).sort(), [
      ['embed', 'succeeded', `/v1/embeddings/${embeddings.items[0]!.id}`],
      ['ingest', 'succeeded', '/v1/datasets/ui-breast'],
    ]);
    const expected = await api<Schemas['Recommendations']>('/v1/recommendations', {
      method: 'POST',
      body: { target: 'ui-breast' },
    });
    assert.equal(await page.inputValue('#target'), 'ui-breast');
    assert.equal(await page.textContent('#ranking'), 'Backbones for ui-breast');
    const rows = await cellTexts(page, '#recommendation figure table');
    assert.deepEqual(
      rows.map((r) => [r[1], r[3]]),
      expected.items.map((i) => [i.backbone, i.predicted.mean.toFixed(2)]),
    );
    // The upload's bundled-probe embedding was compared with the measured targets, and the page says what it found.
    assert.ok(expected.similarity);
    const similarity = (await page.textContent('#recommendation .note.similarity')) ?? '';
    assert.ok(similarity.startsWith(`Measured targets by Task2Vec: ${expected.similarity.summary}.`), similarity);
    await assertHealthy(visit_, 1);
    await shot(page, 'recommend');
    // The whole page lists every backbone's details; the README shows the form and the chart at its top.
    await page.screenshot({
      path: join(SHOTS, 'recommend-top.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: 1900 },
    });
    await page.close();
  },
);

test(
  "Recommend: an upload the worker cannot ingest shows the job's failure reason and registers nothing",
  { timeout: TEST_TIMEOUT },
  async () => {
    const broken = join(dataDir, 'broken.npz');
    await writeFile(broken, 'not a zip archive');
    const visit_ = await visit('recommend');
    const { page } = visit_;
    await page.setInputFiles('#upload-form input[name=file]', broken);
    await page.getByLabel('Name').fill('Broken upload');
    await page.getByLabel('Id (optional)').fill('ui-broken');
    await page.getByRole('button', { name: 'Upload and recommend' }).click();
    await page.waitForSelector('#upload-form .status .error');
    const failed = await api<Schemas['JobPage']>('/v1/jobs?kind=ingest&state=failed');
    assert.equal(failed.items.length, 1);
    const reason = failed.items[0]!.failure!;
    assert.equal(
      await page.textContent('#upload-form .status .error'),
      reason.field ? `${reason.message} (field: ${reason.field})` : reason.message,
    );
    assert.equal((await fetch(`${app.url}/v1/datasets/ui-broken`)).status, 404);
    assert.deepEqual(visit_.problems, []);
    await page.close();
  },
);

test(
  "Evidence: heatmap, distance and score correlations and distances show the API's numbers; the evaluation shows the stored one or says how to compute it",
  { timeout: TEST_TIMEOUT },
  async () => {
    const visit_ = await visit('evidence');
    const { page } = visit_;
    const correlations = await api<Schemas['CorrelationAnalysis']>('/v1/analysis/correlations');
    assert.ok(correlations.signals.length > 0);
    for (const s of correlations.signals) {
      const caption = await page.textContent(`[data-signal="${s.signal}"] .pearson`);
      assert.match(
        caption ?? '',
        new RegExp(
          `r = ${s.pearson.coefficient === null ? '–' : s.pearson.coefficient.toFixed(3).replace('.', '\\.')}`,
        ),
      );
      const spearman = await page.textContent(`[data-signal="${s.signal}"] .spearman`);
      assert.match(
        spearman ?? '',
        new RegExp(
          `ρ = ${s.spearman.coefficient === null ? '–' : s.spearman.coefficient.toFixed(3).replace('.', '\\.')}`,
        ),
      );
    }
    const estimators = await api<Schemas['EstimatorAnalysis']>('/v1/analysis/estimators');
    assert.ok(estimators.signals.length > 0);
    const shownEstimators = await cellTexts(page, '#estimators table.estimators');
    const ci = (c: Schemas['Correlation']) => `[${c.interval.lower!.toFixed(3)}, ${c.interval.upper!.toFixed(3)}]`;
    const p = (v: number | null) => (v === null ? '–' : v < 0.001 ? '< 0.001' : v.toFixed(3));
    assert.deepEqual(
      shownEstimators,
      estimators.signals.map((e) => [
        e.signal,
        String(e.n),
        String(e.groups),
        e.pearson.coefficient!.toFixed(3),
        p(e.pearson.p_value),
        ci(e.pearson),
        e.spearman.coefficient!.toFixed(3),
        p(e.spearman.p_value),
        ci(e.spearman),
      ]),
    );
    for (const e of estimators.signals)
      assert.equal(
        (await cellTexts(page, `#estimators figure:has([data-estimator="${e.signal}"]) table`)).length,
        e.used.length,
      );
    const table = await api<Schemas['TransferabilityTable']>('/v1/transferability');
    const pairs = new Set(table.items.filter((r) => r.transferability).map((r) => `${r.source}→${r.target}`));
    assert.equal((await cellTexts(page, '#results-heatmap figure table')).length, pairs.size);

    await page.selectOption('#measure', 'metric');
    const measured = (await allItems<Schemas['TransferResult']>('/v1/results')).filter((r) => r.source !== null);
    const backbone = (r: Schemas['TransferResult']) => r.backbone ?? r.source;
    const auc = await cellTexts(page, '#results-heatmap figure table');
    assert.equal(auc.length, new Set(measured.map((r) => `${backbone(r)}→${r.target}`)).size);
    const isic = measured.find((r) => r.source === 'imagenet' && r.target === 'isic')!;
    const imagenetIsic = measured
      .filter((r) => backbone(r) === backbone(isic) && r.target === 'isic')
      .map((r) => r.mean);
    const shown = auc.find((r) => r[0] === backbone(isic) && r[1] === 'isic');
    assert.equal(shown?.[2], (imagenetIsic.reduce((a, b) => a + b, 0) / imagenetIsic.length).toFixed(3));

    const probe = await page.inputValue('#probe');
    const matrix = await cellTexts(page, '#distances figure table');
    const heads = await page.$$eval('#distances figure table thead th', (ths) => ths.map((t) => t.textContent ?? ''));
    const [a, b] = [matrix[0]![0]!, heads[2]!];
    const distance = await api<Schemas['Distance']>(
      `/v1/distances?a=${a}&b=${b}&probe=${encodeURIComponent(probe)}&distance=task2vec_cosine`,
    );
    assert.equal(matrix[0]![2], distance.value.toFixed(3));

    await checkEvaluation(page);

    await page.check('#proxy');
    await page.waitForFunction(() => document.querySelector('#correlations table')?.textContent?.includes('task2vec'));
    await assertHealthy(visit_, 2 + estimators.signals.length);
    await shot(page, 'evidence');
    await page.close();
  },
);

test(
  'Datasets: the registry table sorts and filters by keyboard, and an ingested dataset shows its profile',
  { timeout: TEST_TIMEOUT },
  async () => {
    const all = await api<Schemas['DatasetPage']>('/v1/datasets?page_size=200');
    const visit_ = await visit('datasets');
    const { page } = visit_;
    assert.equal((await cellTexts(page, 'table.registry')).length, all.total);

    await page.getByRole('button', { name: 'images' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('table.registry th:nth-child(5)', 'aria-sort'), 'ascending');
    const images = (await cellTexts(page, 'table.registry')).map((r) => Number(r[4]));
    assert.deepEqual(
      images,
      all.items.map((d) => d.images).sort((x, y) => x - y),
    );

    await page.selectOption('#filter-origin', 'natural');
    const natural = await api<Schemas['DatasetPage']>('/v1/datasets?origin=natural&page_size=200');
    // Filtering keeps the order chosen: fewest images first.
    assert.deepEqual(
      (await cellTexts(page, 'table.registry')).map((r) => r[0]),
      [...natural.items].sort((x, y) => x.images - y.images).map((d) => d.id),
    );
    await page.selectOption('#filter-origin', '');
    await page.fill('#filter-text', 'ui-breast');
    const preview = await page.$$eval('table.registry tbody tr', (rows) =>
      rows.map((r) => [r.querySelector('td')?.textContent, r.querySelector('img.thumb-small')?.getAttribute('src')]),
    );
    assert.deepEqual(preview, [['ui-breast', '/v1/datasets/ui-breast/images/0?size=32']]);
    await assertHealthy(visit_, 0);
    await shot(page, 'datasets');
    await page.close();

    const profile = await api<Schemas['DatasetProfile']>('/v1/datasets/ui-breast/profile');
    const detail = await visit('datasets?id=ui-breast');
    const bars = await cellTexts(detail.page, '#dataset-detail figure table');
    const counted: Record<string, number> = {};
    for (const [label, , count] of bars) counted[label!] = (counted[label!] ?? 0) + Number(count);
    assert.deepEqual(counted, profile.class_counts);
    assert.match(
      (await detail.page.textContent('#dataset-detail .duplicates')) ?? '',
      new RegExp(`${profile.duplicates.groups} groups`),
    );
    const sample = await api<Schemas['ThumbnailSample']>('/v1/datasets/ui-breast/thumbnails?per_class=6');
    const shown = await detail.page.$$eval('#dataset-detail .thumbnails img', (imgs) =>
      imgs.map((img) => new URL(img.getAttribute('src')!, location.href).pathname),
    );
    assert.deepEqual(
      shown,
      sample.items.map((i) => i.url),
    );
    assert.deepEqual(
      await detail.page.$$eval('#dataset-detail .thumb-row', (rows) => rows.map((r) => r.getAttribute('data-class'))),
      Object.keys(profile.class_counts).sort(),
    );
    await assertHealthy(detail, 1);
    await shot(detail.page, 'dataset-profile');
    await detail.page.close();
  },
);

test(
  "Results: the list shows the API's results, and the form refuses a bad fold, then stores a good result",
  { timeout: TEST_TIMEOUT },
  async () => {
    const listed = await allItems<Schemas['TransferResult']>('/v1/results');
    const visit_ = await visit('results');
    const { page } = visit_;
    const rows = await cellTexts(page, 'table.results');
    assert.deepEqual(
      rows.map((r) => [r[0], r[5]]),
      listed.map((r) => [r.id, r.mean.toFixed(4)]),
    );

    await page.selectOption('#source', 'textures');
    await page.selectOption('#target', 'chest');
    await page.fill('#architecture', 'resnet18');
    await page.fill('#folds', '0.91, 1.5, 0.93');
    await page.fill('#contributor', 'page-tester');
    const sent: (string | null)[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/results')) sent.push(r.headers()['authorization'] ?? null);
    });
    await page.getByRole('button', { name: 'Submit result' }).click();
    await page.waitForSelector('#submit-form .status .error');
    assert.equal(await page.getAttribute('#folds', 'aria-invalid'), 'true');
    assert.equal((await api<Schemas['TransferResultPage']>('/v1/results?page_size=200')).total, listed.length);

    await page.fill('#folds', '0.91, 0.92, 0.93');
    await page.fill('#doi', '10.1234/page-test');
    // A filled token goes out as a bearer token; one the server never minted is refused and its field marked.
    await page.getByLabel('API token').fill('page-test-token');
    await page.getByRole('button', { name: 'Submit result' }).click();
    await page.waitForSelector('#submit-form .status .error');
    assert.equal(await page.getAttribute('#token', 'aria-invalid'), 'true');
    assert.equal((await api<Schemas['TransferResultPage']>('/v1/results?page_size=200')).total, listed.length);
    // This server has no token yet and listens on loopback, so a tokenless submission is taken as local.
    await page.getByLabel('API token').fill('');
    await page.getByRole('button', { name: 'Submit result' }).click();
    await page.waitForSelector('#submit-form .status:text-matches("^Stored as")');
    const id = ((await page.textContent('#submit-form .status')) ?? '').replace(/^Stored as |\.$/g, '');
    const stored = await api<Schemas['TransferResult']>(`/v1/results/${id}`);
    assert.deepEqual(
      [stored.source, stored.target, stored.architecture, stored.contributor, stored.folds.map((f) => f.value)],
      ['textures', 'chest', 'resnet18', 'page-tester', [0.91, 0.92, 0.93]],
    );
    assert.deepEqual(sent, [null, 'Bearer page-test-token', null]);
    await page.waitForFunction(
      (n) => document.querySelectorAll('table.results tbody tr').length === n,
      listed.length + 1,
    );
    await assertHealthy({ page, problems: visit_.problems.filter((p) => !/status of 40[01]/.test(p)) }, 0);
    await shot(page, 'results');
    await page.close();
  },
);

test(
  'Evidence: once an evaluation is stored, the page shows it against every baseline with intervals',
  { timeout: UPLOAD_TIMEOUT },
  async () => {
    // The leave-one-target-out evaluation takes tens of seconds on the seeded registry.
    await refitRanker(store, { evaluate: true });
    const visit_ = await visit('evidence');
    assert.equal(await checkEvaluation(visit_.page), true);
    await assertHealthy(visit_, 3);
    await shot(visit_.page, 'evidence-evaluated');
    await visit_.page.close();
  },
);
