import { allPages, describeError, getJson, postForm, postJson, type Schemas } from '../api.js';
import { chartFigure, OKABE_ITO, Plot } from '../charts.js';
import { h, link, pageTitle, replace, statusLine } from '../dom.js';
import { fixed, signed } from '../format.js';
import { describeJob, followJob, type Job } from '../jobs.js';
import { dataTable } from '../table.js';

type Dataset = Schemas['Dataset'];
type Recommendations = Schemas['Recommendations'];
type Item = Schemas['RecommendedBackbone'];

interface Row {
  readonly item: Item;
  readonly lo80: number;
  readonly hi80: number;
  readonly lo90: number;
  readonly hi90: number;
}

function rows(recommendations: Recommendations): Row[] {
  return recommendations.items.map((item) => {
    const { interval80, interval90 } = item.predicted;
    return { item, lo80: interval80[0]!, hi80: interval80[1]!, lo90: interval90[0]!, hi90: interval90[1]! };
  });
}

function rankingChart(data: readonly Row[], target: string): Element {
  const order = data.map((r) => r.item.backbone);
  const measured = data.filter((r) => r.item.measured.length > 0);
  return Plot.plot({
    ariaLabel: `Predicted result of each backbone for ${target} as a z-score among the backbones, with 80 % and 90 % intervals; measured results marked`,
    marginLeft: 12 + Math.max(...order.map((s) => s.length), 4) * 7,
    width: 860,
    height: 40 + 30 * data.length,
    x: { label: 'predicted result, z within the ranked backbones →', grid: true },
    y: { domain: order, label: null },
    symbol: { legend: true, domain: ['predicted', 'measured'], range: ['circle', 'diamond'] },
    marks: [
      Plot.ruleX([0], { stroke: '#888' }),
      Plot.ruleY(data, {
        y: (r: Row) => r.item.backbone,
        x1: 'lo90',
        x2: 'hi90',
        stroke: OKABE_ITO[0],
        strokeOpacity: 0.45,
        strokeWidth: 3,
      }),
      Plot.ruleY(data, {
        y: (r: Row) => r.item.backbone,
        x1: 'lo80',
        x2: 'hi80',
        stroke: OKABE_ITO[0],
        strokeWidth: 7,
      }),
      Plot.dot(data, {
        y: (r: Row) => r.item.backbone,
        x: (r: Row) => r.item.predicted.mean,
        symbol: () => 'predicted',
        fill: 'white',
        stroke: OKABE_ITO[0],
        strokeWidth: 2,
        r: 5,
      }),
      Plot.dot(measured, {
        y: (r: Row) => r.item.backbone,
        x: (r: Row) => r.item.measured[0]!.z,
        symbol: () => 'measured',
        fill: OKABE_ITO[1],
        stroke: 'black',
        r: 6,
      }),
      Plot.tip(
        data,
        Plot.pointerY({
          y: (r: Row) => r.item.backbone,
          x: (r: Row) => r.item.predicted.mean,
          title: (r: Row) => `${r.item.backbone}: ${r.item.reason}`,
        }),
      ),
    ],
  });
}

function measuredText(item: Item): string {
  const m = item.measured[0];
  return m ? `${fixed(m.value, 3)} (${m.rank} of ${m.of}, z ${signed(m.z)})` : '–';
}

function rankingTable(data: readonly Row[]): HTMLTableElement {
  return dataTable(
    'Ranked backbones (predicted z within the ranked backbones)',
    [
      { label: 'rank', value: (r) => r.item.rank, numeric: true },
      { label: 'backbone', value: (r) => r.item.backbone },
      { label: 'ranked by', value: (r) => r.item.basis },
      { label: 'predicted', value: (r) => fixed(r.item.predicted.mean), numeric: true },
      { label: '80 % interval', value: (r) => `[${fixed(r.lo80)}, ${fixed(r.hi80)}]`, numeric: true },
      { label: '90 % interval', value: (r) => `[${fixed(r.lo90)}, ${fixed(r.hi90)}]`, numeric: true },
      { label: 'measured', value: (r) => measuredText(r.item), numeric: true },
    ],
    data,
  );
}

