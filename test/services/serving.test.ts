import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ServingCache } from '../../src/services/serving.js';
import { registerDataset } from '../../src/services/index.js';
import type { Store } from '../../src/store/index.js';
import { datasetRegistration } from '../support/bodies.js';
import { describeEachStore } from '../support/stores.js';

describeEachStore('serving cache: when the evidence stamp is queried', (kind) => {
  let store: Store;
  let stamps = 0;
  before(async () => {
    store = await kind.open();
    store.knex.on('query', (q: { sql: string }) => {
      if (q.sql.includes('published_expert_distances') && q.sql.includes('ranker_models')) stamps++;
    });
  });
  after(() => store.close());

  test('trusted for its time, queried ahead in the background near its end, waited for after it or after a write here', async () => {
    let clock = 0;
    const cache = new ServingCache(store.knex, 100, () => clock);
    // The empty store has no model, so every answer is a refusal; only the stamp queries are counted here.
    const read = () => cache.recommend({ target: 'isic' }).catch(() => undefined);

    await read();
    assert.equal(stamps, 1, 'the first read waits for a stamp');
    clock = 50;
    await read();
    assert.equal(stamps, 1, 'within three quarters of the trusted time, no query');

    clock = 80;
    await read();
    // A query asked for after the read: the store takes queries in order, so one started ahead of it has begun by then.
    await store.knex.raw('select 1');
    assert.equal(stamps, 2, 'near the end of the trusted time, a query ahead of need');
    clock = 90;
    await read();
    assert.equal(stamps, 2, 'the stamp queried ahead is trusted from when it was asked for');

    clock = 300;
    await read();
    assert.equal(stamps, 3, 'past the trusted time, the read waits for a new stamp');

    clock = 305;
    cache.changed();
    clock = 310;
    await read();
    assert.equal(stamps, 4, 'after a write through this process, the read waits for a stamp that covers it');
    clock = 320;
    await read();
    assert.equal(stamps, 4);
  });

  test('the dataset list is read once per stamp and per question, and a write here shows at the next read', async () => {
    let clock = 1_000;
    const cache = new ServingCache(store.knex, 100, () => clock);
    let lists = 0;
    const count = (q: { sql: string }) => {
      if (/from "datasets"|from `datasets`/.test(q.sql) && !q.sql.includes('ranker_models')) lists++;
    };
    store.knex.on('query', count);
    try {
      const page = { page: 1, pageSize: 50 };
      const first = await cache.datasets({}, page);
      const queries = lists;
      assert.ok(queries > 0);
      assert.equal(await cache.datasets({}, page), first, 'the same answer object, not a new read');
      assert.equal(lists, queries);
      await cache.datasets({ origin: 'medical' }, page);
      assert.ok(lists > queries, 'another question is read');

      const added = await registerDataset(
        { knex: store.knex },
        datasetRegistration('serving-probe-set', 'Serving test set', 'Registered to see the list change.'),
      );
      cache.changed();
      clock += 1;
      const after = await cache.datasets({}, page);
      assert.equal(after.total, first.total + 1);
      assert.ok(after.items.some((d) => d.id === added.id));
    } finally {
      store.knex.off('query', count);
    }
  });
});
