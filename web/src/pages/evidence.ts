import { allPages, describeError, getJson, postJson, type Schemas } from '../api.js';
import { chartFigure, heatmap, OKABE_ITO, Plot } from '../charts.js';
import { h, pageTitle, replace, statusLine } from '../dom.js';
import { activeResults, pairMeans, transferabilityOf, type TransferResult } from '../evidence-data.js';
import { fixed, interval, pValue } from '../format.js';
import { dataTable } from '../table.js';

type Correlations = Schemas['CorrelationAnalysis'];
type Signal = Schemas['SignalCorrelation'];
type Pair = Signal['used'][number];
type Evaluation = Schemas['Evaluation'];
type Scope = Evaluation['scopes'][number];
type Method = Scope['methods'][number];

const DISTANCES: Schemas['DistanceName'][] = [
  'task2vec_cosine',
  'plain_cosine',
  'normalized_cosine',
  'kl',
  'jsd',
  'asymmetric',
];
const POOLED = '';

/** What a heatmap cell shows: transferability needs a baseline on the target, the fine-tuned metric does not. */
const MEASURES = {
  transferability: {
    label: 'transferability (%)',
    caption: 'Transferability (%): (AUC(S→T) − AUC(T)) / AUC(T) × 100, the gain over training on the target alone',
    value: transferabilityOf,
    diverging: true,
    digits: 1,
  },
  metric: {
    label: 'test metric',
    caption: "Test metric after fine-tuning (each study's own, AUC in the stored ones), mean over folds",
    value: (r: TransferResult) => r.mean,
    diverging: false,
    digits: 3,
  },
} as const;
type Measure = keyof typeof MEASURES;

/** A result's study, else the publication it cites; contributions with neither are grouped by contributor. */
const studyOf = (r: TransferResult): string => r.study ?? r.reference ?? r.contributor;
/** Rows are backbones (a source and an architecture) where the result names one, else sources. */
const backboneOf = (r: TransferResult): string | null => r.backbone ?? r.source;

function resultHeatmap(results: readonly TransferResult[], study: string, key: Measure): HTMLElement {
  const measure = MEASURES[key];
  const pairs = pairMeans(
    results.filter((r) => study === POOLED || studyOf(r) === study),
    measure.value,
    backboneOf,
  );
  if (pairs.length === 0) return h('p', {}, `No results with a ${measure.label} in this selection.`);
  const cells = pairs.map((p) => ({ x: p.target, y: p.source, value: p.mean }));
  const table = dataTable(
    `Mean ${measure.label} per source and target`,
    [
      { label: 'backbone', value: (p) => p.source },
      { label: 'target', value: (p) => p.target },
      { label: measure.label, value: (p) => fixed(p.mean, measure.digits), numeric: true },
      { label: 'results', value: (p) => p.results, numeric: true },
    ],
    pairs,
    { sortable: true },
  );
  return chartFigure(
    `${measure.caption}, of each backbone (rows) on each target (columns); ${pairs.length} pairs.`,
    heatmap(cells, {
      x: 'target',
      y: 'backbone',
      label: measure.label,
      diverging: measure.diverging,
      digits: measure.digits,
    }),
    table,
  );
}

async function resultsSection(out: HTMLElement): Promise<void> {
  const [results, stored] = await Promise.all([activeResults(), getJson<{ items: Schemas['Study'][] }>('/v1/studies')]);
  const titles = new Map(stored.items.map((s) => [s.id, `${s.title} (${s.year})`]));
  const studies = [...new Set(results.filter((r) => r.source !== null).map(studyOf))].sort();
  const study = h(
    'select',
    { id: 'study' },
    h('option', { value: POOLED }, 'All studies, pooled'),
    ...studies.map((s) => h('option', { value: s }, titles.get(s) ?? s)),
  );
  const measure = h(
    'select',
    { id: 'measure' },
    ...Object.entries(MEASURES).map(([k, m]) => h('option', { value: k }, m.label)),
  );
  const view = h('div');
  const draw = () => replace(view, resultHeatmap(results, study.value, measure.value as Measure));
  study.addEventListener('change', draw);
  measure.addEventListener('change', draw);
  draw();
  out.append(
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'study' }, 'Study', study),
      h('label', { for: 'measure' }, 'Value', measure),
    ),
    view,
  );
}

