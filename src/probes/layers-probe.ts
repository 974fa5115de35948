import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compileLayersModel } from './graph.js';
import { probeIdentityHash, type HashedWeight } from './identity.js';
import type { PixelScaling, Probe, ProbeInput, ProbeWeight, ProbeWeightKind } from './probe.js';

export interface LayersProbeMeta {
  readonly name: string;
  readonly architecture: string;
  readonly inputSize: number;
  readonly pixelScaling: PixelScaling;
}

type LayerLike = tfl.layers.Layer;
type Weighted = { readonly weight: ProbeWeight; readonly variable: tf.Tensor };

/** Nested functional models (a backbone inside a wrapper) are walked depth-first, in layer order. */
function flattenLayers(layers: readonly LayerLike[]): LayerLike[] {
  const out: LayerLike[] = [];
  for (const layer of layers) {
    const inner = (layer as Partial<tfl.LayersModel>).layers;
    if (Array.isArray(inner)) out.push(...flattenLayers(inner));
    else out.push(layer);
  }
  return out;
}

/** Which variable of a layer Task2Vec reads, and how many embedding entries it yields. */
function classify(
  className: string,
  variableName: string,
  shape: readonly number[],
): { kind: ProbeWeightKind; filters: number } | null {
  const leaf = variableName.slice(variableName.lastIndexOf('/') + 1);
  const dim = (i: number): number => shape[i] ?? 0;
  if (className === 'Conv2D' && leaf === 'kernel' && shape.length === 4) {
    return { kind: 'conv', filters: dim(3) };
  }
  if (className === 'DepthwiseConv2D' && leaf === 'depthwise_kernel' && shape.length === 4) {
    return { kind: 'depthwise', filters: dim(2) * dim(3) };
  }
  if (className === 'BatchNormalization' && leaf === 'gamma' && shape.length === 1) {
    return { kind: 'batchnorm', filters: dim(0) };
  }
  return null;
}

function collectProbeWeights(model: tfl.LayersModel): Weighted[] {
  const found: Weighted[] = [];
  for (const layer of flattenLayers(model.layers)) {
    const className = layer.getClassName();
    for (const lv of layer.weights) {
      const kind = classify(className, lv.originalName, lv.shape as number[]);
      if (kind === null) continue;
      found.push({
        weight: { name: lv.originalName, kind: kind.kind, shape: [...(lv.shape as number[])], filters: kind.filters },
        variable: lv.read(),
      });
    }
  }
  return found;
}

function hashedWeights(model: tfl.LayersModel): HashedWeight[] {
  return model.weights.map((lv) => {
    const values = lv.read().dataSync();
    return {
      name: lv.originalName,
      shape: lv.shape as number[],
      dtype: lv.dtype,
      bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    };
  });
}

/** Spatial outputs (a backbone cut before its pooling) are averaged over height and width. */
function toFeatures(output: tf.Tensor): tf.Tensor2D {
  if (output.rank === 2) return output as tf.Tensor2D;
  if (output.rank === 4) return tf.mean(output, [1, 2]) as tf.Tensor2D;
  throw new Error(`probe output has rank ${output.rank}; expected 2 (features) or 4 (feature maps)`);
}

/**
 * Wraps a LayersModel as a Probe. The probe shares the model's variables and disposes the
 * model with itself.
 */
export function probeFromLayersModel(model: tfl.LayersModel, meta: LayersProbeMeta): Probe {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `a probe needs one input and one output; ${model.name} has ${model.inputs.length} and ${model.outputs.length}`,
    );
  }
  const weighted = collectProbeWeights(model);
  if (weighted.length === 0) throw new Error(`${model.name} has no convolution, depthwise or batch-norm weights`);
  const topology = JSON.stringify(model.toJSON(null, false));
  const id = probeIdentityHash(topology, hashedWeights(model), meta.inputSize, meta.pixelScaling);
  const outShape = model.outputs[0]?.shape ?? [];
  const featureSize = outShape[outShape.length - 1];
  if (typeof featureSize !== 'number') throw new Error(`${model.name} has no fixed feature size`);
  const variables = weighted.map((w) => w.variable);

  const compiled = compileLayersModel(model);
  const forward = (x: ProbeInput): tf.Tensor2D =>
    toFeatures(compiled === null ? (model.apply(x, { training: false }) as tf.Tensor) : compiled(x));

  return {
    identity: {
      id,
      name: meta.name,
      architecture: meta.architecture,
      inputSize: meta.inputSize,
      pixelScaling: meta.pixelScaling,
    },
    weights: weighted.map((w) => w.weight),
    featureSize,
    features: (x) => tf.tidy(() => forward(x)),
    gradients: (x, loss) =>
      tf.tidy(() => {
        // The engine's own gradient entry point differentiates with respect to any tensor,
        // so weights a model marks as frozen still get their gradient.
        const { grads } = tf.engine().gradients(() => loss(forward(x)), variables, undefined, true);
        return grads.map((g, i) => g ?? tf.zerosLike(variables[i] as tf.Tensor));
      }),
    dispose: () => {
      model.dispose();
    },
  };
}
