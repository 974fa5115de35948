import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initCompute } from '../../src/compute/index.js';
import { relativeError, runOn, seeded } from './grid.js';

await initCompute('wasm');

const TOLERANCE = 1e-4;
/** MobileNets pad by one row and column at the bottom right before strided valid convolutions. */
const BOTTOM_RIGHT: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [0, 1],
  [0, 1],
  [0, 0],
];
type Pad = 'same' | 'valid' | typeof BOTTOM_RIGHT;

interface Case {
  readonly batch: number;
  readonly size: number;
  readonly filter: number;
  readonly stride: number;
  readonly pad: Pad;
}

function grid(): Case[] {
  const out: Case[] = [];
  for (const batch of [1, 5]) {
    for (const size of [7, 8]) {
      for (const filter of [1, 3]) {
        for (const stride of [1, 2]) {
          for (const pad of ['same', 'valid', BOTTOM_RIGHT] as const) out.push({ batch, size, filter, stride, pad });
        }
      }
    }
  }
  return out;
}

const label = (c: Case, extra: string): string =>
  `b${c.batch} ${c.size}px ${c.filter}x${c.filter} s${c.stride} ${typeof c.pad === 'string' ? c.pad : 'pad-bottom-right'} ${extra}`;
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

async function outputShape(kind: 'conv' | 'depthwise', x: number[], f: number[], c: Case): Promise<number[]> {
  await tf.setBackend('cpu');
  return tf.tidy(() => {
    const xt = tf.zeros(x as [number, number, number, number]) as tf.Tensor4D;
    const ft = tf.zeros(f as [number, number, number, number]) as tf.Tensor4D;
    return (kind === 'conv' ? tf.conv2d(xt, ft, c.stride, c.pad) : tf.depthwiseConv2d(xt, ft, c.stride, c.pad)).shape;
  });
}

async function compare(
  kernel: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: object,
  what: string,
): Promise<void> {
  const expected = await runOn('cpu', kernel, inputs, attrs);
  const actual = await runOn('wasm', kernel, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const err = relativeError(actual.values, expected.values);
  assert.ok(err < TOLERANCE, `${what}: relative error ${err}`);
}

test('Conv2DBackpropFilter and Conv2DBackpropInput on wasm match the cpu backend over the shape grid', async () => {
  let seed = 1;
  for (const c of grid()) {
    for (const [ci, co] of [
      [3, 8],
      [12, 5],
    ] as const) {
      const xShape = [c.batch, c.size, c.size, ci];
      const fShape = [c.filter, c.filter, ci, co];
      const dyShape = await outputShape('conv', xShape, fShape, c);
      const x = { shape: xShape, values: seeded(size(xShape), seed++) };
      const f = { shape: fShape, values: seeded(size(fShape), seed++) };
      const dy = { shape: dyShape, values: seeded(size(dyShape), seed++) };
      const common = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      await compare(
        tf.Conv2DBackpropFilter,
        { x, dy },
        { ...common, filterShape: fShape },
        label(c, `filter ${ci}->${co}`),
      );
      await compare(
        tf.Conv2DBackpropInput,
        { dy, filter: f },
        { ...common, inputShape: xShape },
        label(c, `input ${ci}->${co}`),
      );
    }
  }
});

test('depthwise backprop kernels on wasm match the cpu backend over the shape grid, with channel multipliers', async () => {
  let seed = 1000;
  for (const c of grid()) {
    for (const [channels, multiplier] of [
      [6, 1],
      [8, 1],
      [6, 2],
    ] as const) {
      const xShape = [c.batch, c.size, c.size, channels];
      const fShape = [c.filter, c.filter, channels, multiplier];
      const dyShape = await outputShape('depthwise', xShape, fShape, c);
      const x = { shape: xShape, values: seeded(size(xShape), seed++) };
      const f = { shape: fShape, values: seeded(size(fShape), seed++) };
      const dy = { shape: dyShape, values: seeded(size(dyShape), seed++) };
      const common = { strides: [c.stride, c.stride], pad: c.pad, dilations: [1, 1], dimRoundingMode: undefined };
      await compare(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x, dy },
        { ...common, filterShape: fShape },
        label(c, `filter ${channels}ch x${multiplier}`),
      );
      await compare(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy, filter: f },
        { ...common, inputShape: xShape },
        label(c, `input ${channels}ch x${multiplier}`),
      );
    }
  }
});

