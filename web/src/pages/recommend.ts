import { allPages, describeError, getJson, postForm, postJson, type Schemas } from '../api.js';
import { chartFigure, OKABE_ITO, Plot } from '../charts.js';
import { h, link, pageTitle, replace, statusLine } from '../dom.js';
import { activeResults, pairMeans, trackRecords, transferabilityOf, type TrackRecord } from '../evidence-data.js';
import { fixed, signed } from '../format.js';
import { describeJob, followJob, type Job } from '../jobs.js';
import { dataTable } from '../table.js';

type Dataset = Schemas['Dataset'];
type Recommendations = Schemas['Recommendations'];
type Item = Schemas['RecommendedSource'];

/** The ranker's predictive distribution is normal: its 90 % interval is mean ± z(0.95)·sd, so the 80 % one is mean ± z(0.90)·sd. */
const Z80 = 1.2815515655446004;

interface Row {
  readonly item: Item;
  readonly lo80: number;
  readonly hi80: number;
  readonly lo90: number;
  readonly hi90: number;
}

function rows(recommendations: Recommendations): Row[] {
  return recommendations.items.map((item) => {
    const { mean, std, interval90 } = item.predicted;
    return { item, lo80: mean - Z80 * std, hi80: mean + Z80 * std, lo90: interval90[0]!, hi90: interval90[1]! };
  });
}

function rankingChart(data: readonly Row[], target: string): Element {
  const order = data.map((r) => r.item.source);
  const measured = data.filter((r) => r.item.measured !== null);
  return Plot.plot({
    ariaLabel: `Predicted transferability of each source for ${target}, with 80 % and 90 % intervals; measured results marked`,
    marginLeft: 12 + Math.max(...order.map((s) => s.length), 4) * 7,
    width: 860,
    height: 40 + 30 * data.length,
    x: { label: 'transferability (%) →', grid: true },
    y: { domain: order, label: null },
    symbol: { legend: true, domain: ['predicted', 'measured'], range: ['circle', 'diamond'] },
    marks: [
      Plot.ruleX([0], { stroke: '#888' }),
      Plot.ruleY(data, {
        y: (r: Row) => r.item.source,
        x1: 'lo90',
        x2: 'hi90',
        stroke: OKABE_ITO[0],
        strokeOpacity: 0.45,
        strokeWidth: 3,
      }),
      Plot.ruleY(data, { y: (r: Row) => r.item.source, x1: 'lo80', x2: 'hi80', stroke: OKABE_ITO[0], strokeWidth: 7 }),
      Plot.dot(data, {
        y: (r: Row) => r.item.source,
        x: (r: Row) => r.item.predicted.mean,
        symbol: () => 'predicted',
        fill: 'white',
        stroke: OKABE_ITO[0],
        strokeWidth: 2,
        r: 5,
      }),
      Plot.dot(measured, {
        y: (r: Row) => r.item.source,
        x: (r: Row) => r.item.measured!.transferability,
        symbol: () => 'measured',
        fill: OKABE_ITO[1],
        stroke: 'black',
        r: 6,
      }),
      Plot.tip(
        data,
        Plot.pointerY({
          y: (r: Row) => r.item.source,
          x: (r: Row) => r.item.score,
          title: (r: Row) => `${r.item.source}: ${r.item.reason}`,
        }),
      ),
    ],
  });
}

function rankingTable(data: readonly Row[]): HTMLTableElement {
  return dataTable(
    'Ranked sources (transferability in %)',
    [
      { label: 'rank', value: (r) => r.item.rank, numeric: true },
      { label: 'source', value: (r) => r.item.source },
      { label: 'ranked by', value: (r) => r.item.basis },
      { label: 'score', value: (r) => fixed(r.item.score), numeric: true },
      { label: 'predicted', value: (r) => fixed(r.item.predicted.mean), numeric: true },
      { label: '80 % interval', value: (r) => `[${fixed(r.lo80)}, ${fixed(r.hi80)}]`, numeric: true },
      { label: '90 % interval', value: (r) => `[${fixed(r.lo90)}, ${fixed(r.hi90)}]`, numeric: true },
      {
        label: 'measured',
        value: (r) =>
          r.item.measured ? `${fixed(r.item.measured.transferability)} (${r.item.measured.results} results)` : '–',
        numeric: true,
      },
    ],
    data,
  );
}

