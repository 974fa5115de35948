/**
 * Multipart uploads through the HTTP API, on a real server on an ephemeral port: mutated and random form bodies
 * (boundaries, part headers, fields, the file itself) get 202 with a job, or a 4xx problem+json; never a 5xx.
 * Every accepted job ends as succeeded or failed for a reason the caller can fix, and once all have ended no
 * upload or scratch file is left under the data folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { openStore, type Store } from '../../src/store/index.js';
import { startApp, type RunningApp } from '../support/app.js';
import { imageBytes } from '../images/helpers/fixtures.js';
import { encodeNpy } from '../../src/images/npy.js';
import { bounded, mutatedBytes, oddValue, settings } from './support.js';

const MAX_UPLOAD = 200_000;
const BOUNDARY = 'fuzzboundary0123';

let store: Store;
let app: RunningApp;
let dataDir: string;
let zip: Uint8Array;
let npz: Uint8Array;
const accepted: string[] = [];

before(async () => {
  store = await openStore({ client: 'sqlite', filename: ':memory:' });
  dataDir = await mkdtemp(join(tmpdir(), 'ta-fuzz-multipart-'));
  app = await startApp(store, { ingestion: { dataDir, dataRoots: [], maxUploadBytes: MAX_UPLOAD } });
  const files: Record<string, Uint8Array> = {};
  let seed = 1;
  for (const cls of ['benign', 'malignant'])
    for (let i = 0; i < 5; i++) files[`${cls}/${i}.png`] = new Uint8Array(await imageBytes('png', 8, 8, 1, seed++));
  zip = zipSync(files);
  npz = zipSync({
    'images.npy': encodeNpy({
      shape: [10, 8, 8],
      data: { kind: 'numeric', dtype: 'u1', values: Uint8Array.from({ length: 640 }, (_, i) => i % 256) },
    }),
    'labels.npy': encodeNpy({
      shape: [10],
      data: { kind: 'numeric', dtype: 'u1', values: Uint8Array.from({ length: 10 }, (_, i) => i % 2) },
    }),
  });
});
after(async () => {
  await app?.close();
  await store?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

let next = 0;

/** A form as browsers send it: the file part and the metadata fields, in the given order. */
function form(file: Uint8Array, filename: string, fields: Record<string, string>): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(
    enc.encode(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    file,
    enc.encode(`\r\n--${BOUNDARY}--\r\n`),
  );
  return Buffer.concat(parts);
}

async function send(body: Uint8Array, contentType = `multipart/form-data; boundary=${BOUNDARY}`): Promise<void> {
  const res = await bounded('POST /v1/datasets/uploads', () =>
    fetch(`${app.url}/v1/datasets/uploads`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    }),
  );
  const text = await res.text();
  assert.ok(res.status < 500, `${res.status}: ${text}`);
  if (res.status === 202) {
    accepted.push(res.headers.get('location')!);
    return;
  }
  assert.ok([400, 404, 409, 413, 415, 422].includes(res.status), `${res.status}: ${text}`);
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json', text);
  const problem = JSON.parse(text) as { type: string; detail: string };
  assert.match(problem.type, /^urn:transfer-atlas:problem:/);
  assert.ok(!/\n\s+at /.test(problem.detail), `a stack in the detail: ${problem.detail}`);
  // A refused request's upload is removed when its response closes, a moment after the client has it.
  let left = await stray('tmp');
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await sleep(25);
    left = await stray('tmp');
  }
  assert.deepEqual(left, [], `${res.status} ${text} left its upload behind`);
}

const stray = async (sub: string) => (await readdir(join(dataDir, sub)).catch(() => [] as string[])).sort();

test('multipart: forms cut short in the file part leave no upload behind', async () => {
  // Found by the property below: a form that ends inside its file part is answered ("Unexpected end of form")
  // while the upload's folder is being made; the response was over before its clean-up was registered, and
  // the file written afterwards stayed in tmp/ for good.
  const whole = form(zip, 'scans.zip', { name: 'Fuzz', id: 'fuzz-cut', size: '8' });
  for (const cut of [whole.length - 40, whole.length - 600, Math.floor(whole.length / 2)]) {
    const body = whole.subarray(0, cut);
    await Promise.all(Array.from({ length: 6 }, () => send(body)));
  }
});

test('multipart: mutated form bodies are accepted as a job or refused with a 4xx problem', async () => {
  const examples = [
    form(zip, 'scans.zip', { name: 'Fuzz', id: 'fuzz-zip', size: '8' }),
    form(npz, 'data.npz', { name: 'Fuzz', id: 'fuzz-npz', modality: 'ultrasound', size: '8', split_seed: '3' }),
  ];
  await fc.assert(
    fc.asyncProperty(mutatedBytes(examples, 2048), async (body) => {
      // A fresh id, so that a body that survives its mutations is not refused only as a second upload of an id.
      const text = Buffer.from(body)
        .toString('latin1')
        .replace(/fuzz-(zip|npz)/, `fuzz-${next++}`);
      await send(Buffer.from(text, 'latin1'));
    }),
    settings(0.5),
  );
});

test('multipart: odd field values, file names and content types are refused with a 4xx problem', async () => {
  const field = fc.oneof(
    fc.string({ maxLength: 20 }),
    oddValue.map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(
        fc.constantFrom(
          'name',
          'id',
          'size',
          'channels',
          'split_seed',
          'skip_bad',
          'format',
          'modality',
          'homepage',
          'x',
        ),
        field,
        { maxKeys: 5 },
      ),
      fc.oneof(fc.constantFrom('scans.zip', 'a.npz', '../../x.zip', 'x\u0000.zip', ''), fc.string({ maxLength: 12 })),
      fc.constantFrom(
        `multipart/form-data; boundary=${BOUNDARY}`,
        'multipart/form-data',
        `multipart/form-data; boundary=other`,
        'application/json',
        'text/plain',
      ),
      async (fields, filename, contentType) => {
        await send(form(zip, filename, { name: 'Fuzz', id: `fuzz-${next++}`, ...fields }), contentType);
      },
    ),
    settings(0.5),
  );
});

test('multipart: every accepted job ends, for a reason the caller can fix, and no upload is left behind', async () => {
  const deadline = Date.now() + 240_000;
  for (const location of accepted) {
    for (;;) {
      const job = (await (await fetch(`${app.url}${location}`)).json()) as {
        state: string;
        failure: { code: string; message: string } | null;
      };
      if (job.state === 'succeeded') break;
      if (job.state === 'failed') {
        assert.ok(
          !['internal', 'interrupted', 'worker-lost'].includes(job.failure!.code),
          `${location}: ${JSON.stringify(job.failure)}`,
        );
        break;
      }
      assert.ok(Date.now() < deadline, `${location} still ${job.state}`);
      await sleep(50);
    }
  }
  // A refused request's upload is removed when its response closes, a moment after the client has it.
  for (let i = 0; i < 100 && ((await stray('tmp')).length > 0 || (await stray('uploads')).length > 0); i++)
    await sleep(50);
  assert.deepEqual(await stray('tmp'), []);
  assert.deepEqual(await stray('uploads'), []);
  assert.deepEqual(
    (await stray('datasets')).filter((n) => n.startsWith('.staging-')),
    [],
  );
});
