import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { initCompute } from '../../src/compute/index.js';
import { batchNormActivation, NO_CLAMP } from '../../src/compute/batch-norm-activation.js';
import { defaultProbeFolder, readLayersArtifacts } from '../../src/probes/index.js';
import { relativeError, seeded } from './grid.js';

await initCompute('wasm');

/** Weights of MobileNetV2-0.35's block_2 (expand 8->48, depthwise 3x3, project 48->8, residual add). */
async function block2Weights(): Promise<Map<string, Float32Array>> {
  const model = await tfl.loadLayersModel(tf.io.fromMemory(readLayersArtifacts(defaultProbeFolder())));
  const backbone = model.getLayer('model2') as unknown as tfl.LayersModel;
  const out = new Map<string, Float32Array>();
  for (const name of [
    'block_2_expand',
    'block_2_expand_BN',
    'block_2_depthwise',
    'block_2_depthwise_BN',
    'block_2_project',
    'block_2_project_BN',
  ]) {
    for (const w of backbone.getLayer(name).weights) out.set(w.originalName, Float32Array.from(w.read().dataSync()));
  }
  model.dispose();
  return out;
}

const RELU6 = { lower: 0, upper: 6 };

async function blockGradients(
  backend: string,
  weights: Map<string, Float32Array>,
  xValues: Float32Array,
): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const names = ['x', 'expand', 'expand_gamma', 'depthwise', 'depthwise_gamma', 'project', 'project_gamma'];
  const values = tf.tidy(() => {
    const t = (name: string, shape: number[]): tf.Tensor => tf.tensor(weights.get(name) as Float32Array, shape);
    const bn = (prefix: string, c: number) => ({
      gamma: t(`${prefix}/gamma`, [c]) as tf.Tensor1D,
      params: {
        beta: t(`${prefix}/beta`, [c]) as tf.Tensor1D,
        movingMean: t(`${prefix}/moving_mean`, [c]) as tf.Tensor1D,
        movingVariance: t(`${prefix}/moving_variance`, [c]) as tf.Tensor1D,
        epsilon: 1e-3,
      },
    });
    const e = bn('block_2_expand_BN', 48);
    const d = bn('block_2_depthwise_BN', 48);
    const p = bn('block_2_project_BN', 8);
    const x = tf.tensor4d(xValues, [3, 14, 14, 8]);
    const wExpand = t('block_2_expand/kernel', [1, 1, 8, 48]) as tf.Tensor4D;
    const wDepth = t('block_2_depthwise/depthwise_kernel', [3, 3, 48, 1]) as tf.Tensor4D;
    const wProject = t('block_2_project/kernel', [1, 1, 48, 8]) as tf.Tensor4D;
    const probe = tf.tensor4d(seeded(3 * 14 * 14 * 8, 77), [3, 14, 14, 8]);
    const loss = (
      input: tf.Tensor,
      we: tf.Tensor,
      ge: tf.Tensor,
      wd: tf.Tensor,
      gd: tf.Tensor,
      wp: tf.Tensor,
      gp: tf.Tensor,
    ): tf.Scalar => {
      const h1 = batchNormActivation(
        tf.conv2d(input as tf.Tensor4D, we as tf.Tensor4D, 1, 'same'),
        ge as tf.Tensor1D,
        e.params,
        RELU6,
      );
      const h2 = batchNormActivation(
        tf.depthwiseConv2d(h1, wd as tf.Tensor4D, 1, 'same'),
        gd as tf.Tensor1D,
        d.params,
        RELU6,
      );
      const h3 = batchNormActivation(
        tf.conv2d(h2, wp as tf.Tensor4D, 1, 'same'),
        gp as tf.Tensor1D,
        p.params,
        NO_CLAMP,
      );
      return tf.sum(tf.mul(tf.add(input, h3), probe));
    };
    const grads = tf.grads(loss)([x, wExpand, e.gamma, wDepth, d.gamma, wProject, p.gamma]);
    return grads.map((g) => Float32Array.from(g.dataSync()));
  });
  return new Map(values.map((v, i) => [names[i] as string, v]));
}