function regression(pairs: readonly Pair[]): Element {
  return Plot.plot({
    ariaLabel: 'Transferability against distance for each measured pair, with the least-squares line',
    height: 260,
    grid: true,
    x: { label: 'distance →' },
    y: { label: '↑ transferability (%)' },
    marks: [
      Plot.linearRegressionY(pairs, {
        x: 'distance',
        y: 'transferability',
        stroke: OKABE_ITO[1],
        fill: OKABE_ITO[1],
        ci: 0.95,
      }),
      Plot.dot(pairs, {
        x: 'distance',
        y: 'transferability',
        fill: OKABE_ITO[0],
        r: 4,
        title: (p: Pair) => `${p.source} → ${p.target}`,
      }),
    ],
  });
}

function statistic(name: string, symbol: string, c: Schemas['Correlation']): string {
  const level = Math.round(c.interval.level * 100);
  return `${name} ${symbol} = ${fixed(c.coefficient, 3)} (p = ${pValue(c.p_value)}, ${level} % CI ${interval(c.interval.lower, c.interval.upper, 3)})`;
}

function signalFigure(signal: Signal): HTMLElement {
  const pairs = dataTable(
    `Pairs used for ${signal.signal}`,
    [
      { label: 'source', value: (p: Pair) => p.source },
      { label: 'target', value: (p) => p.target },
      { label: 'distance', value: (p) => fixed(p.distance, 4), numeric: true },
      { label: 'transferability (%)', value: (p) => fixed(p.transferability), numeric: true },
      { label: 'stand-in', value: (p) => (p.proxied_via ? `${p.proxied_via.source}→${p.proxied_via.target}` : '') },
    ],
    signal.used,
  );
  const caption = h(
    'span',
    { 'data-signal': signal.signal },
    h('strong', {}, signal.signal),
    ` (n = ${signal.n}): `,
    h('span', { class: 'pearson' }, statistic('Pearson', 'r', signal.pearson)),
    '; ',
    h('span', { class: 'spearman' }, statistic('Spearman', 'ρ', signal.spearman)),
    signal.left_out.length
      ? `; ${signal.left_out.length} pairs left out (${[...new Set(signal.left_out.map((l) => l.reason))].join(', ')}).`
      : '.',
  );
  return signal.used.length >= 2 ? chartFigure(caption, regression(signal.used), pairs) : h('p', {}, caption);
}

async function correlationSection(out: HTMLElement, proxy: boolean): Promise<void> {
  const analysis = await getJson<Correlations>('/v1/analysis/correlations', proxy ? { proxy: 'imagenet=stl10' } : {});
  const summary = dataTable(
    `Distance against transferability over ${analysis.pairs} measured pairs`,
    [
      { label: 'signal', value: (s: Signal) => s.signal },
      { label: 'n', value: (s) => s.n, numeric: true },
      { label: 'Pearson r', value: (s) => fixed(s.pearson.coefficient, 3), numeric: true },
      { label: 'p', value: (s) => pValue(s.pearson.p_value), numeric: true },
      {
        label: '95 % CI',
        value: (s) => interval(s.pearson.interval.lower, s.pearson.interval.upper, 3),
        numeric: true,
      },
      { label: 'Spearman ρ', value: (s) => fixed(s.spearman.coefficient, 3), numeric: true },
      { label: 'p', value: (s) => pValue(s.spearman.p_value), numeric: true },
      {
        label: '95 % CI',
        value: (s) => interval(s.spearman.interval.lower, s.spearman.interval.upper, 3),
        numeric: true,
      },
    ],
    analysis.signals,
    { className: 'correlations' },
  );
  replace(out, summary, h('div', { class: 'grid' }, ...analysis.signals.map(signalFigure)));
}

type Estimators = Schemas['EstimatorAnalysis'];
type Estimator = Estimators['signals'][number];
type Point = Estimator['used'][number];

function estimatorScatter(e: Estimator): Element {
  return Plot.plot({
    ariaLabel: `Result against ${e.signal} score for each backbone and target, both as z within the target, with the least-squares line`,
    height: 260,
    grid: true,
    x: { label: `${e.signal} score, z within target →` },
    y: { label: '↑ result, z within target' },
    marks: [
      Plot.linearRegressionY(e.used, {
        x: 'signal_z',
        y: 'result_z',
        stroke: OKABE_ITO[1],
        fill: OKABE_ITO[1],
        ci: 0.95,
      }),
      Plot.dot(e.used, {
        x: 'signal_z',
        y: 'result_z',
        stroke: OKABE_ITO[0],
        r: 2.5,
        title: (p: Point) => `${p.backbone} on ${p.target}`,
      }),
    ],
  });
}

