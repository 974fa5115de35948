/**
 * Posterior reference from numpy 2.4.6:
 *   X=np.array([[0.5,-1.0],[1.5,0.2],[-0.3,0.8],[2.0,1.1],[-1.2,-0.4]]); y=np.array([1.0,2.5,0.3,3.9,-0.8])
 *   a,s2=0.7,0.25
 *   Xi=np.hstack([np.ones((5,1)),X]); A=Xi.T@Xi/s2+np.diag([1e-6,a,a]); S=np.linalg.inv(A); m=S@Xi.T@y/s2
 *   x=np.array([1,0.4,-0.6]); x@m; s2+x@S@x
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPosterior, predictive } from '../../src/ranking/bayesian-linear.js';
import { buildDesign, encode } from '../../src/ranking/design.js';

const rows = [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8], [2.0, 1.1], [-1.2, -0.4]];
const y = [1.0, 2.5, 0.3, 3.9, -0.8];

test('posterior mean, covariance and predictive match the closed form computed with numpy', () => {
  const posterior = fitPosterior(rows, y, { priorPrecision: 0.7, noiseVariance: 0.25 });
  const mean = [0.6979149228351382, 1.2773269102746487, 0.3101541937985084];
  const cov = [
    [0.058987966218131224, -0.017865409096855727, -0.000394747279297678],
    [-0.01786540909685573, 0.04300957512253836, -0.02599555407959285],
    [-0.0003947472792976826, -0.025995554079592843, 0.09566088813451049],
  ];
  posterior.mean.forEach((m, i) => assert.ok(Math.abs(m - mean[i]!) < 1e-9, `mean[${i}] ${m}`));
  posterior.covariance.forEach((r, i) => r.forEach((c, j) => assert.ok(Math.abs(c - cov[i]![j]!) < 1e-9, `cov[${i}][${j}] ${c}`)));
  const p = predictive(posterior, [0.4, -0.6], 0.25);
  assert.ok(Math.abs(p.mean - 1.0227531706658928) < 1e-9);
  assert.ok(Math.abs(p.variance - 0.34896665338203836) < 1e-9);
});

test('predictive variance grows away from the training data', () => {
  const posterior = fitPosterior(rows, y, { priorPrecision: 0.7, noiseVariance: 0.25 });
  const near = predictive(posterior, [0.5, 0.1], 0.25).variance;
  const far = predictive(posterior, [8, -9], 0.25).variance;
  assert.ok(far > near * 5, `near ${near}, far ${far}`);
});

test('missing values are imputed with the training mean and flagged; constant columns encode to 0', () => {
  const design = buildDesign(['a', 'b', 'c'], [[1, 2, 5], [3, undefined, 5], [5, 4, 5]]);
  assert.deepEqual(design.columns, ['a', 'b', 'c', 'missing:a', 'missing:b', 'missing:c']);
  assert.deepEqual(design.imputation, [3, 3, 5]);
  const encoded = encode(design, [3, undefined, 5]);
  assert.equal(encoded[0], 0);
  assert.equal(encoded[1], 0);
  assert.equal(encoded[2], 0);
  assert.ok(encoded[4]! > 0, 'the missing indicator of b is above its training mean');
  assert.equal(encoded[5], 0);
});