/** Distances from the target to each other measured target under the ranker's probe, where both have an embedding under it. */
async function distancesToTargets(
  target: string,
  probe: string | null,
  others: readonly string[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (probe === null) return found;
  // Asking for embeddings first keeps the page from requesting distances the API would refuse.
  const embedded = await Promise.all(
    [target, ...others].map(async (id) => ({
      id,
      has: (await getJson<Schemas['EmbeddingList']>(`/v1/datasets/${id}/embeddings`, { probe })).items.length > 0,
    })),
  );
  if (!embedded[0]!.has) return found;
  await Promise.all(
    embedded
      .slice(1)
      .filter((e) => e.has)
      .map(async ({ id }) => {
        const d = await getJson<Schemas['Distance']>('/v1/distances', { a: target, b: id, probe });
        found.set(id, d.value);
      }),
  );
  return found;
}

function evidenceLine(record: TrackRecord | undefined, distances: ReadonlyMap<string, number>): string {
  if (!record || record.measured.length === 0) return 'No measured results on other targets.';
  const n = record.measured.length;
  const share = Math.round((100 * record.wins.length) / n);
  const line = `Measured on ${n} other target${n === 1 ? '' : 's'} (${record.measured.map((m) => m.target).join(', ')}); best source on ${record.wins.length} of them (${share} %).`;
  const nearest = record.measured
    .filter((m) => distances.has(m.target))
    .sort((a, b) => distances.get(a.target)! - distances.get(b.target)!)
    .slice(0, 2);
  if (nearest.length === 0) return line;
  return `${line} Most similar of them: ${nearest.map((m) => `${m.target} (distance ${fixed(distances.get(m.target)!, 3)}, ${signed(m.mean)} %)`).join(', ')}.`;
}

function sourceDetails(
  row: Row,
  record: TrackRecord | undefined,
  targetDistances: ReadonlyMap<string, number>,
): HTMLLIElement {
  const it = row.item;
  const signals = Object.entries(it.distances).map(
    ([signal, d]) => `${signal} ${fixed(d.value, 3)}${d.via ? ` (via ${d.via.source}→${d.via.target})` : ''}`,
  );
  return h(
    'li',
    { 'data-source': it.source },
    h('h3', {}, `${it.source} `, h('span', { class: 'note' }, it.basis === 'measured' ? 'measured' : 'predicted')),
    h('p', { class: 'reason' }, it.reason),
    h('p', { class: 'note evidence' }, evidenceLine(record, targetDistances)),
    h(
      'p',
      { class: 'note' },
      signals.length ? `Signals: ${signals.join('; ')}.` : 'No distance signal for this pair.',
      it.signals_missing.length ? ` Missing: ${it.signals_missing.join(', ')}.` : '',
    ),
    h(
      'p',
      { class: 'note' },
      'Weights: ',
      it.backbone ? link(it.backbone, it.backbone) : 'the registry names no public backbone for this source.',
    ),
  );
}

async function showRanking(out: HTMLElement, target: string): Promise<void> {
  const [recommendations, results] = await Promise.all([
    postJson<Recommendations>('/v1/recommendations', { target }),
    activeResults(),
  ]);
  const records = trackRecords(pairMeans(results, transferabilityOf), target);
  const measuredTargets = [...new Set([...records.values()].flatMap((r) => r.measured.map((m) => m.target)))];
  const distances = await distancesToTargets(target, recommendations.embedding.probe, measuredTargets);
  const data = rows(recommendations);
  const model = recommendations.model;
  const top = data[0]?.item;
  replace(
    out,
    h('h2', { id: 'ranking' }, `Sources for ${recommendations.target}`),
    top
      ? h(
          'p',
          { class: 'top-pick' },
          'First: ',
          h('strong', { 'data-source': top.source }, top.source),
          ` (${top.basis}, ${signed(top.score)} %).`,
        )
      : h('p', {}, 'No source to rank.'),
    h(
      'p',
      { class: 'note' },
      `Model ${model.version}, trained on ${model.training.pairs} pairs over ${model.training.targets.length} targets. Points are predictions with their 80 % (thick) and 90 % (thin) intervals; diamonds are measured results, which rank first where they exist.`,
    ),
    recommendations.embedding.available
      ? null
      : h(
          'p',
          { class: 'note' },
          recommendations.embedding.message ?? "The target has no embedding under the ranker's probe.",
        ),
    data.length
      ? chartFigure(
          `Predicted transferability for ${recommendations.target}, best first`,
          rankingChart(data, recommendations.target),
          rankingTable(data),
        )
      : null,
    h('ol', { class: 'ranking' }, ...data.map((r) => sourceDetails(r, records.get(r.item.source), distances))),
  );
}

function uploadForm(onDone: (id: string) => Promise<void>): HTMLFormElement {
  const status = statusLine();
  const stage = h('span', { id: 'upload-stage' }, 'Progress');
  const progress = h('progress', { max: 1, 'aria-labelledby': 'upload-stage' });
  const meter = h('div', { class: 'job-progress', hidden: true }, stage, progress);
  const button = h('button', { type: 'submit' }, 'Upload and recommend');
  const form = h(
    'form',
    { id: 'upload-form', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Or upload your target'),
    h(
      'label',
      {},
      'Images (.zip, .tar, .tar.gz of class folders or a CSV manifest, or an .npz)',
      h('input', { type: 'file', name: 'file', required: true, accept: '.zip,.tar,.tar.gz,.tgz,.npz' }),
    ),
    h(
      'div',
      { class: 'inline' },
      h('label', {}, 'Name', h('input', { name: 'name', required: true, maxlength: 200 })),
      h(
        'label',
        {},
        'Id (optional)',
        h('input', { name: 'id', pattern: '[a-z0-9][a-z0-9\\-]{0,63}', placeholder: 'made from the name' }),
      ),
    ),
    h(
      'div',
      { class: 'inline' },
      h(
        'label',
        {},
        'Origin',
        h(
          'select',
          { name: 'origin' },
          h('option', { value: 'medical' }, 'medical'),
          h('option', { value: 'natural' }, 'natural'),
        ),
      ),
      h('label', {}, 'Modality (optional)', h('input', { name: 'modality', placeholder: 'ultrasound' })),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Task2Vec embedding'),
      h(
        'div',
        { class: 'inline' },
        h('label', {}, 'Monte Carlo samples', h('input', { name: 'samples', type: 'number', min: 1, value: 2000 })),
        h(
          'label',
          {},
          'At most this many images (optional)',
          h('input', { name: 'max_images', type: 'number', min: 2 }),
        ),
      ),
    ),
    button,
    meter,
    status,
  );
  // The bar and the live region read the same report, so what is seen and what is announced agree.
  const show = (label: string, fraction: number | null, text: string): void => {
    stage.textContent = label;
    if (fraction === null) progress.removeAttribute('value');
    else progress.value = fraction;
    status.textContent = text;
  };
  const follow = async (accepted: Job, what: string): Promise<Job> =>
    followJob(accepted, (job) => {
      const p = describeJob(job);
      show(`${what}: ${p.stage}`, p.fraction, p.text);
    });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const upload = new FormData();
    for (const key of ['file', 'name', 'id', 'origin', 'modality'] as const) {
      const value = data.get(key);
      if (value !== null && value !== '') upload.set(key, value);
    }
    const options: Record<string, number> = {};
    for (const key of ['samples', 'max_images'] as const) if (data.get(key)) options[key] = Number(data.get(key));
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    meter.hidden = false;
    const started = performance.now();
    const run = async () => {
      const ingest = await postForm<Job>('/v1/datasets/uploads', upload, (fraction) =>
        show(
          'Upload',
          fraction,
          fraction < 1 ? `Uploading: ${Math.round(fraction * 100)} %` : 'Uploaded; waiting for the ingestion to start…',
        ),
      );
      const ingested = await follow(ingest, 'Ingestion');
      if (!ingested.result_url) throw new Error('the ingestion succeeded without naming the dataset it made');
      const dataset = await getJson<Schemas['Dataset']>(ingested.result_url);
      const id = dataset.id;
      show('Embedding', null, `Stored ${dataset.images} images as ${id}; queueing the Task2Vec embedding…`);
      const embed = await postJson<Job>(`/v1/datasets/${encodeURIComponent(id)}/embeddings`, options);
      await follow(embed, 'Embedding');
      show('Ranking', null, `Embedded ${id}; ranking sources…`);
      await onDone(id);
      meter.hidden = true;
      status.textContent = `Done in ${Math.round((performance.now() - started) / 1000)} s: ${id} is registered, embedded and ranked.`;
    };
    run()
      .catch((err: unknown) => {
        meter.hidden = true;
        status.textContent = '';
        status.append(h('span', { class: 'error', role: 'alert' }, describeError(err)));
      })
      .finally(() => {
        button.disabled = false;
        form.setAttribute('aria-busy', 'false');
      });
  });
  return form;
}

