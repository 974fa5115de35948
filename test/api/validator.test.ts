import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { memoiseRouteCompilation } from '../../src/api/validator.js';

type Compile = (path: unknown, options?: Record<string, unknown>) => { regexp: RegExp; keys: { name: string }[] };

/** path-to-regexp as express-openapi-validator resolves it: the module its route lookup reads. */
function validatorsPathToRegexp(): { pathToRegexp: Compile } {
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
  return fromValidator('path-to-regexp') as { pathToRegexp: Compile };
}

test("the validator's route lookup compiles each template once per routing flags, and matches as before", () => {
  const installed = memoiseRouteCompilation();
  assert.equal(memoiseRouteCompilation(), installed, 'installing twice wraps once');
  const module = validatorsPathToRegexp();
  assert.equal(module.pathToRegexp, installed);

  const first = module.pathToRegexp('/v1/datasets/:id/embeddings', { sensitive: false, strict: false });
  const again = module.pathToRegexp('/v1/datasets/:id/embeddings', { sensitive: false, strict: false });
  assert.equal(again, first);
  const strict = module.pathToRegexp('/v1/datasets/:id/embeddings', { sensitive: false, strict: true });
  assert.notEqual(strict, first);

  // Shared between requests, so matching must leave no state behind.
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(first.regexp.exec('/v1/datasets/isic/embeddings')?.slice(1), ['isic']);
    assert.equal(first.regexp.exec('/v1/datasets/isic/embeddings/x'), null);
  }
  assert.deepEqual(
    first.keys.map((k) => k.name),
    ['id'],
  );
  // Options the lookup never passes are compiled as asked, not served from the kept ones.
  const open = module.pathToRegexp('/v1/datasets/:id/embeddings', { end: false });
  assert.notEqual(open, first);
  assert.ok(open.regexp.test('/v1/datasets/isic/embeddings/x'));
});