function estimatorFigure(e: Estimator): HTMLElement {
  const caption = h(
    'span',
    { 'data-estimator': e.signal },
    h('strong', {}, e.signal),
    ` (n = ${e.n} over ${e.groups} targets): `,
    h('span', { class: 'pearson' }, statistic('Pearson', 'r', e.pearson)),
    '; ',
    h('span', { class: 'spearman' }, statistic('Spearman', 'ρ', e.spearman)),
    '.',
  );
  const points = dataTable(
    `Backbones and targets used for ${e.signal}`,
    [
      { label: 'backbone', value: (p: Point) => p.backbone },
      { label: 'target', value: (p) => p.target },
      { label: 'score', value: (p) => fixed(p.value, 4), numeric: true },
      { label: 'score z', value: (p) => fixed(p.signal_z), numeric: true },
      { label: 'result z', value: (p) => fixed(p.result_z), numeric: true },
    ],
    e.used,
  );
  return e.used.length >= 2 ? chartFigure(caption, estimatorScatter(e), points) : h('p', {}, caption);
}

async function estimatorSection(out: HTMLElement): Promise<void> {
  const analysis = await getJson<Estimators>('/v1/analysis/estimators');
  if (analysis.signals.length === 0) {
    replace(out, h('p', { class: 'note' }, 'No backbone scores are stored.'));
    return;
  }
  const summary = dataTable(
    'Each score against the fine-tuned result, both z-scored among the backbones of one target',
    [
      { label: 'score', value: (e: Estimator) => e.signal },
      { label: 'n', value: (e) => e.n, numeric: true },
      { label: 'targets', value: (e) => e.groups, numeric: true },
      { label: 'Pearson r', value: (e) => fixed(e.pearson.coefficient, 3), numeric: true },
      { label: 'p', value: (e) => pValue(e.pearson.p_value), numeric: true },
      {
        label: '95 % CI',
        value: (e) => interval(e.pearson.interval.lower, e.pearson.interval.upper, 3),
        numeric: true,
      },
      { label: 'Spearman ρ', value: (e) => fixed(e.spearman.coefficient, 3), numeric: true },
      { label: 'p', value: (e) => pValue(e.spearman.p_value), numeric: true },
      {
        label: '95 % CI',
        value: (e) => interval(e.spearman.interval.lower, e.spearman.interval.upper, 3),
        numeric: true,
      },
    ],
    analysis.signals,
    { className: 'estimators', sortable: true },
  );
  replace(out, summary, h('div', { class: 'grid' }, ...analysis.signals.map(estimatorFigure)));
}

async function distanceSection(out: HTMLElement, datasets: readonly Schemas['Dataset'][]): Promise<void> {
  const probes = (await getJson<Schemas['ProbeList']>('/v1/probes')).items;
  const embedded = new Map<string, string[]>(probes.map((p) => [p.id, []]));
  for (const d of datasets) {
    const items = (await getJson<Schemas['EmbeddingList']>(`/v1/datasets/${d.id}/embeddings`)).items;
    for (const probeId of new Set(items.map((e) => e.probe.id))) embedded.get(probeId)?.push(d.id);
  }
  const count = (id: string) => embedded.get(id)!.length;
  const ordered = [...probes].sort((a, b) => count(b.id) - count(a.id));
  const probe = h(
    'select',
    { id: 'probe' },
    ...ordered.map((p) =>
      h('option', { value: p.id }, `${p.name} (${p.architecture}, ${p.input_size} px; ${count(p.id)} datasets)`),
    ),
  );
  const distance = h('select', { id: 'distance' }, ...DISTANCES.map((d) => h('option', { value: d }, d)));
  const status = statusLine();
  const view = h('div');
  const draw = async () => {
    const ids = embedded.get(probe.value) ?? [];
    if (ids.length < 2) {
      replace(
        view,
        h('p', {}, `Fewer than two datasets have an embedding under this probe (${ids.join(', ') || 'none'}).`),
      );
      return;
    }
    status.textContent = 'Loading distances…';
    try {
      const matrix = await postJson<Schemas['DistanceMatrix']>('/v1/distances/matrix', {
        datasets: ids,
        probe: probe.value,
        distance: distance.value,
      });
      const cells = matrix.datasets.flatMap((a, i) =>
        matrix.datasets.map((b, j) => ({ x: b, y: a, value: matrix.values[i]![j]! })),
      );
      const table = dataTable(
        `${matrix.distance} under ${matrix.probe.name}`,
        [
          { label: 'from \\ to', value: (a: string) => a },
          ...matrix.datasets.map((b, j) => ({
            label: b,
            value: (a: string) => fixed(matrix.values[matrix.datasets.indexOf(a)]![j]!, 3),
            numeric: true,
          })),
        ],
        matrix.datasets,
      );
      const caption = `${matrix.distance} between the ${ids.length} datasets embedded under ${matrix.probe.name} (row: from, column: to)`;
      replace(
        view,
        chartFigure(
          caption,
          heatmap(cells, {
            x: 'to',
            y: 'from',
            label: matrix.distance,
            diverging: false,
            digits: 2,
            xDomain: matrix.datasets,
            yDomain: matrix.datasets,
          }),
          table,
        ),
      );
      status.textContent = '';
    } catch (err) {
      status.textContent = '';
      replace(view, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  };
  probe.addEventListener('change', () => void draw());
  distance.addEventListener('change', () => void draw());
  out.append(
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'probe' }, 'Probe', probe),
      h('label', { for: 'distance' }, 'Distance', distance),
    ),
    status,
    view,
  );
  await draw();
}

