/**
 * Entry point of one Task2Vec worker thread: its own compute backend and its own copy of the
 * probe; each message brings one unit of work with the pixels of its images.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initCompute, type BackendChoice } from '../compute/index.js';
import { loadProbe, type LayersProbeMeta } from '../probes/index.js';
import { embeddingLength } from './fisher.js';
import { timedInputs, units } from './engine.js';
import type { LabelledImages } from './images.js';
import type { PoolImageShape, PoolReply, PoolTask } from './pool-protocol.js';

interface Setup {
  readonly backend: BackendChoice;
  readonly folder: string;
  readonly meta: Partial<LayersProbeMeta>;
  readonly shape: PoolImageShape;
}

const port = parentPort;
if (port === null) throw new Error('the Task2Vec worker must run in a worker thread');
const setup = workerData as Setup;

const post = (reply: PoolReply): void => port.postMessage(reply);

try {
  await initCompute(setup.backend, () => {});
  const probe = await loadProbe(setup.folder, setup.meta);
  const clock = { ms: 0 };
  port.on('message', (task: PoolTask) => {
    try {
      const before = clock.ms;
      // The unit's images are the whole of this small dataset, in the unit's order.
      const batch: LabelledImages = {
        ...setup.shape,
        count: task.count,
        pixels: task.pixels,
        labels: new Int32Array(task.count),
      };
      const inputs = timedInputs(batch, probe.identity, clock);
      const order = Int32Array.from({ length: task.count }, (_, i) => i);
      const values =
        task.kind === 'features'
          ? units.features(probe, inputs, order)
          : task.kind === 'montecarlo'
            ? units.montecarlo(probe, inputs, order, task.head, task.labelSeed)
            : units.exact(probe, inputs, 0, task.head);
      post({ kind: 'done', unit: task.unit, values, preprocessMs: clock.ms - before });
    } catch (e) {
      post({ kind: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
  post({
    kind: 'ready',
    identity: probe.identity,
    featureSize: probe.featureSize,
    embeddingLength: embeddingLength(probe.weights),
  });
} catch (e) {
  post({ kind: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
