import type { components } from '../../src/api/schema.js';

/** The wire types, generated from openapi.yaml: the page reads the public API and nothing else. */
export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

type Query = Record<string, string | number | boolean | undefined>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function parse<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const problem = (body ?? {}) as Partial<Problem>;
    throw new ApiError({
      type: problem.type ?? 'about:blank',
      title: problem.title ?? res.statusText,
      status: res.status,
      detail: problem.detail ?? `${res.status} ${res.statusText}`,
      ...(problem.field ? { field: problem.field } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  }
  return body as T;
}

export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return parse<T>(await fetch(url(path, query), { headers: { accept: 'application/json' } }));
}

export async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  return parse<T>(
    await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/** Every item of a paged list, 200 at a time. */
export async function allPages<T>(path: string, query: Query = {}): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const res = await getJson<{ items: T[]; total: number }>(path, { ...query, page, page_size: 200 });
    items.push(...res.items);
    if (items.length >= res.total || res.items.length === 0) return items;
  }
}

/** A multipart POST whose upload progress is reported as the fraction of bytes sent. */
export function postForm<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => e.lengthComputable && onProgress(e.loaded / e.total));
    xhr.addEventListener('error', () => reject(new Error('the upload failed: the server could not be reached')));
    xhr.addEventListener('load', () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      parse<T>(res).then(resolve, reject);
    });
    xhr.send(form);
  });
}

export function describeError(err: unknown): string {
  if (err instanceof ApiError)
    return err.problem.field ? `${err.problem.detail} (field: ${err.problem.field})` : err.problem.detail;
  return err instanceof Error ? err.message : String(err);
}