function pooled(evaluation: Evaluation): Scope | undefined {
  return evaluation.scopes.find((s) => s.scope === 'pooled') ?? evaluation.scopes[0];
}

function evaluationChart(evaluation: Evaluation, scope: Scope): Element {
  const methods = scope.methods.map((m) => m.method);
  const points = evaluation.groups.flatMap((g) =>
    g.methods
      .filter((m) => m.weighted_tau !== null && methods.includes(m.method))
      .map((m) => ({ target: g.target, method: m.method, tau: m.weighted_tau! })),
  );
  const means = scope.methods
    .filter((m) => m.metrics.weighted_tau.mean !== null)
    .map((m) => ({ method: m.method, tau: m.metrics.weighted_tau.mean! }));
  return Plot.plot({
    ariaLabel: "Weighted Kendall tau of each method's ranking with the measured one, per held-out target, and the mean",
    marginLeft: 12 + Math.max(...methods.map((m) => m.length), 4) * 7,
    height: 40 + 32 * methods.length,
    x: { label: 'weighted tau with the measured ranking →', domain: [-1, 1], grid: true },
    y: { label: null, domain: methods },
    marks: [
      Plot.ruleX([0], { stroke: '#888' }),
      Plot.dot(points, { x: 'tau', y: 'method', stroke: OKABE_ITO[0], r: 3 }),
      Plot.tickX(means, { x: 'tau', y: 'method', stroke: OKABE_ITO[1], strokeWidth: 3 }),
    ],
  });
}

async function evaluationSection(out: HTMLElement): Promise<void> {
  const ranker = await getJson<Schemas['RankerSummary']>('/v1/ranker');
  if (!ranker.evaluated) {
    replace(
      out,
      h(
        'p',
        { class: 'note no-evaluation' },
        `Model ${ranker.version.slice(0, 12)} has no stored evaluation yet; \`transfer-atlas refit --evaluate\` computes and stores it.`,
      ),
    );
    return;
  }
  const evaluation = await getJson<Evaluation>('/v1/evaluation');
  const scope = pooled(evaluation);
  if (scope === undefined) {
    replace(out, h('p', { class: 'note' }, 'The evaluation has no held-out target.'));
    return;
  }
  const ci = (m: Method, metric: keyof Method['metrics'], digits: number) => {
    const v = m.metrics[metric];
    return v.mean === null ? '–' : `${fixed(v.mean, digits)} [${fixed(v.lower, digits)}, ${fixed(v.upper, digits)}]`;
  };
  const table = dataTable(
    `Leave-one-target-out, ${scope.scope}: ${scope.targets} held-out targets (mean over targets with bootstrap 95 % interval; NDCG@${evaluation.k}; regret@1 in the study metric; interval coverage 80 %: ${fixed((scope.calibration.coverage80 ?? NaN) * 100, 1)} %, 90 %: ${fixed((scope.calibration.coverage90 ?? NaN) * 100, 1)} %)`,
    [
      { label: 'method', value: (m: Method) => m.method },
      { label: 'weighted tau', value: (m) => ci(m, 'weighted_tau', 3), numeric: true },
      { label: 'Spearman ρ', value: (m) => ci(m, 'spearman', 3), numeric: true },
      { label: `NDCG@${evaluation.k}`, value: (m) => ci(m, 'ndcg', 3), numeric: true },
      { label: 'regret@1', value: (m) => ci(m, 'regret', 4), numeric: true },
      { label: 'top-1 hits', value: (m) => fixed(m.top1_hits, 1), numeric: true },
    ],
    scope.methods,
    { className: 'evaluation', sortable: true },
  );
  replace(
    out,
    table,
    chartFigure(
      'Weighted tau per held-out target (dots) and its mean (bar), per method',
      evaluationChart(evaluation, scope),
      dataTable(
        'Per held-out target',
        [
          {
            label: 'target',
            value: (r: { group: Evaluation['groups'][number]; m: Evaluation['groups'][number]['methods'][number] }) =>
              `${r.group.target} (${r.group.study}/${r.group.candidate_set})`,
          },
          { label: 'method', value: (r) => r.m.method },
          { label: 'weighted tau', value: (r) => fixed(r.m.weighted_tau, 3), numeric: true },
          { label: `NDCG@${evaluation.k}`, value: (r) => fixed(r.m.ndcg, 3), numeric: true },
          { label: 'regret@1', value: (r) => fixed(r.m.regret, 4), numeric: true },
        ],
        evaluation.groups.flatMap((group) => group.methods.map((m) => ({ group, m }))),
      ),
    ),
  );
}