test('pointwise filter gradients (outer-product and matMul paths, both operand orders) match cpu', async () => {
  // Up to 8 channels on a side: outer products (either side). Otherwise matMul after a transpose,
  // SIMD for 4x20x20 pixels (a multiple of 16), typed-array for 3x7x7.
  const cases = [
    [8, 48, 4, 20],
    [48, 8, 4, 20],
    [12, 4, 3, 7],
    [4, 12, 3, 7],
    [12, 16, 4, 20],
    [20, 12, 4, 20],
    [12, 16, 3, 7],
    [20, 12, 3, 7],
  ] as const;
  for (const [ci, co, b, s] of cases) {
    const xShape = [b, s, s, ci];
    const dyShape = [b, s, s, co];
    const x = { shape: xShape, values: seeded(size(xShape), ci) };
    const dy = { shape: dyShape, values: seeded(size(dyShape), co) };
    await compare(
      tf.Conv2DBackpropFilter,
      { x, dy },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 1, ci, co] },
      `pointwise ${ci}->${co}`,
    );
  }
});

test('replaced forward kernels (batch norm, identity, pad, slice) match cpu', async () => {
  const x = { shape: [3, 5, 5, 7], values: seeded(525, 11) };
  // 7 channels takes the typed-array path, 8 the SIMD one.
  for (const c of [7, 8]) {
    const xc = { shape: [3, 5, 5, c], values: seeded(75 * c, 11 + c) };
    const vec = (seed: number, positive = false): { shape: number[]; values: Float32Array } => ({
      shape: [c],
      values: seeded(c, seed).map((v) => (positive ? Math.abs(v) + 0.1 : v)),
    });
    await compare(
      tf.FusedBatchNorm,
      { x: xc, mean: vec(1), variance: vec(2, true), scale: vec(3), offset: vec(4) },
      { varianceEpsilon: 1e-3 },
      `batch norm ${c}ch`,
    );
    await compare(
      tf.FusedBatchNorm,
      { x: xc, mean: vec(5), variance: vec(6, true) },
      { varianceEpsilon: 1e-3 },
      `batch norm ${c}ch without scale and offset`,
    );
  }
  await compare(tf.Identity, { x }, {}, 'identity');
  await compare(
    tf.PadV2,
    { x },
    {
      paddings: [
        [0, 0],
        [0, 1],
        [2, 1],
        [0, 0],
      ],
      constantValue: 0,
    },
    'pad',
  );
  await compare(
    tf.PadV2,
    { x },
    {
      paddings: [
        [1, 0],
        [0, 0],
        [0, 0],
        [1, 2],
      ],
      constantValue: 1.5,
    },
    'pad channels',
  );
  await compare(tf.Slice, { x }, { begin: [0, 1, 0, 0], size: [3, 4, 5, 7] }, 'slice rows');
  await compare(tf.Slice, { x }, { begin: [1, 1, 2, 3], size: [2, -1, 2, 3] }, 'slice box');
});

test('gradients of batch norm and clipping (overridden on wasm) match cpu', async () => {
  const xv = seeded(4 * 6 * 6 * 5, 21).map((v) => v * 8);
  const run = async (backend: string): Promise<Float32Array[]> => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.tensor4d(xv, [4, 6, 6, 5]);
      const mean = tf.tensor1d([0.1, -0.2, 0.3, 0, 1]);
      const variance = tf.tensor1d([1, 0.5, 2, 0.1, 3]);
      const scale = tf.tensor1d([1.5, -1, 0.5, 2, 1]);
      const offset = tf.tensor1d([0, 0.1, -0.1, 0.2, 0]);
      const r = tf.tensor4d(seeded(720, 22), [4, 6, 6, 5]);
      const f = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.clipByValue(tf.batchNorm(a, m, v, o, s, 1e-3), -1, 2), r));
      const grads = tf.grads(f)([x, mean, variance, scale, offset]);
      return grads.map((g) => g.dataSync() as Float32Array).map((v) => Float32Array.from(v));
    });
  };
  const expected = await run('cpu');
  const actual = await run('wasm');
  ['x', 'mean', 'variance', 'scale', 'offset'].forEach((name, i) => {
    const err = relativeError(actual[i] as Float32Array, expected[i] as Float32Array);
    assert.ok(err < TOLERANCE, `d/d${name}: relative error ${err}`);
  });
});
