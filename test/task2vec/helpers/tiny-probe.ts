import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { probeFromLayersModel } from '../../../src/probes/index.js';
import type { Probe } from '../../../src/probes/probe.js';
import type { Classifier } from '../../../src/task2vec/classifier.js';

type Nested = number | Nested[];

export interface TinyFixture {
  readonly weights: Record<string, Nested>;
  readonly inputs_nhwc: Nested[];
  readonly probabilities: number[][];
  readonly fisher_per_filter: Record<string, number[]>;
  readonly fisher_order: string[];
}

export function readTinyFixture(): TinyFixture {
  return JSON.parse(readFileSync('../shared/fixtures/task2vec/exact_fisher_tiny.json', 'utf8')) as TinyFixture;
}

const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

/** The fixture's probe as its architecture list describes it, up to the pooled features; fc is the head. */
export function tinyProbe(fx: TinyFixture): Probe {
  return probeFromLayersModel(tinyModel(fx), {
    name: 'tiny-fixture',
    architecture: 'tiny',
    inputSize: 13,
    pixelScaling: 'zero1',
  });
}

function tinyModel(fx: TinyFixture): tfl.LayersModel {
  const w = (name: string, shape: number[]): tf.Tensor => {
    const values = fx.weights[name];
    if (values === undefined) throw new Error(`fixture has no weight ${name}`);
    return tf.tensor(flat(values), shape);
  };
  const input = tfl.input({ shape: [13, 13, 3] });
  const conv1 = tfl.layers.conv2d({ name: 'conv1', filters: 6, kernelSize: 3, padding: 'same', useBias: true });
  const bn1 = tfl.layers.batchNormalization({ name: 'bn1', epsilon: 1e-5 });
  const conv2 = tfl.layers.conv2d({
    name: 'conv2',
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
  });
  const dw3 = tfl.layers.depthwiseConv2d({
    name: 'dw3',
    kernelSize: 3,
    depthMultiplier: 1,
    padding: 'same',
    useBias: true,
  });
  let x = conv1.apply(input) as tfl.SymbolicTensor;
  x = bn1.apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = conv2.apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  x = dw3.apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU().apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: out, name: 'tiny' });
  const set = (layer: tfl.layers.Layer, tensors: tf.Tensor[]): void => {
    layer.setWeights(tensors);
    tf.dispose(tensors);
  };
  set(conv1, [w('conv1.kernel', [3, 3, 3, 6]), w('conv1.bias', [6])]);
  set(bn1, [w('bn1.gamma', [6]), w('bn1.beta', [6]), w('bn1.moving_mean', [6]), w('bn1.moving_variance', [6])]);
  set(conv2, [w('conv2.kernel', [3, 3, 6, 8])]);
  set(dw3, [w('dw3.depthwise_kernel', [3, 3, 8, 1]), w('dw3.bias', [8])]);
  return model;
}

export function tinyHead(fx: TinyFixture): Classifier {
  const kernel = fx.weights['fc.kernel'];
  const bias = fx.weights['fc.bias'];
  if (kernel === undefined || bias === undefined) throw new Error('fixture has no fc head');
  return {
    featureSize: 8,
    classCount: 4,
    kernel: Float32Array.from(flat(kernel)),
    bias: Float32Array.from(flat(bias)),
  };
}

export function tinyInputs(fx: TinyFixture): tf.Tensor4D {
  return tf.tensor4d(flat(fx.inputs_nhwc), [fx.inputs_nhwc.length, 13, 13, 3]);
}

export function expectedFisher(fx: TinyFixture): number[] {
  return fx.fisher_order.flatMap((name) => fx.fisher_per_filter[name] ?? []);
}

/** Writes the fixture's probe as a LayersModel folder with its probe.json, as loadProbe reads it. */
export async function saveTinyProbeFolder(fx: TinyFixture, folder: string): Promise<void> {
  const model = tinyModel(fx);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData;
      if (weights === undefined || Array.isArray(weights)) throw new Error('expected one weight buffer');
      writeFileSync(join(folder, 'weights.bin'), new Uint8Array(weights));
      writeFileSync(
        join(folder, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
      );
      writeFileSync(
        join(folder, 'probe.json'),
        JSON.stringify({ name: 'tiny-fixture', architecture: 'tiny', inputSize: 13, pixelScaling: 'zero1' }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
}
