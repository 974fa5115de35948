import { allPages, ApiError, describeError, postJson, type Schemas } from '../api.js';
import { h, link, pageTitle, replace, statusLine } from '../dom.js';
import { fixed } from '../format.js';
import { dataTable } from '../table.js';

type Result = Schemas['TransferResult'];

function resultsTable(results: readonly Result[]): HTMLTableElement {
  return dataTable(
    `${results.length} results`,
    [
      { label: 'id', value: (r: Result) => r.id },
      { label: 'source', value: (r) => r.source ?? 'none (baseline)' },
      { label: 'target', value: (r) => r.target },
      { label: 'architecture', value: (r) => r.architecture },
      { label: 'folds', value: (r) => r.folds.length, numeric: true },
      { label: 'mean AUC', value: (r) => fixed(r.mean, 4), numeric: true },
      {
        label: 'transferability (%)',
        value: (r) => (r.transferability ? r.transferability.mean : null),
        render: (r) =>
          r.transferability
            ? `${fixed(r.transferability.mean)} ± ${fixed(r.transferability.std)}`
            : (r.transferability_unavailable?.reason ?? '–'),
        numeric: true,
      },
      { label: 'contributor', value: (r) => r.contributor },
      {
        label: 'reference',
        value: (r) => r.reference ?? null,
        render: (r) => (r.reference ? link(r.reference, r.reference) : '–'),
      },
      { label: 'added', value: (r) => r.created_at.slice(0, 10) },
      { label: 'withdrawn', value: (r) => r.withdrawn_at?.slice(0, 10) ?? null },
      { label: 'backbone', value: (r) => r.backbone ?? null },
      { label: 'study', value: (r) => r.study ?? null },
    ],
    results,
    { sortable: true, className: 'results' },
  );
}

function datasetSelect(
  id: string,
  datasets: readonly Schemas['Dataset'][],
  first: [string, string],
): HTMLSelectElement {
  return h(
    'select',
    { id, name: id },
    h('option', { value: first[0] }, first[1]),
    ...datasets.map((d) => h('option', { value: d.id }, d.id)),
  );
}