function evidenceLine(item: Item): string {
  const e = item.evidence;
  if (e.groups_measured === 0) return 'Never measured on another target: its prediction rests on its traits.';
  const line = `Measured on ${e.targets_measured} other target${e.targets_measured === 1 ? '' : 's'}; first on ${e.wins} of ${e.groups_measured} (${Math.round(100 * (e.win_rate ?? 0))} %).`;
  if (e.similar_targets.length === 0) return line;
  return `${line} Most similar of them: ${e.similar_targets.map((t) => `${t.target} (rank ${t.rank} of ${t.of}, z ${signed(t.z)})`).join(', ')}.`;
}

function backboneDetails(row: Row): HTMLLIElement {
  const it = row.item;
  const e = it.explanation;
  const parts = [
    `track record ${signed(e.track_record)}`,
    `traits ${signed(e.traits)}`,
    ...e.interactions.map((x) => `${x.name} ${signed(x.effect)}`),
    ...e.signals.map(
      (x) => `${x.signal}${x.value === null ? ' (missing)' : ` ${fixed(x.value, 3)}`} ${signed(x.effect)}`,
    ),
  ];
  const where = it.weights.url ?? it.weights.reference;
  return h(
    'li',
    { 'data-backbone': it.backbone, 'data-source': it.source },
    h('h3', {}, `${it.backbone} `, h('span', { class: 'note' }, it.basis)),
    h('p', { class: 'reason' }, it.reason),
    h('p', { class: 'note evidence' }, evidenceLine(it)),
    h('p', { class: 'note parts' }, `Parts of the prediction: ${parts.join('; ')}.`),
    h(
      'p',
      { class: 'note' },
      `Weights (${it.weights.provider}, ${it.weights.licence}): `,
      where ? (where.startsWith('http') ? link(where, where) : where) : 'no public location recorded.',
    ),
  );
}

async function showRanking(out: HTMLElement, target: string): Promise<void> {
  const recommendations = await postJson<Recommendations>('/v1/recommendations', { target });
  const data = rows(recommendations);
  const model = recommendations.model;
  const top = data[0]?.item;
  replace(
    out,
    h('h2', { id: 'ranking' }, `Backbones for ${recommendations.target}`),
    top
      ? h(
          'p',
          { class: 'top-pick' },
          'First: ',
          h('strong', { 'data-backbone': top.backbone }, top.backbone),
          ` (${top.basis}, z ${signed(top.basis === 'measured' ? top.measured[0]!.z : top.predicted.mean)}).`,
        )
      : h('p', {}, 'No backbone to rank.'),
    h(
      'p',
      { class: 'note' },
      `Model ${model.version.slice(0, 12)}, fitted on ${model.training.pairs} results over ${model.training.targets.length} targets. Predictions are z-scores of the study metric among the ranked backbones (${recommendations.scale}); points are predictions with their 80 % (thick) and 90 % (thin) intervals; diamonds are measured results, which rank first where they exist.`,
    ),
    recommendations.similarity
      ? h(
          'p',
          { class: 'note similarity', 'data-verdict': recommendations.similarity.verdict },
          `Measured targets by Task2Vec: ${recommendations.similarity.summary}.`,
          recommendations.similarity.verdict === 'match'
            ? ''
            : ` Nearest: ${recommendations.similarity.nearest.map((n) => `${n.target} ${n.distance.toPrecision(2)}`).join(', ')}.`,
        )
      : null,
    recommendations.without_embedding.length
      ? h(
          'p',
          { class: 'note embedding' },
          `No Task2Vec distance (not imputed) from: ${recommendations.without_embedding.join(', ')}${recommendations.target_embedded ? '' : `, since ${recommendations.target} has no embedding under the ranker's probe`}.`,
        )
      : null,
    data.length
      ? chartFigure(
          `Predicted result for ${recommendations.target}, best first`,
          rankingChart(data, recommendations.target),
          rankingTable(data),
        )
      : null,
    h('ol', { class: 'ranking' }, ...data.map((r) => backboneDetails(r))),
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
