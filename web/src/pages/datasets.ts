import { allPages, ApiError, describeError, getJson, type Schemas } from '../api.js';
import { chartFigure, OKABE_ITO, Plot } from '../charts.js';
import { h, link, pageTitle, replace } from '../dom.js';
import { dataTable, type SortState } from '../table.js';

type Dataset = Schemas['Dataset'];
type Profile = Schemas['DatasetProfile'];

interface Row {
  readonly dataset: Dataset;
  readonly probes: string[];
}

function registryTable(rows: readonly Row[], sort: SortState): HTMLTableElement {
  return dataTable(
    `${rows.length} datasets`,
    [
      {
        label: 'id',
        value: (r: Row) => r.dataset.id,
        render: (r) => h('a', { href: `#/datasets?id=${r.dataset.id}` }, r.dataset.id),
      },
      { label: 'name', value: (r) => r.dataset.name },
      { label: 'origin', value: (r) => r.dataset.origin },
      { label: 'modality', value: (r) => r.dataset.modality },
      { label: 'images', value: (r) => r.dataset.images, numeric: true },
      { label: 'classes', value: (r) => r.dataset.classes, numeric: true },
      { label: 'size', value: (r) => r.dataset.image_size },
      { label: 'channels', value: (r) => r.dataset.channels, numeric: true },
      { label: 'licence', value: (r) => r.dataset.licence },
      { label: 'embeddings under', value: (r) => r.probes.join(', ') || null },
      { label: 'record', value: (r) => r.dataset.record_origin },
      {
        label: 'preview',
        value: (r) => (r.dataset.record_origin === 'ingested' ? 1 : 0),
        // Only ingested datasets have images on the service; the first image of the preview sample stands for them.
        render: (r) =>
          r.dataset.record_origin === 'ingested'
            ? h('img', {
                class: 'thumb-small',
                src: `/v1/datasets/${encodeURIComponent(r.dataset.id)}/images/0?size=32`,
                alt: `an image of ${r.dataset.id}`,
                width: 32,
                height: 32,
              })
            : '–',
      },
    ],
    rows,
    { sortable: true, className: 'registry', sort },
  );
}

function classChart(profile: Profile): HTMLElement {
  const bars = Object.entries(profile.split_counts).flatMap(([split, classes]) =>
    Object.entries(classes).map(([label, count]) => ({ split, label, count })),
  );
  const chart = Plot.plot({
    ariaLabel: 'Images per class, stacked by split',
    marginLeft: 12 + Math.max(...bars.map((b) => b.label.length), 4) * 7,
    height: 40 + 28 * Object.keys(profile.class_counts).length,
    x: { label: 'images →', grid: true },
    // Class names are text even when they look like numbers ("0", "1"); the stated domain keeps their order.
    y: { label: null, type: 'band', domain: Object.keys(profile.class_counts) },
    color: { legend: true, range: OKABE_ITO },
    marks: [
      Plot.barX(bars, {
        y: 'label',
        x: 'count',
        fill: 'split',
        title: (b: { split: string; label: string; count: number }) => `${b.label}, ${b.split}: ${b.count}`,
      }),
      Plot.ruleX([0]),
    ],
  });
  const table = dataTable(
    'Images per class and split',
    [
      { label: 'class', value: (b: (typeof bars)[number]) => b.label },
      { label: 'split', value: (b) => b.split },
      { label: 'images', value: (b) => b.count, numeric: true },
    ],
    bars,
  );
  return chartFigure(`Class balance of ${profile.image_count} images in ${profile.class_count} classes`, chart, table);
}

