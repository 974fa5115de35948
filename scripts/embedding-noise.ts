/**
 * Measures what chance alone puts between two Task2Vec embeddings of data from ONE dataset under
 * the bundled probe, and writes it to datasets-registry/embeddings/mobilenet_v2_0.35_224/noise.yaml,
 * so that a distance between two datasets can be read against it:
 *
 *   npm run build && taskset -c 1 nice -n 10 node --import tsx scripts/embedding-noise.ts [--samples N] [--store DIR] [<dataset>:<kind> ...]
 *
 * With no entry named every entry below is measured; otherwise only the named ones, and the other
 * entries already in the file are kept. Kinds:
 * - seed: the same images embedded with seeds 0 and 1, N Monte Carlo samples (default 10,000);
 * - split-half: two disjoint halves of each class (alternate files in name order), seed 0, N samples;
 * - samples: the same images, seed 0, at 10,000 samples and at 2,000 (what `npm start` uses for
 *   the example target).
 * Each entry records the two sample counts it compared. Every other option is the default of
 * `transfer-atlas embed`, as in scripts/registry-embedding.sh. An embedding of all images with
 * seed 0 is exactly what that script computes, so the shipped vector is used for it when its yaml
 * records the same sample count (and the same split). --store keeps the embeddings in that store
 * (ids <dataset>, <dataset>-half-a, <dataset>-half-b) for scripts/distance-matrix.ts, and uses
 * again those it already holds with the same seed and sample count.
 * Distances are task2vec_cosine (src/task2vec/distance.ts), the distance the service ranks by.
 * Images are read from ../shared; nothing of them is written to the repository.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readRegistryEmbeddings } from '../src/registry/embeddings.js';
import {
  allDatasets,
  comparable,
  datasetEmbeddings,
  identityOf,
  openStore,
  storeConfigFromEnv,
} from '../src/services/index.js';
import { distance } from '../src/task2vec/index.js';

const PROBE_NAME = 'mobilenet_v2_0.35_224';
const STUDY_SAMPLES = 10000;
const CHEAP_SAMPLES = 2000;
const OUT = join('datasets-registry', 'embeddings', PROBE_NAME, 'noise.yaml');

type Kind = 'seed' | 'split-half' | 'samples';
type Images = 'all' | 'half-a' | 'half-b';

interface Entry {
  readonly dataset: string;
  readonly kind: Kind;
  readonly path: string;
  /** Keep only the train_* arrays of a split .npz (the images the studies fine-tuned on). */
  readonly trainSplit?: boolean;
  /** The `datasets add` options of the shipped embedding's command. */
  readonly add: readonly string[];
  readonly note: string;
}

const ENTRIES: readonly Entry[] = [
  {
    dataset: 'stl10',
    kind: 'seed',
    path: '../shared/datasets/sources/stl10-sample',
    add: ['--origin', 'natural', '--modality', 'photograph'],
    note: 'same images, seeds 0 and 1',
  },
  {
    dataset: 'chest',
    kind: 'split-half',
    path: '../shared/datasets/sources/chest-xray-kermany',
    add: ['--modality', 'x-ray'],
    note: 'two disjoint class-balanced halves',
  },
  {
    dataset: 'breastmnist',
    kind: 'seed',
    path: '../shared/datasets/breastmnist_28.npz',
    trainSplit: true,
    add: ['--modality', 'ultrasound'],
    note: 'same images, seeds 0 and 1',
  },
  {
    dataset: 'pneumoniamnist',
    kind: 'seed',
    path: '../shared/datasets/pneumoniamnist_28.npz',
    trainSplit: true,
    add: ['--modality', 'x-ray'],
    note: 'same images, seeds 0 and 1',
  },
  {
    dataset: 'breastmnist',
    kind: 'samples',
    path: '../shared/datasets/breastmnist_28.npz',
    trainSplit: true,
    add: ['--modality', 'ultrasound'],
    note: '10,000 vs 2,000 samples, same images',
  },
];

interface Side {
  readonly images: Images;
  readonly seed: number;
  readonly samples: number;
}

function sides(kind: Kind, samples: number): [Side, Side] {
  const base: Side = { images: 'all', seed: 0, samples };
  if (kind === 'seed') return [base, { ...base, seed: 1 }];
  if (kind === 'samples')
    return [
      { ...base, samples: STUDY_SAMPLES },
      { ...base, samples: CHEAP_SAMPLES },
    ];
  return [
    { ...base, images: 'half-a' },
    { ...base, images: 'half-b' },
  ];
}

const { values: opts, positionals: wanted } = parseArgs({
  options: { samples: { type: 'string' }, store: { type: 'string' } },
  allowPositionals: true,
});
const samples = opts.samples === undefined ? STUDY_SAMPLES : Number(opts.samples);
if (!Number.isInteger(samples) || samples < 1) {
  console.error(`--samples takes a positive whole number, got ${opts.samples}`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'ta-noise-'));
process.env.TA_DATA_DIR = opts.store ?? join(work, 'store');

