import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormActivation, NO_CLAMP, type Clamp } from '../compute/index.js';

/**
 * Runs a LayersModel made of the layers CNN backbones use (convolutions, batch norm, relu/relu6,
 * padding, add, global pooling, nested models) with plain tfjs ops instead of tfjs-layers:
 * batch norm and the activation after it become one op with its own gradient, and convolutions
 * are unfused so that no gradient is computed for the input image. Any other layer, or an
 * option outside this set, makes `compileLayersModel` return null and the caller uses
 * model.apply.
 */
export type Forward = (x: tf.Tensor) => tf.Tensor;

type Inbound = [string, number, number, unknown];
interface LayerConfig {
  readonly name: string;
  readonly class_name: string;
  readonly config: Record<string, unknown>;
  readonly inbound_nodes: Inbound[][];
}
interface GraphConfig {
  readonly layers: LayerConfig[];
  readonly input_layers: [string, number, number][];
  readonly output_layers: [string, number, number][];
}

type Step = (inputs: tf.Tensor[]) => tf.Tensor;

class Unsupported extends Error {}

function need(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Unsupported(what);
}

function pair(v: unknown): [number, number] {
  if (typeof v === 'number') return [v, v];
  need(Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number'), 'pair');
  return [v[0] as number, v[1] as number];
}

function weight(layer: tfl.layers.Layer, leaf: string): (() => tf.Tensor) | null {
  const lv = layer.weights.find((w) => w.originalName.slice(w.originalName.lastIndexOf('/') + 1) === leaf);
  return lv === undefined ? null : () => lv.read();
}

function channelsLast(cfg: Record<string, unknown>): void {
  need(cfg.data_format === undefined || cfg.data_format === 'channels_last', 'data_format');
}

function activationClamp(cls: string, cfg: Record<string, unknown>): Clamp | null {
  if (cls === 'ReLU') {
    const max = cfg.max_value;
    if ((cfg.negative_slope ?? 0) !== 0 || (cfg.threshold ?? 0) !== 0) return null;
    if (max === null || max === undefined) return { lower: 0, upper: Infinity };
    return typeof max === 'number' ? { lower: 0, upper: max } : null;
  }
  if (cls === 'Activation') {
    if (cfg.activation === 'relu') return { lower: 0, upper: Infinity };
    if (cfg.activation === 'relu6') return { lower: 0, upper: 6 };
  }
  return null;
}

function applyClamp(x: tf.Tensor, clamp: Clamp): tf.Tensor {
  const r = clamp.lower === 0 ? tf.relu(x) : x;
  return clamp.upper === Infinity ? r : tf.clipByValue(r, clamp.lower === 0 ? 0 : clamp.lower, clamp.upper);
}

function linearOrClamp(cfg: Record<string, unknown>): Clamp | null {
  const a = cfg.activation;
  if (a === undefined || a === null || a === 'linear') return null;
  const clamp = activationClamp('Activation', { activation: a });
  need(clamp !== null, `activation ${String(a)}`);
  return clamp;
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** `absorbed` is the zero padding of a ZeroPadding2D layer folded into this (valid) convolution. */
function convStep(
  layer: tfl.layers.Layer,
  cfg: Record<string, unknown>,
  depthwise: boolean,
  absorbed: Explicit | null,
): Step {
  channelsLast(cfg);
  const kernel = weight(layer, depthwise ? 'depthwise_kernel' : 'kernel');
  need(kernel !== null, 'kernel');
  const bias = cfg.use_bias === true ? weight(layer, 'bias') : null;
  need(cfg.use_bias !== true || bias !== null, 'bias');
  const strides = pair(cfg.strides ?? 1);
  const dilation = pair(cfg.dilation_rate ?? 1);
  const declared = cfg.padding;
  need(declared === 'same' || declared === 'valid', 'padding');
  need(absorbed === null || declared === 'valid', 'absorbed padding');
  const padding = absorbed ?? declared;
  const clamp = linearOrClamp(cfg);
  return ([x]) => {
    const x4 = x as tf.Tensor4D;
    const k = kernel() as tf.Tensor4D;
    let y: tf.Tensor = depthwise
      ? tf.depthwiseConv2d(x4, k, strides, padding, 'NHWC', dilation)
      : tf.conv2d(x4, k, strides, padding, 'NHWC', dilation);
    if (bias !== null) y = tf.add(y, bias());
    return clamp === null ? y : applyClamp(y, clamp);
  };
}

function batchNormStep(layer: tfl.layers.Layer, cfg: Record<string, unknown>, clamp: Clamp): Step {
  const axis = cfg.axis;
  need(
    axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3)),
    'axis',
  );
  const gamma = weight(layer, 'gamma');
  const beta = weight(layer, 'beta');
  const mean = weight(layer, 'moving_mean');
  const variance = weight(layer, 'moving_variance');
  need(mean !== null && variance !== null, 'moving statistics');
  const epsilon = typeof cfg.epsilon === 'number' ? cfg.epsilon : 1e-3;
  return ([x]) =>
    batchNormActivation(
      x as tf.Tensor4D,
      gamma === null ? null : (gamma() as tf.Tensor1D),
      {
        beta: beta === null ? null : (beta() as tf.Tensor1D),
        movingMean: mean() as tf.Tensor1D,
        movingVariance: variance() as tf.Tensor1D,
        epsilon,
      },
      clamp,
    );
}

