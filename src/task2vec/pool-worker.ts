/**
 * Entry point of one Task2Vec worker thread: its own compute backend and its own copy of the
 * probe, the dataset's pixels shared with the parent, one unit of work per message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initCompute, type BackendChoice } from '../compute/index.js';
import { loadProbe, type LayersProbeMeta } from '../probes/index.js';
import { embeddingLength } from './fisher.js';
import { timedInputs, units } from './engine.js';
import type { LabelledImages } from './images.js';
import type { PoolReply, PoolTask } from './pool-protocol.js';

interface Setup {
  readonly backend: BackendChoice;
  readonly folder: string;
  readonly meta: Partial<LayersProbeMeta>;
  readonly images: LabelledImages;
}

const port = parentPort;
if (port === null) throw new Error('the Task2Vec worker must run in a worker thread');
const setup = workerData as Setup;

const post = (reply: PoolReply): void => port.postMessage(reply);

try {
  await initCompute(setup.backend, () => {});
  const probe = await loadProbe(setup.folder, setup.meta);
  const clock = { ms: 0 };
  const inputs = timedInputs(setup.images, probe.identity, clock);
  port.on('message', (task: PoolTask) => {
    try {
      const before = clock.ms;
      const values =
        task.kind === 'features'
          ? units.features(probe, inputs, task.indices)
          : task.kind === 'montecarlo'
            ? units.montecarlo(probe, inputs, task.indices, task.head, task.labelSeed)
            : units.exact(probe, inputs, task.index, task.head);
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