function run(args: readonly string[]): void {
  const r = spawnSync('node', ['dist/src/cli/main.js', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`transfer-atlas ${args.join(' ')} exited with ${r.status}`);
}

/** A folder with every other file of each class folder (by name), so both halves keep the class balance. */
function halfFolder(path: string, half: 0 | 1): string {
  const out = join(work, `half-${half}`);
  for (const cls of readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    mkdirSync(join(out, cls.name), { recursive: true });
    readdirSync(join(path, cls.name))
      .sort()
      .filter((_, i) => i % 2 === half)
      .forEach((f) => cpSync(join(path, cls.name, f), join(out, cls.name, f)));
  }
  return out;
}

function trainOnly(path: string): string {
  const out = join(work, 'train.npz');
  const py = [
    'import sys, numpy as np',
    'd = np.load(sys.argv[1])',
    'np.savez(sys.argv[2], train_images=d["train_images"], train_labels=d["train_labels"])',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, path, out], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`could not take the training split of ${path}`);
  return out;
}

async function holds(id: string): Promise<boolean> {
  const store = await openStore(storeConfigFromEnv());
  try {
    return (await allDatasets(store, {})).some((d) => d.id === id);
  } finally {
    await store.close();
  }
}

async function ingest(entry: Entry, images: Images, id: string): Promise<void> {
  if (await holds(id)) return;
  let path = entry.trainSplit ? trainOnly(entry.path) : entry.path;
  if (images !== 'all') path = halfFolder(path, images === 'half-a' ? 0 : 1);
  run(['datasets', 'add', path, '--id', id, '--name', id, '--min-class-size', '1', ...entry.add]);
}

async function stored(id: string, side: Side): Promise<Float32Array | undefined> {
  if (!(await holds(id))) return undefined;
  const store = await openStore(storeConfigFromEnv());
  try {
    const e = (await datasetEmbeddings(store, id))
      .filter((x) => x.origin === 'computed' && x.seed === side.seed && x.options.samples === side.samples)
      .at(-1);
    return e?.hessian;
  } finally {
    await store.close();
  }
}

/** An embedding a --store already holds is used again, so that an interrupted run resumes. */
async function embed(entry: Entry, side: Side): Promise<Float32Array> {
  const id = side.images === 'all' ? entry.dataset : `${entry.dataset}-${side.images}`;
  const before = await stored(id, side);
  if (before) return before;
  await ingest(entry, side.images, id);
  run(['embed', id, '--samples', String(side.samples), '--seed', String(side.seed)]);
  const e = await stored(id, side);
  if (!e) throw new Error(`no embedding of ${id} was stored`);
  return e;
}

const registry = readRegistryEmbeddings('datasets-registry').filter((e) => e.provenance.probe.name === PROBE_NAME);
const anyShipped = registry[0];
if (!anyShipped) throw new Error(`no shipped embedding under ${PROBE_NAME}`);
const probe = identityOf(anyShipped.provenance.probe);

function shippedVector(entry: Entry, side: Side): Float32Array | undefined {
  if (side.images !== 'all') return undefined;
  const e = registry.find((r) => r.provenance.dataset === entry.dataset);
  const o = e?.provenance.options;
  const sameImages = (entry.trainSplit ?? false) === / --train-split( |$)/.test(e?.provenance.command ?? '');
  return e && sameImages && o?.samples === side.samples && o.seed === side.seed ? e.hessian : undefined;
}

interface Measured {
  readonly dataset: string;
  readonly kind: Kind;
  /** Monte Carlo samples of the two embeddings compared. */
  readonly samples: readonly [number, number];
  readonly distance: number;
  readonly note: string;
}

const unknown = wanted.filter((w) => !ENTRIES.some((e) => `${e.dataset}:${e.kind}` === w));
if (unknown.length > 0) {
  console.error(
    `unknown entries: ${unknown.join(', ')}; known: ${ENTRIES.map((e) => `${e.dataset}:${e.kind}`).join(', ')}`,
  );
  process.exit(2);
}
const chosen = ENTRIES.filter((e) => wanted.length === 0 || wanted.includes(`${e.dataset}:${e.kind}`));

const measured = new Map<string, Measured>();
try {
  for (const entry of chosen) {
    const [a, b] = sides(entry.kind, samples);
    const vectors: Float32Array[] = [];
    for (const side of [a, b]) vectors.push(shippedVector(entry, side) ?? (await embed(entry, side)));
    const d = distance(
      comparable({ datasetId: `${entry.dataset} (a)`, hessian: vectors[0]! }, probe),
      comparable({ datasetId: `${entry.dataset} (b)`, hessian: vectors[1]! }, probe),
      'task2vec_cosine',
    );
    measured.set(`${entry.dataset}:${entry.kind}`, {
      dataset: entry.dataset,
      kind: entry.kind,
      samples: [a.samples, b.samples],
      distance: Number(d.toFixed(4)),
      note: entry.note,
    });
    console.log(`${entry.dataset} ${entry.kind}: ${d.toFixed(4)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// Read only now, so that runs measuring different entries at once keep each other's.
const previous = existsSync(OUT)
  ? ((parse(readFileSync(OUT, 'utf8')) as { same_data?: Measured[] }).same_data ?? [])
  : [];
for (const m of previous) {
  const key = `${m.dataset}:${m.kind}`;
  if (!measured.has(key)) measured.set(key, m);
}
const file = {
  probe: anyShipped.provenance.probe.id,
  samples,
  computed: new Date().toISOString().slice(0, 10),
  command: `npm run build && node --import tsx scripts/embedding-noise.ts --samples ${samples}`,
  same_data: ENTRIES.map((e) => measured.get(`${e.dataset}:${e.kind}`)).filter((m) => m !== undefined),
};
writeFileSync(OUT, stringify(file, { lineWidth: 0 }));
console.log(`wrote ${OUT}`);
