/**
 * The full Task2Vec pipeline (preprocess, feature cache, head, Monte Carlo Fisher) on 500
 * BreastMNIST images with the bundled probe, at 224 px and 96 px, batch 50, 500 Fisher samples,
 * then the PyTorch CPU reference of the same pipeline (bench/task2vec_reference.py) in the same run,
 * on the same images, network and thread count, so that the ratio is measured under one machine load.
 * The reference needs torch in /usr/bin/python3 (Debian: apt-get install -y python3-torch); without
 * it the comparison is skipped, saying so.
 *
 * Run: npm run bench:task2vec   (TA_BACKEND picks the backend, default auto; TASK2VEC_WORKERS the
 * number of worker threads and of torch threads, default one per core)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { initCompute } from '../src/compute/index.js';
import { defaultProbeFolder } from '../src/probes/index.js';
import { embedParallel, type Task2VecStage } from '../src/task2vec/index.js';
import { readNpzImages } from '../test/task2vec/helpers/npz.js';

const IMAGES = 500;
const SIZES = [224, 96];
const OPTIONS = { batchSize: 50, samples: IMAGES, seed: 0 } as const;
const WORKERS = Number(process.env.TASK2VEC_WORKERS ?? availableParallelism());

const backend = await initCompute();
const NPZ = '../shared/datasets/breastmnist_28.npz';
const PYTHON = '/usr/bin/python3';

interface ReferenceRun {
  inputSize: number;
  totalSeconds: number;
  stagesSeconds: { preprocess: number; features: number; classifier: number; fisher: number };
  embeddingLength: number;
}

/** The PyTorch runs, or why there are none. */
function pytorchReference(): { torch: string; threads: number; runs: ReferenceRun[] } | { skipped: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) {
    return { skipped: `${PYTHON} has no torch (on Debian: apt-get install -y python3-torch)` };
  }
  const args = ['bench/task2vec_reference.py', '--npz', NPZ, '--probe', defaultProbeFolder()];
  args.push('--images', String(IMAGES), '--sizes', SIZES.join(','), '--threads', String(WORKERS));
  args.push(
    '--batch-size',
    String(OPTIONS.batchSize),
    '--samples',
    String(OPTIONS.samples),
    '--seed',
    String(OPTIONS.seed),
  );
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 30 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) return { skipped: `the reference failed (${r.error?.message ?? `exit ${r.status}`})` };
  return JSON.parse(r.stdout) as { torch: string; threads: number; runs: ReferenceRun[] };
}

const images = readNpzImages(NPZ, 'train', IMAGES);
const runs = [];
for (const size of SIZES) {
  let shown: Task2VecStage | null = null;
  const e = await embedParallel({ folder: defaultProbeFolder(), meta: { inputSize: size } }, images, OPTIONS, {
    workers: WORKERS,
    onProgress: (p) => {
      if (p.done === p.total || p.stage !== shown) {
        process.stderr.write(`  ${size}px ${p.stage}: ${p.done}/${p.total} at ${p.imagesPerSecond.toFixed(1)}/s\n`);
        shown = p.stage;
      }
    },
  });
  const s = (ms: number): number => Math.round(ms) / 1000;
  const run = {
    inputSize: size,
    // Other processes on the machine slow every stage; the one-minute load average tells when.
    loadAverageAfter: Number(loadavg()[0]!.toFixed(2)),
    images: IMAGES,
    totalSeconds: s(e.durationMs),
    stagesSeconds: {
      preprocess: s(e.stages.preprocessMs),
      features: s(e.stages.featuresMs),
      classifier: s(e.stages.classifierMs),
      fisher: s(e.stages.fisherMs),
    },
    embeddingLength: e.hessian.length,
    hessianSum: e.hessian.reduce((a, b) => a + b, 0),
  };
  console.log(
    `${size}px: total ${run.totalSeconds} s (preprocess ${run.stagesSeconds.preprocess}, features ${run.stagesSeconds.features}, ` +
      `head ${run.stagesSeconds.classifier}, Fisher ${run.stagesSeconds.fisher}); ` +
      `${WORKERS} worker${WORKERS === 1 ? '' : 's'}, load average ${run.loadAverageAfter}`,
  );
  runs.push(run);
}

const reference = pytorchReference();
if ('skipped' in reference) {
  console.log(`PyTorch reference skipped: ${reference.skipped}`);
} else {
  for (const run of runs) {
    const torchRun = reference.runs.find((r) => r.inputSize === run.inputSize)!;
    const t = torchRun.stagesSeconds;
    const ratio = (ours: number, theirs: number): string => `${(ours / theirs).toFixed(2)}x`;
    console.log(
      `${run.inputSize}px PyTorch ${reference.torch}, ${reference.threads} thread${reference.threads === 1 ? '' : 's'}: ` +
        `total ${torchRun.totalSeconds.toFixed(3)} s (preprocess ${t.preprocess.toFixed(3)}, features ${t.features.toFixed(3)}, ` +
        `head ${t.classifier.toFixed(3)}, Fisher ${t.fisher.toFixed(3)}); ours/PyTorch: total ${ratio(run.totalSeconds, torchRun.totalSeconds)}, ` +
        `Fisher ${ratio(run.stagesSeconds.fisher, t.fisher)}, load average ${loadavg()[0]!.toFixed(2)}`,
    );
    if (torchRun.embeddingLength !== run.embeddingLength) {
      throw new Error(
        `the reference's embedding has ${torchRun.embeddingLength} entries, ours ${run.embeddingLength}: not the same network`,
      );
    }
  }
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/task2vec.json',
  `${JSON.stringify({ date: new Date().toISOString(), backend, workers: WORKERS, options: OPTIONS, dataset: images.id, runs, pytorch: reference }, null, 2)}\n`,
);
console.log('written bench/results/task2vec.json');
