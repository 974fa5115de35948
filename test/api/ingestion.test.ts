import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { zipSync } from 'fflate';
import { describeEachStore } from '../support/stores.js';
import { startApp, type RunningApp } from '../support/app.js';
import { resultOf, settled } from '../support/jobs.js';
import { classFolder, imageBytes } from '../images/helpers/fixtures.js';
import type { Store } from '../../src/store/index.js';

const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');
const MAX_UPLOAD = 2_000_000;

interface Problem {
  type: string;
  status: number;
  detail: string;
  field?: string;
  errors?: { field: string; message: string }[];
}
interface Dataset {
  id: string;
  images: number;
  classes: number;
  channels: number;
  image_size: string;
  origin: string;
  modality: string;
  licence: string;
  record_origin: string;
  updated_at: string;
  description: string;
}
interface Profile {
  image_count: number;
  class_counts: Record<string, number>;
  split_counts: Record<string, Record<string, number>>;
  skipped: { file: string; code: string }[];
  bit_depths: Record<string, number>;
  normalised: { size: number };
}

async function problemOf(res: Response): Promise<Problem> {
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  return (await res.json()) as Problem;
}

/** Every file (not folder) below dir, relative; the empty scratch folders ingestion keeps are not stray files. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

async function twoClassZip(extra: Record<string, Uint8Array> = {}): Promise<Uint8Array> {
  const entries: Record<string, Uint8Array> = { ...extra };
  for (const [cls, seed] of [
    ['benign', 1],
    ['malignant', 100],
  ] as const) {
    for (let i = 0; i < 6; i++)
      entries[`scans/${cls}/${i}.png`] = new Uint8Array(await imageBytes('png', 16, 16, 1, seed + i));
  }
  return zipSync(entries);
}

describeEachStore('api ingestion', (kind) => {
  let store: Store;
  let app: RunningApp;
  let dataDir: string;
  let root: string;
  let outside: string;

  before(async () => {
    store = await kind.open();
    dataDir = await mkdtemp(join(tmpdir(), 'ta-ingest-data-'));
    root = await mkdtemp(join(tmpdir(), 'ta-ingest-root-'));
    outside = await mkdtemp(join(tmpdir(), 'ta-ingest-outside-'));
    app = await startApp(store, { ingestion: { dataDir, dataRoots: [root], maxUploadBytes: MAX_UPLOAD } });
  });
  after(async () => {
    await app.close();
    await store.close();
    for (const d of [dataDir, root, outside]) await rm(d, { recursive: true, force: true });
  });

  const upload = async (file: Uint8Array, name: string, fields: Record<string, string>, fileFirst = true) => {
    const form = new FormData();
    const add = () => form.append('file', new Blob([new Uint8Array(file)]), name);
    if (fileFirst) add();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    if (!fileFirst) add();
    return fetch(`${app.url}/v1/datasets/uploads`, { method: 'POST', body: form });
  };
  const ingest = (body: Record<string, unknown>) =>
    fetch(`${app.url}/v1/datasets/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** Files that no stored dataset accounts for: staging leftovers, uploads, extracted archives, orphan folders. */
  const strayFiles = async () => {
    const page = (await (await fetch(`${app.url}/v1/datasets?page_size=200`)).json()) as {
      items: { id: string; record_origin: string }[];
    };
    const stored = new Set(page.items.filter((d) => d.record_origin === 'ingested').map((d) => d.id));
    return (await filesUnder(dataDir)).filter((f) => !stored.has(f.split('/')[1] ?? '') || !f.startsWith('datasets/'));
  };
  const assertNothingStored = async (id: string) => {
    assert.equal((await fetch(`${app.url}/v1/datasets/${id}`)).status, 404);
    // A refused request's upload is removed when its response closes, a moment after the client has it.
    let stray = await strayFiles();
    for (let i = 0; i < 50 && stray.length > 0; i++) {
      await sleep(20);
      stray = await strayFiles();
    }
    assert.deepEqual(stray, []);
  };

  test('an uploaded BreastMNIST npz becomes a dataset with its profile and stored images', async () => {
    const res = await upload(new Uint8Array(await readFile(BREAST)), 'breastmnist_28.npz', {
      name: 'Our breast ultrasound',
      id: 'kept',
      modality: 'ultrasound',
      size: '32',
    });
    const job = await settled(app.url, res);
    assert.deepEqual(
      [job.kind, job.state, job.result_url, job.attempts],
      ['ingest', 'succeeded', '/v1/datasets/kept', 1],
    );
    const dataset = await resultOf<Dataset>(app.url, job);
    assert.deepEqual(
      [
        dataset.images,
        dataset.classes,
        dataset.channels,
        dataset.image_size,
        dataset.origin,
        dataset.modality,
        dataset.licence,
        dataset.record_origin,
      ],
      [780, 2, 1, '28x28', 'medical', 'ultrasound', 'unknown', 'ingested'],
    );
    const stored = (await (await fetch(`${app.url}/v1/datasets/kept/profile`)).json()) as Profile;
    assert.deepEqual(stored.class_counts, { '0': 210, '1': 570 });
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(stored.split_counts).map(([s, c]) => [s, Object.values(c).reduce((a, b) => a + b, 0)]),
      ),
      { train: 546, val: 78, test: 156 },
    );
    assert.equal((await stat(join(dataDir, 'datasets', 'kept', 'pixels.u8'))).size, 780 * 32 * 32);
    assert.deepEqual(await filesUnder(dataDir), [
      'datasets/kept/manifest.json',
      'datasets/kept/pixels.u8',
      'datasets/kept/profile.json',
    ]);

    const profile = await fetch(`${app.url}/v1/datasets/kept/profile`);
    assert.equal(profile.status, 200);
    const etag = profile.headers.get('etag');
    assert.ok(etag);
    assert.equal(
      (await fetch(`${app.url}/v1/datasets/kept/profile`, { headers: { 'if-none-match': etag } })).status,
      304,
    );
  });

  test('the same id again is a 409 and leaves the stored dataset as it was', async () => {
    const before = (await (await fetch(`${app.url}/v1/datasets/kept`)).json()) as Dataset;
    const pixels = await stat(join(dataDir, 'datasets', 'kept', 'pixels.u8'));
    const res = await upload(await twoClassZip(), 'other.zip', { name: 'Other', id: 'kept' });
    assert.equal(res.status, 409);
    assert.equal((await problemOf(res)).field, 'id');
    assert.deepEqual(await (await fetch(`${app.url}/v1/datasets/kept`)).json(), before);
    const after = await stat(join(dataDir, 'datasets', 'kept', 'pixels.u8'));
    assert.deepEqual([after.size, after.mtimeMs], [pixels.size, pixels.mtimeMs]);
    assert.deepEqual(await strayFiles(), []);
  });

  test('a dataset registered by metadata alone keeps its id, and has no profile', async () => {
    const target = {
      id: 'registered',
      name: 'Registered',
      description: 'Metadata only.',
      origin: 'medical',
      modality: 'x-ray',
      images: 10,
      classes: 2,
      image_size: 'variable',
      channels: 1,
      licence: 'proprietary',
    };
    assert.equal(
      (
        await fetch(`${app.url}/v1/datasets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(target),
        })
      ).status,
      201,
    );
    const res = await upload(await twoClassZip(), 'scans.zip', { name: 'Registered' }, false);
    assert.equal(res.status, 409);
    assert.match((await problemOf(res)).detail, /'registered' already exists/);
    assert.equal(
      ((await (await fetch(`${app.url}/v1/datasets/registered`)).json()) as { record_origin: string }).record_origin,
      'api',
    );
    const profile = await fetch(`${app.url}/v1/datasets/registered/profile`);
    assert.equal(profile.status, 404);
    assert.match((await problemOf(profile)).detail, /registered without images/);
    assert.equal((await fetch(`${app.url}/v1/datasets/atlantis/profile`)).status, 404);
  });

  test('a zipped class-folder tree with fields after the file, and a seeded split', async () => {
    const res = await upload(
      await twoClassZip(),
      'scans.zip',
      { name: 'Zipped scans', size: '16', split_seed: '7', origin: 'natural' },
      false,
    );
    const dataset = await resultOf<Dataset>(app.url, await settled(app.url, res));
    assert.deepEqual([dataset.id, dataset.origin, dataset.images], ['zipped-scans', 'natural', 12]);
    const profile = (await (await fetch(`${app.url}/v1/datasets/zipped-scans/profile`)).json()) as Profile;
    assert.deepEqual(profile.class_counts, { benign: 6, malignant: 6 });
    assert.deepEqual(await strayFiles(), []);
  });

  test('a server-side folder inside a data root is ingested; corrupt images are named, or skipped on request', async () => {
    const folder = join(root, 'cells');
    await classFolder(folder, { blast: 6, normal: 6 });
    await writeFile(join(folder, 'normal', 'broken.png'), (await imageBytes('png', 12, 12, 3, 99)).subarray(0, 40));

    // The caller's mistake fails the job at once, naming the file, and is not retried.
    const refused = await settled(app.url, await ingest({ path: folder, name: 'Cells' }));
    assert.deepEqual(
      [
        refused.state,
        refused.failure?.code,
        refused.failure?.field,
        refused.failure?.retryable,
        refused.attempts,
        refused.dead_letter,
      ],
      ['failed', 'unprocessable', 'path', false, 1, false],
    );
    assert.match(refused.failure!.message, /normal\/broken\.png/);
    await assertNothingStored('cells');

    const dataset = await resultOf<Dataset>(
      app.url,
      await settled(app.url, await ingest({ path: folder, name: 'Cells', skip_bad: true, channels: '3' })),
    );
    const profile = (await (await fetch(`${app.url}/v1/datasets/cells/profile`)).json()) as Profile;
    assert.deepEqual(profile.class_counts, { blast: 6, normal: 6 });
    assert.deepEqual(
      profile.skipped.map((s) => s.file),
      ['normal/broken.png'],
    );
    assert.equal(dataset.channels, 3);
  });

  test('paths outside the data roots are refused with 403 naming the path, symbolic links to or inside it included', async () => {
    await classFolder(join(outside, 'secret'), { a: 5, b: 5 });
    await symlink(join(outside, 'secret'), join(root, 'link-out'));
    for (const path of [
      join(outside, 'secret'),
      BREAST,
      join(root, 'link-out'),
      `${root}/../${outside.split('/').pop()}/secret`,
    ]) {
      const res = await ingest({ path, name: 'Escape' });
      assert.equal(res.status, 403, path);
      const problem = await problemOf(res);
      assert.equal(problem.type, 'urn:transfer-atlas:problem:forbidden');
      assert.equal(problem.field, 'path');
      assert.ok(problem.detail.includes(path), problem.detail);
    }
    await classFolder(join(root, 'mixed'), { a: 5, b: 5 });
    await symlink(join(outside, 'secret', 'a', '0.png'), join(root, 'mixed', 'a', 'borrowed.png'));
    const linked = await ingest({ path: join(root, 'mixed'), name: 'Escape' });
    assert.equal(linked.status, 403);
    assert.match((await problemOf(linked)).detail, /holds a\/borrowed\.png, a symbolic link leading outside/);
    const relative = await ingest({ path: 'cells', name: 'Escape' });
    assert.equal(relative.status, 400);
    assert.equal((await problemOf(relative)).field, 'path');
    const missing = await ingest({ path: join(root, 'nothing-here'), name: 'Escape' });
    assert.equal(missing.status, 404);
    await assertNothingStored('escape');
  });

  test('a folder with one class, an archive climbing out with ../, and a bad id store nothing', async () => {
    await classFolder(join(root, 'single'), { only: 8 });
    const one = await settled(app.url, await ingest({ path: join(root, 'single'), name: 'Single' }));
    assert.deepEqual([one.state, one.failure?.code], ['failed', 'unprocessable']);
    assert.match(one.failure!.message, /only one class \('only'\)/);
    await assertNothingStored('single');

    const traversal = await settled(
      app.url,
      await upload(
        await twoClassZip({ '../../escaped.png': new Uint8Array(await imageBytes('png', 8, 8, 1, 5)) }),
        'evil.zip',
        { name: 'Evil' },
      ),
    );
    assert.deepEqual(
      [traversal.state, traversal.failure?.code, traversal.failure?.field],
      ['failed', 'unprocessable', 'file'],
    );
    assert.match(traversal.failure!.message, /^evil\.zip: .*\.\.\/\.\.\/escaped\.png/);
    await assertNothingStored('evil');
    assert.equal(await stat(join(dataDir, '..', 'escaped.png')).catch(() => undefined), undefined);

    const badId = await upload(await twoClassZip(), 'scans.zip', { name: 'Bad', id: 'Not An Id' });
    assert.equal(badId.status, 400);
    assert.equal((await problemOf(badId)).field, 'id');
    await assertNothingStored('bad');
  });

  test('an upload over the limit is a 413 naming the file, and leaves no partial file', async () => {
    const res = await upload(randomBytes(MAX_UPLOAD + 100_000), 'huge.zip', { name: 'Huge' });
    assert.equal(res.status, 413);
    const problem = await problemOf(res);
    assert.equal(problem.type, 'urn:transfer-atlas:problem:payload-too-large');
    assert.equal(problem.field, 'file');
    assert.match(problem.detail, /declares \d+ bytes, over the upload limit/);
    await assertNothingStored('huge');
  });

  test('a form without the file, or with it under another name, is a 400', async () => {
    const form = new FormData();
    form.append('name', 'No file');
    const none = await fetch(`${app.url}/v1/datasets/uploads`, { method: 'POST', body: form });
    assert.equal(none.status, 400);
    assert.equal((await problemOf(none)).field, 'file');
    const wrong = new FormData();
    wrong.append('name', 'Wrong');
    wrong.append('data', new Blob([new Uint8Array(await twoClassZip())]), 'scans.zip');
    const misnamed = await fetch(`${app.url}/v1/datasets/uploads`, { method: 'POST', body: wrong });
    assert.equal(misnamed.status, 400);
    assert.equal((await problemOf(misnamed)).field, 'data');
    await assertNothingStored('wrong');
  });
});

test('without data roots, server-side paths are refused', async () => {
  const { openStore } = await import('../../src/store/index.js');
  const store = await openStore({ client: 'sqlite', filename: ':memory:' });
  const dataDir = await mkdtemp(join(tmpdir(), 'ta-ingest-noroots-'));
  const app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: MAX_UPLOAD } });
  try {
    const res = await fetch(`${app.url}/v1/datasets/ingestions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: BREAST, name: 'Breast' }),
    });
    assert.equal(res.status, 403);
    assert.match((await problemOf(res)).detail, /TA_DATA_ROOTS/);
  } finally {
    await app.close();
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