/** Each section loads on its own, so one failing endpoint leaves the others readable. */
async function settle(out: HTMLElement, work: Promise<void>): Promise<void> {
  try {
    await work;
  } catch (err) {
    out.append(h('p', { class: 'error', role: 'alert' }, describeError(err)));
  }
}

export async function evidencePage(section: HTMLElement): Promise<void> {
  const results = h(
    'section',
    { 'aria-labelledby': 'results-title', id: 'results-heatmap' },
    h('h2', { id: 'results-title' }, 'Results by source and target'),
  );
  const correlations = h('div', { id: 'correlations' });
  const proxy = h('input', { type: 'checkbox', id: 'proxy' });
  const distances = h(
    'section',
    { 'aria-labelledby': 'distances-title', id: 'distances' },
    h('h2', { id: 'distances-title' }, 'Distances between datasets'),
  );
  const estimators = h('div', { id: 'estimators' });
  const evaluation = h('div', { id: 'evaluation' });
  proxy.addEventListener('change', () => void settle(correlations, correlationSection(correlations, proxy.checked)));
  section.append(
    pageTitle('Evidence'),
    h('p', {}, 'What the recommendations rest on, recomputed from the stored results and embeddings.'),
    results,
    h(
      'section',
      { 'aria-labelledby': 'correlations-title' },
      h('h2', { id: 'correlations-title' }, 'Does similarity predict transfer?'),
      h(
        'p',
        { class: 'note' },
        "Each signal's distance against measured transferability, with the least-squares line and its 95 % band; p-values are exact permutation p-values up to 8 pairs and Student's t beyond; intervals are seeded bootstraps.",
      ),
      h(
        'label',
        { class: 'check' },
        proxy,
        ' Stand STL-10 in for ImageNet where ImageNet has no embedding (as the Cats, not CAT scans study did)',
      ),
      correlations,
    ),
    h(
      'section',
      { 'aria-labelledby': 'estimators-title' },
      h('h2', { id: 'estimators-title' }, 'Do transferability scores predict the result?'),
      h(
        'p',
        { class: 'note' },
        "Each backbone's published score (LogME, LEEP, …) on a target against its fine-tuned result there; both are z-scores among the backbones one study ranked on that target, so targets of different difficulty pool. Points of all targets, the least-squares line and its 95 % band.",
      ),
      estimators,
    ),
    distances,
    h(
      'section',
      { 'aria-labelledby': 'evaluation-title' },
      h('h2', { id: 'evaluation-title' }, 'How well the ranker ranks held-out targets'),
      h(
        'p',
        { class: 'note' },
        "Each target is held out in turn; the ranker is fitted on the rest and compared with the baselines on the held-out target's measured results.",
      ),
      evaluation,
    ),
  );
  const datasets = await allPages<Schemas['Dataset']>('/v1/datasets');
  await Promise.all([
    settle(results, resultsSection(results)),
    settle(correlations, correlationSection(correlations, false)),
    settle(estimators, estimatorSection(estimators)),
    settle(distances, distanceSection(distances, datasets)),
    settle(evaluation, evaluationSection(evaluation)),
  ]);
}
