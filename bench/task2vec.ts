/**
 * The full Task2Vec pipeline (preprocess, feature cache, head, Monte Carlo Fisher) on 500
 * BreastMNIST images with the bundled probe, at 224 px and 96 px, batch 50, 500 Fisher samples.
 * For scale: the PyTorch CPU reference of the same pipeline on a 2-core machine takes about 22 s
 * at 224 px (15 s of it the Fisher pass) and about 3.7 s at 96 px.
 *
 * Run: npm run bench:task2vec   (TA_BACKEND picks the backend, default auto; TASK2VEC_WORKERS the
 * number of worker threads, default one per core)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { initCompute } from '../src/compute/index.js';
import { defaultProbeFolder } from '../src/probes/index.js';
import { embedParallel, type Task2VecStage } from '../src/task2vec/index.js';
import { readNpzImages } from '../test/task2vec/helpers/npz.js';

const IMAGES = 500;
const SIZES = [224, 96];
const OPTIONS = { batchSize: 50, samples: IMAGES, seed: 0 } as const;
const REFERENCE_SECONDS: Record<number, number> = { 224: 22, 96: 3.7 };
const WORKERS = Number(process.env.TASK2VEC_WORKERS ?? availableParallelism());

const backend = await initCompute();
const images = readNpzImages('../shared/datasets/breastmnist_28.npz', 'train', IMAGES);
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
    pytorchReferenceSeconds: REFERENCE_SECONDS[size],
    embeddingLength: e.hessian.length,
    hessianSum: e.hessian.reduce((a, b) => a + b, 0),
  };
  console.log(
    `${size}px: total ${run.totalSeconds} s (preprocess ${run.stagesSeconds.preprocess}, features ${run.stagesSeconds.features}, ` +
      `head ${run.stagesSeconds.classifier}, Fisher ${run.stagesSeconds.fisher}); PyTorch reference ~${run.pytorchReferenceSeconds} s; ` +
      `${WORKERS} worker${WORKERS === 1 ? '' : 's'}, load average ${run.loadAverageAfter}`,
  );
  runs.push(run);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/task2vec.json',
  `${JSON.stringify({ date: new Date().toISOString(), backend, workers: WORKERS, options: OPTIONS, dataset: images.id, runs }, null, 2)}\n`,
);
console.log('written bench/results/task2vec.json');