export async function recommendPage(section: HTMLElement, params: URLSearchParams): Promise<void> {
  section.append(
    pageTitle('Recommend a backbone'),
    h(
      'p',
      {},
      'Pick your target and see which source to pretrain on: predicted transferability with its uncertainty, what each prediction rests on, and where to get the weights.',
    ),
  );
  const datasets = await allPages<Dataset>('/v1/datasets');
  const select = h(
    'select',
    { name: 'target', id: 'target' },
    ...datasets.map((d) => h('option', { value: d.id }, `${d.name} (${d.id})`)),
  );
  select.value = params.get('target') ?? datasets.find((d) => d.id === 'isic')?.id ?? datasets[0]?.id ?? '';
  const status = statusLine();
  const out = h('div', { id: 'recommendation' });
  const recommend = async (target: string) => {
    status.textContent = `Ranking sources for ${target}…`;
    section.closest('main')?.setAttribute('aria-busy', 'true');
    try {
      await showRanking(out, target);
      history.replaceState(null, '', `#/recommend?target=${encodeURIComponent(target)}`);
      status.textContent = '';
    } catch (err) {
      status.textContent = '';
      replace(out, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    } finally {
      section.closest('main')?.setAttribute('aria-busy', 'false');
    }
  };
  const pick = h(
    'form',
    { id: 'target-form', 'aria-label': 'Registered target' },
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'target' }, 'Registered target', select),
      h('button', { type: 'submit' }, 'Recommend'),
    ),
  );
  pick.addEventListener('submit', (event) => {
    event.preventDefault();
    void recommend(select.value);
  });
  const upload = uploadForm(async (id) => {
    if (![...select.options].some((o) => o.value === id)) select.append(h('option', { value: id }, id));
    select.value = id;
    await recommend(id);
  });
  section.append(pick, status, upload, out);
  if (params.get('target')) await recommend(select.value);
}
