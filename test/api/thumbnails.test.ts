// Previews of an ingested dataset's stored images: a seeded sample per class, and each image as a PNG that is the
// stored record itself (at its stored size) or that record enlarged pixel by pixel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { describeEachStore } from '../support/stores.js';
import { startApp, type RunningApp } from '../support/app.js';
import { resultOf, settled } from '../support/jobs.js';
import type { Store } from '../../src/store/index.js';
import type { components } from '../../src/api/schema.js';

type Sample = components['schemas']['ThumbnailSample'];
type Problem = components['schemas']['Problem'];

const BREAST = resolve('examples/breastmnist/breastmnist_28.npz');
/** BreastMNIST's own size, so the stored records are the archive's images and a 28-pixel PNG is one record. */
const SIZE = 28;

interface Manifest {
  size: number;
  channels: number;
  count: number;
  classNames: string[];
  labels: number[];
  splits: (string | null)[];
}

/** A PNG's pixels as stored: a grey PNG stays one channel (sharp's raw output would widen it to three). */
async function rawPng(res: Response): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await res.arrayBuffer());
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png)
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: channels ?? 0 };
}

async function problemOf(res: Response): Promise<Problem> {
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  return (await res.json()) as Problem;
}

describeEachStore('api dataset thumbnails', (kind) => {
  let store: Store;
  let app: RunningApp;
  let dataDir: string;
  let manifest: Manifest;
  let pixels: Buffer;

  before(async () => {
    store = await kind.open();
    dataDir = await mkdtemp(join(tmpdir(), 'ta-thumbs-'));
    app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: 5_000_000 } });
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await readFile(BREAST))]), 'breastmnist_28.npz');
    form.append('name', 'Breast ultrasound');
    form.append('id', 'breast');
    form.append('size', String(SIZE));
    const job = await settled(app.url, await fetch(`${app.url}/v1/datasets/uploads`, { method: 'POST', body: form }));
    await resultOf(app.url, job);
    const files = await readdir(dataDir, { recursive: true });
    const manifestFile = files.find((f) => f.endsWith('manifest.json'));
    assert.ok(manifestFile, `no stored manifest under ${dataDir}: ${files.join(', ')}`);
    manifest = JSON.parse(await readFile(join(dataDir, manifestFile), 'utf8')) as Manifest;
    pixels = await readFile(join(dataDir, dirname(manifestFile), 'pixels.u8'));
    const registered = await fetch(`${app.url}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'described',
        name: 'Described only',
        description: 'Registered without images.',
        origin: 'medical',
        modality: 'x-ray',
        images: 10,
        classes: 2,
        image_size: 'variable',
        channels: 1,
        licence: 'proprietary',
      }),
    });
    assert.equal(registered.status, 201);
  });
  after(async () => {
    await app?.close();
    await store?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('the sample holds per_class images of each class, in class order, labelled as stored, the same every call', async () => {
    assert.deepEqual([manifest.size, manifest.channels, manifest.count], [SIZE, 1, 780]);
    const res = await fetch(`${app.url}/v1/datasets/breast/thumbnails?per_class=3`);
    assert.equal(res.status, 200);
    const sample = (await res.json()) as Sample;
    assert.equal(sample.dataset, 'breast');
    assert.equal(sample.images, manifest.count);
    assert.equal(sample.items.length, 3 * manifest.classNames.length);
    assert.deepEqual(
      sample.items.map((i) => i.label),
      manifest.classNames.flatMap((c) => [c, c, c]),
    );
    for (const item of sample.items) {
      assert.equal(item.label, manifest.classNames[manifest.labels[item.index]!]);
      assert.equal(item.split, manifest.splits[item.index]);
      assert.equal(item.url, `/v1/datasets/breast/images/${item.index}`);
    }
    assert.equal(new Set(sample.items.map((i) => i.index)).size, sample.items.length);
    const again = (await (await fetch(`${app.url}/v1/datasets/breast/thumbnails?per_class=3`)).json()) as Sample;
    assert.deepEqual(again, sample);
    const etag = res.headers.get('etag');
    assert.ok(etag);
    const cached = await fetch(`${app.url}/v1/datasets/breast/thumbnails?per_class=3`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(cached.status, 304);
    const fallback = (await (await fetch(`${app.url}/v1/datasets/breast/thumbnails`)).json()) as Sample;
    assert.equal(fallback.items.length, 4 * manifest.classNames.length);
  });

  test('an image at its stored size is the stored record; enlarged, each stored pixel becomes a block', async () => {
    const record = SIZE * SIZE;
    for (const index of [0, 1, manifest.count - 1]) {
      const stored = pixels.subarray(index * record, (index + 1) * record);
      const same = await rawPng(await fetch(`${app.url}/v1/datasets/breast/images/${index}?size=${SIZE}`));
      assert.deepEqual([same.width, same.height, same.channels], [SIZE, SIZE, 1]);
      assert.deepEqual(same.data, Buffer.from(stored));

      const double = await rawPng(await fetch(`${app.url}/v1/datasets/breast/images/${index}?size=${2 * SIZE}`));
      assert.deepEqual([double.width, double.height], [2 * SIZE, 2 * SIZE]);
      for (let y = 0; y < 2 * SIZE; y++)
        for (let x = 0; x < 2 * SIZE; x++)
          assert.equal(double.data[y * 2 * SIZE + x], stored[(y >> 1) * SIZE + (x >> 1)], `pixel ${x},${y}`);
    }
    const byDefault = await rawPng(await fetch(`${app.url}/v1/datasets/breast/images/5`));
    assert.deepEqual([byDefault.width, byDefault.height], [96, 96]);
    // Two different records give two different images.
    const [a, b] = await Promise.all(
      [0, 1].map(
        async (i) => (await rawPng(await fetch(`${app.url}/v1/datasets/breast/images/${i}?size=${SIZE}`))).data,
      ),
    );
    assert.notDeepEqual(a, b);
  });

  test('an image past the end, a dataset without images, an unknown dataset and a bad size are refused', async () => {
    const past = await fetch(`${app.url}/v1/datasets/breast/images/${manifest.count}`);
    assert.equal(past.status, 404);
    assert.equal((await problemOf(past)).field, 'index');
    for (const path of ['/v1/datasets/described/thumbnails', '/v1/datasets/described/images/0']) {
      const res = await fetch(app.url + path);
      assert.equal(res.status, 404, path);
      assert.match((await problemOf(res)).detail, /registered without images/);
    }
    const unknown = await fetch(`${app.url}/v1/datasets/nowhere/thumbnails`);
    assert.equal(unknown.status, 404);
    assert.match((await problemOf(unknown)).detail, /no dataset with id 'nowhere'/);
    for (const query of ['size=8', 'size=1000', 'size=big']) {
      const res = await fetch(`${app.url}/v1/datasets/breast/images/0?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal((await problemOf(res)).field, 'size');
    }
    assert.equal((await fetch(`${app.url}/v1/datasets/breast/images/-1`)).status, 400);
    assert.equal((await fetch(`${app.url}/v1/datasets/breast/thumbnails?per_class=0`)).status, 400);
  });
});
