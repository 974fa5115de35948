import { Worker } from 'node:worker_threads';
import type { BackendChoice } from '../compute/index.js';
import type { LayersProbeMeta, ProbeIdentity } from '../probes/index.js';
import type { Classifier } from './classifier.js';
import type { Task2VecEngine, UnitDone } from './engine.js';
import type { StreamedImages } from '../images/index.js';
import type { PoolImageShape, PoolReply, PoolTask } from './pool-protocol.js';
import { workerSource } from '../worker-source.js';

/** A probe that each worker thread loads for itself: a LayersModel folder, as loadProbe reads it. */
export interface ProbeSource {
  readonly folder: string;
  readonly meta?: Partial<LayersProbeMeta>;
}

interface Slot {
  readonly worker: Worker;
  onReply: (reply: PoolReply) => void;
  onFailure: (error: Error) => void;
}

function start(setup: unknown): Slot {
  const slot: Slot = {
    worker: new Worker(workerSource(import.meta.url, 'pool-worker'), { eval: true, workerData: setup }),
    onReply: () => {},
    onFailure: () => {},
  };
  slot.worker.on('message', (reply: PoolReply) => slot.onReply(reply));
  slot.worker.on('error', (e) => slot.onFailure(e));
  slot.worker.on('exit', (code) => slot.onFailure(new Error(`a Task2Vec worker exited with code ${code}`)));
  return slot;
}

function ready(slot: Slot): Promise<Extract<PoolReply, { kind: 'ready' }>> {
  return new Promise((resolve, reject) => {
    slot.onFailure = reject;
    slot.onReply = (reply) => {
      if (reply.kind === 'ready') resolve(reply);
      else
        reject(
          new Error(
            reply.kind === 'failed'
              ? `a Task2Vec worker failed to start: ${reply.message}`
              : 'a Task2Vec worker answered before it was ready',
          ),
        );
    };
  });
}

/** A unit of work before its pixels are read: which images it needs, and the rest of its message. */
type PendingTask = { readonly indices: ArrayLike<number> } & (
  | { readonly kind: 'features'; readonly unit: number }
  | { readonly kind: 'montecarlo'; readonly unit: number; readonly head: Classifier; readonly labelSeed: number }
  | { readonly kind: 'exact'; readonly unit: number; readonly head: Classifier }
);

/** The message for a unit, its pixels handed over to the worker rather than copied. */
function message(task: PendingTask, pixels: Uint8Array): { task: PoolTask; transfer: ArrayBuffer[] } {
  const { indices, ...rest } = task;
  const owned = pixels.byteOffset === 0 && pixels.byteLength === pixels.buffer.byteLength;
  const transfer = owned && pixels.buffer instanceof ArrayBuffer ? [pixels.buffer] : [];
  return { task: { ...rest, count: indices.length, pixels } as PoolTask, transfer };
}

/**
 * An engine over `count` worker threads, each with its own backend and probe: the wasm backend
 * runs one thread per module under Node, so separate workers are how several cores are used.
 * Units go to whichever worker is free, each with the pixels of its images read just before it is
 * sent, so memory holds the batches in flight and never the dataset; results are keyed by unit, so
 * the embedding does not depend on the number of workers.
 */
export async function poolEngine(
  source: ProbeSource,
  images: StreamedImages,
  count: number,
  backend: BackendChoice,
): Promise<Task2VecEngine & { close(): Promise<void> }> {
  const shape: PoolImageShape = {
    id: images.id,
    height: images.height,
    width: images.width,
    channels: images.channels,
  };
  const setup = { backend, folder: source.folder, meta: source.meta ?? {}, shape };
  const slots = Array.from({ length: count }, () => start(setup));
  const terminate = async (): Promise<void> => {
    for (const s of slots) {
      s.onFailure = () => {};
      s.onReply = () => {};
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  };
  let identity: ProbeIdentity;
  let featureSize: number;
  let length: number;
  try {
    const answers = await Promise.all(slots.map(ready));
    const first = answers[0]!;
    for (const a of answers) {
      if (a.identity.id !== first.identity.id)
        throw new Error(`Task2Vec workers loaded different probes from ${source.folder}`);
    }
    identity = first.identity;
    featureSize = first.featureSize;
    length = first.embeddingLength;
  } catch (e) {
    await terminate();
    throw e;
  }

  let preprocessMs = 0;
  const run = (tasks: readonly PendingTask[], sizes: readonly number[], done: UnitDone): Promise<void> =>
    new Promise((resolve, reject) => {
      let next = 0;
      let finished = 0;
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        reject(e);
      };
      const feed = (slot: Slot): void => {
        const task = tasks[next];
        if (task === undefined || failed) return;
        next += 1;
        images.read(task.indices).then((pixels) => {
          if (failed) return;
          const { task: sent, transfer } = message(task, pixels);
          slot.worker.postMessage(sent, transfer);
        }, fail);
      };
      for (const slot of slots) {
        slot.onFailure = fail;
        slot.onReply = (reply) => {
          if (reply.kind !== 'done')
            return fail(
              new Error(
                reply.kind === 'failed' ? `a Task2Vec worker failed: ${reply.message}` : 'unexpected worker message',
              ),
            );
          preprocessMs += reply.preprocessMs;
          try {
            done(reply.unit, reply.values, sizes[reply.unit]!);
          } catch (e) {
            return fail(e as Error);
          }
          finished += 1;
          if (finished === tasks.length) resolve();
          else feed(slot);
        };
      }
      if (tasks.length === 0) resolve();
      else slots.forEach(feed);
    });

  return {
    identity,
    featureSize,
    embeddingLength: length,
    features: (batches, done) =>
      run(
        batches.map((indices, unit) => ({ kind: 'features', unit, indices })),
        batches.map((b) => b.length),
        done,
      ),
    montecarlo: (plan, head, done) =>
      run(
        plan.batches.map((indices, unit) => ({
          kind: 'montecarlo',
          unit,
          indices,
          head,
          labelSeed: plan.labelSeeds[unit]!,
        })),
        plan.batches.map((b) => b.length),
        done,
      ),
    exact: (n, head, done) =>
      run(
        Array.from({ length: n }, (_, unit) => ({ kind: 'exact', unit, indices: [unit], head })),
        new Array<number>(n).fill(1),
        done,
      ),
    preprocessMs: () => preprocessMs,
    close: terminate,
  };
}