test('the gradient of a whole MobileNetV2-0.35 block on wasm matches tfjs autodiff on cpu', async () => {
  const weights = await block2Weights();
  const x = seeded(3 * 14 * 14 * 8, 5).map((v) => v * 3);
  const expected = await blockGradients('cpu', weights, x);
  const actual = await blockGradients('wasm', weights, x);
  assert.equal(tf.getBackend(), 'wasm');
  for (const [name, values] of expected) {
    const err = relativeError(actual.get(name) as Float32Array, values);
    assert.ok(err < 1e-4, `d/d${name}: relative error ${err}`);
  }
});

test('the block gradient agrees with central finite differences on cpu', async () => {
  const weights = await block2Weights();
  const x = seeded(3 * 14 * 14 * 8, 5).map((v) => v * 3);
  const analytic = (await blockGradients('wasm', weights, x)).get('depthwise_gamma') as Float32Array;
  await tf.setBackend('cpu');
  const eps = 1e-3;
  for (const ch of [0, 17, 47]) {
    const at = (delta: number): number => {
      const w = new Map(weights);
      const g = Float32Array.from(weights.get('block_2_depthwise_BN/gamma') as Float32Array);
      g[ch] = (g[ch] as number) + delta;
      w.set('block_2_depthwise_BN/gamma', g);
      return tf.tidy(() => {
        const t = (name: string, shape: number[]): tf.Tensor => tf.tensor(w.get(name) as Float32Array, shape);
        const h1 = tf.clipByValue(
          tf.relu(
            tf.batchNorm(
              tf.conv2d(
                tf.tensor4d(x, [3, 14, 14, 8]),
                t('block_2_expand/kernel', [1, 1, 8, 48]) as tf.Tensor4D,
                1,
                'same',
              ),
              t('block_2_expand_BN/moving_mean', [48]),
              t('block_2_expand_BN/moving_variance', [48]),
              t('block_2_expand_BN/beta', [48]),
              t('block_2_expand_BN/gamma', [48]),
              1e-3,
            ),
          ),
          0,
          6,
        );
        const h2 = tf.clipByValue(
          tf.relu(
            tf.batchNorm(
              tf.depthwiseConv2d(
                h1 as tf.Tensor4D,
                t('block_2_depthwise/depthwise_kernel', [3, 3, 48, 1]) as tf.Tensor4D,
                1,
                'same',
              ),
              t('block_2_depthwise_BN/moving_mean', [48]),
              t('block_2_depthwise_BN/moving_variance', [48]),
              t('block_2_depthwise_BN/beta', [48]),
              t('block_2_depthwise_BN/gamma', [48]),
              1e-3,
            ),
          ),
          0,
          6,
        );
        const h3 = tf.batchNorm(
          tf.conv2d(h2 as tf.Tensor4D, t('block_2_project/kernel', [1, 1, 48, 8]) as tf.Tensor4D, 1, 'same'),
          t('block_2_project_BN/moving_mean', [8]),
          t('block_2_project_BN/moving_variance', [8]),
          t('block_2_project_BN/beta', [8]),
          t('block_2_project_BN/gamma', [8]),
          1e-3,
        );
        const probe = tf.tensor4d(seeded(3 * 14 * 14 * 8, 77), [3, 14, 14, 8]);
        // Summed in double precision: a float32 sum would drown the difference in rounding.
        return Array.from(tf.mul(tf.add(tf.tensor4d(x, [3, 14, 14, 8]), h3), probe).dataSync() as Float32Array).reduce(
          (acc, v) => acc + v,
          0,
        );
      });
    };
    const numeric = (at(eps) - at(-eps)) / (2 * eps);
    const a = analytic[ch] as number;
    assert.ok(
      Math.abs(numeric - a) <= 1e-2 * Math.max(1, Math.abs(a)),
      `gamma[${ch}]: numeric ${numeric} vs analytic ${a}`,
    );
  }
});