function submitForm(datasets: readonly Schemas['Dataset'][], onStored: () => Promise<void>): HTMLFormElement {
  const status = statusLine();
  const fields = {
    source: datasetSelect('source', datasets, ['none', 'none (baseline trained on the target alone)']),
    target: datasetSelect('target', datasets, ['', 'choose a target']),
    architecture: h('input', { id: 'architecture', name: 'architecture', required: true, value: 'resnet50' }),
    folds: h('input', {
      id: 'folds',
      name: 'folds',
      required: true,
      placeholder: '0.91, 0.90, 0.93',
      'aria-describedby': 'folds-help',
    }),
    contributor: h('input', {
      id: 'contributor',
      name: 'contributor',
      required: true,
      pattern: '[A-Za-z0-9][A-Za-z0-9._@+\\-]{0,63}',
    }),
    doi: h('input', { id: 'doi', name: 'doi' }),
    url: h('input', { id: 'url', name: 'url', type: 'url' }),
    token: h('input', {
      id: 'token',
      name: 'token',
      type: 'password',
      autocomplete: 'off',
      spellcheck: false,
      'aria-describedby': 'token-help',
    }),
  };
  fields.target.required = true;
  const label = (text: string, control: HTMLElement) => h('label', { for: control.id }, text, control);
  const form = h(
    'form',
    { id: 'submit-form', 'aria-labelledby': 'submit-title', novalidate: true },
    h('h2', { id: 'submit-title' }, 'Contribute a result'),
    h(
      'div',
      { class: 'inline' },
      label('Source', fields.source),
      label('Target', fields.target),
      label('Architecture', fields.architecture),
    ),
    label('Test AUC of each fold, in fold order', fields.folds),
    h(
      'p',
      { id: 'folds-help', class: 'note' },
      'Comma-separated values between 0 and 1, one per cross-validation fold; the metric is AUC (one-vs-rest, weighted by class prior).',
    ),
    h(
      'div',
      { class: 'inline' },
      label('Contributor (handle, e-mail or ORCID)', fields.contributor),
      label('DOI (optional)', fields.doi),
      label('URL (optional)', fields.url),
    ),
    label('API token', fields.token),
    h(
      'p',
      { id: 'token-help', class: 'note' },
      'Sent as an Authorization: Bearer header when filled; kept only in this form. Servers that require tokens refuse a submission without one.',
    ),
    h('button', { type: 'submit' }, 'Submit result'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const control of Object.values(fields)) control.removeAttribute('aria-invalid');
    const values = fields.folds.value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .map(Number);
    const body = {
      source: fields.source.value,
      target: fields.target.value,
      architecture: fields.architecture.value,
      protocol: { folds: values.length, metric: 'auc-ovr-weighted' },
      folds: values.map((value, i) => ({ fold: i + 1, value })),
      provenance: {
        contributor: fields.contributor.value,
        ...(fields.doi.value ? { doi: fields.doi.value } : {}),
        ...(fields.url.value ? { url: fields.url.value } : {}),
      },
    };
    status.textContent = 'Submitting…';
    const token = fields.token.value.trim();
    postJson<Result>('/v1/results', body, {
      'idempotency-key': crypto.randomUUID(),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    })
      .then(async (stored) => {
        status.textContent = `Stored as ${stored.id}.`;
        await onStored();
      })
      .catch((err: unknown) => {
        // The API names each offending field by its path in the body (folds.1.value, provenance.contributor): mark its control.
        const paths = err instanceof ApiError ? (err.problem.errors ?? []).map((e) => e.field) : [];
        for (const path of paths) {
          const [head, next] = path.split('.');
          const name = head === 'provenance' ? next : head === 'protocol' ? 'folds' : head;
          if (name && name in fields) fields[name as keyof typeof fields].setAttribute('aria-invalid', 'true');
        }
        if (err instanceof ApiError && (err.problem.status === 401 || err.problem.status === 403))
          fields.token.setAttribute('aria-invalid', 'true');
        replace(status, h('span', { class: 'error', role: 'alert' }, describeError(err)));
      });
  });
  return form;
}

export async function resultsPage(section: HTMLElement): Promise<void> {
  section.append(
    pageTitle('Results'),
    h(
      'p',
      {},
      'Published and contributed transfer results, fold by fold, with who sent them and where they were published.',
    ),
  );
  const datasets = await allPages<Schemas['Dataset']>('/v1/datasets');
  const filters = {
    source: datasetSelect('filter-source', datasets, ['', 'any']),
    target: datasetSelect('filter-target', datasets, ['', 'any']),
    architecture: h('input', { id: 'filter-architecture', placeholder: 'any' }),
    withdrawn: h('input', { id: 'filter-withdrawn', type: 'checkbox' }),
  };
  filters.source.append(h('option', { value: 'none' }, 'none (baselines)'));
  const view = h('div', { id: 'results-list' });
  const load = async () => {
    try {
      const results = await allPages<Result>('/v1/results', {
        source: filters.source.value || undefined,
        target: filters.target.value || undefined,
        architecture: filters.architecture.value.trim() || undefined,
        include_withdrawn: filters.withdrawn.checked || undefined,
      });
      replace(view, resultsTable(results));
    } catch (err) {
      replace(view, h('p', { class: 'error', role: 'alert' }, describeError(err)));
    }
  };
  for (const control of Object.values(filters)) control.addEventListener('change', () => void load());
  section.append(
    h(
      'div',
      { class: 'inline', role: 'search' },
      h('label', { for: 'filter-source' }, 'Source', filters.source),
      h('label', { for: 'filter-target' }, 'Target', filters.target),
      h('label', { for: 'filter-architecture' }, 'Architecture', filters.architecture),
      h('label', { for: 'filter-withdrawn', class: 'check' }, filters.withdrawn, ' include withdrawn'),
    ),
    view,
    submitForm(datasets, load),
  );
  await load();
}
