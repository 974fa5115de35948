import type { Probe, ProbeIdentity, ProbeInput } from '../probes/index.js';
import type { Classifier } from './classifier.js';
import { exactExample, montecarloBatch, type InputBatch, type MontecarloPlan } from './fisher.js';
import type { LabelledImages } from './images.js';
import { preprocess } from './preprocess.js';
import { valuesOf } from './tensors.js';

/** Called once per finished unit (a batch, or one input for the exact Fisher), in any order. */
export type UnitDone = (unit: number, values: Float32Array, images: number) => void;

/**
 * Where the probe's forward and backward passes run when not on the calling thread. Units are
 * independent and results are keyed by unit, so an engine may run them in any order or in parallel.
 */
export interface Task2VecEngine {
  readonly identity: ProbeIdentity;
  readonly featureSize: number;
  readonly embeddingLength: number;
  features(batches: readonly Int32Array[], done: UnitDone): Promise<void>;
  montecarlo(plan: MontecarloPlan, head: Classifier, done: UnitDone): Promise<void>;
  exact(count: number, head: Classifier, done: UnitDone): Promise<void>;
  /** Milliseconds spent preprocessing so far, summed over threads. */
  preprocessMs(): number;
  close(): Promise<void>;
}

/** Preprocessing on demand, timed: images stay uint8 until a batch needs them. */
export function timedInputs(images: LabelledImages, identity: ProbeIdentity, clock: { ms: number }): InputBatch {
  return (indices) => {
    const t0 = performance.now();
    const x: ProbeInput = preprocess(images, indices, identity);
    clock.ms += performance.now() - t0;
    return x;
  };
}

function withInput<T>(inputs: InputBatch, indices: Int32Array, f: (x: ProbeInput) => T): T {
  const x = inputs(indices);
  try {
    return f(x);
  } finally {
    x.dispose();
  }
}

/** The work of one unit, shared by `embed` on the calling thread and by the pool's workers. */
export const units = {
  features: (probe: Probe, inputs: InputBatch, indices: Int32Array): Float32Array =>
    withInput(inputs, indices, (x) => valuesOf(() => probe.features(x))),
  montecarlo: (
    probe: Probe,
    inputs: InputBatch,
    indices: Int32Array,
    head: Classifier,
    labelSeed: number,
  ): Float32Array => withInput(inputs, indices, (x) => montecarloBatch(probe, x, head, labelSeed)),
  exact: (probe: Probe, inputs: InputBatch, index: number, head: Classifier): Float32Array =>
    withInput(inputs, Int32Array.of(index), (x) => exactExample(probe, x, head)),
};
