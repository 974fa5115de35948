/**
 * Dataset ingestion of outside files: .npz, zip, tar, tar.gz and CSV manifests. A mutated or random input is
 * ingested (a consistent result) or refused with an IngestionError that maps to the error catalogue; either way
 * the scratch folder is left empty, and a refusal leaves nothing in the staging folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { ingestDataset, IngestionError, limitsForUpload } from '../../src/images/index.js';
import { encodeNpy } from '../../src/images/npy.js';
import { encodeTar, imageBytes } from '../images/helpers/fixtures.js';
import { mutatedBytes, mutatedText, outcome, settings } from './support.js';

/** A refusal the uploader can act on: the catalogue has a code for it (STORED_DATASET_INVALID is ours). */
const isRefusal = (e: unknown): e is IngestionError => e instanceof IngestionError && e.appCode !== null;

/** The uploads' own limits, for a 1 MB upload: what the server would apply. */
const LIMITS = { ...limitsForUpload(1024 ** 2), maxPixels: 1_000_000, maxInputBytes: 1024 ** 2 };

let root: string;
const examples: Record<string, Uint8Array[]> = {};
let images: [string, Uint8Array][];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ta-fuzz-ingest-'));
  images = [];
  let seed = 1;
  for (const cls of ['benign', 'malignant'])
    for (let i = 0; i < 5; i++)
      images.push([`${cls}/${i}.png`, new Uint8Array(await imageBytes('png', 8, 8, 1, seed++))]);
  const n = 10;
  const pixels = Uint8Array.from({ length: n * 8 * 8 }, (_, i) => (i * 7) % 256);
  examples.npz = [
    zipSync({
      'images.npy': encodeNpy({ shape: [n, 8, 8], data: { kind: 'numeric', dtype: 'u1', values: pixels } }),
      'labels.npy': encodeNpy({
        shape: [n],
        data: { kind: 'numeric', dtype: 'u1', values: Uint8Array.from({ length: n }, (_, i) => i % 2) },
      }),
    }),
  ];
  const files = Object.fromEntries(images.map(([name, bytes]) => [`scans/${name}`, bytes]));
  const manifest = [
    'path,label,split',
    ...images.map(([name], i) => `${name},${name.split('/')[0]},${i % 5 === 0 ? 'test' : 'train'}`),
  ].join('\n');
  examples.zip = [
    zipSync(files),
    zipSync({ ...Object.fromEntries(images), 'labels.csv': new TextEncoder().encode(manifest) }),
  ];
  const tar = encodeTar(Object.entries(files).map(([name, data]) => ({ name, data })));
  examples.tar = [tar];
  examples.tgz = [gzipSync(tar)];
  examples.csv = [new TextEncoder().encode(manifest)];
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let run = 0;
async function ingestOnce(name: string, write: (dir: string) => Promise<string>) {
  const dir = join(root, `run-${run++}`);
  const scratch = join(dir, 'scratch');
  const staging = join(dir, 'staging');
  await mkdir(scratch, { recursive: true });
  await mkdir(staging, { recursive: true });
  try {
    const path = await write(dir);
    const got = await outcome(
      `ingest ${name}`,
      () =>
        ingestDataset({ path, size: 8, limits: LIMITS, concurrency: 2 }, { stagingDir: staging, scratchDir: scratch }),
      isRefusal,
    );
    assert.deepEqual(await readdir(scratch), [], 'scratch folder left behind');
    if (got.ok) {
      const r = got.value;
      assert.equal(
        Object.values(r.classCounts).reduce((a, b) => a + b, 0),
        r.imageCount,
      );
      assert.ok(r.classNames.length >= 2);
      assert.equal((await readFile(join(staging, 'pixels.u8'))).length, r.imageCount * 8 * 8 * r.channels);
    } else assert.deepEqual(await readdir(staging), [], `refused (${got.error.message}) but wrote into staging`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('ingestion: the unmutated examples are ingested, so that the properties below see both outcomes', async () => {
  test('ingestion: the zip counterexamples the fuzzing found are refused cleanly', async () => {
    // An entry with no stored bytes (any empty file) asked for a read stream ending before it starts (RangeError).
    const empty = zipSync({ ...Object.fromEntries(images), 'benign/empty.png': new Uint8Array(0) }, { level: 0 });
    // A central directory entry whose extra field runs past the directory's end read out of bounds (RangeError).
    const long = zipSync(Object.fromEntries(images.slice(0, 2)), { level: 0 });
    const cd = long.length - 22 - new DataView(long.buffer).getUint32(long.length - 22 + 12, true);
    new DataView(long.buffer).setUint16(cd + 30, 0xfff0, true);
    for (const [name, bytes] of [
      ['empty.zip', empty],
      ['long-extra.zip', long],
    ] as const) {
      await ingestOnce(name, async (dir) => {
        await writeFile(join(dir, name), bytes);
        return join(dir, name);
      });
    }
  });

  for (const [kind, file] of [
    ['npz', 'data.npz'],
    ['zip', 'data.zip'],
    ['tar', 'data.tar'],
    ['tgz', 'data.tar.gz'],
  ] as const) {
    for (const bytes of examples[kind]!) {
      const staging = await mkdtemp(join(root, 'staging-'));
      await writeFile(join(root, file), bytes);
      const r = await ingestDataset(
        { path: join(root, file), size: 8, limits: LIMITS },
        { stagingDir: staging, scratchDir: root },
      );
      assert.equal(r.imageCount, 10, kind);
    }
  }
});

for (const [kind, file] of [
  ['npz', 'data.npz'],
  ['zip', 'data.zip'],
  ['tar', 'data.tar'],
  ['tgz', 'data.tar.gz'],
] as const) {
  test(`ingestion: mutated and random ${kind} files are ingested or refused cleanly`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBytes(examples[kind]!), async (bytes) => {
        await ingestOnce(kind, async (dir) => {
          await writeFile(join(dir, file), bytes);
          return join(dir, file);
        });
      }),
      settings(0.3),
    );
  });
}

test('ingestion: mutated CSV manifests beside their images are ingested or refused cleanly', async () => {
  const manifest = new TextDecoder().decode(examples.csv![0]!);
  await fc.assert(
    fc.asyncProperty(mutatedText([manifest]), async (text) => {
      await ingestOnce('csv', async (dir) => {
        const folder = join(dir, 'data');
        for (const [name, bytes] of images) {
          await mkdir(join(folder, name.split('/')[0]!), { recursive: true });
          await writeFile(join(folder, name), bytes);
        }
        await writeFile(join(folder, 'labels.csv'), text);
        return folder;
      });
    }),
    settings(0.3),
  );
});