function paddingAmounts(cfg: Record<string, unknown>): Explicit {
  channelsLast(cfg);
  const p = cfg.padding;
  let rows: [number, number];
  let cols: [number, number];
  if (typeof p === 'number') {
    rows = [p, p];
    cols = [p, p];
  } else {
    need(Array.isArray(p) && p.length === 2, 'padding');
    const [a, b] = p as unknown[];
    rows = typeof a === 'number' ? [a, a] : pair(a);
    cols = typeof b === 'number' ? [b, b] : pair(b);
  }
  return [[0, 0], rows, cols, [0, 0]];
}

function compileGraph(container: tfl.LayersModel, graph: GraphConfig): (inputs: tf.Tensor[]) => tf.Tensor {
  need(graph.output_layers.length === 1, 'outputs');
  const consumers = new Map<string, number>();
  for (const l of graph.layers) {
    need(l.inbound_nodes.length <= 1, 'shared layer');
    for (const [name] of l.inbound_nodes[0] ?? []) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  }
  for (const [name] of graph.output_layers) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const absorbed = new Set<string>();
  // A zero padding read only by a valid convolution becomes that convolution's explicit padding:
  // no padded copy of the activation is made, kept for backprop, or sliced in the backward pass.
  const paddingOf = new Map<string, Explicit>();
  const soleConsumer = (name: string): LayerConfig | undefined => {
    if (consumers.get(name) !== 1) return undefined;
    return graph.layers.find((o) => (o.inbound_nodes[0] ?? []).some(([n]) => n === name));
  };
  const steps: { name: string; inputs: string[]; run: Step }[] = [];
  for (const l of graph.layers) {
    // A nested model's call in this graph is its node 1 (node 0 is its own construction).
    const inputs = (l.inbound_nodes[0] ?? []).map(([name, , tensor]) => {
      need(tensor === 0, 'multi-output');
      return name;
    });
    const live = container.getLayer(l.name);
    const cfg = l.config;
    let run: Step;
    switch (l.class_name) {
      case 'InputLayer':
        continue;
      case 'ZeroPadding2D': {
        const amounts = paddingAmounts(cfg);
        const next = soleConsumer(l.name);
        if (
          next !== undefined &&
          (next.class_name === 'Conv2D' || next.class_name === 'DepthwiseConv2D') &&
          next.config.padding === 'valid'
        ) {
          paddingOf.set(next.name, amounts);
          run = ([x]) => x as tf.Tensor;
        } else {
          run = ([x]) => tf.pad(x as tf.Tensor4D, amounts);
        }
        break;
      }
      case 'Conv2D':
        run = convStep(live, cfg, false, paddingOf.get(l.name) ?? null);
        break;
      case 'DepthwiseConv2D':
        run = convStep(live, cfg, true, paddingOf.get(l.name) ?? null);
        break;
      case 'BatchNormalization': {
        const only = soleConsumer(l.name);
        const clamp = only === undefined ? null : activationClamp(only.class_name, only.config);
        if (only !== undefined && clamp !== null) absorbed.add(only.name);
        run = batchNormStep(live, cfg, clamp ?? NO_CLAMP);
        break;
      }
      case 'ReLU':
      case 'Activation': {
        if (absorbed.has(l.name)) {
          run = ([x]) => x as tf.Tensor;
          break;
        }
        const clamp =
          l.class_name === 'Activation' && cfg.activation === 'linear' ? NO_CLAMP : activationClamp(l.class_name, cfg);
        need(clamp !== null, `${l.class_name} ${String(cfg.activation ?? '')}`);
        run = ([x]) => applyClamp(x as tf.Tensor, clamp);
        break;
      }
      case 'Add':
        run = (xs) => (xs.length === 1 ? (xs[0] as tf.Tensor) : tf.addN(xs));
        break;
      case 'GlobalAveragePooling2D':
        channelsLast(cfg);
        need(cfg.keepdims !== true, 'keepdims');
        run = ([x]) => tf.mean(x as tf.Tensor, [1, 2]);
        break;
      case 'Model':
      case 'Functional': {
        const inner = compileGraph(live as unknown as tfl.LayersModel, cfg as unknown as GraphConfig);
        run = (xs) => inner(xs);
        break;
      }
      default:
        throw new Unsupported(l.class_name);
    }
    steps.push({ name: l.name, inputs, run });
  }
  need(
    graph.layers.every((l) => l.class_name !== 'InputLayer' || (l.inbound_nodes[0] ?? []).length === 0),
    'input',
  );
  const inputNames = graph.input_layers.map(([n]) => n);
  const outputName = graph.output_layers[0]?.[0] as string;
  need(byName.has(outputName), 'output');
  return (inputs) => {
    const values = new Map<string, tf.Tensor>();
    inputNames.forEach((n, i) => values.set(n, inputs[i] as tf.Tensor));
    for (const s of steps) {
      values.set(s.name, s.run(s.inputs.map((n) => values.get(n) as tf.Tensor)));
    }
    const out = values.get(outputName);
    need(out !== undefined, 'output value');
    return out;
  };
}

export function compileLayersModel(model: tfl.LayersModel): Forward | null {
  try {
    const json = model.toJSON(null, false) as unknown as { config: GraphConfig };
    const run = compileGraph(model, json.config);
    return (x) => run([x]);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}