function profileView(profile: Profile): HTMLElement {
  const counts = (o: Record<string, number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  const d = profile.duplicates;
  return h(
    'div',
    { class: 'profile' },
    classChart(profile),
    h(
      'ul',
      {},
      h(
        'li',
        {},
        `Original sizes: ${profile.sizes.distinct} distinct, ${profile.sizes.min_width}–${profile.sizes.max_width} × ${profile.sizes.min_height}–${profile.sizes.max_height} px; most common ${profile.sizes.top.map((s) => `${s.width}×${s.height} (${s.count})`).join(', ')}.`,
      ),
      h(
        'li',
        {},
        `Channels: ${counts(profile.channels)}; bit depths: ${counts(profile.bit_depths)}; formats: ${counts(profile.formats)}.`,
      ),
      h(
        'li',
        {},
        `Stored as ${profile.normalised.size}×${profile.normalised.size} px, ${profile.normalised.channels} channel(s), fit ${profile.normalised.fit}.`,
      ),
      h(
        'li',
        { class: 'duplicates' },
        `Duplicates: ${d.groups} groups, ${d.redundant_images} redundant images, ${d.cross_split_groups} groups spanning splits (a train/test leak).`,
      ),
      h('li', {}, `Near-constant images: ${profile.near_constant.count}; skipped: ${profile.skipped.length}.`),
    ),
    profile.warnings.length
      ? h(
          'ul',
          { class: 'warnings', 'aria-label': 'Warnings' },
          ...profile.warnings.map((w) => h('li', {}, `${w.message} (${w.code})`)),
        )
      : h('p', { class: 'note' }, 'No warnings.'),
  );
}

/** A few stored images of each class, as the API samples them. */
async function gallery(dataset: Dataset): Promise<HTMLElement> {
  const sample = await getJson<Schemas['ThumbnailSample']>(
    `/v1/datasets/${encodeURIComponent(dataset.id)}/thumbnails`,
    { per_class: 6 },
  );
  const byClass = new Map<string, Schemas['ThumbnailSample']['items']>();
  for (const item of sample.items) byClass.set(item.label, [...(byClass.get(item.label) ?? []), item]);
  return h(
    'div',
    { class: 'thumbnails' },
    h('h3', {}, `Sample images (${sample.items.length} of ${sample.images})`),
    ...[...byClass].map(([label, items]) =>
      h(
        'figure',
        { class: 'thumb-row', 'data-class': label },
        h('figcaption', {}, `${label}`),
        h(
          'ul',
          {},
          ...items.map((item) =>
            h(
              'li',
              {},
              h('img', {
                src: `${item.url}?size=96`,
                alt: `${label}, image ${item.index}${item.split ? ` (${item.split} split)` : ''}`,
                width: 96,
                height: 96,
                loading: 'lazy',
              }),
            ),
          ),
        ),
      ),
    ),
  );
}

async function detail(dataset: Dataset): Promise<HTMLElement> {
  const out = h(
    'section',
    { 'aria-labelledby': 'dataset-title', id: 'dataset-detail' },
    h('h2', { id: 'dataset-title' }, `${dataset.name} (${dataset.id})`),
    h('p', {}, dataset.description),
    h(
      'ul',
      {},
      dataset.citation ? h('li', {}, `Citation: ${dataset.citation}`) : null,
      dataset.homepage ? h('li', {}, 'Homepage: ', link(dataset.homepage, dataset.homepage)) : null,
      dataset.backbone ? h('li', {}, 'Pretrained backbone: ', link(dataset.backbone, dataset.backbone)) : null,
    ),
  );
  try {
    out.append(
      h('h3', {}, 'Profile of the stored images'),
      profileView(await getJson<Profile>(`/v1/datasets/${dataset.id}/profile`)),
      await gallery(dataset),
    );
  } catch (err) {
    // Registry datasets are described, not held: only ingested ones have images and a profile.
    if (!(err instanceof ApiError && err.problem.status === 404)) throw err;
    out.append(h('p', { class: 'note' }, 'The service holds no images of this dataset, so there is no profile.'));
  }
  return out;
}

export async function datasetsPage(section: HTMLElement, params: URLSearchParams): Promise<void> {
  section.append(
    pageTitle('Datasets'),
    h(
      'p',
      {},
      'Every source and target the service knows. Sort by any column; filter by text, origin or modality; open a dataset for its description and, where the service holds its images, its profile.',
    ),
  );
  const datasets = await allPages<Dataset>('/v1/datasets');
  const rows: Row[] = await Promise.all(
    datasets.map(async (dataset) => {
      const embeddings = (await getJson<Schemas['EmbeddingList']>(`/v1/datasets/${dataset.id}/embeddings`)).items;
      return { dataset, probes: [...new Set(embeddings.map((e) => e.probe.name))] };
    }),
  );
  const text = h('input', { id: 'filter-text', type: 'search', placeholder: 'id, name or licence' });
  const origin = h(
    'select',
    { id: 'filter-origin' },
    h('option', { value: '' }, 'any'),
    h('option', { value: 'medical' }, 'medical'),
    h('option', { value: 'natural' }, 'natural'),
  );
  const modalities = [...new Set(datasets.map((d) => d.modality))].sort();
  const modality = h(
    'select',
    { id: 'filter-modality' },
    h('option', { value: '' }, 'any'),
    ...modalities.map((m) => h('option', { value: m }, m)),
  );
  const view = h('div', { id: 'registry' });
  const sort: SortState = { column: null, ascending: true };
  const filter = () => {
    const q = text.value.trim().toLowerCase();
    replace(
      view,
      registryTable(
        rows.filter(
          (r) =>
            (!q || [r.dataset.id, r.dataset.name, r.dataset.licence].some((s) => s.toLowerCase().includes(q))) &&
            (!origin.value || r.dataset.origin === origin.value) &&
            (!modality.value || r.dataset.modality === modality.value),
        ),
        sort,
      ),
    );
  };
  for (const control of [text, origin, modality]) control.addEventListener('input', filter);
  filter();
  section.append(
    h(
      'div',
      { class: 'inline', role: 'search' },
      h('label', { for: 'filter-text' }, 'Search', text),
      h('label', { for: 'filter-origin' }, 'Origin', origin),
      h('label', { for: 'filter-modality' }, 'Modality', modality),
    ),
    view,
  );
  const chosen = datasets.find((d) => d.id === params.get('id'));
  if (chosen) {
    try {
      section.append(await detail(chosen));
    } catch (err) {
      section.append(h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  }
}
