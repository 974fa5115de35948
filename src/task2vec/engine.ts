import type { Probe, ProbeIdentity, ProbeInput } from '../probes/index.js';
import type { Classifier } from './classifier.js';
import {
  embeddingLength,
  exactExample,
  microBatchSize,
  montecarloBatch,
  type InputBatch,
  type MontecarloPlan,
} from './fisher.js';
import type { LabelledImages } from './images.js';
import { preprocess } from './preprocess.js';
import { valuesOf } from './tensors.js';

/** Called once per finished unit (a batch, or one input for the exact Fisher), in any order. */
export type UnitDone = (unit: number, values: Float32Array, images: number) => void;

/**
 * Where the probe's forward and backward passes run. Units are independent and results are keyed
 * by unit, so an engine may run them in any order or in parallel. On the calling thread each call
 * has finished when it returns (`Done` is void); over worker threads it returns a promise.
 */
export interface Task2VecEngine<Done extends void | Promise<void> = Promise<void>> {
  readonly identity: ProbeIdentity;
  readonly featureSize: number;
  readonly embeddingLength: number;
  features(batches: readonly Int32Array[], done: UnitDone): Done;
  montecarlo(plan: MontecarloPlan, head: Classifier, done: UnitDone): Done;
  exact(count: number, head: Classifier, done: UnitDone): Done;
  /** Milliseconds spent preprocessing so far, summed over threads. */
  preprocessMs(): number;
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
  /**
   * Features do not depend on the other images of a batch (batch norm runs on its stored
   * statistics), so a batch goes through the probe a micro-batch at a time: the memory of one
   * micro-batch's activations, and the same features.
   */
  features: (probe: Probe, inputs: InputBatch, indices: Int32Array): Float32Array => {
    const micro = microBatchSize(probe.identity.inputSize, probe.identity.inputSize);
    const out = new Float32Array(indices.length * probe.featureSize);
    for (let start = 0; start < indices.length; start += micro) {
      const part = indices.subarray(start, start + micro);
      out.set(
        withInput(inputs, part, (x) => valuesOf(() => probe.features(x))),
        start * probe.featureSize,
      );
    }
    return out;
  },
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

/** The engine of a loaded probe on the calling thread: every unit has run when a call returns. */
export function localEngine(
  probe: Probe,
  inputs: InputBatch,
  preprocessMs: () => number = () => 0,
): Task2VecEngine<void> {
  return {
    identity: probe.identity,
    featureSize: probe.featureSize,
    embeddingLength: embeddingLength(probe.weights),
    features: (batches, done) =>
      batches.forEach((indices, k) => done(k, units.features(probe, inputs, indices), indices.length)),
    montecarlo: (plan, head, done) =>
      plan.batches.forEach((indices, k) =>
        done(k, units.montecarlo(probe, inputs, indices, head, plan.labelSeeds[k]!), indices.length),
      ),
    exact: (count, head, done) => {
      for (let i = 0; i < count; i++) done(i, units.exact(probe, inputs, i, head), 1);
    },
    preprocessMs,
  };
}
